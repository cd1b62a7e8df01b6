package validate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

const validConfig = `name: tasks
runtime: python:3.8.6
entrypoint: [python, app.py]
services:
  - mongodb: 6.0.2
  - redis
`

const invalidConfig = `runtime: pyhton:3.11
port: 70000
services:
  - redis
  - redis
`

// appDir writes files into a temporary directory and makes it the working
// directory, so that paths in the output are the stable ".cupaas.yml".
func appDir(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

func TestRunText(t *testing.T) {
	appDir(t, map[string]string{".cupaas.yml": validConfig})
	ios, _, out, errOut := iostreams.Test()
	if err := Run(&Options{IO: ios, Dir: "."}); err != nil {
		t.Fatal(err)
	}
	want := "✓ .cupaas.yml is valid\ntasks · python:3.8.6 · port 5000 · 1 replica · services mongodb:6.0.2, redis:7\n"
	if out.String() != want {
		t.Fatalf("stdout:\n%q\nwant\n%q", out.String(), want)
	}
	if errOut.Len() != 0 {
		t.Fatalf("stderr = %q", errOut)
	}
}

func TestRunTextInvalid(t *testing.T) {
	appDir(t, map[string]string{".cupaas.yml": invalidConfig})
	ios, _, out, errOut := iostreams.Test()
	err := Run(&Options{IO: ios, Dir: "."})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("err = %T %v, want *config.Error", err, err)
	}
	var got []string
	for _, p := range cfgErr.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`.cupaas.yml:1:10: unsupported runtime language "pyhton"; did you mean python? (supported: go, node, python)`,
		`.cupaas.yml:2:7: port must be from 1 to 65535, got 70000`,
		`.cupaas.yml:5:5: duplicate service redis (first at line 4); list each service once`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The caller prints the error once; Run prints nothing itself.
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
}

func TestRunJSON(t *testing.T) {
	for _, tc := range []struct {
		name     string
		config   string
		valid    bool
		problems []config.Problem
		summary  string
	}{
		{
			name:    "valid",
			config:  validConfig,
			valid:   true,
			summary: "tasks · python:3.8.6 · port 5000 · 1 replica · services mongodb:6.0.2, redis:7",
		},
		{
			name:   "invalid",
			config: invalidConfig,
			problems: []config.Problem{
				{File: ".cupaas.yml", Line: 1, Col: 10, Msg: `unsupported runtime language "pyhton"; did you mean python? (supported: go, node, python)`},
				{File: ".cupaas.yml", Line: 2, Col: 7, Msg: "port must be from 1 to 65535, got 70000"},
				{File: ".cupaas.yml", Line: 5, Col: 5, Msg: "duplicate service redis (first at line 4); list each service once"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			appDir(t, map[string]string{".cupaas.yml": tc.config})
			ios, _, out, errOut := iostreams.Test()
			err := Run(&Options{IO: ios, Dir: ".", JSON: true})
			if tc.valid {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				var reported *cmdutil.ReportedError
				if !errors.As(err, &reported) || cmdutil.ExitCode(err, false) != 2 {
					t.Fatalf("err = %#v, want a *cmdutil.ReportedError (reported in the JSON) with exit code 2", err)
				}
			}
			if errOut.Len() != 0 {
				t.Fatalf("stderr = %q", errOut)
			}
			// Problems is always a list, never null, so that scripts can
			// iterate over it.
			if !strings.Contains(out.String(), `"problems": [`) {
				t.Fatalf("no problems list in %s", out)
			}
			var res Result
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			if res.Valid != tc.valid {
				t.Errorf("valid = %v", res.Valid)
			}
			if len(res.Problems) != len(tc.problems) || len(tc.problems) > 0 && !reflect.DeepEqual(res.Problems, tc.problems) {
				t.Errorf("problems:\n%+v\nwant\n%+v", res.Problems, tc.problems)
			}
			if tc.valid {
				if res.Config == nil || res.Config.Summary() != tc.summary {
					t.Errorf("config = %+v", res.Config)
				}
			} else if res.Config != nil || strings.Contains(out.String(), `"config"`) {
				t.Errorf("an invalid config is reported as %s", out)
			}
		})
	}
}

func TestRunNoConfig(t *testing.T) {
	for _, jsonMode := range []bool{false, true} {
		appDir(t, nil)
		ios, _, out, _ := iostreams.Test()
		err := Run(&Options{IO: ios, Dir: ".", JSON: jsonMode})
		var nf *config.NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "run `cupaas init`") {
			t.Errorf("json=%v: err = %v", jsonMode, err)
		}
		if out.Len() != 0 {
			t.Errorf("json=%v: stdout = %q", jsonMode, out)
		}
	}
}

func TestNewCmdValidateFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	for _, tc := range []struct {
		args    []string
		json    bool
		wantErr string
	}{
		{args: nil},
		{args: []string{"--json"}, json: true},
		{args: []string{"extra"}, wantErr: "takes no arguments"},
	} {
		var got *Options
		cmd := NewCmdValidate(&cmdutil.Factory{IOStreams: ios}, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(ios.ErrOut)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
				t.Errorf("%q: err = %v", tc.args, err)
			}
			continue
		}
		if err != nil || got == nil || got.JSON != tc.json || got.Dir != "." || got.IO != ios {
			t.Errorf("%q: opts %+v, err %v", tc.args, got, err)
		}
	}
}

// TestRunBadDockerignore: every render and deploy reads .dockerignore, so
// validate reports a bad line of it too: one problem naming the file and
// the line, exit 2.
func TestRunBadDockerignore(t *testing.T) {
	appDir(t, map[string]string{".cupaas.yml": validConfig, ".dockerignore": "node_modules\n\xff\xfe bad\n"})
	ios, _, out, errOut := iostreams.Test()
	err := Run(&Options{IO: ios, Dir: "."})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 1 ||
		cfgErr.Problems[0].String() != `.dockerignore:2: invalid pattern "\xff\xfe bad": not valid UTF-8 text (save the file as UTF-8); fix or remove the line` {
		t.Fatalf("err = %#v, want one problem at .dockerignore:2", err)
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}

	ios, _, out, _ = iostreams.Test()
	err = Run(&Options{IO: ios, Dir: ".", JSON: true})
	if cmdutil.ExitCode(err, false) != 2 {
		t.Fatalf("--json: err = %#v, want exit code 2", err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if res.Valid || len(res.Problems) != 1 || res.Problems[0].File != ".dockerignore" || res.Problems[0].Line != 2 {
		t.Errorf("--json: %+v", res)
	}
}
