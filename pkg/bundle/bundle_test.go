package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/home"
)

const baseConfig = "name: tasks\nruntime: python:3.11\nentrypoint: [python, app.py]\nservices: [mongodb]\n"

// app writes a small python app into a new directory.
func app(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, ".cupaas.yml", config)
	write(t, dir, "app.py", "print('hello')\n")
	write(t, dir, "requirements.txt", "flask\n")
	return dir
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func prepare(t *testing.T, dir string, opts Options) *Bundle {
	t.Helper()
	b, err := Prepare(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrepare(t *testing.T) {
	dir := app(t, baseConfig)
	b := prepare(t, dir, Options{})
	if b.OwnDockerfile || b.DockerfilePath != "" {
		t.Errorf("generated Dockerfile: own=%v path=%q", b.OwnDockerfile, b.DockerfilePath)
	}
	if !strings.Contains(string(b.Dockerfile), "COPY requirements.txt ./") {
		t.Errorf("Dockerfile does not install requirements.txt:\n%s", b.Dockerfile)
	}
	if len(b.Tag) != 12 || b.Image != "cupaas/tasks:"+b.Tag {
		t.Errorf("tag %q, image %q", b.Tag, b.Image)
	}
	if b.Git.IsRepo {
		t.Errorf("a temp dir is not a git repository")
	}
	if len(b.Credentials) != 1 || b.Credentials["mongodb"].Password == "" {
		t.Errorf("credentials = %v", b.Credentials)
	}
	stored, err := home.Of(dir).StoredCredentials()
	if err != nil || stored["mongodb"] != b.Credentials["mongodb"] {
		t.Errorf("credentials not stored: %v, %v", stored, err)
	}
	if d := deployment(b); d == nil || d.Spec.Template.Spec.Containers[0].Image != b.Image {
		t.Errorf("Deployment does not run %s", b.Image)
	} else if _, ok := d.Annotations["cupaas.dev/commit"]; ok {
		t.Errorf("commit annotation outside git")
	}

	// Credentials are stable: a second Prepare renders the same bytes.
	first, err := b.Manifests(false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := prepare(t, dir, Options{}).Manifests(false)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(again) {
		t.Errorf("a second Prepare renders different manifests")
	}
}

func TestPrepareTag(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		same   bool
	}{
		{"nothing", func(*testing.T, string) {}, true},
		{"replicas", func(t *testing.T, dir string) { write(t, dir, ".cupaas.yml", baseConfig+"replicas: 3\n") }, true},
		{"env", func(t *testing.T, dir string) { write(t, dir, ".cupaas.yml", baseConfig+"env: {A: b}\n") }, true},
		{"services", func(t *testing.T, dir string) {
			write(t, dir, ".cupaas.yml", strings.Replace(baseConfig, "[mongodb]", "[mongodb, redis, postgresql]", 1))
		}, true},
		{"secrets file", func(t *testing.T, dir string) { write(t, dir, envfile.Name, "API_KEY=abc\n") }, true},
		{"credentials", func(t *testing.T, dir string) {
			if _, err := home.Of(dir).Credentials([]string{"redis"}, nil); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"source file", func(t *testing.T, dir string) { write(t, dir, "app.py", "print('bye')\n") }, false},
		{"new source file", func(t *testing.T, dir string) { write(t, dir, "lib/util.py", "x = 1\n") }, false},
		{"file mode", func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "app.py"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"runtime version", func(t *testing.T, dir string) {
			write(t, dir, ".cupaas.yml", strings.Replace(baseConfig, "3.11", "3.12", 1))
		}, false},
		{"port", func(t *testing.T, dir string) { write(t, dir, ".cupaas.yml", baseConfig+"port: 8000\n") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := app(t, baseConfig)
			before := prepare(t, dir, Options{}).Tag
			tt.change(t, dir)
			after := prepare(t, dir, Options{}).Tag
			if (before == after) != tt.same {
				t.Errorf("tag %s -> %s; want same=%v", before, after, tt.same)
			}
		})
	}
}

func TestPrepareTagOverride(t *testing.T) {
	dir := app(t, baseConfig)
	b := prepare(t, dir, Options{Tag: "v1.2.3"})
	if b.Tag != "v1.2.3" || b.Image != "cupaas/tasks:v1.2.3" {
		t.Errorf("tag %q image %q", b.Tag, b.Image)
	}
	if _, err := Prepare(dir, Options{Tag: "latest"}); err == nil {
		t.Errorf("tag latest accepted")
	}
}

func TestPrepareSecretsAndOverride(t *testing.T) {
	dir := app(t, baseConfig)
	write(t, dir, envfile.Name, "API_KEY=abc123\n")
	override := map[string]credentials.Service{"mongodb": {Username: "root", Password: "FromCluster"}}
	b := prepare(t, dir, Options{CredentialOverride: override})
	env := secret(b, "tasks-env")
	if env == nil {
		t.Fatal("no tasks-env Secret")
	}
	if string(env.Data["API_KEY"]) != "abc123" {
		t.Errorf("API_KEY = %q", env.Data["API_KEY"])
	}
	if want := "mongodb://root:FromCluster@tasks-mongodb:27017/tasks?authSource=admin"; string(env.Data["MONGODB_URI"]) != want {
		t.Errorf("MONGODB_URI = %q, want %q", env.Data["MONGODB_URI"], want)
	}

	// Another secrets file.
	otherDir := t.TempDir()
	other := filepath.Join(otherDir, ".cupaas.env")
	write(t, otherDir, ".cupaas.env", "API_KEY=other\n")
	b = prepare(t, dir, Options{Home: home.Home{AppDir: otherDir, Dir: filepath.Join(dir, ".cupaas")}})
	if got := string(secret(b, "tasks-env").Data["API_KEY"]); got != "other" {
		t.Errorf("API_KEY from %s = %q", other, got)
	}
}

func TestPrepareOwnDockerfile(t *testing.T) {
	dir := app(t, "name: custom\ndockerfile: docker/Dockerfile\nport: 9000\n")
	write(t, dir, "docker/Dockerfile", "FROM scratch\n")
	b := prepare(t, dir, Options{})
	if !b.OwnDockerfile || b.DockerfilePath != filepath.Join(dir, "docker", "Dockerfile") || string(b.Dockerfile) != "FROM scratch\n" {
		t.Errorf("own=%v path=%q content=%q", b.OwnDockerfile, b.DockerfilePath, b.Dockerfile)
	}
	// The own Dockerfile is hashed: changing it changes the tag.
	write(t, dir, "docker/Dockerfile", "FROM scratch\nLABEL a=b\n")
	if after := prepare(t, dir, Options{}).Tag; after == b.Tag {
		t.Errorf("changing the Dockerfile kept tag %s", after)
	}

	out := filepath.Join(t.TempDir(), "out")
	if err := b.Write(out); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != ManifestsName {
		t.Errorf("Write of an own-Dockerfile app wrote %v, want only %s", entries, ManifestsName)
	}
	if b.DockerfilePath != filepath.Join(dir, "docker", "Dockerfile") {
		t.Errorf("Write changed DockerfilePath to %q", b.DockerfilePath)
	}
}

func TestWrite(t *testing.T) {
	dir := app(t, baseConfig)
	b := prepare(t, dir, Options{})
	out := filepath.Join(t.TempDir(), "a", "b")
	if err := b.Write(out); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "Dockerfile,kubernetes.yaml" {
		t.Errorf("wrote %v, want exactly Dockerfile and kubernetes.yaml", names)
	}
	df, err := os.ReadFile(filepath.Join(out, DockerfileName))
	if err != nil || string(df) != string(b.Dockerfile) {
		t.Errorf("Dockerfile = %q, %v", df, err)
	}
	if b.DockerfilePath != filepath.Join(out, DockerfileName) {
		t.Errorf("DockerfilePath = %q", b.DockerfilePath)
	}
	st, err := os.Stat(filepath.Join(out, ManifestsName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("kubernetes.yaml mode = %v, want 0600", st.Mode().Perm())
	}
	y, err := os.ReadFile(filepath.Join(out, ManifestsName))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Manifests(false)
	if string(y) != string(want) {
		t.Errorf("kubernetes.yaml is not the unredacted manifests")
	}
	if strings.Contains(string(y), "<redacted>") {
		t.Errorf("kubernetes.yaml is redacted")
	}
}

func TestPrepareGitCommit(t *testing.T) {
	dir := app(t, baseConfig)
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".cupaas.yml", "app.py", "requirements.txt"} {
		if _, err := wt.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(0, 0)}
	hash, err := wt.Commit("init", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	b := prepare(t, dir, Options{})
	if got := deployment(b).Annotations["cupaas.dev/commit"]; got != hash.String() {
		t.Errorf("commit annotation = %q, want %s", got, hash)
	}
	write(t, dir, "app.py", "print('changed')\n")
	b = prepare(t, dir, Options{})
	if got := deployment(b).Annotations["cupaas.dev/commit"]; got != hash.String()+"-dirty" {
		t.Errorf("commit annotation = %q, want %s-dirty", got, hash)
	}
}

func TestPrepareErrors(t *testing.T) {
	t.Run("no config", func(t *testing.T) {
		if _, err := Prepare(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "cupaas init") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("corrupt credentials", func(t *testing.T) {
		dir := app(t, baseConfig)
		write(t, dir, ".cupaas/credentials.json", "{")
		if _, err := Prepare(dir, Options{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("secret sets a connection setting", func(t *testing.T) {
		dir := app(t, baseConfig)
		write(t, dir, envfile.Name, "MONGODB_URI=mongodb://elsewhere\n")
		_, err := Prepare(dir, Options{})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, envfile.Name)) || !strings.Contains(err.Error(), "mongodb service") {
			t.Errorf("error = %v, want one naming the file and the service", err)
		}
	})
	t.Run("go without go.mod", func(t *testing.T) {
		dir := app(t, "name: api\nruntime: go:1.22\n")
		if _, err := Prepare(dir, Options{}); err == nil || !strings.Contains(err.Error(), "go.mod") {
			t.Errorf("error = %v", err)
		}
	})
}

func deployment(b *Bundle) *appsv1.Deployment {
	for _, o := range b.Objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			return d
		}
	}
	return nil
}

func secret(b *Bundle, name string) *corev1.Secret {
	for _, o := range b.Objects {
		if s, ok := o.(*corev1.Secret); ok && s.Name == name {
			return s
		}
	}
	return nil
}
