package init

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
)

const gitignoreHeader = "# cupaas: local build files and secrets\n"

// TestGitignore: init adds .cupaas/ and .cupaas.env to .gitignore, creating
// it, keeping what is there and never listing an entry twice.
func TestGitignore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing *string
		want     string
		added    string
	}{
		{
			name:  "created",
			want:  gitignoreHeader + ".cupaas/\n.cupaas.env\n",
			added: "✓ Added .cupaas/ and .cupaas.env to .gitignore\n",
		},
		{
			name:     "appended",
			existing: ptr("venv/\n*.pyc\n"),
			want:     "venv/\n*.pyc\n" + gitignoreHeader + ".cupaas/\n.cupaas.env\n",
			added:    "✓ Added .cupaas/ and .cupaas.env to .gitignore\n",
		},
		{
			name:     "appended without a final newline",
			existing: ptr("venv/"),
			want:     "venv/\n" + gitignoreHeader + ".cupaas/\n.cupaas.env\n",
			added:    "✓ Added .cupaas/ and .cupaas.env to .gitignore\n",
		},
		{
			name:     "one entry already there",
			existing: ptr("/.cupaas\nvenv/"),
			want:     "/.cupaas\nvenv/\n" + gitignoreHeader + ".cupaas.env\n",
			added:    "✓ Added .cupaas.env to .gitignore\n",
		},
		{
			name:     "both already there",
			existing: ptr(".cupaas.env\r\n.cupaas/\r\n"),
			want:     ".cupaas.env\r\n.cupaas/\r\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, flaskRedis)
			if tc.existing != nil {
				if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(*tc.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := runInit(t, &Options{Dir: dir, Yes: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, dir, ".gitignore"); got != tc.want {
				t.Errorf(".gitignore:\n%q\nwant\n%q", got, tc.want)
			}
			if tc.added != "" && !strings.Contains(out, tc.added) {
				t.Errorf("output lacks %q:\n%s", tc.added, out)
			}
			if tc.added == "" && strings.Contains(out, "to .gitignore") {
				t.Errorf("claims to change .gitignore:\n%s", out)
			}
			// A second run (with --force) adds nothing more.
			if _, err := runInit(t, &Options{Dir: dir, Yes: true, Force: true}); err != nil {
				t.Fatal(err)
			}
			if got := read(t, dir, ".gitignore"); got != tc.want {
				t.Errorf(".gitignore after a second run:\n%q", got)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestDockerignore: the written file, per language, byte for byte; an
// existing one is never touched, even with --force.
func TestDockerignore(t *testing.T) {
	common := "# Written by cupaas init. Files listed here never reach the image.\n" +
		".git\n.cupaas/\n.cupaas.env\n.cupaas.yml\n.cupaas.yaml\n.env\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name:  "python",
			files: flaskRedis,
			want:  common + "# python\n__pycache__/\n*.pyc\n*.pyo\n.venv/\nvenv/\n.pytest_cache/\n.mypy_cache/\n.tox/\n",
		},
		{
			name:  "go",
			files: map[string]string{"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n"},
			want:  common + "# go\n*.test\n*.out\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, tc.files)
			if _, err := runInit(t, &Options{Dir: dir, Yes: true, Port: 8080}); err != nil {
				t.Fatal(err)
			}
			if got := read(t, dir, ".dockerignore"); got != tc.want {
				t.Fatalf(".dockerignore:\n%q\nwant\n%q", got, tc.want)
			}
			mine := "node_modules\n"
			if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(mine), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runInit(t, &Options{Dir: dir, Yes: true, Force: true, Port: 8080})
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, dir, ".dockerignore"); got != mine {
				t.Fatalf("an existing .dockerignore was changed: %q", got)
			}
			if strings.Contains(out, ".dockerignore") {
				t.Fatalf("mentions .dockerignore:\n%s", out)
			}
		})
	}
}

// TestFlagReplacesDetectedValue: a flag's value takes the place of the
// detected one in the list, which never shows a key twice (or services that
// are not written).
func TestFlagReplacesDetectedValue(t *testing.T) {
	dir := project(t, flaskRedis)
	out, err := runInit(t, &Options{Dir: dir, Yes: true, JSON: true, Port: 9000, Name: "shop", Services: []string{"postgresql", "redis:6.2"}})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	var got []string
	for _, d := range res.Detected {
		got = append(got, d.Key+"="+d.Value+" ("+d.Reason+")")
	}
	want := []string{
		"name=shop (--name flag)",
		"runtime=python:3.11 (default for python)",
		"entrypoint=python app.py (found app.py)",
		"port=9000 (--port flag)",
		"service=postgresql (--service flag)",
		"service=redis:6.2 (--service flag)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("detected:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The text form too.
	dir = project(t, flaskRedis)
	text, err := runInit(t, &Options{Dir: dir, Yes: true, Port: 9000})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(text, "  port ") != 1 || !strings.Contains(text, "(--port flag)") || strings.Contains(text, "8000") {
		t.Fatalf("output:\n%s", text)
	}
}

// TestRuntimeFlagDropsDetectedDockerfile: with --runtime a project's own
// Dockerfile is not used, so it is not listed either.
func TestRuntimeFlagDropsDetectedDockerfile(t *testing.T) {
	dir := project(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	out, err := runInit(t, &Options{Dir: dir, Yes: true, JSON: true, Runtime: "go:1.22", Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	for _, d := range res.Detected {
		if d.Key == "dockerfile" {
			t.Errorf("lists %+v although the config has no dockerfile:\n%s", d, res.Config)
		}
	}
	if strings.Contains(res.Config, "dockerfile") || !strings.Contains(res.Config, "runtime: go:1.22") {
		t.Fatalf("config:\n%s", res.Config)
	}
}

// TestMissingValuesAreFlagErrors: each value init cannot detect is a usage
// error (exit 2) that names the flag to pass, and nothing is written.
func TestMissingValuesAreFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		opts  Options
		want  string
	}{
		{"nothing detected", map[string]string{"README.md": "hi"}, Options{}, "pass --runtime"},
		{"python without entrypoint", map[string]string{"requirements.txt": "flask\n"}, Options{}, `pass --entrypoint, e.g. --entrypoint "python app.py"`},
		{"runtime flag without entrypoint", map[string]string{"README.md": "hi"}, Options{Runtime: "python:3.12"}, "pass --entrypoint"},
		{"bad runtime flag", flaskRedis, Options{Runtime: "pyhton"}, "--runtime: "},
		{"only a Dockerfile", map[string]string{"Dockerfile": "FROM scratch\n"}, Options{}, "pass --port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, tc.files)
			opts := tc.opts
			opts.Dir, opts.Yes = dir, true
			_, err := runInit(t, &opts)
			var fe *cmdutil.FlagError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a *cmdutil.FlagError containing %q", err, tc.want)
			}
			for _, f := range []string{".cupaas.yml", ".gitignore", ".dockerignore"} {
				if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
					t.Errorf("wrote %s", f)
				}
			}
		})
	}
}
