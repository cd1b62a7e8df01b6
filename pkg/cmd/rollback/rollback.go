// Package rollback implements `cupaas rollback [vN]`, a thin command over
// deploy.Rollback.
package rollback

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	deploycmd "github.com/cupaas/cupaas/pkg/cmd/deploy"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/release"
)

// NewCmdRollback returns the command. runF replaces the run function in
// tests.
func NewCmdRollback(f *cmdutil.Factory, runF func(context.Context, deploy.RollbackOptions) error) *cobra.Command {
	var target cmdutil.AppFlags
	var opts deploy.RollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback [vN]",
		Short: "Put back an earlier release (image, .cupaas.yml, settings and secrets), without a build",
		Long: `Put back an earlier release of the app: its image, its .cupaas.yml and its
settings and secrets, without a build (the image is still on the node; when it
is gone, it is rebuilt from the release's commit when this repository has it).
Without an argument, the release before the one that runs is put back.
cupaas waits for the rollout with the usual diagnosis, prints the URL, and
records a new release "rollback to vN" (see cupaas releases).

Services and their data are never rolled back: a database keeps its data and
its schema (a migration of a later release is not undone), and cupaas says so
when the services of the two releases differ. In the app's directory,
.cupaas.env gets the release's settings and secrets back, so that the next
deploy goes on from them.`,
		Example: `  $ cupaas rollback            # the release before the current one
  $ cupaas rollback v3
  $ cupaas rollback --app counter v2
  $ cupaas rollback --json | jq -r .url`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("%s takes at most one release, such as v3; got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if len(args) == 1 {
				v, err := release.ParseVersion(args[0])
				if err != nil {
					return cmdutil.FlagErrorf("%v", err)
				}
				opts.To = v
			}
			if opts.Verbose && opts.Quiet {
				return cmdutil.FlagErrorf("--verbose and --quiet cannot be used together")
			}
			t, err := target.Resolve(f, cmd)
			if err != nil {
				return err
			}
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			if opts.Timeout, err = s.Duration(fl, "timeout"); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.LockWait, err = s.Duration(fl, "wait"); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.History, err = s.History(fl); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			opts.IO, opts.Runner, opts.Context, opts.App = f.IOStreams, f.Runner, t.Context, t.Name
			opts.Dir, opts.NoHome = ".", t.Home == nil
			if t.Home != nil {
				opts.Dir = t.Home.AppDir
			}
			if t.State != nil && t.State.Context == t.Context {
				// The kind of cluster and the registry of the last deploy.
				opts.Cluster, opts.Registry = t.State.Cluster, t.State.Registry
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &target)
	cmdutil.AddAppCompletion(f, cmd, &target)
	fl := cmd.Flags()
	fl.Duration("timeout", 5*time.Minute, "how long to wait for the rollout (setting: timeout)")
	fl.Duration("wait", 0, "wait this long for a deploy of this app to finish, instead of failing (setting: wait)")
	fl.BoolVar(&opts.Detach, "detach", false, "do not keep a minikube tunnel or a kubectl port-forward in the foreground")
	fl.BoolVar(&opts.JSON, "json", false, "print a JSON report at the end")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "print each command and stream its output")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only failures and the result")
	return cmd
}

// Run rolls back and prints the outcome.
func Run(ctx context.Context, opts deploy.RollbackOptions) error {
	rep, tun, err := deploy.Rollback(ctx, opts)
	io := opts.IO
	if err := deploycmd.WriteJSON(io, opts.JSON, rep, tun, err); err != nil {
		return err
	}
	if !opts.JSON {
		st := io.Styles()
		to := ""
		if rep.Release > 0 {
			to = fmt.Sprintf(" (release v%d)", rep.Release)
		}
		fmt.Fprintf(io.Out, "%s Rolled back %s in %.1fs%s\n", st.SuccessIcon(), st.Bold.Render(rep.Namespace), rep.Seconds, to)
		fmt.Fprintf(io.Out, "  image:     %s\n", rep.Image)
		fmt.Fprintf(io.Out, "  namespace: %s (context %s)\n", rep.Namespace, rep.Context)
		if rep.Commit != "" {
			fmt.Fprintf(io.Out, "  commit:    %s\n", rep.Commit)
		}
		fmt.Fprintln(io.Out, rep.URL)
	}
	deploycmd.HoldTunnel(ctx, io, rep.URL, tun, opts.Detach)
	return nil
}
