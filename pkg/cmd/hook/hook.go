// Package hook implements the hidden `cupaas hook pre-receive`, which the
// hook of `cupaas remote` runs: it deploys a pushed commit, and a failure
// rejects the push.
package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	deploycmd "github.com/cupaas/cupaas/pkg/cmd/deploy"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/remote"
)

// NewCmdHook returns the hidden command.
func NewCmdHook(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "hook",
		Short:  "Run a git hook of `cupaas remote` (git runs it)",
		Hidden: true,
		Args:   cmdutil.NoArgs,
	}
	pre := &cobra.Command{
		Use:   "pre-receive",
		Short: "Deploy the pushed commit; a failure rejects the push",
		Example: `  # hooks/pre-receive of the repository ` + "`cupaas remote`" + ` made:
  exec '/usr/local/bin/cupaas' hook pre-receive "$@"`,
		Args: cobra.ArbitraryArgs, // git passes none; a hook's "$@"
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			timeout, err := s.Duration(cmd.Flags(), "timeout")
			if err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			gitDir := os.Getenv("GIT_DIR")
			if gitDir == "" {
				gitDir = "."
			}
			if gitDir, err = filepath.Abs(gitDir); err != nil {
				return err
			}
			ctx, stop := stopWithPusher(cmd.Context())
			defer stop()
			return PreReceive(ctx, f, gitDir, timeout)
		},
	}
	pre.Flags().Duration("timeout", 5*time.Minute, "how long to wait for the rollout (setting: timeout)")
	cmd.AddCommand(pre)
	return cmd
}

// push is what a push asks the hook to deploy.
type push struct {
	rec    remote.Record
	update remote.Update
	commit *gitsource.Commit
}

// readPush reads the bare repository's record and the updates git gives
// on in, and opens the pushed commit from objectDirs (git's quarantine)
// or the repository: all the hook does before the deploy that
// `cupaas deploy --ref` does not.
func readPush(gitDir string, in io.Reader, objectDirs []string) (push, error) {
	rec, err := remote.ReadRecord(gitDir)
	if err != nil {
		return push{}, err
	}
	updates, err := remote.ParseUpdates(in)
	if err != nil {
		return push{}, err
	}
	u, err := remote.Pick(updates, rec.Branch)
	if err != nil {
		return push{}, &cmdutil.UsageError{Err: err}
	}
	commit, err := gitsource.PushedCommit(gitDir, u.New, objectDirs)
	if err != nil {
		return push{}, err
	}
	if st, err := os.Stat(rec.Worktree); err != nil || !st.IsDir() {
		return push{}, &cmdutil.UsageError{Err: fmt.Errorf("the app's working tree %s, whose .cupaas.env and .cupaas/ pushed deploys use, is gone; run `cupaas remote` in the app's new directory", rec.Worktree)}
	}
	// The bare repository, its lock and its home belong to one app: a
	// commit that renames it must not deploy another app through them.
	if c, err := config.LoadCommit(rec.Worktree, commit); err == nil && c.Name != rec.App {
		return push{}, &cmdutil.UsageError{Err: fmt.Errorf("the pushed %s names the app %s, but this remote deploys the app %s; to deploy it as %s, run `git remote remove %s && cupaas remote` in the working tree once it holds the new name", c.File, c.Name, rec.App, c.Name, remote.DefaultName)}
	}
	return push{rec: rec, update: u, commit: commit}, nil
}

// lockWait is how long a push waits for another deploy of the app.
const lockWait = time.Hour

// PreReceive deploys the commit pushed to the deploy branch of the bare
// repository gitDir, reading the updates on the standard input.
func PreReceive(ctx context.Context, f *cmdutil.Factory, gitDir string, timeout time.Duration) error {
	io := f.IOStreams
	p, err := readPush(gitDir, io.In, remote.ObjectDirs(gitDir))
	if err != nil {
		return err
	}
	rec, u, commit := p.rec, p.update, p.commit
	fmt.Fprintf(io.ErrOut, "cupaas: deploying commit %s of branch %s (app %s, context %s)\n", commit.Short(), rec.Branch, rec.App, rec.Context)
	// The push holds the app lock from before the branch check until its
	// record is written, so the next push sees where this one leaves the
	// branch.
	h := home.Of(rec.Worktree)
	lk, err := h.Lock(ctx, "push", 0)
	if held := (*lock.HeldError)(nil); errors.As(err, &held) {
		fmt.Fprintf(io.ErrOut, "cupaas: another deploy of %s is running; waiting for it to finish (Ctrl-C stops waiting; the push is then rejected)\n", rec.App)
		lk, err = h.Lock(ctx, "push", lockWait)
	}
	if err != nil {
		return err
	}
	defer lk.Release()
	if err := remote.CheckUnmoved(ctx, gitDir, u); err != nil {
		return err
	}
	// The settings cluster and registry, as for `cupaas deploy`.
	s, err := f.UserSettings()
	if err != nil {
		return err
	}
	none := pflag.NewFlagSet("hook", pflag.ContinueOnError)
	err = deploycmd.Run(ctx, deploy.Options{
		IO: io, Runner: f.Runner, Dir: rec.Worktree, Commit: commit, Branch: rec.Branch,
		Context: rec.Context, Cluster: s.String(none, "cluster"), Registry: s.String(none, "registry"),
		Timeout: timeout, LockHeld: true, Detach: true,
	})
	if err != nil {
		return err
	}
	if err := remote.RecordDeployed(gitDir, u); err != nil {
		fmt.Fprintf(io.ErrOut, "%s %v\n", io.ErrStyles().WarningIcon(), err)
	}
	return nil
}

// stopWithPusher returns a context that ends when the pushing git goes
// away: the hook's parent (git receive-pack) exits, as on a Ctrl-C of
// `git push`. A write to the closed pipe to git then fails instead of
// killing the process, so the deploy stops as on a Ctrl-C of `cupaas
// deploy`, and git, gone, updates no ref.
func stopWithPusher(ctx context.Context) (context.Context, func()) {
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancel(ctx)
	parent := os.Getppid()
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if os.Getppid() != parent {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
