// Package run implements `cupaas run -- CMD ARGS...`: a one-off process in
// a pod with the app's image, settings and secrets, removed afterwards.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

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

On a terminal, CMD gets a terminal (so cupaas run -- bash is a shell, and
Ctrl-C goes to it). Without one (a script, a pipe), standard input is passed
on, and the output is the pod's log from its first line, standard output and
error together on stdout, so nothing a quick command prints is missed.
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
	cmdutil.AddAppCompletion(f, cmd, &opts.Flags)
	return cmd
}

// cleanupTimeout bounds the removal of the pod, which runs also after the
// command was interrupted.
const cleanupTimeout = 30 * time.Second

func runRun(ctx context.Context, t *cmdutil.Target, opts *RunOptions) error {
	if err := t.RequireDeployed(ctx); err != nil {
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
	// Plain text: rendering a style may make lipgloss ask the terminal
	// for its colours, and the terminal's answer would reach CMD's stdin.
	fmt.Fprintf(opts.IO.ErrOut, "Running %s in pod %s (image %s)\n", run.CommandLine(opts.Argv), name, pod.Spec.Containers[0].Image)
	// The pod goes, however the command ended (after its state was read).
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		del := t.Kube.Argv(t.App.DeletePodArgs(name)...)
		if _, err := opts.Runner.Run(cctx, run.Cmd{Argv: del}); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "! could not remove pod %s (%s): remove it with `%s`\n", name, firstLine(err), run.CommandLine(del))
		}
	}()
	if tty {
		return attached(ctx, t, opts, pod)
	}
	return streamed(ctx, t, opts, pod)
}

// attached runs the pod on the user's terminal: `kubectl run -i -t`, which
// puts the terminal in raw mode (Ctrl-C goes to CMD) and passes its size.
func attached(ctx context.Context, t *cmdutil.Target, opts *RunOptions, pod *corev1.Pod) error {
	args, err := t.App.RunArgs(pod, true, opts.Timeout)
	if err != nil {
		return err
	}
	_, runErr := opts.Runner.Run(ctx, run.Cmd{Argv: t.Kube.Argv(args...), Stdin: opts.IO.In, Stdout: opts.IO.Out, Stderr: opts.IO.ErrOut, Interactive: true})
	if runErr == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// kubectl exits 1 both for a command that exits 1 and for its own
	// failures (a pod that never starts): the pod's state tells which.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	state, _ := t.App.OneOffState(cctx, pod.Name)
	var re *run.Error
	switch {
	case state.Terminated && state.ExitCode > 0:
		return &cmdutil.SilentExit{Code: state.ExitCode}
	case state.Waiting != "":
		return fmt.Errorf("pod %s did not start: container is waiting (%s)", pod.Name, state.Waiting)
	case errors.As(runErr, &re) && re.ExitCode > 0:
		return &cmdutil.SilentExit{Code: re.ExitCode}
	}
	return runErr
}

// streamed runs the pod without a terminal: its output comes from `kubectl
// logs -f`, which has every line from the first (an attach misses what a
// quick command prints before it is connected), and stdin goes to it
// through `kubectl attach -i`, whose own copy of the output is dropped.
// The exit code is the container's, read from the pod.
func streamed(ctx context.Context, t *cmdutil.Target, opts *RunOptions, pod *corev1.Pod) error {
	if err := t.App.CreateOneOff(ctx, pod); err != nil {
		return err
	}
	if _, err := t.App.WaitOneOffStarted(ctx, pod.Name, opts.Timeout, pollInterval); err != nil {
		return err
	}
	actx, stopAttach := context.WithCancel(ctx)
	attachDone := make(chan struct{})
	go func() {
		defer close(attachDone)
		_, _ = opts.Runner.Run(actx, run.Cmd{Argv: t.Kube.Argv(t.App.AttachArgs(pod.Name)...), Stdin: opts.IO.In, Stdout: io.Discard, Stderr: io.Discard, Interactive: true})
	}()
	defer func() {
		stopAttach()
		<-attachDone
	}()
	_, logErr := opts.Runner.Run(ctx, run.Cmd{Argv: t.Kube.Argv(t.App.OneOffLogsArgs(pod.Name)...), Stdout: opts.IO.Out, Stream: true})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	state, err := t.App.WaitOneOffEnded(ctx, pod.Name, cleanupTimeout, pollInterval)
	if err != nil {
		if logErr != nil {
			return logErr
		}
		return err
	}
	if state.ExitCode != 0 {
		return &cmdutil.SilentExit{Code: state.ExitCode}
	}
	return nil
}

// pollInterval is how often the pod's state is read.
const pollInterval = 500 * time.Millisecond

func firstLine(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		if t := re.Tail(1); len(t) > 0 {
			return t[0]
		}
	}
	return err.Error()
}
