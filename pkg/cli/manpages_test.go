package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/internal/golden"
	"github.com/cupaas/cupaas/internal/manpages"
)

// TestManPagesUpToDate fails when completions/man differs from what the
// commands generate, has a page too many or too few; `go generate ./...`
// (or -update) rewrites it.
func TestManPagesUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "completions", "man")
	if golden.Update() {
		if err := manpages.Write(testRoot(t), dir); err != nil {
			t.Fatal(err)
		}
	}
	pages, err := manpages.Pages(testRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// One page per command, the root's included.
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, manpages.FileName(c))
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(testRoot(t))
	if got := slices.Sorted(func(yield func(string) bool) {
		for name := range pages {
			if !yield(name) {
				return
			}
		}
	}); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("pages %v, want one per command: %v", got, want)
	}
	for name, data := range pages {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v; run `go generate ./...`", err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("completions/man/%s is out of date; run `go generate ./...`", name)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := pages[filepath.Base(f)]; !ok {
			t.Errorf("completions/man/%s is no command's page; run `go generate ./...`", filepath.Base(f))
		}
	}
}

// TestManPagesAreStable: two runs give the same pages (no date of the run,
// no "Auto generated" line), and each page has the sections man expects.
func TestManPagesAreStable(t *testing.T) {
	a, err := manpages.Pages(testRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := manpages.Pages(testRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, page := range a {
		if !bytes.Equal(page, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
		s := string(page)
		th := "\n.TH \"" + strings.ToUpper(strings.TrimSuffix(name, ".1")) + `" "1" "` + manpages.Date.Format("Jan 2006") + `" "cupaas" "cupaas manual"` + "\n"
		if !strings.Contains(s, th) {
			t.Errorf("%s has no header %q", name, th)
		}
		for _, section := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH EXAMPLE"} {
			if !strings.Contains(s, section) {
				t.Errorf("%s has no %s", name, section)
			}
		}
		if strings.Contains(s, "Auto generated") {
			t.Errorf("%s has cobra's dated \"Auto generated\" line", name)
		}
	}
}

// TestManPagesKeepAngleBrackets: cobra's generator goes through Markdown,
// where `<name>` reads as an HTML tag and vanishes; every `<word>` of a
// command's usage, description and flags must reach its page.
func TestManPagesKeepAngleBrackets(t *testing.T) {
	pages, err := manpages.Pages(testRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	angle := regexp.MustCompile(`<[^<>\s]+>`)
	found := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		texts := c.Use + "\n" + c.Short + "\n" + c.Long
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { texts += "\n" + f.Usage })
		page := string(pages[manpages.FileName(c)])
		for _, w := range angle.FindAllString(texts, -1) {
			found++
			if !strings.Contains(page, w) {
				t.Errorf("%s: %s is lost in the man page", manpages.FileName(c), w)
			}
		}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(testRoot(t))
	if found == 0 {
		t.Fatal("no <word> in any command: this test checks nothing")
	}
}
