package iostreams

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestTableAlignsStyledCells: columns line up by what is seen, whatever
// escape sequences a cell carries, and no line ends in spaces.
func TestTableAlignsStyledCells(t *testing.T) {
	ios, _, out, _ := Test()
	ios.SetColor(false, true)
	s := ios.Styles()
	var tb Table
	tb.Row(s.Muted.Render("POD"), s.Muted.Render("STATE"), "AGE")
	tb.Row("app-1", s.Failure.Render("CrashLoopBackOff"), "2m")
	tb.Row("app-redis-0", s.Success.Render("Running"), "")
	if err := tb.Write(out, "  "); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("no colour in %q", out)
	}
	want := "  POD          STATE             AGE\n  app-1        CrashLoopBackOff  2m\n  app-redis-0  Running\n"
	if got := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out.String(), ""); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	var plain bytes.Buffer
	tb.Write(&plain, "")
	for _, line := range strings.Split(plain.String(), "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
}
