package iostreams

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while a spinner writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestEveryStyleIsPlainWithoutColour(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stdoutTTY  bool
		stderrTTY  bool
		noColor    bool
		wantOut    bool
		wantErrOut bool
	}{
		{name: "pipes"},
		{name: "stdout a terminal, stderr a pipe", stdoutTTY: true, wantOut: true},
		{name: "stderr a terminal, stdout a pipe", stderrTTY: true, wantErrOut: true},
		{name: "terminals with NO_COLOR", stdoutTTY: true, stderrTTY: true, noColor: true},
	} {
		ios, _, _, _ := Test()
		ios.SetStdoutTTY(tc.stdoutTTY)
		ios.SetStderrTTY(tc.stderrTTY)
		ios.SetColor(tc.noColor, false)
		for _, s := range []struct {
			stream string
			st     Styles
			want   bool
		}{{"stdout", ios.Styles(), tc.wantOut}, {"stderr", ios.ErrStyles(), tc.wantErrOut}} {
			rendered := map[string]string{
				"Success": s.st.Success.Render("text"), "Failure": s.st.Failure.Render("text"),
				"Warning": s.st.Warning.Render("text"), "Bold": s.st.Bold.Render("text"),
				"Muted": s.st.Muted.Render("text"), "Code": s.st.Code.Render("text"),
				"Header": s.st.Header.Render("text"),
			}
			for name, got := range rendered {
				if has := strings.Contains(got, "\x1b"); has != s.want {
					t.Errorf("%s: %s %s = %q", tc.name, s.stream, name, got)
				}
				if !s.want && got != "text" {
					t.Errorf("%s: %s %s changed the text: %q", tc.name, s.stream, name, got)
				}
			}
			icons := s.st.SuccessIcon() + s.st.FailureIcon() + s.st.WarningIcon()
			if !s.want && icons != "✓✗!" {
				t.Errorf("%s: %s icons %q", tc.name, s.stream, icons)
			}
		}
	}
}

// TestForcedColour: CLICOLOR_FORCE (SetColor(false, true)) colours a pipe,
// on both streams, and the progress lines too.
func TestForcedColour(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetColor(false, true)
	if !ios.ColorEnabled() || !ios.ErrColorEnabled() {
		t.Fatal("colour not forced")
	}
	if got := ios.Styles().Bold.Render("x"); !strings.Contains(got, "\x1b[") {
		t.Fatalf("Bold = %q", got)
	}
	ios.NewProgress(false).WithClock(clock(time.Second)).Start("Build").Done("")
	if !strings.Contains(errOut.String(), "\x1b[") || !strings.Contains(errOut.String(), "Build") {
		t.Fatalf("progress %q", errOut)
	}
}

// TestProgressLinesWithoutTerminal: exact lines, no escape at all, nothing
// on stdout, a step ends once.
func TestProgressLinesWithoutTerminal(t *testing.T) {
	ios, _, out, errOut := Test()
	ios.SetStdoutTTY(true) // a terminal on stdout changes nothing on stderr
	p := ios.NewProgress(false).WithClock(clock(1500 * time.Millisecond))
	st := p.Start("Build image")
	st.Done("cached")
	st.Done("again")
	st.Fail("too late")
	p.Start("Load image").Done("")
	p.Warnf("%d pods restarting", 2)
	p.Infof("URL: %s", "http://x")
	want := "✓ Build image (cached) 1.5s\n✓ Load image 1.5s\n! 2 pods restarting\nURL: http://x\n"
	if errOut.String() != want {
		t.Fatalf("stderr:\n%q\nwant\n%q", errOut, want)
	}
	if out.Len() != 0 {
		t.Fatalf("stdout %q", out)
	}
}

// TestQuietKeepsFailuresAndWarnings: -q hides Done and Infof, never Fail,
// Warn or Warnf.
func TestQuietKeepsFailuresAndWarnings(t *testing.T) {
	ios, _, _, errOut := Test()
	p := ios.NewProgress(true).WithClock(clock(time.Second))
	st := p.Start("Build")
	st.Warn("dirty tree")
	st.Done("")
	p.Infof("hidden")
	p.Start("Apply").Fail("")
	want := "! dirty tree\n✗ Apply 1.0s\n"
	if errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}

// TestSpinnerOnTerminal: the frame and the final line, and no goroutine
// left once steps are done.
func TestSpinnerOnTerminal(t *testing.T) {
	ios, _, _, _ := Test()
	var w lockedBuffer
	ios.ErrOut = &w
	ios.SetStderrTTY(true)
	ios.SetColor(true, false) // a terminal without colour: plain frames
	before := runtime.NumGoroutine()
	p := ios.NewProgress(false).WithClock(clock(time.Second))
	for i := 0; i < 50; i++ {
		p.Start("Apply").Done("")
	}
	st := p.Start("Roll out")
	for i := 0; i < 100 && !strings.Contains(w.String(), "⠋ Roll out"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	st.Warn("slow")
	st.Done("ready")
	got := w.String()
	for _, s := range []string{"\r\x1b[2K⠋ Roll out", "! slow\n", "✓ Roll out (ready) 1.0s\n", "✓ Apply 1.0s\n"} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%q", s, got)
		}
	}
	if !strings.HasSuffix(got, "\r\x1b[2K✓ Roll out (ready) 1.0s\n") {
		t.Errorf("the final line is not last, or its line was not cleared: %q", got)
	}
	// Done waits for the spinner: the count is back at once.
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the steps, %d before", n, before)
	}
	p.Stop() // with nothing running: a no-op
	if w.String() != got {
		t.Errorf("Stop drew %q", strings.TrimPrefix(w.String(), got))
	}
}

func TestStopEndsTheSpinner(t *testing.T) {
	ios, _, _, _ := Test()
	var w lockedBuffer
	ios.ErrOut = &w
	ios.SetStderrTTY(true)
	ios.SetColor(true, false) // a terminal without colour: plain frames
	before := runtime.NumGoroutine()
	p := ios.NewProgress(false)
	p.Start("Build")
	p.Stop()
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Stop, %d before", n, before)
	}
	n := len(w.String())
	time.Sleep(250 * time.Millisecond)
	if len(w.String()) != n || !strings.HasSuffix(w.String(), "\r\x1b[2K") {
		t.Fatalf("output after Stop: %q", w.String())
	}
}

// TestConcurrentLogs: output from several goroutines (a streamed
// subprocess and a watcher) while the spinner runs. Whole lines, no panic.
func TestConcurrentLogs(t *testing.T) {
	ios, _, _, _ := Test()
	var w lockedBuffer
	ios.ErrOut = &w
	ios.SetStderrTTY(true)
	ios.SetColor(true, false) // a terminal without colour: plain frames
	p := ios.NewProgress(false)
	st := p.Start("Roll out")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				switch i % 3 {
				case 0:
					st.Log("line")
				case 1:
					st.Warn("warn")
				default:
					p.Infof("info")
				}
			}
		}()
	}
	wg.Wait()
	st.Done("")
	p.Stop()
	// On the terminal each printed line is what follows the last clear
	// (`\r` + erase line) before it: never a spinner frame.
	for _, l := range strings.Split(w.String(), "\n") {
		if i := strings.LastIndex(l, "\r\x1b[2K"); i >= 0 {
			l = l[i+len("\r\x1b[2K"):]
		}
		if strings.ContainsAny(l, "\r⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏") {
			t.Fatalf("a spinner frame runs into a line: %q", l)
		}
	}
	if got := strings.Count(w.String(), "  line\n"); got != 4*34 {
		t.Fatalf("%d log lines, want %d", got, 4*34)
	}
}

func TestFormatDurationTable(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0s"},
		{400 * time.Millisecond, "0.4s"},
		{1500 * time.Millisecond, "1.5s"},
		{12300 * time.Millisecond, "12.3s"},
		{59900 * time.Millisecond, "59.9s"},
		{59970 * time.Millisecond, "1m00s"},
		{time.Minute, "1m00s"},
		{65 * time.Second, "1m05s"},
		{119600 * time.Millisecond, "2m00s"},
		{61 * time.Minute, "61m00s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestStepWriterKeepsPartialLines(t *testing.T) {
	ios, _, _, errOut := Test()
	st := ios.NewProgress(false).Start("Build")
	w := st.Writer()
	for _, chunk := range []string{"Step 1", "/3\nStep 2/3\n\nStep", " 3/3\n", "tail"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if want := "  Step 1/3\n  Step 2/3\n  \n  Step 3/3\n"; errOut.String() != want {
		t.Fatalf("%q, want %q", errOut, want)
	}
}

// TestStepWriterFlushesAtTheEnd: a last line without a newline (often the
// error message) is shown when the step ends, before its final line; a
// CR before the newline is dropped.
func TestStepWriterFlushesAtTheEnd(t *testing.T) {
	ios, _, _, errOut := Test()
	p := ios.NewProgress(false).WithClock(clock(time.Second))
	st := p.Start("Build")
	out, errw := st.Writer(), st.Writer()
	out.Write([]byte("Step 1/2\r\nStep 2/2"))
	errw.Write([]byte("error: no space left"))
	st.Fail("")
	out.Write([]byte("\n")) // after the end: the line was already shown
	want := "  Step 1/2\n  Step 2/2\n  error: no space left\n✗ Build 1.0s\n"
	if errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}
