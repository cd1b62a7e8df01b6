package render

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDockerfile(t *testing.T) {
	tests := []struct {
		name   string
		config string
		files  ProjectFiles
		want   []string // lines that must be present, in this order
	}{
		{
			name:   "python-requirements",
			config: "name: tasks\nruntime: python:3.11\nentrypoint: [python, app.py]\n",
			files:  ProjectFiles{HasRequirements: true, HasPyproject: true},
			want:   []string{"FROM python:3.11-slim", "COPY requirements.txt ./", "RUN pip install -r requirements.txt", "COPY . .", "USER 10001:10001", "EXPOSE 5000", `ENTRYPOINT ["python", "app.py"]`},
		},
		{
			name:   "python-pyproject",
			config: "name: tasks\nruntime: python:3.12\nentrypoint: [gunicorn, -b, 0.0.0.0:8000, app:app]\nport: 8000\n",
			files:  ProjectFiles{HasPyproject: true},
			want:   []string{"FROM python:3.12-slim", "COPY . .", "RUN pip install .", "USER 10001:10001", "EXPOSE 8000", `ENTRYPOINT ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]`},
		},
		{
			name:   "python-bare",
			config: "name: tasks\nruntime: python:3.11\nentrypoint: python app.py\n",
			want:   []string{"FROM python:3.11-slim", "COPY . .", "USER 10001:10001"},
		},
		{
			name:   "node-lock",
			config: "name: web\nruntime: node:20\nentrypoint: [node, server.js]\n",
			files:  ProjectFiles{HasPackageJSON: true, HasPackageLock: true},
			want:   []string{"FROM node:20-slim", "COPY package.json package-lock.json ./", "RUN npm ci --omit=dev", "COPY . .", "USER 1000:1000", "EXPOSE 3000", `ENTRYPOINT ["node", "server.js"]`},
		},
		{
			name:   "node-nolock",
			config: "name: web\nruntime: node:22.1\n",
			files:  ProjectFiles{HasPackageJSON: true},
			want:   []string{"FROM node:22.1-slim", "COPY package.json ./", "RUN npm install --omit=dev", "COPY . .", "USER 1000:1000", `ENTRYPOINT ["npm", "start"]`},
		},
		{
			name:   "go",
			config: "name: api\nruntime: go:1.22\n",
			files:  ProjectFiles{HasGoMod: true},
			want: []string{"FROM golang:1.22 AS build", "WORKDIR /src", "COPY go.mod go.sum* ./", "RUN go mod download", "COPY . .",
				`RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app .`, "FROM gcr.io/distroless/static-debian12:nonroot",
				"COPY --from=build /out/app /app", "USER 65532:65532", "EXPOSE 8080", `ENTRYPOINT ["/app"]`},
		},
		{
			name:   "go-entrypoint",
			config: "name: api\nruntime: go:1.23.1\nentrypoint: [/app, --listen, \"0.0.0.0:9000\"]\nport: 9000\n",
			files:  ProjectFiles{HasGoMod: true},
			want:   []string{"FROM golang:1.23.1 AS build", "EXPOSE 9000", `ENTRYPOINT ["/app", "--listen", "0.0.0.0:9000"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dockerfile(parse(t, tt.config), tt.files)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, got)
			if !strings.HasPrefix(string(got), Header+"\n") {
				t.Errorf("does not start with the header line")
			}
			lines := strings.Split(string(got), "\n")
			i := 0
			for _, want := range tt.want {
				for i < len(lines) && lines[i] != want {
					i++
				}
				if i == len(lines) {
					t.Errorf("line %q missing or out of order in:\n%s", want, got)
					break
				}
			}
			if strings.Contains(string(got), "<no value>") {
				t.Errorf("template left <no value>:\n%s", got)
			}
		})
	}
}

// TestDockerfileLayerOrder checks that dependencies are installed before the
// code is copied, so that a change of code alone reuses the dependency layer.
func TestDockerfileLayerOrder(t *testing.T) {
	tests := []struct {
		name, config, install string
		files                 ProjectFiles
	}{
		{"python", "name: a\nruntime: python:3.11\nentrypoint: [python, app.py]\n", "RUN pip install -r requirements.txt", ProjectFiles{HasRequirements: true}},
		{"node-lock", "name: a\nruntime: node:20\n", "RUN npm ci --omit=dev", ProjectFiles{HasPackageJSON: true, HasPackageLock: true}},
		{"node", "name: a\nruntime: node:20\n", "RUN npm install --omit=dev", ProjectFiles{HasPackageJSON: true}},
		{"go", "name: a\nruntime: go:1.22\n", "RUN go mod download", ProjectFiles{HasGoMod: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dockerfile(parse(t, tt.config), tt.files)
			if err != nil {
				t.Fatal(err)
			}
			s := string(got)
			install, copyAll := strings.Index(s, "\n"+tt.install+"\n"), strings.Index(s, "\nCOPY . .\n")
			if install < 0 || copyAll < 0 || install > copyAll {
				t.Errorf("%q must come before COPY . . in:\n%s", tt.install, s)
			}
		})
	}
}

func TestDockerfileEntrypointRoundTrip(t *testing.T) {
	argv := []string{"python", `say "hi"`, `C:\path\`, `\`, `"`, "a&&b <c>", "tab\there", "new\nline", "ünïcode", "$HOME", ""}
	for _, lang := range []string{"python:3.11", "node:20", "go:1.22"} {
		t.Run(lang, func(t *testing.T) {
			c := parse(t, "name: a\nruntime: "+lang+"\nentrypoint: [placeholder]\n")
			c.Entrypoint = argv
			got, err := Dockerfile(c, ProjectFiles{HasGoMod: true, HasPackageJSON: true})
			if err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(string(got), "\n") {
				if strings.HasPrefix(l, "ENTRYPOINT ") {
					if line != "" {
						t.Fatalf("two ENTRYPOINT lines")
					}
					line = l
				}
			}
			var back []string
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "ENTRYPOINT ")), &back); err != nil {
				t.Fatalf("ENTRYPOINT is not a JSON array (docker would fall back to shell form): %v\n%s", err, line)
			}
			if len(back) != len(argv) {
				t.Fatalf("round trip gave %d items, want %d: %q", len(back), len(argv), back)
			}
			for i := range argv {
				if back[i] != argv[i] {
					t.Errorf("item %d: got %q, want %q", i, back[i], argv[i])
				}
			}
			if strings.HasSuffix(line, `\`) {
				t.Errorf("line ends with a backslash, which continues it: %s", line)
			}
		})
	}
}

func TestDockerfileErrors(t *testing.T) {
	tests := []struct {
		name, config, want string
		files              ProjectFiles
	}{
		{"own dockerfile", "name: a\ndockerfile: Dockerfile\nport: 8080\n", "uses that file", ProjectFiles{}},
		{"go without go.mod", "name: a\nruntime: go:1.22\n", "go mod init", ProjectFiles{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Dockerfile(parse(t, tt.config), tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLanguagesMatchConfig(t *testing.T) {
	// Every language config accepts can be built, and each has a template.
	for _, name := range []string{"python", "node", "go"} {
		if _, ok := languages()[name]; !ok {
			t.Errorf("no Language for %s", name)
		}
	}
	for name, l := range languages() {
		if l.Name() != name {
			t.Errorf("languages()[%q].Name() = %q", name, l.Name())
		}
		if _, err := templates.ReadFile("templates/" + name + "/Dockerfile.tmpl"); err != nil {
			t.Errorf("language %s has no template: %v", name, err)
		}
	}
	if got := strings.Join(Languages(), ","); got != "go,node,python" {
		t.Errorf("Languages() = %s", got)
	}
}

func TestProjectFilesFrom(t *testing.T) {
	present := map[string]bool{"requirements.txt": true, "package-lock.json": true, "go.mod": true}
	got := ProjectFilesFrom(func(name string) bool { return present[name] })
	want := ProjectFiles{HasRequirements: true, HasPackageLock: true, HasGoMod: true}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
