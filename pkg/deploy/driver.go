package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
)

// step is one step of a pipeline: one line of output.
type step struct {
	name string
	// dryRun says the step also runs with --dry-run (it then only lists
	// the commands it would run).
	dryRun bool
	run    func(ctx context.Context, s stepIO) (result, error)
	// after names steps of other lanes of its phase that must have
	// ended well before it starts; afterFn, when set, names them when
	// the phase starts, after the phases before it.
	after   []string
	afterFn func() []string
	// aside marks a step that runs beside the main work (a check, the
	// URL): an interruption is named after another step it stopped.
	aside bool
	// title, when set, names the step when it starts, after the phases
	// before it (the publish step's name follows the preflight's pick).
	title func() string
}

func (s step) label() string {
	if s.title != nil {
		return s.title()
	}
	return s.name
}

// phase is a part of the pipeline: lanes of steps that run side by side,
// each lane in order. A phase ends when every lane has; the next phase
// starts then. A pipeline is a list of phases, so a new one (a release
// phase between the services and the app) is one more entry.
type phase struct {
	name  string
	lanes [][]step
}

// seq is a phase of steps run one after the other.
func seq(name string, steps ...step) phase { return phase{name: name, lanes: [][]step{steps}} }

// par is a phase of lanes run side by side; empty lanes are dropped.
func par(name string, lanes ...[]step) phase {
	p := phase{name: name}
	for _, l := range lanes {
		if len(l) > 0 {
			p.lanes = append(p.lanes, l)
		}
	}
	return p
}

// steps lists the phase's steps in their printed order: lane by lane.
func (p phase) steps() []step {
	var out []step
	for _, l := range p.lanes {
		out = append(out, l...)
	}
	return out
}

// result is what a step shows on its line.
type result struct {
	detail string
	cached bool
	// hidden steps print no line and are not in the report: they had
	// nothing to do (the check for an unchanged app, when it changed).
	hidden bool
	// finished ends the pipeline after this phase, successfully: the
	// steps still running beside it are stopped and not shown.
	finished bool
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
	// mu guards report.Steps and planned, written by steps side by side.
	mu      sync.Mutex
	report  *Report
	planned []string
	// release, when set, is called when the pipeline ends (the app lock).
	release func() error
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
			d.mu.Lock()
			d.planned = append(d.planned, line)
			d.mu.Unlock()
		}
	}
	return s
}

// run runs the phases in order; the first failure ends it with a
// *StepError. It reports whether a step finished the pipeline early.
func (d *driver) run(ctx context.Context, phases []phase) (finished bool, err error) {
	for _, p := range phases {
		if d.opts.DryRun || len(p.lanes) == 1 {
			// A dry run lists the commands in one stable order.
			for _, s := range p.steps() {
				if d.opts.DryRun && !s.dryRun {
					continue
				}
				o := d.runStep(ctx, s, d.progress.Start(s.label()))
				if err := d.show(ctx, s.label(), o, nil); err != nil {
					return false, err
				}
				finished = finished || o.res.finished
			}
		} else {
			f, err := d.runLanes(ctx, p)
			if err != nil {
				return false, err
			}
			finished = finished || f
		}
		if finished {
			return true, nil
		}
	}
	return false, nil
}

// outcome is how a step ended.
type outcome struct {
	res  result
	err  error
	took time.Duration
	st   *iostreams.Step
	// state: pending, then done; or skipped (its lane stopped before it).
	done, skipped bool
	// stopped: it failed because another lane's failure stopped it.
	stopped bool
}

// runStep runs one step and times it.
func (d *driver) runStep(ctx context.Context, s step, st *iostreams.Step) outcome {
	started := d.opts.Now()
	d.mu.Lock()
	planned := len(d.planned)
	d.mu.Unlock()
	res, err := s.run(ctx, d.stepIO(st))
	d.mu.Lock()
	listed := len(d.planned) > planned
	d.mu.Unlock()
	if err == nil && listed {
		// A dry run lists the step's commands instead of running
		// them: its line must not read as done.
		if res.detail != "" {
			res.detail += "; "
		}
		res.detail += "dry run: commands listed, not run"
	}
	return outcome{res: res, err: err, took: d.opts.Now().Sub(started), st: st, done: true}
}

// show prints a step's line and adds it to the report. stoppedBy, when
// set, is the step whose failure stopped this one.
func (d *driver) show(ctx context.Context, name string, o outcome, stoppedBy *string) error {
	if o.err == nil && o.res.hidden {
		o.st.Drop()
		return nil
	}
	sr := StepReport{Name: name, Seconds: round(o.took), Cached: o.res.cached, Detail: o.res.detail}
	if o.err != nil {
		sr.Failed = true
		if ctx.Err() != nil {
			sr.Detail = ""
			d.addStep(sr)
			o.st.FailAfter("interrupted", o.took)
			d.progress.Stop()
			return &StepError{Step: name, Err: fmt.Errorf("interrupted: %w", ctx.Err())}
		}
		if stoppedBy != nil {
			sr.Detail = "stopped: " + *stoppedBy + " failed"
			d.addStep(sr)
			o.st.FailAfter(sr.Detail, o.took)
			return nil
		}
		d.addStep(sr)
		o.st.FailAfter(o.res.detail, o.took)
		err := o.err
		var se *StepError
		if errors.As(err, &se) {
			err = se.Err
		}
		return &StepError{Step: name, Err: err}
	}
	d.addStep(sr)
	if o.res.cached && o.res.detail == "" {
		o.res.detail = "cached"
	}
	o.st.DoneAfter(o.res.detail, o.took)
	return nil
}

func (d *driver) addStep(sr StepReport) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.report.Steps = append(d.report.Steps, sr)
}

// runLanes runs a phase's lanes side by side. Lines are printed in the
// phase's order (lane by lane), each as soon as it and the lines before it
// are done, with the step's own time. A failure stops the other lanes but
// the first (their running step is shown as stopped): the first lane is
// the phase's main work, and its failure, a diagnosis, is the one to show,
// so it always runs to its end. A step that finishes the pipeline stops
// every lane, and what it stopped is not shown.
func (d *driver) runLanes(ctx context.Context, p phase) (finished bool, err error) {
	steps := p.steps()
	outs := make([]outcome, len(steps))
	// ended[i] is closed once step i has ended or will not run.
	ended := make([]chan struct{}, len(steps))
	index := map[string]int{}
	for i, s := range steps {
		ended[i] = make(chan struct{})
		index[s.name] = i
	}
	mainCtx, stopMain := context.WithCancel(ctx)
	lctx, stop := context.WithCancel(mainCtx)
	defer func() {
		// After a phase that went well the contexts stay: a step may
		// leave a process running that outlives it (the tunnel of Get
		// URL), which ends with ctx or when its owner stops it.
		if err != nil || finished {
			stop()
			stopMain()
		}
	}()
	var (
		mu         sync.Mutex
		next       int     // the next line to print
		failed     *string // the step that failed first
		firstErr   error
		firstAside bool // firstErr is an aside step's
		endedEarly bool
	)
	// skip marks the lane's steps from i on as not run; mu is held.
	skip := func(i, end int) {
		for j := i; j < end; j++ {
			if !outs[j].done && !outs[j].skipped {
				outs[j].skipped = true
				close(ended[j])
			}
		}
	}
	// await waits for the steps s runs after: false when one of them did
	// not end well, or the lane is stopped.
	await := func(lc context.Context, s step) bool {
		after := s.after
		if s.afterFn != nil {
			after = s.afterFn()
		}
		for _, name := range after {
			i, ok := index[name]
			if !ok {
				continue
			}
			select {
			case <-ended[i]:
			case <-lc.Done():
				return false
			}
			mu.Lock()
			good := outs[i].done && outs[i].err == nil
			mu.Unlock()
			if !good {
				return false
			}
		}
		return true
	}
	// flush prints the lines that are ready; mu is held.
	flush := func() {
		for next < len(steps) && (outs[next].done || outs[next].skipped) {
			o := outs[next]
			name := steps[next].label()
			next++
			if o.skipped {
				continue
			}
			if endedEarly && o.err != nil {
				o.st.Drop()
				continue
			}
			var by *string
			if o.stopped {
				by = failed
			}
			// An interruption is named after the furthest step it
			// stopped that is not aside (the one the user waited for);
			// a failure after the first.
			e := d.show(ctx, name, o, by)
			switch {
			case e == nil:
			case firstErr == nil:
				firstErr, firstAside = e, steps[next-1].aside
			case ctx.Err() != nil && (firstAside || !steps[next-1].aside):
				firstErr, firstAside = e, steps[next-1].aside
			}
		}
	}
	var wg sync.WaitGroup
	base := 0
	for li, lane := range p.lanes {
		lc := lctx
		if li == 0 {
			lc = mainCtx
		}
		wg.Add(1)
		go func(first int, lane []step, lc context.Context) {
			defer wg.Done()
			for i, s := range lane {
				if lc.Err() != nil || !await(lc, s) {
					mu.Lock()
					skip(first+i, first+len(lane))
					flush()
					mu.Unlock()
					return
				}
				o := d.runStep(lc, s, d.progress.Start(s.label()))
				mu.Lock()
				switch {
				case o.err != nil && ctx.Err() == nil && failed != nil && lc.Err() != nil:
					o.stopped = true
				case o.err != nil && ctx.Err() == nil && failed == nil && !endedEarly:
					name := s.label()
					failed = &name
					stop()
				case o.err == nil && o.res.finished:
					endedEarly = true
					stopMain()
				}
				outs[first+i] = o
				close(ended[first+i])
				if o.err != nil {
					skip(first+i+1, first+len(lane))
				}
				flush()
				mu.Unlock()
				if o.err != nil {
					return
				}
			}
		}(base, lane, lc)
		base += len(lane)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	flush()
	if firstErr == nil && ctx.Err() != nil {
		// Interrupted while a lane had nothing to show yet.
		return false, &StepError{Step: p.name, Err: fmt.Errorf("interrupted: %w", ctx.Err())}
	}
	return endedEarly && firstErr == nil, firstErr
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

// end prints the release's notes and warnings, frees the app lock and
// completes the report. After a failure the tunnel, if any, is stopped.
func (d *driver) end(start time.Time, notes, warnings []string, tunnel *cluster.Tunnel, err error) (*Report, *cluster.Tunnel, error) {
	for _, w := range warnings {
		d.progress.Warnf("%s", w)
	}
	for _, n := range notes {
		d.progress.Infof("%s", n)
	}
	if d.release != nil {
		d.release()
	}
	d.report.Seconds = round(d.opts.Now().Sub(start))
	d.report.DryRun = d.planned
	if err != nil {
		d.report.Error = err.Error()
		d.report.Details = Lines(err)
		if tunnel != nil {
			tunnel.Stop()
		}
		return d.report, nil, err
	}
	return d.report, tunnel, nil
}
