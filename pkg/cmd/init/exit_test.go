package init_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cli"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// TestExitCodes runs `cupaas init` through the real root command: an
// existing config is a failure (1), a project init cannot make sense of is a
// usage error (2), and each is printed once on stderr.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stderr string
	}{
		{
			name:  "written",
			files: map[string]string{"requirements.txt": "flask\n", "app.py": "print(1)\n"},
			args:  []string{"init", "--yes"},
		},
		{
			name:   "exists",
			files:  map[string]string{"requirements.txt": "flask\n", "app.py": "", ".cupaas.yml": "runtime: go:1.22\n"},
			args:   []string{"init", "--yes"},
			code:   1,
			stderr: "Error: .cupaas.yml already exists; pass --force to overwrite it\n",
		},
		{
			name:   "nothing detected",
			args:   []string{"init", "--yes"},
			code:   2,
			stderr: "Error: could not detect the project's language (no requirements.txt, pyproject.toml, package.json, go.mod or Dockerfile); pass --runtime, e.g. --runtime python:3.11\n",
		},
		{
			name:   "bad port",
			files:  map[string]string{"requirements.txt": "flask\n", "app.py": ""},
			args:   []string{"init", "--yes", "--port", "70000"},
			code:   2,
			stderr: "Error: --port must be from 1 to 65535, got 70000\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			ios, _, out, errOut := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
			if code := cli.Execute(context.Background(), f, tc.args); code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if errOut.String() != tc.stderr {
				t.Fatalf("stderr:\n%q\nwant\n%q", errOut, tc.stderr)
			}
			if tc.code == 0 && !strings.Contains(out.String(), "✓ Wrote .cupaas.yml\n") {
				t.Fatalf("stdout:\n%s", out)
			}
			if tc.code != 0 && out.Len() != 0 {
				t.Fatalf("stdout on failure: %q", out)
			}
		})
	}
}
