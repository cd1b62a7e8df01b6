// Package cmdutil holds what every command shares: the Factory of
// dependencies, the error types that decide exit codes, and small helpers
// for flags and arguments.
package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/settings"
)

// Factory carries the dependencies of commands. Tests build one with fakes.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Runner    run.Runner
	// Settings are the user-level defaults when LoadSettings is nil; nil
	// means none.
	Settings *settings.Settings
	// LoadSettings, when set, reads the user-level defaults (see
	// settings.Lazy): Main sets it so that only a command that uses a
	// setting reads the settings file, and a broken one stops only those.
	LoadSettings func() (*settings.Settings, error)
	// Getenv reads the environment.
	Getenv func(string) string
}

// UserSettings returns the user-level defaults, loading them on first use.
// A settings file that cannot be used is a usage error (exit code 2).
func (f *Factory) UserSettings() (*settings.Settings, error) {
	if f.LoadSettings == nil {
		return f.Settings, nil
	}
	s, err := f.LoadSettings()
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return s, nil
}

// ExactArgs is cobra.ExactArgs with a usage error (exit 2) and a clearer
// message.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s: expected %s, got %d argument(s); see `%s --help`", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// NoArgs refuses positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%s takes no arguments, got %q; see `%s --help`", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}

// MinimumArgs requires at least n arguments.
func MinimumArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s: expected %s; see `%s --help`", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return nil
	}
}

// UnknownCommand is the usage error for `cmd name` when cmd has no
// subcommand name, with suggestions.
func UnknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, ", "))
	}
	return FlagErrorf("%s\nSee '%s --help'.", msg, cmd.CommandPath())
}
