// Package unset implements `cupaas env unset`: remove variables from
// .cupaas.env.
package unset

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/envfile"
)

// UnsetOptions are the inputs of `cupaas env unset`.
type UnsetOptions struct {
	shared.Options
	// Keys are the variables to remove.
	Keys []string
	// IgnoreMissing removes the others when some are not set.
	IgnoreMissing bool
}

// NewCmdUnset returns the command. runF replaces the run function in tests.
func NewCmdUnset(f *cmdutil.Factory, runF func(*UnsetOptions) error) *cobra.Command {
	opts := &UnsetOptions{Options: shared.NewOptions(f)}
	cmd := &cobra.Command{
		Use:   "unset KEY...",
		Short: "Remove variables",
		Example: `  $ cupaas env unset DEBUG
  $ cupaas env unset OLD_TOKEN LEGACY_URL --ignore-missing`,
		Args:              cmdutil.MinimumArgs(1, "at least one KEY"),
		ValidArgsFunction: shared.CompleteKeys(&opts.Options),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := shared.CheckNames(args); err != nil {
				return err
			}
			opts.Keys = args
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return unsetRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IgnoreMissing, "ignore-missing", false, "do not fail on keys that are not set")
	shared.WriteFlags(cmd, &opts.Options)
	return cmd
}

// unsetRun removes the keys; none when one is not set, unless
// IgnoreMissing.
func unsetRun(opts *UnsetOptions) error {
	args := opts.Keys
	return shared.Change(&opts.Options, "env unset", "removed", func(c *config.Config, f *envfile.File) ([]string, error) {
		var missing []string
		for i, k := range args {
			if _, ok := f.Get(k); !ok {
				missing = append(missing, shared.NameOrPosition(i, k))
			}
		}
		if len(missing) > 0 && !opts.IgnoreMissing {
			return nil, &cmdutil.UsageError{Err: fmt.Errorf("%s not set in %s; nothing was removed (pass --ignore-missing to remove the others)", strings.Join(missing, ", "), envfile.Name)}
		}
		var removed []string
		for _, k := range args {
			if f.Unset(k) {
				removed = append(removed, k)
			}
		}
		if len(removed) == 0 {
			removed = []string{"nothing"}
		}
		return removed, nil
	})
}
