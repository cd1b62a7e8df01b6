package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/kballard/go-shellquote"

	"github.com/cupaas/cupaas/internal/golden"
)

// copyCase copies testdata/<name> into a fresh temporary directory called
// <name>, outside any git repository, so the name is the directory's.
func copyCase(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkGolden compares got with testdata/<TestName>/<file>.golden.
func checkGolden(t *testing.T, file string, got []byte) { t.Helper(); golden.Check(t, file, got) }

func serviceNames(r *Result) []string {
	var out []string
	for _, s := range r.Services {
		out = append(out, s.Name)
	}
	return out
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name       string // directory under testdata
		language   string
		runtime    string
		argv       []string
		port       string
		health     string
		dockerfile string
		services   []string
		wantErr    string // substring of the error; the test case's file and position
	}{
		{name: "python-requirements", language: "python", runtime: "python:3.11",
			argv: []string{"python", "app.py"}, port: "5050", health: "/health", services: []string{"postgresql"}},
		{name: "python-pyproject", language: "python", runtime: "python:3.10",
			argv: []string{"python", "main.py"}, port: "7000", services: []string{"mongodb", "redis", "postgresql"}},
		{name: "python-procfile", language: "python", runtime: "python:3.11.4",
			argv: []string{"gunicorn", "app:app", "--bind", "0.0.0.0:8000", "--workers", "2"}, port: "8000", health: "/healthz",
			services: []string{"mysql"}},
		{name: "python-procfile-port-var", language: "python", runtime: "python:3.12",
			argv: []string{"gunicorn", "shop.wsgi:application", "--bind", "0.0.0.0:5000"}, port: "5000"},
		{name: "python-django", language: "python", runtime: "python:3.11",
			argv: []string{"python", "manage.py", "runserver", "0.0.0.0:8000"}, port: "8000", services: []string{"postgresql"}},
		{name: "python-pipfile", language: "python", runtime: "python:3.9", port: "5000", services: []string{"mongodb"}},
		{name: "python-setup-py", language: "python", runtime: "python:3.11",
			argv: []string{"python", "main.py"}, port: "5000", services: []string{"postgresql"}},
		{name: "python-no-entrypoint", language: "python", runtime: "python:3.11", port: "5000", services: []string{"redis", "mysql"}},
		{name: "node-start-script", language: "node", runtime: "node:20", port: "4000", health: "/health", services: []string{"redis"}},
		{name: "node-main", language: "node", runtime: "node:20", port: "8081", services: []string{"mongodb", "postgresql"}},
		{name: "node-engines", language: "node", runtime: "node:20.1.0", argv: []string{"node", "index.js"}, port: "3001",
			services: []string{"mysql"}},
		{name: "go-mod", language: "go", runtime: "go:1.22.3", port: "9090", health: "/health", services: []string{"postgresql", "redis"}},
		{name: "dockerfile-only", port: "8080", dockerfile: "Dockerfile"},
		{name: "empty"},
		{name: "multi-language", language: "python", runtime: "python:3.11", argv: []string{"python", "app.py"}, port: "5001",
			dockerfile: "Dockerfile"},
		{name: "with-node_modules", language: "node", runtime: "node:20", argv: []string{"node", "app.js"}, port: "3000"},
		{name: "bad-package-json", wantErr: "package.json:5:3: invalid JSON: invalid character '}'"},
		{name: "bad-package-json-type", wantErr: "package.json:4:13: engines: each value must be a string, found number"},
		{name: "bad-go-mod", wantErr: "go.mod:3: malformed go directive \"go one.two\""},
		{name: "unreadable-go-mod", wantErr: "go.mod is not a regular file (a directory)"},
		{name: "bad-procfile", wantErr: "Procfile:1: cannot split the web command into words: unterminated single-quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyCase(t, tt.name)
			r, err := Detect(dir)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Detect succeeded, want error containing %q; result %+v", tt.wantErr, r)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %q: want it to contain %q and the directory %s", err, tt.wantErr, dir)
				}
				checkGolden(t, tt.name, []byte("error: "+strings.ReplaceAll(err.Error(), dir, "$DIR")+"\n"))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Name.Value != tt.name || r.Name.Reason != "directory name" {
				t.Errorf("Name = %+v, want %s from the directory name", r.Name, tt.name)
			}
			if r.Language != tt.language {
				t.Errorf("Language = %q, want %q", r.Language, tt.language)
			}
			if r.Runtime.Value != tt.runtime {
				t.Errorf("Runtime = %q, want %q", r.Runtime.Value, tt.runtime)
			}
			if !reflect.DeepEqual(r.EntrypointArgv, tt.argv) {
				t.Errorf("EntrypointArgv = %q, want %q", r.EntrypointArgv, tt.argv)
			}
			if wantEP := strings.Join(tt.argv, " "); r.Entrypoint.Value != wantEP {
				t.Errorf("Entrypoint = %q, want %q", r.Entrypoint.Value, wantEP)
			}
			if r.Port.Value != tt.port {
				t.Errorf("Port = %q, want %q", r.Port.Value, tt.port)
			}
			if r.Healthcheck.Value != tt.health {
				t.Errorf("Healthcheck = %q, want %q", r.Healthcheck.Value, tt.health)
			}
			if r.Dockerfile.Value != tt.dockerfile {
				t.Errorf("Dockerfile = %q, want %q", r.Dockerfile.Value, tt.dockerfile)
			}
			if got := serviceNames(r); !reflect.DeepEqual(got, tt.services) {
				t.Errorf("Services = %q, want %q", got, tt.services)
			}
			// Every value has a reason.
			for field, f := range map[string]Finding{"Name": r.Name, "Runtime": r.Runtime, "Entrypoint": r.Entrypoint,
				"Port": r.Port, "Healthcheck": r.Healthcheck, "Dockerfile": r.Dockerfile} {
				if f.Value != "" && f.Reason == "" {
					t.Errorf("%s = %q has no reason", field, f.Value)
				}
			}
			// The whole result, reasons and notes included, is pinned by a
			// golden file.
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, out.Bytes())
		})
	}
}

func TestDetectBadDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir, want string
	}{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{file, file + " is not a directory"},
	}
	for _, tt := range tests {
		r, err := Detect(tt.dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Detect(%s) = %+v, %v; want error containing %q", tt.dir, r, err, tt.want)
		}
	}
}

// recordingFS records every name opened through it.
type recordingFS struct {
	fs.FS
	opened *[]string
}

func (r recordingFS) Open(name string) (fs.File, error) {
	*r.opened = append(*r.opened, name)
	return r.FS.Open(name)
}

// TestDetectSkipsDependencyDirs fills node_modules and friends with
// thousands of files, some of which would change the result if read, and
// checks that the result is unchanged and that nothing inside them is opened.
func TestDetectSkipsDependencyDirs(t *testing.T) {
	dir := copyCase(t, "with-node_modules")
	before, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}

	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	skipped := []string{"node_modules", ".venv", "venv", "vendor", ".git", "__pycache__"}
	for _, d := range skipped {
		// Decoys: each would change the language, entrypoint, port or
		// services if it were read.
		write(d+"/package.json", `{"main": "decoy.js", "engines": {"node": "16"}, "dependencies": {"mongoose": "1", "pg": "1"}}`)
		write(d+"/requirements.txt", "pymongo\n")
		write(d+"/app.py", `app.run(port=1234) # "/health"`)
		write(d+"/index.js", `require("http").createServer().listen(4321) // "/health"`)
		write(d+"/go.mod", "module decoy\n\ngo 1.19\n")
		write(d+"/Dockerfile", "EXPOSE 1\n")
		write(d+"/Procfile", "web: decoy\n")
	}
	for i := range 40 {
		for j := range 50 {
			write(fmt.Sprintf("node_modules/pkg%02d/lib/f%02d.js", i, j), "module.exports = 1\n")
		}
		write(fmt.Sprintf("node_modules/pkg%02d/package.json", i), `{"dependencies": {"redis": "4"}}`)
	}

	after, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("result changed by dependency directories:\nbefore %+v\nafter  %+v", before, after)
	}

	var opened []string
	if _, err := detectFS(recordingFS{FS: os.DirFS(dir), opened: &opened}, dir); err != nil {
		t.Fatal(err)
	}
	if len(opened) == 0 || len(opened) > 40 {
		t.Errorf("opened %d files, want a small bounded number: %q", len(opened), opened)
	}
	for _, name := range opened {
		for _, d := range skipped {
			if name == d || strings.HasPrefix(name, d+"/") {
				t.Errorf("opened %s inside %s", name, d)
			}
		}
	}
}

func TestDetectNameFromGitRemote(t *testing.T) {
	tests := []struct {
		name    string
		remotes map[string]string // remote name -> URL; nil: no repository
		want    string
		reason  string
	}{
		{name: "scp-like", remotes: map[string]string{"origin": "git@github.com:acme/My_Shop.git"}, want: "My_Shop", reason: "git remote origin (git@github.com:acme/My_Shop.git)"},
		{name: "https", remotes: map[string]string{"origin": "https://github.com/acme/orders"}, want: "orders", reason: "git remote origin (https://github.com/acme/orders)"},
		{name: "not origin", remotes: map[string]string{"upstream": "https://github.com/acme/orders.git"}, want: "api", reason: "directory name"},
		{name: "no remotes", remotes: map[string]string{}, want: "api", reason: "directory name"},
		{name: "no repository", want: "api", reason: "directory name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.remotes != nil {
				repo, err := git.PlainInit(root, false)
				if err != nil {
					t.Fatal(err)
				}
				for name, url := range tt.remotes {
					if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: name, URLs: []string{url}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The app lives in a subdirectory: the repository is found above it.
			dir := filepath.Join(root, "services", "api")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Name.Value != tt.want || r.Name.Reason != tt.reason {
				t.Errorf("Name = %+v, want {%s %s}", r.Name, tt.want, tt.reason)
			}
			if len(r.Notes) != 1 || !strings.HasPrefix(r.Notes[0], "no entrypoint found") {
				t.Errorf("Notes = %q, want only the missing entrypoint", r.Notes)
			}
		})
	}
}

func TestScanEntry(t *testing.T) {
	tests := []struct {
		name, src      string
		port, health   string
		portReasonPart string
	}{
		{"environ get", "port = int(os.environ.get('PORT', '8000'))\n", "8000", "", "app.py:1"},
		{"getenv", "\n\nPORT = os.getenv(\"PORT\", 9000)\n", "9000", "", "`PORT\", 9000` in app.py:3"},
		{"env default wins over assignment", "port=1111\np = os.environ.get(\"PORT\", 2222)\n", "2222", "", ""},
		{"js or", "const port = process.env.PORT || 3000;\n", "3000", "", ""},
		{"js nullish", "listen(process.env.PORT ?? '3002')\n", "3002", "", ""},
		{"listen", "app.listen(8081, () => {})\n", "8081", "", ""},
		{"go listen", "http.ListenAndServe(\"0.0.0.0:9091\", mux)\n", "9091", "", ""},
		{"go assignment", "if port == \"\" {\n\tport = \"8088\"\n}\n", "8088", "", "app.py:2"},
		{"flask run", "app.run(host=\"0.0.0.0\", port=5005)\n", "5005", "", ""},
		{"other ports ignored", "MONGO_PORT = 27017\ndb_port=5432\n", "", "", ""},
		{"out of range", "app.run(port=99999)\n", "", "", ""},
		{"not a literal", "app.listen(port)\n", "", "", ""},
		{"health single quotes", "@app.route('/health')\n", "", "/health", ""},
		{"healthz backquote", "router.get(`/healthz`, h)\n", "", "/healthz", ""},
		{"go pattern", "mux.HandleFunc(\"GET /healthcheck\", h)\n", "", "/healthcheck", ""},
		{"not a route", "# see /health docs\nx = \"/healthy\"\n", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := project{fsys: fstest.MapFS{"app.py": {Data: []byte(tt.src)}}, dir: "app"}
			port, health := scanEntry(p, "app.py")
			if port.Value != tt.port || health.Value != tt.health {
				t.Errorf("scanEntry = port %+v, health %+v; want %q, %q", port, health, tt.port, tt.health)
			}
			if !strings.Contains(port.Reason, tt.portReasonPart) {
				t.Errorf("port reason %q does not contain %q", port.Reason, tt.portReasonPart)
			}
			if port.Value != "" && port.Reason == "" || health.Value != "" && health.Reason == "" {
				t.Errorf("finding without a reason: %+v %+v", port, health)
			}
		})
	}
	// A missing entry file gives nothing and no error.
	if port, health := scanEntry(project{fsys: fstest.MapFS{}}, "app.py"); port != (Finding{}) || health != (Finding{}) {
		t.Errorf("scanEntry on a missing file = %+v, %+v", port, health)
	}
}

func TestPortFromArgv(t *testing.T) {
	tests := []struct {
		cmd  string
		want int
	}{
		{"gunicorn app:app --bind 0.0.0.0:8000", 8000},
		{"gunicorn app:app --bind=127.0.0.1:8001", 8001},
		{"gunicorn app:app -b :8002", 8002},
		{"gunicorn app:app -b0.0.0.0:8003", 8003},
		{"uvicorn main:app --host 0.0.0.0 --port 8004", 8004},
		{"uvicorn main:app --port=8005", 8005},
		{"flask run -p 8006", 8006},
		{"python manage.py runserver 0.0.0.0:8007", 8007},
		{"gunicorn app:app --bind 0.0.0.0:$PORT", 0},
		{"gunicorn app:app --bind", 0},
		{"node server.js", 0},
	}
	for _, tt := range tests {
		if got := portFromArgv(strings.Fields(tt.cmd)); got != tt.want {
			t.Errorf("portFromArgv(%q) = %d, want %d", tt.cmd, got, tt.want)
		}
	}
}

func TestProcfile(t *testing.T) {
	tests := []struct {
		name, procfile string
		argv           []string
		port           string
		note           string // substring of a note; "" for none
		wantErr        string
	}{
		{name: "web line", procfile: "web: gunicorn app:app -b 0.0.0.0:8000\n", argv: []string{"gunicorn", "app:app", "-b", "0.0.0.0:8000"}, port: "8000"},
		{name: "quoted words", procfile: "web: python -c 'print(1)' \"a b\"\n", argv: []string{"python", "-c", "print(1)", "a b"}, port: "5000"},
		{name: "port variable", procfile: "web: uvicorn main:app --port $PORT\n", argv: []string{"uvicorn", "main:app", "--port", "5000"}, port: "5000", note: "uses $PORT"},
		{name: "shell syntax", procfile: "web: cd src && gunicorn app:app\n", argv: []string{"cd", "src", "&&", "gunicorn", "app:app"}, port: "5000", note: "shell syntax (&&)"},
		{name: "no web", procfile: "worker: celery -A tasks worker\nclock: python clock.py\n", port: "5000", note: "no web: process (only worker, clock)"},
		{name: "not a process line", procfile: "\n# c\nweb gunicorn app:app\n", wantErr: "app/Procfile:3: expected `<process>: <command>`"},
		{name: "empty command", procfile: "web:   \n", wantErr: "app/Procfile:1: the web process has no command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"requirements.txt": {Data: []byte("flask\n")},
				"Procfile":         {Data: []byte(tt.procfile)},
			}
			r, err := detectFS(fsys, "app")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.EntrypointArgv, tt.argv) || r.Port.Value != tt.port {
				t.Errorf("argv %q port %q, want %q %q", r.EntrypointArgv, r.Port.Value, tt.argv, tt.port)
			}
			notes := strings.Join(r.Notes, "\n")
			if tt.note != "" && !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q do not contain %q", notes, tt.note)
			}
			if tt.argv != nil && !strings.HasPrefix(r.Entrypoint.Reason, "Procfile web: line") {
				t.Errorf("entrypoint reason = %q", r.Entrypoint.Reason)
			}
		})
	}
}

func TestPythonVersion(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		want   string
		reason string
	}{
		{"python-version file", map[string]string{".python-version": "# pyenv\n3.12.1\n", "runtime.txt": "python-3.9"}, "python:3.12.1", ".python-version"},
		{"runtime.txt", map[string]string{"runtime.txt": "python-3.11.4\n"}, "python:3.11.4", "runtime.txt"},
		{"requires-python", map[string]string{"pyproject.toml": "[project]\nrequires-python = \"~=3.9\"\n"}, "python:3.9", "requires-python in pyproject.toml"},
		{"poetry", map[string]string{"pyproject.toml": "[tool.poetry.dependencies]\npython = \"^3.10\"\n"}, "python:3.10", "tool.poetry.dependencies.python in pyproject.toml"},
		{"pipfile", map[string]string{"Pipfile": "[requires]\npython_full_version = '3.8.10'\n"}, "python:3.8.10", "python_version in Pipfile"},
		{"default", map[string]string{}, "python:3.11", "default for python"},
		{"no number", map[string]string{".python-version": "system\n"}, "python:3.11", "default for python"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"requirements.txt": {Data: []byte("flask\n")}}
			for name, content := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(content)}
			}
			r, err := detectFS(fsys, "app")
			if err != nil {
				t.Fatal(err)
			}
			if r.Runtime.Value != tt.want || r.Runtime.Reason != tt.reason {
				t.Errorf("Runtime = %+v, want {%s %s}", r.Runtime, tt.want, tt.reason)
			}
		})
	}
}

func TestNodeVersion(t *testing.T) {
	tests := []struct{ engines, want string }{
		{`">=18"`, "node:18"},
		{`"^20.1.0"`, "node:20.1.0"},
		{`"20.x"`, "node:20"},
		{`">=18 <21"`, "node:18"},
		{`"v22.3.0"`, "node:22.3.0"},
		{`"*"`, "node:20"},
	}
	for _, tt := range tests {
		pkg := `{"engines": {"node": ` + tt.engines + `}, "main": "index.js"}`
		r, err := detectFS(fstest.MapFS{"package.json": {Data: []byte(pkg)}}, "app")
		if err != nil {
			t.Fatal(err)
		}
		if r.Runtime.Value != tt.want {
			t.Errorf("engines.node %s: Runtime = %q, want %q", tt.engines, r.Runtime.Value, tt.want)
		}
	}
}

func TestPyprojectDeps(t *testing.T) {
	src := `[project]
name = "redis"  # the project's own name is not a dependency
dependencies = ["pymongo>=4", 'psycopg2-binary; sys_platform != "win32"']
keywords = ["mysqlclient"]

[project.optional-dependencies]
cache = [
  "Redis>=5",
]

[tool.poetry.dependencies]
python = "^3.11"
Motor = "^3.3"

[tool.poetry.group.dev.dependencies]
asyncpg = "*"

[tool.poetry.dev-dependencies]
pymysql = "*"
`
	got := pyprojectDeps([]byte(src))
	want := []string{"pymongo", "psycopg2-binary", "Redis", "Motor", "asyncpg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pyprojectDeps = %q, want %q", got, want)
	}
}

func TestParseGoMod(t *testing.T) {
	tests := []struct {
		name, src string
		goVer     string
		requires  []string
		wantErr   string
	}{
		{name: "full", src: "module m\n\ngo 1.22.3\ntoolchain go1.23.0\n\nrequire (\n\tgithub.com/lib/pq v1.10.9\n\t\"github.com/x/y\" v1.0.0 // indirect\n\tgithub.com/a/b v1.0.0 // indirect; for tests\n)\nrequire github.com/go-sql-driver/mysql v1.8.1\nreplace (\n\tgithub.com/c/d => ../d\n)\n",
			goVer: "1.22.3", requires: []string{"github.com/lib/pq", "github.com/go-sql-driver/mysql"}},
		{name: "rc", src: "module m\ngo 1.21rc2\n", goVer: "1.21rc2"},
		{name: "no go directive", src: "module m\n"},
		{name: "bad version", src: "module m\ngo 1.22 // latest\ngo v1.22\n", wantErr: "go.mod:3: malformed go directive \"go v1.22\""},
		{name: "unclosed block", src: "module m\n\nrequire (\n\tgithub.com/lib/pq v1\n", wantErr: "go.mod:3: block opened with ( is never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod, err := parseGoMod("go.mod", tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mod.goVersion != tt.goVer || !reflect.DeepEqual(mod.requires, tt.requires) {
				t.Errorf("parseGoMod = %+v, want go %q requires %q", mod, tt.goVer, tt.requires)
			}
		})
	}
}

func TestGoRuntimeDefault(t *testing.T) {
	r, err := detectFS(fstest.MapFS{"go.mod": {Data: []byte("module m\n")}}, "app")
	if err != nil {
		t.Fatal(err)
	}
	if r.Runtime.Value != "go:1.22" || r.Runtime.Reason != "default for go" || r.Port.Value != "8080" || r.EntrypointArgv != nil {
		t.Errorf("got %+v", r)
	}
}

func TestJSONErrorPosition(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"trailing comma", "{\n  \"a\": 1,\n}\n", "package.json:3:1: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"truncated", "{\n  \"name\": \"x\"", "package.json:2:14: invalid JSON: unexpected end of JSON input"},
		{"first byte", "x", "package.json:1:1: invalid JSON: invalid character 'x' looking for beginning of value"},
		{"array", "[1]\n", "package.json:1:1: expected a JSON object, found array"},
		{"dependencies type", "{\"dependencies\": [\"pg\"]}", "package.json:1:18: dependencies: expected an object, found array"},
		{"main type", "{\n\"main\": true}", "package.json:2:9: main: expected a string, found bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := detectFS(fstest.MapFS{"package.json": {Data: []byte(tt.src)}}, "")
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestManifestTooLarge(t *testing.T) {
	big := make([]byte, maxManifestSize+1)
	_, err := detectFS(fstest.MapFS{"requirements.txt": {Data: big}}, "app")
	if err == nil || err.Error() != "app/requirements.txt is 4.0 MiB (4194305 bytes), over the limit of 4 MiB for this file" {
		t.Errorf("err = %v", err)
	}
}

// FuzzDetect feeds arbitrary content to each manifest and the Procfile:
// detection must never panic, and what it returns must be consistent.
func FuzzDetect(f *testing.F) {
	f.Add(uint8(0), []byte("flask\npymongo\n"), []byte("web: gunicorn app:app -b 0.0.0.0:8000\n"), []byte(`app.run(port=5000) # "/health"`))
	f.Add(uint8(1), []byte("[project]\nrequires-python = \">=3.10\"\ndependencies = [\n \"redis\",\n]\n"), []byte(""), []byte(""))
	f.Add(uint8(2), []byte(`{"scripts": {"start": "node server.js"}, "engines": {"node": "20"}, "dependencies": {"pg": "1"}}`), []byte("web: node 'x\n"), []byte("listen(3000)"))
	f.Add(uint8(3), []byte("module m\ngo 1.22\nrequire (\n\tgithub.com/lib/pq v1\n)\n"), []byte(""), []byte(`":8080"`))
	f.Add(uint8(4), []byte("EXPOSE 80/tcp\n"), []byte("web: a $PORT && b"), []byte(""))
	files := []string{"requirements.txt", "pyproject.toml", "package.json", "go.mod", "Dockerfile", "Pipfile", "setup.py", ".python-version", "runtime.txt"}
	entries := []string{"app.py", "server.js", "main.go", "index.js", "main.py"}
	f.Fuzz(func(t *testing.T, which uint8, manifest, procfile, entry []byte) {
		name := files[int(which)%len(files)]
		fsys := fstest.MapFS{
			name:       {Data: manifest},
			"Procfile": {Data: procfile},
		}
		for _, e := range entries {
			fsys[e] = &fstest.MapFile{Data: entry}
		}
		r, err := detectFS(fsys, "app")
		if err != nil {
			if !strings.Contains(err.Error(), "app/") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if r.Language != "" && !strings.HasPrefix(r.Runtime.Value, r.Language+":") {
			t.Errorf("Runtime %q does not match Language %q", r.Runtime.Value, r.Language)
		}
		if r.Runtime.Value != "" {
			if _, v, _ := strings.Cut(r.Runtime.Value, ":"); versionNumber().FindString(v) != v {
				t.Errorf("Runtime version %q is not a plain version number", v)
			}
		}
		if r.Entrypoint.Value != shellquote.Join(r.EntrypointArgv...) {
			t.Errorf("Entrypoint %q and EntrypointArgv %q disagree", r.Entrypoint.Value, r.EntrypointArgv)
		}
		if words, err := shellquote.Split(r.Entrypoint.Value); err != nil || len(words) != len(r.EntrypointArgv) {
			t.Errorf("Entrypoint %q does not split back into %q: %v", r.Entrypoint.Value, r.EntrypointArgv, err)
		}
		if r.Port.Value != "" {
			if n, err := strconv.Atoi(r.Port.Value); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != r.Port.Value {
				t.Errorf("Port %q is not a port number", r.Port.Value)
			}
		}
	})
}
