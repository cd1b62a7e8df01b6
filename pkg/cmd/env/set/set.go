// Package set implements `cupaas env set`: its argument parser, which
// never shows a value (a bad argument is named by its position), the
// reading of KEY=- and KEY=@FILE values, and the storing of the pairs.
package set

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
)

// SetOptions are the inputs of `cupaas env set`.
type SetOptions struct {
	shared.Options
	// Pairs are the parsed arguments; a KEY=- or KEY=@FILE value is not
	// read yet.
	Pairs []pair
}

// NewCmdSet returns the command. runF replaces the run function in tests.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{Options: shared.NewOptions(f)}
	cmd := &cobra.Command{
		Use:   "set KEY=VALUE...",
		Short: "Store one or more variables",
		Long: `Store one or more variables in .cupaas.env. KEY= sets an empty value,
KEY=@FILE reads the value from FILE, KEY=- reads it from standard input (for
multi-line values such as certificates, and for a value that starts with @).
Every pair is checked before any is stored: one bad argument stores nothing.
Values are never printed, and neither is an argument that is not KEY=VALUE:
it is named by its position.`,
		Example: `  $ cupaas env set API_KEY=s3cr3t DEBUG=1
  $ cupaas env set EMPTY=
  $ cupaas env set TLS_CERT=@cert.pem
  $ vault read -field=key secret/app | cupaas env set API_KEY=-
  $ cupaas env set GREETING=hola --no-apply`,
	}
	// pflag would print a value that starts with '-' in its error
	// (`env set PW -s3cr3t`), and take `-Cx` after `PW=` for --chdir:
	// the command reads its flags itself.
	args := ownFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		pairs, err := parseSetArgs(*args)
		if err != nil {
			return err
		}
		opts.Pairs = pairs
		opts.Context = cmd.Context()
		if runF != nil {
			return runF(opts)
		}
		return setRun(opts)
	}
	shared.WriteFlags(cmd, &opts.Options)
	return cmd
}

// setRun reads the values that come from standard input or a file, then
// stores every pair.
func setRun(opts *SetOptions) error {
	pairs, err := readValues(opts.IO, opts.Pairs, opts.Dir)
	if err != nil {
		return err
	}
	store := make([]shared.Pair, len(pairs))
	for i, p := range pairs {
		store[i] = shared.Pair{Key: p.key, Value: p.value, From: p.from}
	}
	return shared.Change(&opts.Options, "env set", "set", shared.Store(store))
}

func tooLarge(key, from string) error {
	return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored: the value of %s from %s is over 1 MiB (%d bytes), Kubernetes' limit for a whole Secret; keep large files out of environment variables", key, from, shared.MaxSecretSize)}
}
