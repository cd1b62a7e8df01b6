// Package deploy takes an app from its working tree to a running, answering
// URL on the local cluster. The pipeline is one ordered list of small steps
// (steps.go); every external program runs through run.Runner.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// BuildDir is where deploy writes the Dockerfile and kubernetes.yaml.
const BuildDir = ".cupaas/build"

// Options are the inputs of a deploy.
type Options struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	// Dir is the app directory.
	Dir string
	// Context is the kube context every kubectl call names.
	Context string
	// Timeout bounds the rollout.
	Timeout time.Duration
	// VerifyTimeout bounds the check that the URL answers.
	VerifyTimeout time.Duration
	// LockWait is how long to wait for another deploy of the same app.
	LockWait time.Duration

	DryRun  bool
	Rebuild bool
	Detach  bool
	JSON    bool
	Verbose bool
	Quiet   bool

	// HTTPClient checks the URL; nil uses a client with a 5 s timeout.
	HTTPClient *http.Client
	// RetryDelay is the first backoff between tries of a transient failure
	// (doubled each time); 0 means 1 s.
	RetryDelay time.Duration
	// PollInterval is how often pods are inspected during the rollout; 0
	// means 2 s.
	PollInterval time.Duration
	// SettleDelay is how long the Roll out step waits after replacing the
	// app's pods, for the Service to stop sending requests to the old
	// ones; 0 means 2 s.
	SettleDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Report is what a deploy did, printed with --json.
type Report struct {
	URL       string       `json:"url,omitempty"`
	Image     string       `json:"image,omitempty"`
	Namespace string       `json:"namespace,omitempty"`
	Context   string       `json:"context,omitempty"`
	Commit    string       `json:"commit,omitempty"`
	Steps     []StepReport `json:"steps"`
	Seconds   float64      `json:"seconds"`
	Error     string       `json:"error,omitempty"`
	// Details explain Error: a diagnosis, the tail of a command's output,
	// the command that failed, what to do.
	Details []string `json:"details,omitempty"`
	// DryRun lists the commands a dry run would have run.
	DryRun []string `json:"dryRun,omitempty"`
	// Kept lists PersistentVolumeClaims of removed services, kept with their data.
	Kept []string `json:"keptVolumeClaims,omitempty"`
}

// StepReport is one step of the pipeline.
type StepReport struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached"`
	Detail  string  `json:"detail,omitempty"`
	Failed  bool    `json:"failed,omitempty"`
}

// StepError is a failed step: the step's name, the cause, and what to show
// the user (the tail of a command's output, a diagnosis).
type StepError struct {
	Step string
	Err  error
	// Details are lines printed under the failure.
	Details []string
	// Usage marks a user mistake (exit code 2), such as a config problem.
	Usage bool
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// pipeline is the state shared by the steps of one deploy.
type pipeline struct {
	opts     Options
	progress *iostreams.Progress
	kc       kubectl.Client
	cfg      *config.Config
	b        *bundle.Bundle
	last     *state.State
	report   *Report
	step     *iostreams.Step // the running step, for -v output
	url      string
	tunnel   *Tunnel
	lock     *lock.Lock
	dryRun   []string
	manifest string // path of kubernetes.yaml
	// rolloutStart is when the Roll out step began.
	rolloutStart time.Time
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Context == "" {
		o.Context = "minikube"
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.VerifyTimeout == 0 {
		o.VerifyTimeout = 30 * time.Second
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.SettleDelay == 0 {
		o.SettleDelay = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
}

// Run deploys the app. The report is returned even on failure. When
// `minikube service` holds a tunnel open, the tunnel is returned running:
// the caller keeps it (Tunnel.Wait) or stops it.
func Run(ctx context.Context, opts Options) (*Report, *Tunnel, error) {
	opts.defaults()
	p := &pipeline{
		opts:     opts,
		progress: opts.IO.NewProgress(opts.Quiet).WithClock(opts.Now),
		kc:       kubectl.Client{Runner: opts.Runner, Context: opts.Context},
		report:   &Report{Context: opts.Context, Steps: []StepReport{}},
		manifest: filepath.Join(opts.Dir, filepath.FromSlash(BuildDir), bundle.ManifestsName),
	}
	start := opts.Now()
	err := p.runSteps(ctx)
	if p.lock != nil {
		p.lock.Release()
	}
	p.report.Seconds = round(opts.Now().Sub(start))
	p.report.DryRun = p.dryRun
	if err != nil {
		p.report.Error = err.Error()
		var se *StepError
		if errors.As(err, &se) {
			p.report.Details = se.Details
		}
		if p.tunnel != nil {
			p.tunnel.Stop()
		}
		return p.report, nil, err
	}
	return p.report, p.tunnel, nil
}

func round(d time.Duration) float64 {
	return float64(d.Round(10*time.Millisecond)) / float64(time.Second)
}

func (p *pipeline) runSteps(ctx context.Context) error {
	for _, s := range steps() {
		if p.opts.DryRun && !s.dryRun {
			continue
		}
		st := p.progress.Start(s.name)
		p.step = st
		started := p.opts.Now()
		planned := len(p.dryRun)
		res, err := s.run(p, ctx)
		if err == nil && len(p.dryRun) > planned {
			// A dry run lists the step's commands instead of running
			// them: its line must not read as done.
			if res.detail != "" {
				res.detail += "; "
			}
			res.detail += "dry run: commands listed, not run"
		}
		sr := StepReport{Name: s.name, Seconds: round(p.opts.Now().Sub(started)), Cached: res.cached, Detail: res.detail}
		if err != nil {
			sr.Failed = true
			p.report.Steps = append(p.report.Steps, sr)
			if ctx.Err() != nil {
				st.Fail("interrupted")
				p.progress.Stop()
				return &StepError{Step: s.name, Err: fmt.Errorf("interrupted: %w", ctx.Err())}
			}
			st.Fail(res.detail)
			var se *StepError
			if !errors.As(err, &se) {
				se = &StepError{Step: s.name, Err: err}
			}
			se.Step = s.name
			if se.Details == nil {
				se.Details = commandDetails(err)
			}
			return se
		}
		p.report.Steps = append(p.report.Steps, sr)
		if res.cached && res.detail == "" {
			res.detail = "cached"
		}
		st.Done(res.detail)
	}
	return nil
}

// commandDetails shows a failed command: its last 20 lines of output and
// the exact command line to rerun.
func commandDetails(err error) []string {
	var re *run.Error
	if !errors.As(err, &re) {
		return nil
	}
	var out []string
	if tail := re.Tail(20); len(tail) > 0 {
		out = append(out, "Last lines of its output:")
		for _, l := range tail {
			out = append(out, "  "+l)
		}
	}
	return append(out, "The command was:", "  "+re.CommandLine())
}

// runCmd runs argv as part of the current step: echoed and streamed with
// -v, listed instead of run with --dry-run.
func (p *pipeline) runCmd(ctx context.Context, cmd run.Cmd) ([]byte, error) {
	if p.opts.Verbose && p.step != nil {
		p.step.Log("$ " + run.CommandLine(cmd.Argv))
		w := p.step.Writer()
		if cmd.Sensitive {
			p.step.Log("(its output holds secrets and is not shown)")
		} else {
			cmd.Stdout = teeWriter(cmd.Stdout, w)
		}
		cmd.Stderr = teeWriter(cmd.Stderr, w)
	}
	return p.opts.Runner.Run(ctx, cmd)
}

func teeWriter(a, b io.Writer) io.Writer {
	if a == nil {
		return b
	}
	return io.MultiWriter(a, b)
}

// retry runs fn up to 3 times while it fails for a transient reason
// (the cluster not answering), with backoff, saying so.
func (p *pipeline) retry(ctx context.Context, what string, fn func() ([]byte, error)) ([]byte, error) {
	delay := p.opts.RetryDelay
	var out []byte
	var err error
	for try := 1; try <= 3; try++ {
		out, err = fn()
		if err == nil || !kubectl.IsUnreachable(err) || try == 3 || ctx.Err() != nil {
			return out, err
		}
		p.step.Warn(fmt.Sprintf("%s failed (%s); retrying in %s (try %d of 3)", what, firstLine(err), delay, try+1))
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
	return out, err
}

func firstLine(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		if t := re.Tail(1); len(t) > 0 {
			return strings.TrimSpace(t[0])
		}
	}
	return err.Error()
}
