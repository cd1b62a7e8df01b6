package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

func TestPrintErrorExitCodes(t *testing.T) {
	_, cfgErr := config.Parse(".cupaas.yml", []byte("port: x\n"))
	for _, tc := range []struct {
		name        string
		err         error
		interrupted bool
		code        int
		stderr      string
	}{
		{"nil", nil, false, 0, ""},
		{"failure", errors.New("boom"), false, 1, "Error: boom\n"},
		{"usage", cmdutil.FlagErrorf("bad flag"), false, 2, "Error: bad flag\n"},
		{"config", cfgErr, false, 2, ".cupaas.yml:1:7: port must be a whole number"},
		{"not found", &config.NotFoundError{Dir: "."}, false, 2, "Error: no .cupaas.yml in the current directory"},
		{"interrupted", fmt.Errorf("x: %w", context.Canceled), false, 130, "Error: interrupted\n"},
		{"interrupted by signal", errors.New("killed"), true, 130, "Error: interrupted\n"},
		{"reported in --json", &cmdutil.ReportedError{Err: cfgErr}, false, 2, ""},
		{"reported failure", &cmdutil.ReportedError{Err: errors.New("boom")}, false, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			if code := PrintError(ios, tc.err, tc.interrupted); code != tc.code {
				t.Errorf("code = %d, want %d", code, tc.code)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q: errors go to stderr", out)
			}
			if tc.stderr == "" && errOut.Len() != 0 || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr = %q, want %q", errOut, tc.stderr)
			}
			if strings.Contains(errOut.String(), "\x1b") {
				t.Errorf("colour on a non-terminal: %q", errOut)
			}
		})
	}
}

func TestConfigErrorSnippetOnTerminal(t *testing.T) {
	_, err := config.Parse(".cupaas.yml", []byte("runtime: go:1.22\nport: 70000\n"))
	ios, _, _, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	PrintError(ios, err, false)
	want := "   2 | port: 70000\x1b[0m\n\x1b[2m             ^\x1b[0m\n"
	if !strings.Contains(errOut.String(), want) {
		t.Fatalf("stderr:\n%s\nwant the snippet\n%s", errOut, want)
	}
}
