// Package get implements `cupaas env get`: print the raw value of one
// variable of .cupaas.env, for scripts.
package get

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
)

// GetOptions are the inputs of `cupaas env get`.
type GetOptions struct {
	shared.Options
	// Key is the variable to print.
	Key string
}

// NewCmdGet returns the command. runF replaces the run function in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{Options: shared.NewOptions(f)}
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Print the raw value of one variable",
		Long: `Print the raw value of one variable, and nothing else, for scripts. Exits 1
when the variable is not set.`,
		Example: `  $ cupaas env get API_KEY
  $ curl -H "Authorization: Bearer $(cupaas env get API_KEY)" ...`,
		Args:              cmdutil.ExactArgs(1, "one KEY"),
		ValidArgsFunction: shared.CompleteKeys(&opts.Options),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := shared.CheckNames(args); err != nil {
				return err
			}
			opts.Key = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return getRun(opts)
		},
	}
}

// getRun prints the value, with a final newline only on a terminal.
func getRun(opts *GetOptions) error {
	f, err := envfile.Load(opts.Path())
	if err != nil {
		return err
	}
	v, ok := f.Get(opts.Key)
	if !ok {
		return fmt.Errorf("%s is not set in %s", shared.NameOrPosition(0, opts.Key), envfile.Name)
	}
	io.WriteString(opts.IO.Out, v)
	if opts.IO.IsStdoutTTY() && !strings.HasSuffix(v, "\n") {
		io.WriteString(opts.IO.Out, "\n")
	}
	return nil
}
