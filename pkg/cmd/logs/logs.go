// Package logs implements `cupaas logs`: the logs of every pod of the app
// (or of one service), each line prefixed with the pod's short name, and
// with -f followed across rollouts.
package logs

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/render"
)

// LogsOptions are the inputs of `cupaas logs`.
type LogsOptions struct {
	IO      *iostreams.IOStreams
	Flags   cmdutil.AppFlags
	Follow  bool
	Since   time.Duration
	Tail    int
	Service string
	// Previous reads the run before the last restart of each container.
	Previous bool
	// Poll is how often -f looks for new pods (tests); 0 is the default.
	Poll time.Duration
}

// NewCmdLogs returns the command. runF replaces the run function in tests.
func NewCmdLogs(f *cmdutil.Factory, runF func(context.Context, *cmdutil.Target, *LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show the logs of the app's pods; -f follows them",
		Long: `Show the logs of every pod of the app and of its services, merged in time
order, each line prefixed with a short name of its pod (app/2ccjw for a pod
of the app, redis/0 for a service's), coloured on a terminal.

With -f it follows them until Ctrl-C, across rollouts: the pods of a new
rollout (after cupaas deploy or cupaas env set) and restarted containers are
picked up by themselves, and pods that end are dropped. --tail and --since
apply to the pods running when it starts; a pod that starts later is shown
from its first line.`,
		Example: `  $ cupaas logs                      # the last 100 lines of each pod
  $ cupaas logs -f                   # follow, across rollouts, until Ctrl-C
  $ cupaas logs --since 10m --tail -1
  $ cupaas logs --service redis      # one service's pods (--service app: the app's own)
  $ cupaas logs --previous           # the run before the last restart (after a crash)
  $ cupaas logs --app counter -f     # from anywhere`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Follow && opts.Previous {
				return cmdutil.FlagErrorf("--previous shows the logs of runs that ended: it cannot be used with -f")
			}
			if opts.Tail < -1 {
				return cmdutil.FlagErrorf("--tail %d: use a number of lines, or -1 for all", opts.Tail)
			}
			t, err := opts.Flags.Resolve(f, cmd)
			if err != nil {
				return err
			}
			if err := checkService(t, opts.Service); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), t, opts)
			}
			return logsRun(cmd.Context(), t, opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &opts.Flags)
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "follow the logs until Ctrl-C, picking up the pods of new rollouts")
	cmdutil.DurationVar(fl, &opts.Since, "since", 0, "only lines newer than this, such as 10m or 2h")
	fl.IntVar(&opts.Tail, "tail", 100, "lines of each container's log to show first; -1 for all")
	fl.StringVarP(&opts.Service, "service", "s", "", "only the pods of this service (app: the app's own pods)")
	fl.BoolVarP(&opts.Previous, "previous", "p", false, "the logs of each container's run before its last restart")
	cmdutil.AddAppCompletion(f, cmd, &opts.Flags)
	return cmd
}

// checkService refuses a --service that the app's .cupaas.yml does not
// have, when it is known.
func checkService(t *cmdutil.Target, name string) error {
	if name == "" || t.Config == nil || name == render.ComponentApp {
		return nil
	}
	known := []string{render.ComponentApp}
	for _, s := range t.Config.Services {
		if s.Name == name {
			return nil
		}
		known = append(known, s.Name)
	}
	return cmdutil.FlagErrorf("--service %s: %s has no such service (it has: %s)", name, t.Name, strings.Join(known, ", "))
}

func logsRun(ctx context.Context, t *cmdutil.Target, opts *LogsOptions) error {
	if err := t.RequireDeployed(ctx); err != nil {
		return err
	}
	p := newPrinter(opts.IO)
	o := app.LogOptions{Component: opts.Service, Since: opts.Since, Tail: opts.Tail, Previous: opts.Previous, Poll: opts.Poll}
	if !opts.Follow {
		n := 0
		err := t.App.ReadLogs(ctx, o, func(l app.LogLine) { n++; p.line(l) }, p.note)
		if err == nil && n == 0 {
			p.note(nothing(t, opts))
		}
		return err
	}
	err := t.App.FollowLogs(ctx, o, p.line, p.note)
	if ctx.Err() != nil {
		return nil // Ctrl-C is how -f ends
	}
	return err
}

func nothing(t *cmdutil.Target, opts *LogsOptions) string {
	if opts.Service != "" {
		return fmt.Sprintf("no log lines from the pods of %s's service %s", t.Name, opts.Service)
	}
	return fmt.Sprintf("no log lines from the pods of %s", t.Name)
}

// printer writes log lines with their coloured source, one at a time.
type printer struct {
	mu    sync.Mutex
	out   io.Writer
	err   io.Writer
	st    iostreams.Styles
	errSt iostreams.Styles
	width int
}

func newPrinter(ios *iostreams.IOStreams) *printer {
	return &printer{out: ios.Out, err: ios.ErrOut, st: ios.Styles(), errSt: ios.ErrStyles(), width: 9}
}

// sourceIndex picks a pod's colour from its short name: the same pod gets
// the same colour in every run.
func sourceIndex(short string) int {
	h := fnv.New32a()
	h.Write([]byte(short))
	return int(h.Sum32() % 1024)
}

func (p *printer) line(l app.LogLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	src := l.Short
	// A pod's one container is named after its component: its name
	// is said only when it differs (a pod of several containers).
	if l.Container != "" && l.Container != l.Component {
		src += "/" + l.Container
	}
	if len(src) > p.width {
		p.width = len(src)
	}
	pad := strings.Repeat(" ", p.width-len(src))
	fmt.Fprintf(p.out, "%s%s %s %s\n", p.st.Source(sourceIndex(l.Short)).Render(src), pad, p.st.Muted.Render("|"), l.Text)
}

func (p *printer) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.err, p.errSt.Muted.Render("cupaas: "+msg))
}
