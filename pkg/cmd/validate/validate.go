// Package validate implements `cupaas validate`.
package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// Options are the inputs of `cupaas validate`.
type Options struct {
	IO   *iostreams.IOStreams
	Dir  string
	JSON bool
}

// NewCmdValidate returns the command. runF replaces the run function in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Dir: "."}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check .cupaas.yml and .cupaas.env and report every problem",
		Long: `Load .cupaas.yml, check every setting and print each problem as
file:line:column: message; then check the patterns of .dockerignore. The
secrets in .cupaas.env are checked too (variable names, NUL bytes, sizes,
keys cupaas sets itself), and reported as file:line without their values.
Exits 2 when there are problems.`,
		Example: `  $ cupaas validate
  ✓ .cupaas.yml is valid
  tasks · python:3.11 · port 5000 · 1 replica · services mongodb:6.0.2

  $ cupaas validate --json | jq .config.services`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

// secretsProblems returns the problems of .cupaas.env in dir: the file's
// own (a name that is not a variable name, a NUL byte, a variable over
// 128 KiB, a file that is not a regular file or is over its limit) and,
// when the config c is known, what it forbids there (PORT, a service's
// settings, a key also under env:, a total over the Secret's 1 MiB). An
// error is a file that cannot be read.
func secretsProblems(dir string, c *config.Config) ([]config.Problem, error) {
	path := filepath.Join(dir, envfile.Name)
	f, err := envfile.Load(path)
	var cfgErr *config.Error
	switch {
	case errors.As(err, &cfgErr):
		return cfgErr.Problems, nil
	case err != nil:
		return nil, err
	case c == nil:
		return nil, nil
	}
	return envfile.AsError(path, f.Check(c)).Problems, nil
}

// Result is the JSON form of a validation.
type Result struct {
	Valid    bool             `json:"valid"`
	Problems []config.Problem `json:"problems"`
	Config   *config.Config   `json:"config,omitempty"`
}

// Run loads and validates the config, and the app's secrets file beside
// it: every problem of both is reported at once.
func Run(opts *Options) error {
	c, err := config.Load(opts.Dir)
	var cfgErr *config.Error
	if err == nil || errors.As(err, &cfgErr) {
		ps, envErr := secretsProblems(opts.Dir, c)
		if envErr != nil {
			return envErr
		}
		switch {
		case len(ps) > 0 && cfgErr != nil:
			err = cfgErr.With(ps...)
		case len(ps) > 0:
			err = &config.Error{Problems: ps}
		}
	}
	if err == nil {
		// .dockerignore is read by every render and deploy.
		err = config.CheckDockerignore(opts.Dir)
	}
	if opts.JSON {
		res := Result{Valid: err == nil, Config: c, Problems: []config.Problem{}}
		var cfgErr *config.Error
		if errors.As(err, &cfgErr) {
			res.Problems = cfgErr.Problems
		} else if err != nil {
			return err
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(res); encErr != nil {
			return encErr
		}
		if err != nil {
			return &cmdutil.ReportedError{Err: err}
		}
		return nil
	}
	if err != nil {
		return err
	}
	st := opts.IO.Styles()
	fmt.Fprintf(opts.IO.Out, "%s %s is valid\n", st.SuccessIcon(), c.File)
	fmt.Fprintln(opts.IO.Out, c.Summary())
	return nil
}
