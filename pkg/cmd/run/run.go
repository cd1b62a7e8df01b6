// Package run implements `cupaas run -- CMD ARGS...`: a one-off process in
// a pod with the app's image, settings and secrets, removed afterwards.
package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
)

// RunOptions are the inputs of `cupaas run`.
type RunOptions struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	Flags  cmdutil.AppFlags
	// Argv is the command to run.
	Argv []string
	// Timeout bounds the wait for the pod to start.
	Timeout time.Duration
}

// NewCmdRun returns the command. runF replaces the run function in tests.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *cmdutil.Target, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IOStreams, Runner: f.Runner}
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARGS...]",
		Short: "Run a one-off command with the app's image, settings and secrets",
		Long: `Run CMD once in a new pod of the app: the image that runs now, the settings
of env: and .cupaas.env, the services' connection settings (DATABASE_URL,
REDIS_URL, ...), like heroku run. The pod reads the Secrets by reference: no
value is ever in a command line or in the pod's spec.

Standard input, output and error are connected; on a terminal, CMD gets a
terminal too (so cupaas run -- bash is a shell, and Ctrl-C goes to it).
cupaas exits with CMD's exit code, and the pod is removed afterwards, also
after Ctrl-C. The pod has the label app.kubernetes.io/component=run.`,
		Example: `  $ cupaas run -- python manage.py migrate
  $ cupaas run -- bash                       # a shell next to the app
  $ cupaas run -- sh -c 'printenv | cut -d= -f1'   # the names the app gets
  $ echo 'print(1+1)' | cupaas run -- python
  $ cupaas run --app counter -- python -c 'import os; print(os.environ["REDIS_URL"] != "")'`,
		Args: cmdutil.MinimumArgs(1, "the command to run, after --, such as `cupaas run -- python manage.py migrate`"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Argv = args
			t, err := opts.Flags.Resolve(f, cmd)
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), t, opts)
			}
			return runRun(cmd.Context(), t, opts)
		},
	}
	// `cupaas run python -c x` works without --: flags end at the command.
	cmd.Flags().SetInterspersed(false)
	cmdutil.AddAppFlags(cmd, &opts.Flags)
	cmdutil.DurationVar(cmd.Flags(), &opts.Timeout, "timeout", 2*time.Minute, "how long to wait for the pod to start")
	return cmd
}

// cleanupTimeout bounds the removal of the pod, which runs also after the
// command was interrupted.
const cleanupTimeout = 30 * time.Second

func runRun(ctx context.Context, t *cmdutil.Target, opts *RunOptions) error {
	if err := t.App.RequireDeployed(ctx); err != nil {
		return err
	}
	dep, err := t.App.Deployment(ctx)
	if err != nil {
		return err
	}
	tty := opts.IO.IsStdinTTY() && opts.IO.IsStdoutTTY()
	name := t.App.OneOffName()
	pod, err := app.OneOffPod(dep, t.Name, name, opts.Argv, tty)
	if err != nil {
		return err
	}
	args, err := t.App.RunArgs(pod, tty, opts.Timeout)
	if err != nil {
		return err
	}
	// Plain text: rendering a style may make lipgloss ask the terminal
	// for its colours, and the terminal's answer would reach CMD's stdin.
	fmt.Fprintf(opts.IO.ErrOut, "Running %s in pod %s (image %s)\n", run.CommandLine(opts.Argv), name, pod.Spec.Containers[0].Image)
	_, runErr := opts.Runner.Run(ctx, run.Cmd{Argv: t.Kube.Argv(args...), Stdin: opts.IO.In, Stdout: opts.IO.Out, Stderr: opts.IO.ErrOut, Interactive: true})
	// The pod goes, however the command ended.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// kubectl exits 1 both for a command that exits 1 and for its own
	// failures (a pod that never starts): the pod's state tells which.
	var state app.OneOffState
	if runErr != nil && ctx.Err() == nil {
		state, _ = t.App.OneOffState(cctx, name)
	}
	if _, err := opts.Runner.Run(cctx, run.Cmd{Argv: t.Kube.Argv(t.App.DeletePodArgs(name)...)}); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "! could not remove pod %s (%s): remove it with `%s`\n", name, firstLine(err), run.CommandLine(t.Kube.Argv(t.App.DeletePodArgs(name)...)))
	}
	var re *run.Error
	switch {
	case runErr == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case state.Terminated && state.ExitCode > 0:
		return &cmdutil.SilentExit{Code: state.ExitCode}
	case state.Waiting != "":
		return fmt.Errorf("pod %s did not start: container is waiting (%s)", name, state.Waiting)
	case errors.As(runErr, &re) && re.ExitCode > 0:
		return &cmdutil.SilentExit{Code: re.ExitCode}
	}
	return runErr
}

func firstLine(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		if t := re.Tail(1); len(t) > 0 {
			return t[0]
		}
	}
	return err.Error()
}
