// Package shared holds what the verbs of `cupaas env` (set, unset, get,
// list, import) have in common: their options, the transaction that
// changes .cupaas.env (lock, load, edit, size check, write, apply), the
// checks of names and values, and the flag and message helpers that keep
// values out of errors.
package shared

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// MaxSecretSize is Kubernetes' limit on the data of one Secret.
const MaxSecretSize = envfile.MaxSecretSize

// Options are what every env subcommand shares.
type Options struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	Dir    string
	// Context ends a write and its apply (Ctrl-C); nil means
	// context.Background().
	Context context.Context
	// LockWait is how long a write waits for another cupaas command.
	LockWait time.Duration
	// PollInterval is how often the pods are inspected while they roll;
	// 0 means deploy's default.
	PollInterval time.Duration
	// NoApply only stores, even after a deploy.
	NoApply bool
	// Timeout bounds the rollout after an apply.
	Timeout time.Duration
}

// NewOptions returns the options of an env subcommand for the app in the
// current directory.
func NewOptions(f *cmdutil.Factory) Options {
	return Options{IO: f.IOStreams, Runner: f.Runner, Dir: "."}
}

// Path is the path of .cupaas.env.
func (o *Options) Path() string { return filepath.Join(o.Dir, envfile.Name) }

func (o *Options) ctx() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// WriteFlags adds the flags of the subcommands that change .cupaas.env.
func WriteFlags(c *cobra.Command, opts *Options) {
	c.Flags().BoolVar(&opts.NoApply, "no-apply", false, "only store the change; it applies on the next deploy")
	cmdutil.DurationVar(c.Flags(), &opts.LockWait, "wait", 10*time.Second, "how long to wait for another cupaas command working on this app")
	cmdutil.DurationVar(c.Flags(), &opts.Timeout, "timeout", 5*time.Minute, "how long to wait for the pods to roll")
}

// CompleteKeys completes the keys stored in .cupaas.env.
func CompleteKeys(opts *Options) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		f, err := envfile.Load(opts.Path())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		done := map[string]bool{}
		for _, a := range args {
			done[a] = true
		}
		var out []string
		for _, k := range f.Keys() {
			if !done[k] {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// WarnBadLines warns about the lines of .cupaas.env that define nothing:
// they are kept as they are, but the app does not get them.
func WarnBadLines(progress *iostreams.Progress, f *envfile.File) {
	for _, n := range f.BadLines() {
		progress.Warnf("%s:%d: this line is not KEY=VALUE and defines nothing; it is kept as it is", envfile.Name, n)
	}
}

// Mask hides a value: its first 4 characters and "…" when it is longer
// than 8, else "••••".
func Mask(v string) string {
	r := []rune(v)
	if len(r) > 8 {
		return string(r[:4]) + "…"
	}
	return "••••"
}

// ReadBounded reads r to its end, but at most max+1 bytes: a longer input
// (`@/dev/zero`, an endless pipe) gives max+1 bytes and is refused by the
// caller instead of filling the memory.
func ReadBounded(r io.Reader, max int) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, int64(max)+1))
}

// FileProblem says why a file could not be read, without its name.
func FileProblem(err error) string {
	var nr *safefile.NotRegularError
	switch {
	case errors.As(err, &nr):
		return "that file " + nr.Reason()
	case errors.Is(err, fs.ErrNotExist):
		return "that file does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "that file cannot be read: permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "that file cannot be read: " + err.Error()
}

// ConventionalKey reports whether s has the usual shape of a variable
// name, in capitals (API_KEY): an argument of that shape is taken for a
// name and may be shown.
func ConventionalKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '_', 'A' <= b && b <= 'Z':
		case i > 0 && '0' <= b && b <= '9':
		default:
			return false
		}
	}
	return true
}

// CheckNames refuses, by position, the arguments of get and unset that
// are not variable names: `env get s3cr3t=` would otherwise print them.
func CheckNames(args []string) error {
	var bad []string
	for i, a := range args {
		if !envfile.ValidKey(a) {
			bad = append(bad, fmt.Sprint(i+1))
		}
	}
	switch len(bad) {
	case 0:
		return nil
	case 1:
		return cmdutil.FlagErrorf("argument %s is not a variable name (letters, digits and '_', not starting with a digit); it is not shown, since it may be a value", bad[0])
	}
	return cmdutil.FlagErrorf("arguments %s are not variable names (letters, digits and '_', not starting with a digit); they are not shown, since they may be values", strings.Join(bad, ", "))
}

// NameOrPosition is how a message names argument i (from 0) that was
// given as a variable name: by the name when it has the usual shape
// (API_KEY), else by its position, since it may be a value typed in the
// wrong place.
func NameOrPosition(i int, arg string) string {
	if ConventionalKey(arg) {
		return arg
	}
	return fmt.Sprintf("argument %d (not shown, since it may be a value)", i+1)
}

// QuietFlagErrors is a cobra FlagErrorFunc that never shows the argument
// pflag stumbled on: it may be a value typed in the wrong place.
func QuietFlagErrors(c *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist), errors.As(err, &syntax):
		err = fmt.Errorf("an argument that starts with '-' is not a flag of %s (it is not shown, since it may be a value)", c.CommandPath())
	case errors.As(err, &invalid) && errors.Is(err, cmdutil.ErrNegativeDuration):
		err = fmt.Errorf("--%s: %w", invalid.GetFlag().Name, cmdutil.ErrNegativeDuration)
	case errors.As(err, &invalid):
		err = fmt.Errorf("--%s: the value given is not a valid %s (it is not shown)", invalid.GetFlag().Name, invalid.GetFlag().Value.Type())
	}
	return &cmdutil.FlagError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
}
