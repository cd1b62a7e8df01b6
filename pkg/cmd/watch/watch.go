// Package watch implements `cupaas watch`: deploy each new commit of a
// branch of the app's repository, one at a time, until Ctrl-C.
package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	deploycmd "github.com/cupaas/cupaas/pkg/cmd/deploy"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/remote"
	"github.com/cupaas/cupaas/pkg/run"
)

// Options are the inputs of `cupaas watch`.
type Options struct {
	IO      *iostreams.IOStreams
	Runner  run.Runner
	Dir     string
	Context string
	// Cluster and Registry are the settings cluster and registry.
	Cluster, Registry string
	Branch            string
	// GitURL, when set, follows that repository (fetched into the cache
	// directory) instead of the app's.
	GitURL   string
	Interval time.Duration
	Timeout  time.Duration
	// PrintError prints a failed deploy as the command's error would be
	// printed (pkg/cli's printer), and watching goes on.
	PrintError func(*iostreams.IOStreams, error, bool) int
}

// NewCmdWatch returns the command; printError is the CLI's error printer.
func NewCmdWatch(f *cmdutil.Factory, printError func(*iostreams.IOStreams, error, bool) int) *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Deploy each new commit of a branch as it appears, until Ctrl-C",
		Long: `Watch a branch of the app's git repository (polling its ref) and deploy
each new commit as ` + "`cupaas deploy --ref`" + ` does: from git's objects, with the
working tree's settings and secrets. One deploy at a time; a commit made
during a deploy is deployed next. A failed deploy is printed and watching
goes on. The commit at the start is deployed unless it is the one deployed
last.`,
		Example: `  $ cupaas watch                      # the checked-out branch
  $ cupaas watch --git https://github.com/me/app.git --interval 30s
  $ cupaas watch --branch main --interval 5s`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Runner, opts.Dir, opts.PrintError = f.IOStreams, f.Runner, ".", printError
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			opts.Context = s.String(cmd.Flags(), "context")
			opts.Cluster, opts.Registry = s.String(cmd.Flags(), "cluster"), s.String(cmd.Flags(), "registry")
			if opts.Timeout, err = s.Duration(cmd.Flags(), "timeout"); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.Interval <= 0 {
				return cmdutil.FlagErrorf("--interval must be positive, got %s", opts.Interval)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.String("context", "minikube", "kube context for every kubectl call (setting: context)")
	fl.Duration("timeout", 5*time.Minute, "how long to wait for each rollout (setting: timeout)")
	fl.StringVar(&opts.Branch, "branch", "", "the branch to follow (default: the checked-out branch)")
	fl.StringVar(&opts.GitURL, "git", "", "follow a branch of this git repository (fetched into the cache directory each time), not the current directory's")
	fl.DurationVar(&opts.Interval, "interval", 2*time.Second, "how often to look at the branch")
	return cmd
}

// Run watches until ctx ends.
func Run(ctx context.Context, opts Options) error {
	io := opts.IO
	if opts.GitURL != "" {
		return watchGit(ctx, opts)
	}
	branch := opts.Branch
	if branch == "" {
		info, err := gitsource.Read(opts.Dir)
		if err != nil {
			return err
		}
		if !info.IsRepo {
			return &cmdutil.UsageError{Err: errors.New("the app is not in a git repository: there are no commits to watch; run `git init` and commit, or use `cupaas deploy`")}
		}
		if info.Branch == "" {
			return &cmdutil.UsageError{Err: errors.New("HEAD is detached: name the branch to follow with --branch")}
		}
		branch = info.Branch
	}
	ref := "refs/heads/" + branch
	if _, err := gitsource.ResolveCommit(opts.Dir, ref); err != nil {
		return err
	}
	fmt.Fprintf(io.ErrOut, "Watching branch %s: each new commit is deployed (Ctrl-C to stop)\n", branch)
	last := ""
	if s, err := home.Of(opts.Dir).State(); err == nil && s != nil && s.Context == opts.Context {
		last = s.Commit // "-dirty" never equals a commit
	}
	return loop(ctx, opts, branch, last, func() (*gitsource.Commit, string, error) {
		c, err := gitsource.ResolveCommit(opts.Dir, ref)
		return c, opts.Dir, err
	})
}

// watchGit follows a branch of opts.GitURL.
func watchGit(ctx context.Context, opts Options) error {
	io := opts.IO
	f, err := remote.Follow(ctx, opts.GitURL, opts.Branch)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.ErrOut, "Watching branch %s of %s: each new commit is deployed (Ctrl-C to stop); app files in %s\n", f.Branch, opts.GitURL, f.Home)
	last := ""
	if s, err := home.Of(f.Home).State(); err == nil && s != nil && s.Context == opts.Context {
		last = s.Commit
	}
	branch := f.Branch
	first := true
	return loop(ctx, opts, branch, last, func() (*gitsource.Commit, string, error) {
		if first {
			first = false
			return f.Commit, f.Home, nil
		}
		f, err := remote.Follow(ctx, opts.GitURL, branch)
		return f.Commit, f.Home, err
	})
}

// loop deploys what next returns whenever it is a new commit, until ctx
// ends.
func loop(ctx context.Context, opts Options, branch, last string, next func() (*gitsource.Commit, string, error)) error {
	io := opts.IO
	st := io.Styles()
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	for {
		c, dir, err := next()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				fmt.Fprintln(io.ErrOut, "Stopped watching.")
				return nil
			}
			fmt.Fprintf(io.ErrOut, "%s %v\n", io.ErrStyles().WarningIcon(), err)
		case c.Hash == last:
		default:
			last = c.Hash
			fmt.Fprintf(io.ErrOut, "%s commit %s of branch %s\n", st.Bold.Render("Deploying"), c.Short(), branch)
			err := deploycmd.Run(ctx, deploy.Options{
				IO: io, Runner: opts.Runner, Dir: dir, Commit: c, Branch: branch,
				Context: opts.Context, Cluster: opts.Cluster, Registry: opts.Registry, Timeout: opts.Timeout, LockWait: time.Hour, Detach: true,
			})
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				opts.PrintError(io, err, false)
				fmt.Fprintf(io.ErrOut, "%s commit %s was not deployed; waiting for the next commit\n", io.ErrStyles().FailureIcon(), c.Short())
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(io.ErrOut, "Stopped watching.")
			return nil
		case <-tick.C:
		}
	}
}
