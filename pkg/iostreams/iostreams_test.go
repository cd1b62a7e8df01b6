package iostreams

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
)

func TestColourRules(t *testing.T) {
	for _, tc := range []struct {
		name                string
		tty, noColor, force bool
		want                bool
	}{
		{"terminal", true, false, false, true},
		{"pipe", false, false, false, false},
		{"NO_COLOR", true, true, false, false},
		{"CLICOLOR_FORCE on a pipe", false, false, true, true},
	} {
		ios, _, _, _ := Test()
		ios.SetStdoutTTY(tc.tty)
		ios.SetColor(tc.noColor, tc.force)
		if got := ios.ColorEnabled(); got != tc.want {
			t.Errorf("%s: ColorEnabled = %v", tc.name, got)
		}
		out := ios.Styles().Success.Render("ok") + ios.Styles().SuccessIcon()
		if has := strings.Contains(out, "\x1b"); has != tc.want {
			t.Errorf("%s: escape codes %v in %q", tc.name, has, out)
		}
	}
}

func TestEnvironment(t *testing.T) {
	env := map[string]string{"NO_COLOR": "1"}
	ios := newSystem(func(k string) string { return env[k] })
	ios.SetStdoutTTY(true)
	if ios.ColorEnabled() {
		t.Error("NO_COLOR=1 left colour on")
	}
	env = map[string]string{"NO_COLOR": "", "CLICOLOR_FORCE": "1"}
	ios = newSystem(func(k string) string { return env[k] })
	if !ios.ColorEnabled() {
		t.Error("CLICOLOR_FORCE=1 did not force colour")
	}
	env = map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}
	ios = newSystem(func(k string) string { return env[k] })
	if ios.ColorEnabled() {
		t.Error("CLICOLOR_FORCE=1 won over NO_COLOR=1")
	}
}

// TERM=dumb cannot erase a line: plain step lines, no spinner.
func TestDumbTerminalHasNoSpinner(t *testing.T) {
	ios := newSystem(func(k string) string { return map[string]string{"TERM": "dumb"}[k] })
	var buf strings.Builder
	ios.ErrOut = &buf
	ios.SetStderrTTY(true)
	p := ios.NewProgress(false)
	st := p.Start("Build image")
	time.Sleep(250 * time.Millisecond)
	st.Done("")
	if strings.Contains(buf.String(), "\x1b") || !strings.Contains(buf.String(), "Build image") {
		t.Fatalf("output %q", buf.String())
	}
}

func TestCanPrompt(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.CanPrompt() {
		t.Fatal("buffers can prompt")
	}
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	if !ios.CanPrompt() {
		t.Fatal("terminals cannot prompt")
	}
}

// clock advances by step on every call.
func clock(step time.Duration) func() time.Time {
	now := time.Unix(0, 0)
	return func() time.Time { now = now.Add(step); return now }
}

func TestProgressPlain(t *testing.T) {
	ios, _, out, errOut := Test()
	p := ios.NewProgress(false).WithClock(clock(1500 * time.Millisecond))
	st := p.Start("Build image")
	st.Warn("uncommitted changes")
	st.Log("Step 1/3")
	st.Done("cached")
	p.Start("Apply").Fail("")
	p.Infof("info %d", 1)
	p.Warnf("careful")
	want := "! uncommitted changes\n  Step 1/3\n✓ Build image (cached) 1.5s\n✗ Apply 1.5s\ninfo 1\n! careful\n"
	if errOut.String() != want {
		t.Fatalf("stderr:\n%q\nwant\n%q", errOut.String(), want)
	}
	if out.Len() != 0 {
		t.Fatal("progress on stdout")
	}
}

func TestProgressQuiet(t *testing.T) {
	ios, _, _, errOut := Test()
	p := ios.NewProgress(true).WithClock(clock(time.Second))
	p.Start("Load").Done("")
	p.Infof("hidden")
	p.Start("Build").Fail("exit 1")
	p.Warnf("shown")
	if want := "✗ Build (exit 1) 1.0s\n! shown\n"; errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestProgressTerminal(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	ios.SetColor(true, false) // no colour, but a terminal: the spinner runs
	p := ios.NewProgress(false)
	st := p.Start("Roll out")
	time.Sleep(250 * time.Millisecond)
	st.Log("a line")
	st.Done("ready")
	p.Stop()
	got := errOut.String()
	if !strings.Contains(got, "⠋ Roll out") || !strings.Contains(got, "\r\x1b[2K") || !strings.Contains(got, "✓ Roll out (ready) ") || !strings.Contains(got, "  a line\n") {
		t.Fatalf("terminal output %q", got)
	}
	// Nothing is drawn after Done.
	n := len(errOut.String())
	time.Sleep(250 * time.Millisecond)
	if len(errOut.String()) != n {
		t.Fatal("the spinner kept drawing after Done")
	}
}

func TestStepWriterSplitsLines(t *testing.T) {
	ios, _, _, errOut := Test()
	p := ios.NewProgress(false).WithClock(clock(time.Second))
	st := p.Start("Build")
	w := st.Writer()
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\n"))
	if errOut.String() != "  one\n  two\n" {
		t.Fatalf("%q", errOut.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond:   "0.4s",
		12300 * time.Millisecond: "12.3s",
		65 * time.Second:         "1m05s",
		10 * time.Minute:         "10m00s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// sgr matches the colour and attribute escapes lipgloss writes.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestStylesKeepTheText: with colour off every field of Styles, found by
// reflection so that a new style is covered too, returns its text as is
// (tabs and spaces included); with colour on it adds escapes around it.
func TestStylesKeepTheText(t *testing.T) {
	const text = "docker\tbuild  -t x "
	for _, colour := range []bool{false, true} {
		ios, _, _, _ := Test()
		ios.SetColor(false, colour)
		v := reflect.ValueOf(ios.Styles())
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			got := v.Field(i).Interface().(lipgloss.Style).Render(text)
			if !colour && got != text {
				t.Errorf("%s without colour: %q", name, got)
			}
			if colour && (!strings.Contains(got, "\x1b[") || sgr.ReplaceAllString(got, "") != text) {
				t.Errorf("%s with colour: %q", name, got)
			}
		}
	}
}

// TestColourFromEnvironment: the rules System applies, through the getenv
// it is given, for stdout and stderr separately.
func TestColourFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name              string
		env               map[string]string
		stdoutTTY, errTTY bool
		wantOut, wantErr  bool
	}{
		{"terminals", nil, true, true, true, true},
		{"pipes", nil, false, false, false, false},
		{"stderr only a terminal", nil, false, true, false, true},
		{"NO_COLOR=1", map[string]string{"NO_COLOR": "1"}, true, true, false, false},
		{"NO_COLOR=0 is a value too", map[string]string{"NO_COLOR": "0"}, true, true, false, false},
		{"NO_COLOR empty", map[string]string{"NO_COLOR": ""}, true, true, true, true},
		{"CLICOLOR_FORCE=1 on pipes", map[string]string{"CLICOLOR_FORCE": "1"}, false, false, true, true},
		{"CLICOLOR_FORCE=0", map[string]string{"CLICOLOR_FORCE": "0"}, false, false, false, false},
		{"NO_COLOR beats CLICOLOR_FORCE=1", map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, true, true, false, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, true, true, false, false},
		{"TERM=dumb with CLICOLOR_FORCE=1", map[string]string{"TERM": "dumb", "CLICOLOR_FORCE": "1"}, true, true, true, true},
	} {
		ios := newSystem(func(k string) string { return tc.env[k] })
		ios.SetStdoutTTY(tc.stdoutTTY)
		ios.SetStderrTTY(tc.errTTY)
		if got := ios.ColorEnabled(); got != tc.wantOut {
			t.Errorf("%s: ColorEnabled = %v", tc.name, got)
		}
		if got := ios.ErrColorEnabled(); got != tc.wantErr {
			t.Errorf("%s: ErrColorEnabled = %v", tc.name, got)
		}
		if got := strings.Contains(ios.ErrStyles().FailureIcon(), "\x1b["); got != tc.wantErr {
			t.Errorf("%s: stderr icon coloured = %v", tc.name, got)
		}
	}
}
