package shared

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
)

// Pair is one variable to store.
type Pair struct {
	Key, Value string
	// From says where the pair was given, for messages: "argument 2"
	// (set) or "FILE:LINE" (import); "" when unknown.
	From string
}

// Edit changes the loaded .cupaas.env, and returns the keys it changed
// (for the message), or why it stores nothing.
type Edit func(c *config.Config, f *envfile.File) ([]string, error)

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
// the argument parser of env set), values never.
func checkKeys(c *config.Config, pairs []Pair) error {
	res := reserved(c)
	var problems []string
	for _, p := range pairs {
		where := ""
		if p.From != "" {
			where = p.From + ": "
		}
		switch {
		case !envfile.ValidKey(p.Key):
			problems = append(problems, where+"the name is not a valid variable name (letters, digits and '_', not starting with a digit); it is not shown")
		case res[p.Key] != "":
			problems = append(problems, fmt.Sprintf("%s%s cannot be set: %s", where, p.Key, res[p.Key]))
		default:
			if err := envfile.CheckValue(p.Value); err != nil {
				problems = append(problems, fmt.Sprintf("%s%s: %v", where, p.Key, err))
			} else if err := config.CheckEnvSize(p.Key, p.Value); err != nil {
				problems = append(problems, where+err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return &cmdutil.UsageError{Err: fmt.Errorf("nothing was stored:\n  %s", strings.Join(problems, "\n  "))}
	}
	return nil
}

// Store returns the edit that checks every pair, then sets them all.
func Store(pairs []Pair) Edit {
	return func(c *config.Config, f *envfile.File) ([]string, error) {
		if err := checkKeys(c, pairs); err != nil {
			return nil, err
		}
		var keys []string
		for _, p := range pairs {
			if err := f.Set(p.Key, p.Value); err != nil {
				return nil, err
			}
			keys = append(keys, p.Key)
		}
		return keys, nil
	}
}

// Change loads .cupaas.env under the app lock (taken as command), lets
// edit change it, checks the size, writes it atomically and applies it when
// the app was deployed.
func Change(opts *Options, command, what string, edit Edit) error {
	ctx := opts.ctx()
	c, err := config.Load(opts.Dir)
	if err != nil {
		return err
	}
	l, err := home.Of(opts.Dir).Lock(ctx, command, opts.LockWait)
	if err != nil {
		return err
	}
	defer l.Release()
	f, err := envfile.Load(opts.Path())
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
	WarnBadLines(progress, f)
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
	err = apply(ctx, opts, progress, strings.TrimPrefix(command, "env "), keys)
	if ctx.Err() != nil {
		return interrupted(command, what, keys)
	}
	return err
}

// apply applies the stored change to the cluster the app was last
// deployed to (see deploy.UpdateEnv), unless --no-apply.
func apply(ctx context.Context, opts *Options, progress *iostreams.Progress, command string, keys []string) error {
	if opts.NoApply {
		progress.Infof("Stored; it applies on the next `cupaas deploy`")
		return nil
	}
	current, err := config.Load(opts.Dir)
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	return deploy.UpdateEnv(ctx, deploy.EnvOptions{
		Progress: progress, Runner: opts.Runner, Home: home.Of(opts.Dir), Config: current,
		Timeout: opts.Timeout, PollInterval: opts.PollInterval, Command: command, Keys: keys,
	})
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
	target, err := resolveLink(opts.Path())
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
