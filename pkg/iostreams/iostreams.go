// Package iostreams holds the standard streams of a command, what kind of
// terminal each one is, whether colour is wanted, the styles (all in
// styles.go) and the step printer used by pipelines (progress.go).
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's input and outputs.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	noColor, forceColor            bool
	// dumbTerm is TERM=dumb: a terminal that cannot erase a line, so no
	// spinner is drawn on it.
	dumbTerm bool
}

// System returns the process's streams, with terminal detection per stream
// and the colour choice from NO_COLOR (any value turns colour off, and wins),
// CLICOLOR_FORCE=1 (forces it on) and TERM=dumb (no colour, no spinner).
func System() *IOStreams {
	return newSystem(os.Getenv)
}

func newSystem(getenv func(string) string) *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:   isTerminal(os.Stdin),
		stdoutTTY:  isTerminal(os.Stdout),
		stderrTTY:  isTerminal(os.Stderr),
		noColor:    getenv("NO_COLOR") != "", // no-color.org: present and not empty
		forceColor: getenv("CLICOLOR_FORCE") == "1",
		dumbTerm:   getenv("TERM") == "dumb",
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams backed by buffers, none a terminal, colour off.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetColor sets the colour choice as NO_COLOR and CLICOLOR_FORCE would (tests).
func (s *IOStreams) SetColor(noColor, force bool) { s.noColor, s.forceColor = noColor, force }

// CanPrompt reports whether the user can answer questions: stdin and stdout
// are terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// ColorEnabled reports whether stdout gets colour.
func (s *IOStreams) ColorEnabled() bool { return s.colorFor(s.stdoutTTY) }

// ErrColorEnabled reports whether stderr gets colour.
func (s *IOStreams) ErrColorEnabled() bool { return s.colorFor(s.stderrTTY) }

// NO_COLOR wins over CLICOLOR_FORCE (a user's opt-out beats a forced
// default), which wins over detection; TERM=dumb gets no colour unless
// forced.
func (s *IOStreams) colorFor(tty bool) bool {
	switch {
	case s.noColor:
		return false
	case s.forceColor:
		return true
	}
	return tty && !s.dumbTerm
}

// Styles returns the styles for stdout.
func (s *IOStreams) Styles() Styles { return newStyles(s.Out, s.ColorEnabled()) }

// ErrStyles returns the styles for stderr.
func (s *IOStreams) ErrStyles() Styles { return newStyles(s.ErrOut, s.ErrColorEnabled()) }
