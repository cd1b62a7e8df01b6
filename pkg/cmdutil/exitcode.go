package cmdutil

import "fmt"

// SilentExit ends a command with Code and prints nothing: the command has
// said what there was to say (the exit code of `cupaas run`'s process,
// a doctor check that failed).
type SilentExit struct{ Code int }

func (e *SilentExit) Error() string { return fmt.Sprintf("exit code %d", e.Code) }
