// Package status implements `cupaas status`: the app's pods, the image
// and commit that run, the last deploy, the URL and whether it answers,
// and each service with its pods and volumes. It exits 1 when the app is
// not healthy, so that scripts can use it.
package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/release"
)

// StatusOptions are the inputs of `cupaas status`.
type StatusOptions struct {
	IO *iostreams.IOStreams
	// Target resolves the app (--app, --context, the directory).
	Target func() (*cmdutil.Target, error)
	// JSON prints the status as JSON (one object per refresh with --watch).
	JSON bool
	// Watch refreshes every Interval until interrupted.
	Watch    bool
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewCmdStatus returns the command. runF replaces the run function in
// tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams, Interval: 2 * time.Second}
	var flags cmdutil.AppFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the app's pods, image, URL and services, and whether it is healthy",
		Long: `Show the app as the cluster runs it: its pods (ready, restarts, age, and why
a pod is not ready, such as CrashLoopBackOff), the image and commit that run,
when it was last deployed, its URL and whether the URL answers now (an HTTP GET
with a 2 s timeout; any answer below 500 counts), and each service with its
pods and its volume (claim, size, bound).

It exits 0 when the app is healthy and 1 when it is not (a pod not ready or of
an unfinished rollout, a volume not bound, the URL not answering), so scripts
can use it. --watch redraws it every 2 seconds until Ctrl-C (which exits 0).

Run it in the app's directory, or anywhere with --app NAME. The image, commit
and deploy time come from the cluster (the app's Deployment), so --app works
from anywhere; the URL is the one the last deploy from this directory recorded
when it still names the app's port, else the one the cluster gives now.`,
		Example: `  $ cupaas status
  $ cupaas status --app counter --context minikube
  $ cupaas status --watch
  $ cupaas status --json | jq -r '.pods[].state'
  $ cupaas status >/dev/null && echo healthy`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = func() (*cmdutil.Target, error) { return flags.Resolve(f, cmd) }
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &flags)
	cmdutil.AddAppCompletion(f, cmd, &flags)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the status as JSON (with --watch: one object per line and refresh)")
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "refresh every 2 seconds until Ctrl-C")
	return cmd
}

// ErrUnhealthy is the error of an app that is not healthy: the status
// says why, so nothing more is printed; the exit code is 1.
var ErrUnhealthy = &cmdutil.ReportedError{Err: errors.New("the app is not healthy")}

// Run shows the status once, or until ctx ends with Watch.
func Run(ctx context.Context, opts *StatusOptions) error {
	t, err := opts.Target()
	if err != nil {
		return err
	}
	r := &reader{t: t, now: opts.Now}
	defer r.close()
	st, err := r.read(ctx)
	if err != nil {
		return err
	}
	if !opts.Watch {
		if err := show(opts, st, nil); err != nil {
			return err
		}
		if !st.Healthy {
			return ErrUnhealthy
		}
		return nil
	}
	for {
		if err := show(opts, st, err); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil // Ctrl-C ends a watch: that is its normal end
		case <-time.After(opts.Interval):
		}
		st, err = r.read(ctx)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// reader reads the status; the URL is found once and kept (with its
// tunnel, if any) across refreshes.
type reader struct {
	t      *cmdutil.Target
	now    func() time.Time
	url    string
	urlErr error
	tunnel *cluster.Tunnel
	found  bool
}

func (r *reader) close() {
	if r.tunnel != nil {
		r.tunnel.Stop()
	}
}

func (r *reader) read(ctx context.Context) (*app.Status, error) {
	t := r.t
	st, err := t.App.Status(ctx)
	if err != nil {
		return nil, t.Explain(ctx, err)
	}
	// The last deploy from this directory knows the deploy time and
	// commit better, when it is what runs.
	if s := t.State; s != nil && s.Context == t.Context && s.Image == st.Image {
		if !s.DeployedAt.IsZero() {
			at := s.DeployedAt
			st.DeployedAt = &at
		}
		if st.Commit == "" {
			st.Commit = s.Commit
		}
	}
	// The release that runs: the newest that succeeded. A cluster that
	// cannot list the records leaves it out; the status said the rest.
	if rec, err := (release.Store{Kube: t.Kube, App: t.Name, Namespace: t.Namespace}).CurrentOf(ctx); err == nil && rec != nil {
		st.Release, st.ReleaseWhat = rec.Name(), rec.Summary()
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !r.found {
		r.url, r.tunnel, r.urlErr = t.AppURL(ctx, st.NodePort)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.found = r.urlErr == nil
	}
	st.URL, st.URLTunnel = r.url, r.tunnel != nil
	switch {
	case r.urlErr != nil:
		st.Problems = append(st.Problems, "cannot find the URL: "+cluster.FirstLine(r.urlErr))
	case r.url != "":
		st.URLCheck = app.CheckURL(ctx, r.url)
		if !st.URLCheck.Answers {
			why := st.URLCheck.Error
			if st.URLCheck.Code != 0 {
				why = fmt.Sprintf("HTTP %d", st.URLCheck.Code)
			}
			st.Problems = append(st.Problems, fmt.Sprintf("the URL %s does not answer: %s", r.url, why))
		}
	}
	st.Healthy = len(st.Problems) == 0
	return st, nil
}

// show prints one status (or, while watching, the error of a refresh).
func show(opts *StatusOptions, st *app.Status, readErr error) error {
	ios := opts.IO
	if opts.JSON {
		if readErr != nil {
			return nil // the next refresh may work; JSON lines carry statuses only
		}
		if opts.Watch {
			return json.NewEncoder(ios.Out).Encode(st)
		}
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	var b bytes.Buffer
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if readErr != nil {
		fmt.Fprintf(&b, "%s cannot read the status: %v\n", ios.Styles().FailureIcon(), readErr)
	} else {
		Print(&b, ios.Styles(), st, now())
	}
	if opts.Watch {
		if ios.IsStdoutTTY() {
			out := termenv.NewOutput(ios.Out)
			out.ClearScreen()
		} else {
			fmt.Fprintf(ios.Out, "--- %s\n", now().UTC().Format("2006-01-02 15:04:05 UTC"))
		}
	}
	_, err := ios.Out.Write(b.Bytes())
	return err
}

// Print writes st as text: the header, a table of pods per process, the
// volumes, and the verdict with the problems.
func Print(w io.Writer, s iostreams.Styles, st *app.Status, now time.Time) {
	fmt.Fprintf(w, "%s  context %s, namespace %s\n", s.Bold.Render(st.App), st.Context, st.Namespace)
	var head iostreams.Table
	if st.Release != "" {
		head.Row("Release:", st.Release+" ("+st.ReleaseWhat+")")
	}
	head.Row("Image:", st.Image)
	if st.Commit != "" {
		head.Row("Commit:", shortCommit(st.Commit))
	}
	if st.DeployedAt != nil {
		head.Row("Deployed:", fmt.Sprintf("%s (%s ago)", st.DeployedAt.UTC().Format("2006-01-02 15:04:05 UTC"), app.Age(now.Sub(*st.DeployedAt))))
	}
	if st.URL != "" {
		verdict := urlVerdict(s, st.URLCheck)
		if st.URLTunnel {
			verdict += s.Muted.Render(" through a tunnel that ends with this command (`cupaas open` holds one open)")
		}
		head.Row("URL:", st.URL+"  "+verdict)
	}
	head.Write(w, "")

	fmt.Fprintf(w, "\n%s %s\n", s.Bold.Render("=== app:"), readyCount(s, st.Ready, st.Replicas))
	podTable(w, s, st.Pods, now)
	for _, svc := range st.Services {
		fmt.Fprintf(w, "\n%s %s (%s)\n", s.Bold.Render("=== "+svc.Name+":"), readyCount(s, svc.Ready, svc.Replicas), svc.Image)
		podTable(w, s, svc.Pods, now)
		if len(svc.Volumes) > 0 {
			var t iostreams.Table
			t.Row(s.Muted.Render("VOLUME"), s.Muted.Render("SIZE"), s.Muted.Render("STATUS"))
			for _, v := range svc.Volumes {
				phase := s.Success.Render(v.Phase)
				if !v.Bound {
					phase = s.Failure.Render(v.Phase)
				}
				t.Row(v.Claim, v.Size, phase)
			}
			t.Write(w, "")
		}
	}
	fmt.Fprintln(w)
	if st.Healthy {
		fmt.Fprintf(w, "%s %s is healthy\n", s.SuccessIcon(), st.App)
		return
	}
	fmt.Fprintf(w, "%s %s is not healthy:\n", s.FailureIcon(), st.App)
	for _, p := range st.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
}

func readyCount(s iostreams.Styles, ready, want int32) string {
	text := fmt.Sprintf("%d/%d ready", ready, want)
	if ready < want {
		return s.Failure.Render(text)
	}
	return text
}

func urlVerdict(s iostreams.Styles, c *app.URLCheck) string {
	switch {
	case c == nil:
		return ""
	case c.Answers:
		return s.Success.Render(fmt.Sprintf("answers (HTTP %d in %d ms)", c.Code, c.Millis))
	case c.Code != 0:
		return s.Failure.Render(fmt.Sprintf("fails (HTTP %d)", c.Code))
	}
	return s.Failure.Render("does not answer (" + c.Error + ")")
}

func podTable(w io.Writer, s iostreams.Styles, pods []app.PodStatus, now time.Time) {
	if len(pods) == 0 {
		fmt.Fprintln(w, s.Muted.Render("no pods"))
		return
	}
	var t iostreams.Table
	t.Row(s.Muted.Render("POD"), s.Muted.Render("READY"), s.Muted.Render("STATE"), s.Muted.Render("RESTARTS"), s.Muted.Render("AGE"))
	for _, p := range pods {
		state := p.State
		switch {
		case p.Ready:
			state = s.Success.Render(state)
		case p.State == "Terminating" || strings.HasPrefix(p.Reason, "it is starting") || strings.HasPrefix(p.Reason, "it started"):
			state = s.Warning.Render(state)
		default:
			state = s.Failure.Render(state)
		}
		if !p.Current && p.State != "Terminating" {
			state += s.Muted.Render(" (earlier rollout)")
		}
		t.Row(p.Name, fmt.Sprintf("%d/%d", p.ReadyContainers, p.Containers), state, fmt.Sprint(p.Restarts), app.Age(now.Sub(p.Created)))
	}
	t.Write(w, "")
}

// shortCommit is a commit hash as git shows it short (12 characters).
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
