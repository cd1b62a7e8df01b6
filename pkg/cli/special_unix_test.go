//go:build unix

package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
	"github.com/cupaas/cupaas/pkg/settings"
)

const pythonApp = "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\n"

// TestNamedPipesThroughCommands: every file a command reads from the app's
// tree, its state or the user's settings may be a named pipe, which a plain
// open waits on forever, deaf to Ctrl-C (cupaas catches SIGINT and SIGTERM
// to stop cleanly, and a blocked open never sees the cancellation). Each
// command refuses it by name at once, and runs no tool. A command that
// blocks fails the test after 10 s instead of hanging the suite.
func TestNamedPipesThroughCommands(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bare  bool              // no .cupaas.yml nor app.py
		files map[string]string // regular files of the app
		fifo  string            // made a named pipe, relative to the app
		env   map[string]string // the environment, for the settings
		args  []string
		code  int
		want  string // in stderr; %s is the named pipe's path
	}{
		{name: "env list", fifo: ".cupaas.env", args: []string{"env", "list"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe); it must be a dotenv file"},
		{name: "env get", fifo: ".cupaas.env", args: []string{"env", "get", "A"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe)"},
		{name: "env set", fifo: ".cupaas.env", args: []string{"env", "set", "A=1"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe)"},
		{name: "render env", fifo: ".cupaas.env", args: []string{"render"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe)"},
		{name: "validate env", fifo: ".cupaas.env", args: []string{"validate"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe)"},
		{name: "deploy env", fifo: ".cupaas.env", args: []string{"deploy", "--dry-run"}, code: 2,
			want: ".cupaas.env: is not a regular file (a named pipe)"},
		{name: "validate yml", fifo: ".cupaas.yml", files: map[string]string{".cupaas.yml": ""}, args: []string{"validate"}, code: 2,
			want: ".cupaas.yml: is not a regular file (a named pipe); it must be a file of YAML"},
		{name: "render yml", fifo: ".cupaas.yml", files: map[string]string{".cupaas.yml": ""}, args: []string{"render"}, code: 2,
			want: ".cupaas.yml: is not a regular file (a named pipe)"},
		{name: "deploy yml", fifo: ".cupaas.yml", files: map[string]string{".cupaas.yml": ""}, args: []string{"deploy", "--dry-run"}, code: 2,
			want: ".cupaas.yml: is not a regular file (a named pipe)"},
		{name: "env list yml", fifo: ".cupaas.yml", files: map[string]string{".cupaas.yml": ""}, args: []string{"env", "list"}, code: 2,
			want: ".cupaas.yml: is not a regular file (a named pipe)"},
		{name: "validate package.json", files: map[string]string{".cupaas.yml": "name: app\nruntime: node:20\n"}, fifo: "package.json",
			args: []string{"validate"}, code: 2, want: ".cupaas.yml:2:1: package.json is not a regular file (a named pipe)"},
		{name: "validate Dockerfile", files: map[string]string{".cupaas.yml": "name: app\nport: 80\ndockerfile: Dockerfile\n"}, fifo: "Dockerfile",
			args: []string{"validate"}, code: 2, want: ".cupaas.yml:3:1: dockerfile Dockerfile is not a regular file (a named pipe)"},
		{name: "init package.json", bare: true, fifo: "package.json", args: []string{"init", "--yes"}, code: 1,
			want: "Error: package.json is not a regular file (a named pipe)"},
		{name: "init requirements.txt", bare: true, fifo: "requirements.txt", args: []string{"init", "--yes"}, code: 1,
			want: "Error: requirements.txt is not a regular file (a named pipe)"},
		{name: "init pyproject.toml", bare: true, fifo: "pyproject.toml", args: []string{"init", "--yes"}, code: 1,
			want: "Error: pyproject.toml is not a regular file (a named pipe)"},
		{name: "init go.mod", bare: true, fifo: "go.mod", args: []string{"init", "--yes"}, code: 1,
			want: "Error: go.mod is not a regular file (a named pipe)"},
		{name: "init Procfile", bare: true, files: map[string]string{"requirements.txt": "flask\n"}, fifo: "Procfile", args: []string{"init", "--yes"}, code: 1,
			want: "Error: Procfile is not a regular file (a named pipe)"},
		{name: "init .gitignore", bare: true, files: map[string]string{"requirements.txt": "flask\n", "app.py": ""}, fifo: ".gitignore", args: []string{"init", "--yes"}, code: 1,
			want: "Error: .gitignore is not a regular file (a named pipe)"},
		{name: "env set .gitignore", fifo: ".gitignore", args: []string{"env", "set", "A=1"}, code: 0,
			want: "could not update .gitignore: .gitignore is not a regular file (a named pipe)"},
		{name: "env set @file", fifo: "value", args: []string{"env", "set", "A=@value"}, code: 2,
			want: "Error: argument 1 (A): the value starts with @, which reads a file; that file is not a regular file (a named pipe) (its name is not shown, since it may be the value itself)"},
		{name: "env import", fifo: "prod.env", args: []string{"env", "import", "prod.env"}, code: 2,
			want: "Error: prod.env is not a regular file (a named pipe); to import the output of a command, pipe it to `cupaas env import -`; nothing was stored"},
		{name: "render credentials", files: map[string]string{".cupaas.yml": pythonApp + "services: [redis]\n", ".cupaas/x": ""}, fifo: ".cupaas/credentials.json",
			args: []string{"render"}, code: 1, want: "Error: cannot read the service credentials: .cupaas/credentials.json is not a regular file (a named pipe)"},
		// The state only tells whether the deploy replaces pods: a warning.
		{name: "deploy state", files: map[string]string{".cupaas/x": ""}, fifo: ".cupaas/state.json", args: []string{"deploy", "--dry-run"}, code: 0,
			want: "! .cupaas/state.json is not a regular file (a named pipe)"},
		{name: "deploy lock", files: map[string]string{".cupaas/x": ""}, fifo: ".cupaas/lock", args: []string{"deploy", "--dry-run"}, code: 1,
			want: "cannot lock the app: .cupaas/lock is not a regular file (a named pipe); delete it"},
		{name: "env set lock", files: map[string]string{".cupaas/x": ""}, fifo: ".cupaas/lock", args: []string{"env", "set", "A=1"}, code: 1,
			want: "cannot lock the app: .cupaas/lock is not a regular file (a named pipe); delete it"},
		{name: "deploy settings", fifo: "settings.yaml", env: map[string]string{"CUPAAS_CONFIG": "settings.yaml"}, args: []string{"deploy", "--dry-run"}, code: 2,
			want: "Error: cannot read the cupaas settings file: settings.yaml is not a regular file (a named pipe); fix it, or point CUPAAS_CONFIG at another file"},
		{name: "render .dockerignore", fifo: ".dockerignore", args: []string{"render"}, code: 1,
			want: ".dockerignore is not a regular file (a named pipe)"},
		{name: "deploy .dockerignore", fifo: ".dockerignore", args: []string{"deploy", "--dry-run"}, code: 1,
			want: ".dockerignore is not a regular file (a named pipe)"},
		{name: "render .git/HEAD", files: map[string]string{".git/config": "[core]\n"}, fifo: ".git/HEAD", args: []string{"render"}, code: 1,
			want: string(filepath.Separator) + filepath.Join(".git", "HEAD") + " is not a regular file (a named pipe)"},
		{name: "deploy .git branch", files: map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/config": "[core]\n", ".git/refs/heads/x": ""}, fifo: ".git/refs/heads/main",
			args: []string{"deploy", "--dry-run"}, code: 1, want: "is not a regular file (a named pipe)"},
		{name: "version settings", fifo: "settings.yaml", env: map[string]string{"CUPAAS_CONFIG": "settings.yaml"}, args: []string{"version"}, code: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{".cupaas.yml": pythonApp, "app.py": "print(1)\n"}
			if tc.bare {
				files = map[string]string{}
			}
			for name, content := range tc.files {
				files[name] = content
			}
			for name, content := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if name != tc.fifo {
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			specialfile.Fifo(t, filepath.Join(dir, filepath.FromSlash(tc.fifo)))
			t.Chdir(dir)
			getenv := func(k string) string {
				if k == "XDG_CONFIG_HOME" {
					return filepath.Join(dir, "no-settings")
				}
				return tc.env[k]
			}
			ios, _, _, errOut := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Runner: runtest.New(t), LoadSettings: settings.Lazy(getenv), Getenv: getenv}
			code := specialfile.Within(t, strings.Join(tc.args, " "), func() int {
				return Execute(context.Background(), f, tc.args)
			})
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr:\n%s\nwant %q", errOut, tc.want)
			}
			if _, err := os.Stat(".cupaas.yml"); tc.bare && tc.code != 0 && err == nil {
				t.Errorf("init wrote .cupaas.yml")
			}
			if tc.code != 0 && regexp.MustCompile(`(?m)^(✓ )?(Wrote|Stored|Store)`).MatchString(errOut.String()) {
				t.Errorf("something was written:\n%s", errOut)
			}
		})
	}
}
