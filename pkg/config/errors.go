package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config file, at a position.
type Problem struct {
	File string `json:"file"`
	// Line and Col are 1-based; 0 when the problem concerns the whole file.
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
	Msg  string `json:"message"`
}

// String formats the problem as `file:line:col: message`.
func (p Problem) String() string { return p.Location() + ": " + p.Msg }

// Location formats the position as `file:line:col`, `file:line` or `file`.
func (p Problem) Location() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return p.File
	}
}

// Error is returned by Parse and Load when the config has problems. It
// carries all of them, in file order, and the source lines so that a caller
// can show each problem in context.
type Error struct {
	Problems []Problem
	// Lines are the file's lines, for Snippet; nil when the file was not read.
	Lines []string
	// linesFile is the file Lines come from, when known: Snippet shows no
	// line for a problem of another file.
	linesFile string
}

// With returns e with more problems after its own, such as those of
// another file; only e's own problems get a snippet.
func (e *Error) With(more ...Problem) *Error {
	file := e.linesFile
	if file == "" && len(e.Problems) > 0 {
		file = e.Problems[0].File
	}
	ps := append(append([]Problem(nil), e.Problems...), more...)
	return &Error{Problems: ps, Lines: e.Lines, linesFile: file}
}

// Error joins the problems one per line.
func (e *Error) Error() string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return strings.Join(out, "\n")
}

// Snippet returns the source line of p with a caret under its column, or ""
// when the line is unknown.
func (e *Error) Snippet(p Problem) string {
	if p.Line < 1 || p.Line > len(e.Lines) || e.linesFile != "" && p.File != e.linesFile {
		return ""
	}
	line := strings.TrimRight(e.Lines[p.Line-1], "\r")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	gutter := fmt.Sprintf("%4d | ", p.Line)
	col := p.Col
	if col < 1 {
		col = 1
	}
	if col > len(line)+1 {
		col = len(line) + 1
	}
	// Keep tabs in the padding so the caret lines up with the source.
	pad := make([]byte, 0, col)
	for i := 0; i < col-1 && i < len(line); i++ {
		if line[i] == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	return gutter + line + "\n" + strings.Repeat(" ", len(gutter)) + string(pad) + "^"
}

// problems collects problems while a file is checked.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) add(line, col int, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) err(lines []string) error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &Error{Problems: ps.list, Lines: lines, linesFile: ps.file}
}
