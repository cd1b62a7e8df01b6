package iostreams

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are every style cupaas uses, declared in this one place. With
// colour off each renders its text unchanged: no escape sequence at all.
type Styles struct {
	Success lipgloss.Style
	Failure lipgloss.Style
	Warning lipgloss.Style
	Bold    lipgloss.Style
	Muted   lipgloss.Style
	Code    lipgloss.Style
	Header  lipgloss.Style
}

func newStyles(w io.Writer, color bool) Styles {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	// Tabs stay tabs (lipgloss would expand them). Render one line at a
	// time: lipgloss pads the lines of a multi-line text to one width.
	base := r.NewStyle().TabWidth(lipgloss.NoTabConversion)
	return Styles{
		Success: base.Foreground(lipgloss.Color("2")),
		Failure: base.Foreground(lipgloss.Color("1")),
		Warning: base.Foreground(lipgloss.Color("3")),
		Bold:    base.Bold(true),
		Muted:   base.Faint(true),
		Code:    base.Foreground(lipgloss.Color("6")),
		Header:  base.Bold(true).Underline(true),
	}
}

// SuccessIcon is a green check mark.
func (s Styles) SuccessIcon() string { return s.Success.Render("✓") }

// FailureIcon is a red cross.
func (s Styles) FailureIcon() string { return s.Failure.Render("✗") }

// WarningIcon is a yellow exclamation mark.
func (s Styles) WarningIcon() string { return s.Warning.Render("!") }

// sourceColors are the colours of log sources (cupaas logs' pod names):
// the ANSI colours that read well on light and dark terminals, red left
// out (it reads as an error).
var sourceColors = []string{"6", "3", "5", "2", "4", "14", "11", "13", "10", "12"}

// Source is the style of log source number i (any i >= 0; the colours
// repeat). With colour off it renders its text unchanged.
func (s Styles) Source(i int) lipgloss.Style {
	return s.Code.Foreground(lipgloss.Color(sourceColors[i%len(sourceColors)]))
}
