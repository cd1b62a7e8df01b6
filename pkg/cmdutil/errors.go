package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/gitsource"
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

// UsageError marks an error as a user mistake (exit code 2) while keeping
// its message.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ReportedError is a failure the command has already reported in its
// machine-readable output (--json): the error printer prints nothing and
// picks the exit code from Err.
type ReportedError struct{ Err error }

func (e *ReportedError) Error() string { return e.Err.Error() }
func (e *ReportedError) Unwrap() error { return e.Err }

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// ExitCode is the exit code for err, by its type: 0 for nil, 130 when
// interrupted, 2 for a user mistake (a flag, an argument, a config
// problem), else 1.
func ExitCode(err error, interrupted bool) int {
	var (
		cfgErr   *config.Error
		notFound *config.NotFoundError
		flagErr  *FlagError
		usageErr *UsageError
		refErr   *gitsource.RefError
		silent   *SilentExit
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &silent):
		return silent.Code
	case interrupted || errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &cfgErr), errors.As(err, &notFound), errors.As(err, &flagErr), errors.As(err, &usageErr), errors.As(err, &refErr):
		return ExitUsage
	}
	return ExitFailure
}
