package open

import (
	"os"
	"runtime"
	"strings"

	"github.com/kballard/go-shellquote"

	"github.com/cupaas/cupaas/pkg/run"
)

// Opener is a program that opens a URL in the user's browser: Argv, then
// the URL as the last argument.
type Opener struct {
	Argv []string
}

// Openers are the programs tried, in order, on goos: $BROWSER when set
// (split like a command line, never run through a shell), then the
// platform's opener: open on macOS, rundll32's URL handler on Windows,
// wslview inside WSL, else xdg-open.
func Openers(goos string, getenv func(string) string, wsl bool) []Opener {
	var out []Opener
	if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
		if argv, err := shellquote.Split(b); err == nil && len(argv) > 0 {
			out = append(out, Opener{Argv: argv})
		}
	}
	switch goos {
	case "darwin":
		out = append(out, Opener{Argv: []string{"open"}})
	case "windows":
		out = append(out, Opener{Argv: []string{"rundll32", "url.dll,FileProtocolHandler"}})
	default:
		if wsl {
			out = append(out, Opener{Argv: []string{"wslview"}})
		}
		out = append(out, Opener{Argv: []string{"xdg-open"}})
	}
	return out
}

// Find returns the first opener on PATH (false when none is).
func Find(r run.Runner, openers []Opener) (Opener, bool) {
	for _, o := range openers {
		if _, err := r.LookPath(o.Argv[0]); err == nil {
			return o, true
		}
	}
	return Opener{}, false
}

// inWSL reports whether cupaas runs inside the Windows Subsystem for Linux.
func inWSL(getenv func(string) string) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	if getenv("WSL_DISTRO_NAME") != "" {
		return true
	}
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	return err == nil && strings.Contains(strings.ToLower(string(data)), "microsoft")
}
