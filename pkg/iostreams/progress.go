package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Progress prints the steps of a pipeline on stderr: on a terminal an
// animated line per running step, replaced by `✓ name (detail) 1.2s` when
// it ends; elsewhere only the final lines.
type Progress struct {
	w     io.Writer
	st    Styles
	tty   bool
	quiet bool
	now   func() time.Time

	mu      sync.Mutex
	active  *Step
	running []*Step // steps started and not ended, in start order
	stop    chan struct{}
	stopped chan struct{}
}

// NewProgress returns a step printer writing to stderr. quiet hides the
// step lines but never failures or warnings.
func (s *IOStreams) NewProgress(quiet bool) *Progress {
	return &Progress{w: s.ErrOut, st: s.ErrStyles(), tty: s.stderrTTY && !s.dumbTerm, quiet: quiet, now: time.Now}
}

// WithClock replaces the clock, so tests can assert exact durations.
func (p *Progress) WithClock(now func() time.Time) *Progress {
	p.now = now
	return p
}

// Step is one running step.
type Step struct {
	p       *Progress
	name    string
	start   time.Time
	ended   bool          // guarded by p.mu
	writers []*lineWriter // guarded by p.mu; flushed when the step ends
}

// Start begins a step.
func (p *Progress) Start(name string) *Step {
	st := &Step{p: p, name: name, start: p.now()}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
	p.active = st
	p.running = append(p.running, st)
	if p.tty && !p.quiet {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.spin(st, p.stop, p.stopped)
	}
	return st
}

func (p *Progress) spin(st *Step, stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		p.mu.Lock()
		select {
		case <-stop: // stopped while waiting for the lock: draw nothing more
			p.mu.Unlock()
			return
		default:
		}
		fmt.Fprintf(p.w, "\r\x1b[2K%s %s", p.st.Muted.Render(spinnerFrames[i%len(spinnerFrames)]), st.name)
		p.mu.Unlock()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// stopSpinner stops the animation and clears its line; p.mu is held. It
// lets go of p.mu while the spinner goroutine ends, so another caller may
// get in meanwhile: the channels are detached first (so that no one closes
// them twice), and it loops until no spinner runs, whoever started it.
func (p *Progress) stopSpinner() {
	for p.stop != nil {
		stop, stopped := p.stop, p.stopped
		p.stop, p.stopped = nil, nil
		close(stop)
		fmt.Fprint(p.w, "\r\x1b[2K")
		p.mu.Unlock()
		<-stopped
		p.mu.Lock()
	}
}

// restart resumes the animation of the active step after a printed line.
func (p *Progress) restart() {
	if p.tty && !p.quiet && p.active != nil && !p.active.ended && p.stop == nil {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.spin(p.active, p.stop, p.stopped)
	}
}

// Done ends the step successfully; detail (e.g. "cached") goes in brackets.
func (st *Step) Done(detail string) { st.end(st.p.st.SuccessIcon(), detail, false, -1) }

// Fail ends the step as failed; the line is printed even when quiet.
func (st *Step) Fail(detail string) { st.end(st.p.st.FailureIcon(), detail, true, -1) }

// DoneAfter is Done for a step that ended took after it started, printed
// later: steps that run side by side print their lines in a fixed order.
func (st *Step) DoneAfter(detail string, took time.Duration) {
	st.end(st.p.st.SuccessIcon(), detail, false, took)
}

// FailAfter is Fail for a step that ended took after it started.
func (st *Step) FailAfter(detail string, took time.Duration) {
	st.end(st.p.st.FailureIcon(), detail, true, took)
}

// Drop ends the step without a line: it did not need to run.
func (st *Step) Drop() {
	p := st.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.ended {
		return
	}
	st.ended = true
	p.stopSpinner()
	p.forget(st)
	p.restart()
}

// forget removes st from the running steps; the latest one still running
// becomes the animated one. p.mu is held.
func (p *Progress) forget(st *Step) {
	for i, r := range p.running {
		if r == st {
			p.running = append(p.running[:i], p.running[i+1:]...)
			break
		}
	}
	if p.active == st {
		p.active = nil
		if n := len(p.running); n > 0 {
			p.active = p.running[n-1]
		}
	}
}

func (st *Step) end(icon, detail string, always bool, took time.Duration) {
	p := st.p
	// A last line without a newline is still output: show it first.
	p.mu.Lock()
	writers := st.writers
	st.writers = nil
	p.mu.Unlock()
	for _, w := range writers {
		w.flush()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.ended {
		return
	}
	st.ended = true
	p.stopSpinner()
	p.forget(st)
	defer p.restart()
	if p.quiet && !always {
		return
	}
	line := icon + " " + st.name
	if detail != "" {
		line += " (" + detail + ")"
	}
	if took < 0 {
		took = p.now().Sub(st.start)
	}
	fmt.Fprintf(p.w, "%s %s\n", line, p.st.Muted.Render(FormatDuration(took)))
}

// Warn prints `! msg` under the step without ending it.
func (st *Step) Warn(msg string) {
	p := st.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
	fmt.Fprintf(p.w, "%s %s\n", p.st.WarningIcon(), msg)
	p.restart()
}

// Log prints a line of a subprocess's output (for -v) without breaking the
// animation.
func (st *Step) Log(line string) {
	p := st.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
	fmt.Fprintf(p.w, "%s\n", p.st.Muted.Render("  "+line))
	p.restart()
}

// Writer returns an io.Writer that logs each complete line with Log (a
// trailing \r dropped); a last partial line is logged when the step ends.
// It is safe for concurrent use.
func (st *Step) Writer() io.Writer {
	w := &lineWriter{st: st}
	st.p.mu.Lock()
	defer st.p.mu.Unlock()
	if !st.ended {
		st.writers = append(st.writers, w)
	}
	return w
}

type lineWriter struct {
	st      *Step
	mu      sync.Mutex // held while logging, so that lines keep their order
	buf     []byte
	flushed bool // the line under way was shown by flush: its newline ends it
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSuffix(w.buf[:i], []byte("\r"))
		if !w.flushed || len(line) > 0 {
			w.st.Log(string(line))
		}
		w.buf, w.flushed = w.buf[i+1:], false
	}
	return len(b), nil
}

// flush logs what is left of a last line without a newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rest := bytes.TrimSuffix(w.buf, []byte("\r")); len(rest) > 0 {
		w.st.Log(string(rest))
		w.flushed = true
	}
	w.buf = nil
}

// Infof prints a plain line (hidden when quiet).
func (p *Progress) Infof(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	p.stopSpinner()
	fmt.Fprintf(p.w, format+"\n", args...)
	p.restart()
}

// Warnf prints `! message`, even when quiet.
func (p *Progress) Warnf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
	fmt.Fprintf(p.w, "%s %s\n", p.st.WarningIcon(), fmt.Sprintf(format, args...))
	p.restart()
}

// Stop ends any animation, for an interrupted pipeline.
func (p *Progress) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
}

// FormatDuration rounds d for humans: 0.4s, 12.3s, 1m05s.
func FormatDuration(d time.Duration) string {
	// Round first, so that 59.97s reads 1m00s rather than 60.0s.
	d = d.Round(100 * time.Millisecond)
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
