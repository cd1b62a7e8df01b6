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
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var flaskRedis = map[string]string{
	"requirements.txt": "flask\nredis\n",
	"app.py":           "import os\napp.run(host='0.0.0.0', port=int(os.environ.get('PORT', 8000)))\n",
}

func runInit(t *testing.T, opts *Options) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	opts.IO = ios
	err := Run(opts)
	return out.String(), err
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestYesWritesDetectedValues(t *testing.T) {
	dir := project(t, flaskRedis)
	out, err := runInit(t, &Options{Dir: dir, Yes: true, Name: "counter"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# yaml-language-server: $schema=https://raw.githubusercontent.com/cupaas/cupaas/main/pkg/config/schema/cupaas.schema.json\n" +
		"# cupaas app config: see the .cupaas.yml reference in the cupaas README; check it with `cupaas validate`\n" +
		"name: counter\nruntime: python:3.11\nentrypoint: [python, app.py]\n" +
		"port: 8000 # the app gets it as $PORT and must listen on 0.0.0.0\nservices:\n  - redis: 7\n"
	if got := read(t, dir, ".cupaas.yml"); got != want {
		t.Fatalf(".cupaas.yml:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range []string{"Detected a python app:", "(found app.py)", "(redis in requirements.txt)", "✓ Wrote " + filepath.Join(dir, ".cupaas.yml"), "✓ Added .cupaas/ and .cupaas.env to .gitignore", "✓ Wrote .dockerignore"} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	if gi := read(t, dir, ".gitignore"); !strings.Contains(gi, ".cupaas/\n.cupaas.env\n") {
		t.Errorf(".gitignore: %q", gi)
	}
	di := read(t, dir, ".dockerignore")
	for _, e := range []string{".git\n", ".cupaas/\n", ".cupaas.env\n", ".cupaas.yml\n", "__pycache__/\n", ".venv/\n"} {
		if !strings.Contains(di, e) {
			t.Errorf(".dockerignore lacks %q", e)
		}
	}
}

func TestFlagsOverrideDetection(t *testing.T) {
	dir := project(t, flaskRedis)
	_, err := runInit(t, &Options{Dir: dir, Yes: true, Name: "My_Shop", Runtime: "python:3.12", Entrypoint: "gunicorn -b '0.0.0.0:9000' app:app", Port: 9000, Services: []string{"postgres", "redis:6.2"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "my-shop" || c.Runtime.String() != "python:3.12" || c.Port != 9000 ||
		!reflect.DeepEqual(c.Entrypoint, []string{"gunicorn", "-b", "0.0.0.0:9000", "app:app"}) {
		t.Fatalf("config %+v", c)
	}
	var svc []string
	for _, s := range c.Services {
		svc = append(svc, s.Name+":"+s.Version)
	}
	if !reflect.DeepEqual(svc, []string{"postgresql:15", "redis:6.2"}) {
		t.Fatalf("services %q", svc)
	}
}

func TestRefusesToOverwrite(t *testing.T) {
	dir := project(t, flaskRedis)
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte("runtime: go:1.22\n"), 0o644)
	_, err := runInit(t, &Options{Dir: dir, Yes: true})
	if err == nil || !strings.Contains(err.Error(), "already exists; pass --force to overwrite it") {
		t.Fatalf("err = %v", err)
	}
	if got := read(t, dir, ".cupaas.yml"); got != "runtime: go:1.22\n" {
		t.Fatalf("file changed: %q", got)
	}
	if _, err := runInit(t, &Options{Dir: dir, Yes: true, Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, ".cupaas.yml"); !strings.Contains(got, "runtime: python:3.11") {
		t.Fatalf("not overwritten: %q", got)
	}
}

func TestKeepsExistingIgnoreFiles(t *testing.T) {
	dir := project(t, flaskRedis)
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("venv\n.cupaas.env"), 0o644)
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("mine\n"), 0o644)
	out, err := runInit(t, &Options{Dir: dir, Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, ".gitignore"); got != "venv\n.cupaas.env\n# cupaas: local build files and secrets\n.cupaas/\n" {
		t.Fatalf(".gitignore: %q", got)
	}
	if got := read(t, dir, ".dockerignore"); got != "mine\n" {
		t.Fatalf(".dockerignore changed: %q", got)
	}
	if strings.Contains(out, "Wrote .dockerignore") {
		t.Fatalf("claims to write .dockerignore:\n%s", out)
	}
}

func TestNothingDetected(t *testing.T) {
	dir := project(t, map[string]string{"README.md": "hi"})
	_, err := runInit(t, &Options{Dir: dir, Yes: true})
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "pass --runtime, e.g. --runtime python:3.11") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cupaas.yml")); !os.IsNotExist(err) {
		t.Fatal("wrote a config anyway")
	}
}

func TestPythonWithoutEntrypoint(t *testing.T) {
	dir := project(t, map[string]string{"requirements.txt": "flask\n", "server_thing.py": ""})
	_, err := runInit(t, &Options{Dir: dir, Yes: true})
	if err == nil || !strings.Contains(err.Error(), "pass --entrypoint") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadFlagValueIsRefusedWithoutWriting(t *testing.T) {
	dir := project(t, flaskRedis)
	_, err := runInit(t, &Options{Dir: dir, Yes: true, Services: []string{"reddis"}})
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `--service reddis: unknown service; did you mean redis?`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cupaas.yml")); !os.IsNotExist(err) {
		t.Fatal("wrote an invalid config")
	}
}

func TestPromptChangesAnswers(t *testing.T) {
	dir := project(t, flaskRedis)
	ios, _, _, _ := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	asked := false
	opts := &Options{IO: ios, Dir: dir, Prompt: func(a *Answers) error {
		asked = true
		if a.Runtime != "python:3.11" || a.Port != "8000" {
			t.Errorf("prompted with %+v", a)
		}
		a.Port = "9000"
		a.Services = append(a.Services, "postgresql")
		return nil
	}}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	if !asked {
		t.Fatal("no prompt on a terminal")
	}
	c, err := config.Load(dir)
	if err != nil || c.Port != 9000 || len(c.Services) != 2 {
		t.Fatalf("config %+v, %v", c, err)
	}
	// --yes never asks.
	opts.Yes, opts.Force, asked = true, true, false
	if err := Run(opts); err != nil || asked {
		t.Fatalf("asked with --yes: %v", err)
	}
}

func TestJSON(t *testing.T) {
	dir := project(t, flaskRedis)
	out, err := runInit(t, &Options{Dir: dir, Yes: true, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if res.Language != "python" || !strings.Contains(res.Config, "runtime: python:3.11") || len(res.Detected) < 4 {
		t.Fatalf("result %+v", res)
	}
	for _, d := range res.Detected {
		if d.Reason == "" {
			t.Errorf("%s has no reason", d.Key)
		}
	}
}

// TestExamplesRecreated: in each example, with .cupaas.yml removed,
// `cupaas init --yes` writes an equivalent file (the name aside: detection
// takes the directory's).
func TestExamplesRecreated(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "..", "..", "examples", "*"))
	if err != nil || len(examples) < 4 {
		t.Fatalf("examples: %v %v", examples, err)
	}
	for _, ex := range examples {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			want, err := config.Load(ex)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copyDir(t, ex, dir)
			os.Remove(filepath.Join(dir, ".cupaas.yml"))
			if _, err := runInit(t, &Options{Dir: dir, Yes: true}); err != nil {
				t.Fatal(err)
			}
			got, err := config.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			type essence struct {
				Runtime, Healthcheck, Dockerfile string
				Entrypoint                       []string
				Port                             int
				Services                         []string
			}
			of := func(c *config.Config) essence {
				e := essence{Runtime: c.Runtime.String(), Healthcheck: c.Healthcheck, Dockerfile: c.Dockerfile, Entrypoint: c.Entrypoint, Port: c.Port}
				for _, s := range c.Services {
					e.Services = append(e.Services, s.Name+":"+s.Version)
				}
				return e
			}
			if !reflect.DeepEqual(of(got), of(want)) {
				t.Fatalf("init wrote\n%+v\nthe example has\n%+v", of(got), of(want))
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
