package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
)

// step is one stage of a pipeline.
type step struct {
	name string
	// dryRun says the step also runs with --dry-run (it then only lists
	// the commands it would run).
	dryRun bool
	run    func(ctx context.Context, s stepIO) (result, error)
}

// result is what a step shows on its line.
type result struct {
	detail string
	cached bool
}

// stepIO is all a step may use besides its arguments: Runner runs a
// command (echoed and streamed with -v), Plan (set with --dry-run) lists
// it instead, Warn and Log write under the step's line.
type stepIO struct {
	cluster.Exec
	Log func(string)
}

// plan lists argv for --dry-run and reports whether the step must stop
// there.
func (s stepIO) plan(argv []string, note string) bool {
	if s.Plan == nil {
		return false
	}
	s.Plan(argv, note)
	return true
}

// driver runs steps in order: it times them, prints their lines, fills the
// report and lists the commands of a dry run.
type driver struct {
	opts     Options
	progress *iostreams.Progress
	report   *Report
	planned  []string
	// release, when set, is called when the pipeline ends (the app lock).
	release func() error
	// when holds the conditions of optional steps, by name: a step whose
	// condition is false is skipped without a line (the release phase of
	// an app without a release command).
	when map[string]func() bool
}

// optional makes the step name run only when cond says so at its turn.
func (d *driver) optional(name string, cond func() bool) {
	if d.when == nil {
		d.when = map[string]func() bool{}
	}
	d.when[name] = cond
}

func newDriver(opts Options) *driver {
	return &driver{
		opts:     opts,
		progress: opts.IO.NewProgress(opts.Quiet).WithClock(opts.Now),
		report:   &Report{Context: opts.Context, Steps: []StepReport{}},
	}
}

func (d *driver) stepIO(st *iostreams.Step) stepIO {
	s := stepIO{
		Exec: cluster.Exec{
			Runner:     echoRunner{Runner: d.opts.Runner, step: st, verbose: d.opts.Verbose},
			Warn:       st.Warn,
			RetryDelay: d.opts.RetryDelay,
		},
		Log: st.Log,
	}
	if d.opts.DryRun {
		s.Plan = func(argv []string, note string) {
			line := run.CommandLine(argv)
			if note != "" {
				line += "   # " + note
			}
			d.planned = append(d.planned, line)
		}
	}
	return s
}

// run runs the steps; the first failure ends it with a *StepError.
func (d *driver) run(ctx context.Context, steps []step) error {
	for _, s := range steps {
		if d.opts.DryRun && !s.dryRun {
			continue
		}
		if cond := d.when[s.name]; cond != nil && !cond() {
			continue
		}
		st := d.progress.Start(s.name)
		started := d.opts.Now()
		planned := len(d.planned)
		res, err := s.run(ctx, d.stepIO(st))
		if err == nil && len(d.planned) > planned {
			// A dry run lists the step's commands instead of running
			// them: its line must not read as done.
			if res.detail != "" {
				res.detail += "; "
			}
			res.detail += "dry run: commands listed, not run"
		}
		sr := StepReport{Name: s.name, Seconds: round(d.opts.Now().Sub(started)), Cached: res.cached, Detail: res.detail}
		if err != nil {
			sr.Failed = true
			d.report.Steps = append(d.report.Steps, sr)
			if ctx.Err() != nil {
				st.Fail("interrupted")
				d.progress.Stop()
				return &StepError{Step: s.name, Err: fmt.Errorf("interrupted: %w", ctx.Err())}
			}
			st.Fail(res.detail)
			var se *StepError
			if errors.As(err, &se) {
				err = se.Err
			}
			return &StepError{Step: s.name, Err: err}
		}
		d.report.Steps = append(d.report.Steps, sr)
		if res.cached && res.detail == "" {
			res.detail = "cached"
		}
		st.Done(res.detail)
	}
	return nil
}

// echoRunner echoes each command under the step's line and streams its
// output there with -v; a Sensitive command's output is never shown.
type echoRunner struct {
	run.Runner
	step    *iostreams.Step
	verbose bool
}

func (r echoRunner) Run(ctx context.Context, cmd run.Cmd) ([]byte, error) {
	if r.verbose && r.step != nil {
		r.step.Log("$ " + run.CommandLine(cmd.Argv))
		w := r.step.Writer()
		if cmd.Sensitive {
			r.step.Log("(its output holds secrets and is not shown)")
		} else {
			cmd.Stdout = teeWriter(cmd.Stdout, w)
		}
		cmd.Stderr = teeWriter(cmd.Stderr, w)
	}
	return r.Runner.Run(ctx, cmd)
}

func teeWriter(a, b io.Writer) io.Writer {
	if a == nil {
		return b
	}
	return io.MultiWriter(a, b)
}
