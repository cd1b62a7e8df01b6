// Package manpages renders the man pages of cupaas, one per command, from
// its cobra commands with cobra's doc generator. `go generate ./...` writes
// them into completions/man, and the packages install them.
package manpages

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// Date is the date in the header of every page (shown as month and year).
// It is fixed, not the time of generation, so that the pages come out the
// same on every run and a test can tell when they are out of date; move it
// on when the commands change.
var Date = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// Section is the manual section: user commands.
const Section = "1"

// Pages renders the page of root and of every command under it, keyed by
// file name (`cupaas.1`, `cupaas-env-set.1`). It marks the commands as not
// wanting cobra's "Auto generated" line, which carries the date of the run.
func Pages(root *cobra.Command) (map[string][]byte, error) {
	out := map[string][]byte{}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		if c != root && (!c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand()) {
			return nil
		}
		c.DisableAutoGenTag = true
		escapeAngles(c)
		date := Date
		header := &doc.GenManHeader{Section: Section, Date: &date, Source: "cupaas", Manual: "cupaas manual"}
		var b bytes.Buffer
		if err := doc.GenMan(c, header, &b); err != nil {
			return fmt.Errorf("man page of %s: %w", c.CommandPath(), err)
		}
		out[FileName(c)] = b.Bytes()
		for _, sub := range c.Commands() {
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return out, nil
}

// escapeAngles keeps the `<name>` of the command's texts: cobra's
// generator goes through Markdown, where `<name>` is an HTML tag and would
// vanish ("The image is cupaas/:"). Examples are code blocks, left alone.
// It changes the commands, which are built for the generation only.
func escapeAngles(c *cobra.Command) {
	esc := func(s string) string { return strings.ReplaceAll(s, "<", `\<`) }
	c.Use, c.Short, c.Long = esc(c.Use), esc(c.Short), esc(c.Long)
	c.LocalFlags().VisitAll(func(f *pflag.Flag) { f.Usage = esc(f.Usage) })
}

// FileName is the page's file name: the command path joined by '-', as in
// the pages' SEE ALSO sections.
func FileName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-") + "." + Section
}

// Write writes every page into dir and removes the pages of commands that
// no longer exist.
func Write(root *cobra.Command, dir string) error {
	pages, err := Pages(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*."+Section))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, ok := pages[filepath.Base(p)]; !ok {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, data := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
