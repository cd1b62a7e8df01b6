package run

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// interactive runs cmd with the caller's streams as they are (see
// Cmd.Interactive).
func (r osRunner) interactive(ctx context.Context, cmd *exec.Cmd, c Cmd) error {
	cmd.Stdout, cmd.Stderr = c.Stdout, c.Stderr
	cancelled := false
	cmd.Cancel = func() error {
		cancelled = true
		return signalTerm(cmd.Process)
	}
	cmd.WaitDelay = r.grace
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", CommandLine(c.Argv), ctx.Err())
		}
		return &Error{Argv: c.Argv, ExitCode: -1, Err: err}
	}
	err := cmd.Wait()
	if cancelled {
		return fmt.Errorf("%s: %w", CommandLine(c.Argv), ctx.Err())
	}
	if err != nil && !(errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success()) {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return &Error{Argv: c.Argv, ExitCode: code, Err: err}
	}
	return nil
}
