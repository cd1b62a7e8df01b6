// Package env implements `cupaas env`: the app's settings and secrets,
// kept in `.cupaas.env` next to `.cupaas.yml` and injected into the app
// through its Secret `<name>-env`. After a successful deploy, changes are
// applied to the cluster at once, like `heroku config:set`.
package env

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/gitignore"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// MaxSecretSize is Kubernetes' limit on the data of one Secret.
const MaxSecretSize = envfile.MaxSecretSize

// maxImportSize bounds what `env import` reads: a dotenv file can be
// larger than its values (quotes, escapes, comments), but not this much.
// It is the limit of .cupaas.env itself.
const maxImportSize = envfile.MaxFileSize

// Options are what every env subcommand shares.
type Options struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	Dir    string
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

func (o *Options) path() string { return filepath.Join(o.Dir, envfile.Name) }

// NewCmdEnv returns `cupaas env` and its subcommands, for the app in the
// current directory.
func NewCmdEnv(f *cmdutil.Factory) *cobra.Command { return newCmdEnv(f, ".") }

func newCmdEnv(f *cmdutil.Factory, dir string) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Runner: f.Runner, Dir: dir}
	cmd := &cobra.Command{
		Use:   "env <command>",
		Short: "Manage the app's settings and secrets (.cupaas.env)",
		Long: `Manage the app's settings and secrets. They are kept in .cupaas.env next to
.cupaas.yml (mode 0600, kept out of git) and reach the app as environment
variables through its Secret <name>-env. After a successful deploy, set,
unset and import also update the cluster at once and roll the pods, without
rebuilding the image; --no-apply only stores.`,
		Example: `  $ cupaas env set API_KEY=s3cr3t DEBUG=1
  $ cupaas env set TLS_CERT=@cert.pem
  $ cupaas env list
  $ cupaas env get API_KEY
  $ cupaas env unset DEBUG`,
		// `cupaas env frob` is a mistake (exit 2), not a request for help.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return cmdutil.UnknownCommand(c, args[0])
		},
	}
	writeFlags := func(c *cobra.Command) {
		c.Flags().BoolVar(&opts.NoApply, "no-apply", false, "only store the change; it applies on the next deploy")
		cmdutil.DurationVar(c.Flags(), &opts.LockWait, "wait", 10*time.Second, "how long to wait for another cupaas command working on this app")
		cmdutil.DurationVar(c.Flags(), &opts.Timeout, "timeout", 5*time.Minute, "how long to wait for the pods to roll")
	}
	set, unset, imp := newCmdSet(opts), newCmdUnset(opts), newCmdImport(opts)
	for _, c := range []*cobra.Command{set, unset, imp} {
		writeFlags(c)
	}
	cmd.AddCommand(set, unset, imp, newCmdGet(opts), newCmdList(opts))
	// For every env subcommand: a mistyped value must not come back in
	// "unknown shorthand flag: 's' in -s3cr3t".
	cmd.SetFlagErrorFunc(quietFlagErrors)
	return cmd
}

// completeKeys completes the keys stored in .cupaas.env.
func completeKeys(opts *Options) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		f, err := envfile.Load(opts.path())
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

// reserved returns, for each key the app may not set in .cupaas.env, why.
func reserved(c *config.Config) map[string]string {
	out := map[string]string{}
	for k, src := range c.InjectedEnv() {
		if src == "port" {
			out[k] = "cupaas sets PORT from `port:` in " + c.File
		} else {
			out[k] = "cupaas sets it for the " + src + " service"
		}
	}
	for _, e := range c.Env {
		out[e.Key] = "it is set under env: in " + c.File + "; change it there, or remove it there first"
	}
	return out
}

// checkKeys validates every key and value before anything is stored.
// Keys are shown (a key that may be a value never gets this far: see
// parseSetArgs), values never.
func checkKeys(c *config.Config, pairs []pair) error {
	res := reserved(c)
	var problems []string
	for _, p := range pairs {
		where := ""
		if p.from != "" {
			where = p.from + ": "
		}
		switch {
		case !envfile.ValidKey(p.key):
			problems = append(problems, where+"the name is not a valid variable name (letters, digits and '_', not starting with a digit); it is not shown")
		case res[p.key] != "":
			problems = append(problems, fmt.Sprintf("%s%s cannot be set: %s", where, p.key, res[p.key]))
		default:
			if err := envfile.CheckValue(p.value); err != nil {
				problems = append(problems, fmt.Sprintf("%s%s: %v", where, p.key, err))
			} else if err := config.CheckEnvSize(p.key, p.value); err != nil {
				problems = append(problems, where+err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored:\n  %s", strings.Join(problems, "\n  "))}
	}
	return nil
}

// store returns the edit that checks every pair, then sets them all.
func store(pairs []pair) func(*config.Config, *envfile.File) ([]string, error) {
	return func(c *config.Config, f *envfile.File) ([]string, error) {
		if err := checkKeys(c, pairs); err != nil {
			return nil, err
		}
		var keys []string
		for _, p := range pairs {
			if err := f.Set(p.key, p.value); err != nil {
				return nil, err
			}
			keys = append(keys, p.key)
		}
		return keys, nil
	}
}

// change loads .cupaas.env under the app lock (taken as command), lets
// edit change it, checks the size, writes it atomically and applies it when
// the app was deployed.
func change(ctx context.Context, opts *Options, command, what string, edit func(c *config.Config, f *envfile.File) ([]string, error)) error {
	c, err := config.Load(opts.Dir)
	if err != nil {
		return err
	}
	l, err := home.Of(opts.Dir).Lock(ctx, command, opts.LockWait)
	if err != nil {
		return err
	}
	defer l.Release()
	f, err := envfile.Load(opts.path())
	if err != nil {
		return err
	}
	before := dataSize(f.Map())
	keys, err := edit(c, f)
	if err != nil {
		return err
	}
	// A change that makes the Secret smaller is always allowed, so that a
	// file edited by hand past the limit can be brought back under it.
	if size := dataSize(f.Map()); size > before {
		size += injectedSize(opts.Dir, c)
		if size > MaxSecretSize {
			return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored: the app's Secret %s-env would hold %s, over Kubernetes' limit of 1 MiB (%d bytes) for a Secret; keep large files out of environment variables", c.Name, humanBytes(size), MaxSecretSize)}
		}
	}
	progress := opts.IO.NewProgress(false)
	warnBadLines(progress, f)
	st := progress.Start("Store " + envfile.Name)
	if err := write(opts, f, progress); err != nil {
		st.Fail("")
		return err
	}
	st.Done(what + " " + strings.Join(keys, ", "))
	added, err := gitignore.Ensure(opts.Dir, envfile.Name)
	if err != nil {
		progress.Warnf("could not update .gitignore: %v", err)
	} else if len(added) > 0 {
		progress.Infof("Added %s to .gitignore, so that your secrets stay out of git", envfile.Name)
	}
	err = apply(ctx, opts, progress)
	if ctx.Err() != nil {
		return interrupted(command, what, keys)
	}
	return err
}

// interrupted is the error of a command stopped (Ctrl-C, SIGTERM) after
// it stored its change: the change is kept, and the cluster may not have
// it yet.
func interrupted(command, what string, keys []string) error {
	return &interruptedError{fmt.Sprintf("interrupted: the change (%s %s) is stored in %s, but was not applied to the cluster, or not fully; run `cupaas deploy` to apply it (or `cupaas %s` again)", what, strings.Join(keys, ", "), envfile.Name, command)}
}

// interruptedError is an interruption (exit code 130) that says what was
// done before it.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string    { return e.msg }
func (e *interruptedError) Unwrap() error    { return context.Canceled }
func (e *interruptedError) Headline() string { return e.msg }

// write saves f as .cupaas.env, under the app lock. The temporary copy of
// the secrets goes to .cupaas/, which no build and no commit picks up, and
// copies that a killed cupaas left (there or, from older versions, in the
// app directory) are removed first: nobody else writes .cupaas.env while
// the lock is held. A symbolic link is kept: the file it points to is
// written, wherever it is (that is what a user who made the link wants).
func write(opts *Options, f *envfile.File, progress *iostreams.Progress) error {
	tmpDir, err := home.Of(opts.Dir).EnsureDir()
	if err != nil {
		return err
	}
	removed := 0
	for _, dir := range []string{opts.Dir, tmpDir} {
		n, err := atomicfile.RemoveLeftovers(dir, envfile.Name, 0)
		if err != nil {
			progress.Warnf("%v", err)
		}
		removed += n
	}
	switch {
	case removed == 1:
		progress.Infof("Removed a temporary copy of %s left by an interrupted write", envfile.Name)
	case removed > 1:
		progress.Infof("Removed %d temporary copies of %s left by an interrupted write", removed, envfile.Name)
	}
	target, err := resolveLink(opts.path())
	if err != nil {
		return err
	}
	return f.WriteVia(target, tmpDir)
}

// resolveLink follows path while it is a symbolic link, and returns the
// file it ends at, which may not exist yet.
func resolveLink(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("cannot write %s: %w", path, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("cannot write %s: %w", path, err)
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("cannot write %s: too many levels of symbolic links", path)
}

// warnBadLines warns about the lines of .cupaas.env that define nothing:
// they are kept as they are, but the app does not get them.
func warnBadLines(progress *iostreams.Progress, f *envfile.File) {
	for _, n := range f.BadLines() {
		progress.Warnf("%s:%d: this line is not KEY=VALUE and defines nothing; it is kept as it is", envfile.Name, n)
	}
}

// dataSize is how much a set of variables takes in a Secret: every key
// and value.
func dataSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// injectedSize is how much cupaas itself puts into the app's Secret beside
// .cupaas.env: the connection settings of the services. Credentials that
// were not generated yet count with the length they will have.
func injectedSize(dir string, c *config.Config) int {
	if len(c.Services) == 0 {
		return 0
	}
	creds, err := home.Of(dir).StoredCredentials()
	if err != nil {
		creds = map[string]credentials.Service{}
	}
	for _, s := range c.Services {
		if cr, ok := creds[s.Name]; !ok || cr.Password == "" {
			creds[s.Name] = credentials.Service{Username: credentials.DefaultUsername, Password: strings.Repeat("x", credentials.PasswordLength)}
		}
	}
	objs, err := render.Manifests(render.Input{Config: c, Image: "size/" + c.Name + ":size", Credentials: creds})
	if err != nil {
		return 0 // deploy reports it; the size check must not block on it
	}
	s, _ := deploy.EnvObjects(objs, c.Name)
	if s == nil {
		return 0
	}
	n := 0
	for k, v := range s.Data {
		n += len(k) + len(v)
	}
	return n
}

func humanBytes(n int) string {
	return fmt.Sprintf("%.2f MiB (%d bytes)", float64(n)/(1<<20), n)
}

func newCmdSet(opts *Options) *cobra.Command {
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
		if pairs, err = readValues(opts.IO, pairs, opts.Dir); err != nil {
			return err
		}
		return change(cmd.Context(), opts, "env set", "set", store(pairs))
	}
	return cmd
}

func tooLarge(key, from string) error {
	return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored: the value of %s from %s is over 1 MiB (%d bytes), Kubernetes' limit for a whole Secret; keep large files out of environment variables", key, from, MaxSecretSize)}
}

// readBounded reads r to its end, but at most max+1 bytes: a longer input
// (`@/dev/zero`, an endless pipe) gives max+1 bytes and is refused by the
// caller instead of filling the memory.
func readBounded(r io.Reader, max int) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, int64(max)+1))
}

func newCmdUnset(opts *Options) *cobra.Command {
	var ignoreMissing bool
	cmd := &cobra.Command{
		Use:   "unset KEY...",
		Short: "Remove variables",
		Example: `  $ cupaas env unset DEBUG
  $ cupaas env unset OLD_TOKEN LEGACY_URL --ignore-missing`,
		Args:              cmdutil.MinimumArgs(1, "at least one KEY"),
		ValidArgsFunction: completeKeys(opts),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args); err != nil {
				return err
			}
			return change(cmd.Context(), opts, "env unset", "removed", func(c *config.Config, f *envfile.File) ([]string, error) {
				var missing []string
				for i, k := range args {
					if _, ok := f.Get(k); !ok {
						missing = append(missing, nameOrPosition(i, k))
					}
				}
				if len(missing) > 0 && !ignoreMissing {
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
		},
	}
	cmd.Flags().BoolVar(&ignoreMissing, "ignore-missing", false, "do not fail on keys that are not set")
	return cmd
}

func newCmdImport(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE|-",
		Short: "Store every variable of a dotenv file",
		Long: `Read a dotenv file (quotes, multi-line values, comments and export prefixes,
with the rules of github.com/joho/godotenv) and store every variable in it.
Everything is checked first: one bad entry stores nothing.`,
		Example: `  $ cupaas env import .env.production
  $ heroku config --shell | cupaas env import -`,
		Args: cmdutil.ExactArgs(1, "a FILE, or - for standard input"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var data []byte
			var err error
			if name == "-" {
				name = "standard input"
				if opts.IO.IsStdinTTY() {
					fmt.Fprintln(opts.IO.ErrOut, "Paste the KEY=VALUE lines, then Ctrl-D on a line of its own:")
				}
				data, err = readBounded(opts.IO.In, maxImportSize)
				if err == nil && len(data) > maxImportSize {
					err = &safefile.TooLargeError{Path: name, Size: -1, Limit: maxImportSize}
				}
			} else {
				data, err = safefile.ReadFile(name, maxImportSize)
			}
			if err != nil {
				if strings.Contains(args[0], "=") {
					// `env import API_KEY=s3cr3t`: set's syntax, not a file.
					return &cmdutil.UsageError{Err: fmt.Errorf("argument 1 is not a file that can be read (%s; it is not shown, since it has a '=' and may be KEY=VALUE: to store KEY=VALUE, use `cupaas env set`)", strings.TrimPrefix(fileProblem(err), "that file "))}
				}
				return importReadError(args[0], err)
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
			var pairs []pair
			for _, k := range in.Keys() {
				v, _ := in.Get(k)
				pairs = append(pairs, pair{key: k, value: v, from: fmt.Sprintf("%s:%d", name, in.Line(k))})
			}
			if len(pairs) == 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("%s holds no variables", name)}
			}
			return change(cmd.Context(), opts, "env import", "imported", store(pairs))
		},
	}
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

func newCmdGet(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Print the raw value of one variable",
		Long: `Print the raw value of one variable, and nothing else, for scripts. Exits 1
when the variable is not set.`,
		Example: `  $ cupaas env get API_KEY
  $ curl -H "Authorization: Bearer $(cupaas env get API_KEY)" ...`,
		Args:              cmdutil.ExactArgs(1, "one KEY"),
		ValidArgsFunction: completeKeys(opts),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args); err != nil {
				return err
			}
			f, err := envfile.Load(opts.path())
			if err != nil {
				return err
			}
			v, ok := f.Get(args[0])
			if !ok {
				return fmt.Errorf("%s is not set in %s", nameOrPosition(0, args[0]), envfile.Name)
			}
			io.WriteString(opts.IO.Out, v)
			if opts.IO.IsStdoutTTY() && !strings.HasSuffix(v, "\n") {
				io.WriteString(opts.IO.Out, "\n")
			}
			return nil
		},
	}
}

// checkNames refuses, by position, the arguments of get and unset that
// are not variable names: `env get s3cr3t=` would otherwise print them.
func checkNames(args []string) error {
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

// Mask hides a value: its first 4 characters and "…" when it is longer
// than 8, else "••••".
func Mask(v string) string {
	r := []rune(v)
	if len(r) > 8 {
		return string(r[:4]) + "…"
	}
	return "••••"
}
