package cmdutil

import (
	"errors"
	"fmt"
)

// FlagError is a usage mistake: a bad flag, a wrong number of arguments.
// It exits with code 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a *FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitError ends the command with Code after the command has printed its
// own report. Err, when set, is printed as the error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// ErrSilent ends a command with exit code 1 after it has reported the
// failure itself.
var ErrSilent = errors.New("silent error")

// UsageError marks an error as a user mistake (exit code 2) while keeping
// its message.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }
