// Package importcmd implements `cupaas env import`: store every variable
// of a dotenv file, or of standard input, after checking them all.
package importcmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// maxImportSize bounds what `env import` reads: a dotenv file can be
// larger than its values (quotes, escapes, comments), but not this much.
// It is the limit of .cupaas.env itself.
const maxImportSize = envfile.MaxFileSize

// ImportOptions are the inputs of `cupaas env import`.
type ImportOptions struct {
	shared.Options
	// File is the dotenv file to read, "-" for standard input.
	File string
}

// NewCmdImport returns the command. runF replaces the run function in
// tests.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{Options: shared.NewOptions(f)}
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Store every variable of a dotenv file",
		Long: `Read a dotenv file (quotes, multi-line values, comments and export prefixes,
with the rules of github.com/joho/godotenv) and store every variable in it.
Everything is checked first: one bad entry stores nothing.`,
		Example: `  $ cupaas env import .env.production
  $ heroku config --shell | cupaas env import -`,
		Args: cmdutil.ExactArgs(1, "a FILE, or - for standard input"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return importRun(opts)
		},
	}
	shared.WriteFlags(cmd, &opts.Options)
	return cmd
}

// importRun reads and checks the file, then stores every variable in it.
func importRun(opts *ImportOptions) error {
	name := opts.File
	var data []byte
	var err error
	if name == "-" {
		name = "standard input"
		if opts.IO.IsStdinTTY() {
			fmt.Fprintln(opts.IO.ErrOut, "Paste the KEY=VALUE lines, then Ctrl-D on a line of its own:")
		}
		data, err = shared.ReadBounded(opts.IO.In, maxImportSize)
		if err == nil && len(data) > maxImportSize {
			err = &safefile.TooLargeError{Path: name, Size: -1, Limit: maxImportSize}
		}
	} else {
		data, err = safefile.ReadFile(name, maxImportSize)
	}
	if err != nil {
		if strings.Contains(opts.File, "=") {
			// `env import API_KEY=s3cr3t`: set's syntax, not a file.
			return &cmdutil.UsageError{Err: fmt.Errorf("argument 1 is not a file that can be read (%s; it is not shown, since it has a '=' and may be KEY=VALUE: to store KEY=VALUE, use `cupaas env set`)", strings.TrimPrefix(shared.FileProblem(err), "that file "))}
		}
		return importReadError(opts.File, err)
	}
	in, err := envfile.Parse(data)
	if err != nil {
		return &cmdutil.UsageError{Err: fmt.Errorf("%s %v; nothing was stored", name, err)}
	}
	if bad := in.BadLines(); len(bad) > 0 {
		// The lines themselves are not shown: they may hold a secret.
		var where []string
		for _, n := range bad {
			where = append(where, fmt.Sprintf("%s:%d", name, n))
		}
		return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored: not a KEY=VALUE line (dotenv would refuse the file): %s", strings.Join(where, ", "))}
	}
	if ps := in.Problems(); len(ps) > 0 {
		return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored:\n%v", envfile.AsError(name, ps))}
	}
	var pairs []shared.Pair
	for _, k := range in.Keys() {
		v, _ := in.Get(k)
		pairs = append(pairs, shared.Pair{Key: k, Value: v, From: fmt.Sprintf("%s:%d", name, in.Line(k))})
	}
	if len(pairs) == 0 {
		return &cmdutil.UsageError{Err: fmt.Errorf("%s holds no variables", name)}
	}
	return shared.Change(&opts.Options, "env import", "imported", shared.Store(pairs))
}

// importReadError explains why the file given to `env import` was not read.
func importReadError(name string, err error) error {
	var tl *safefile.TooLargeError
	var nr *safefile.NotRegularError
	switch {
	case errors.As(err, &tl):
		return &cmdutil.UsageError{Err: fmt.Errorf("%v: its values cannot fit in a Secret (1 MiB at most); nothing was stored", err)}
	case errors.As(err, &nr):
		return &cmdutil.UsageError{Err: fmt.Errorf("%v; to import the output of a command, pipe it to `cupaas env import -`; nothing was stored", err)}
	}
	return &cmdutil.UsageError{Err: fmt.Errorf("cannot read %s: %w", name, err)}
}
