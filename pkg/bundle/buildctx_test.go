package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/config"
)

// TestPrepareTagIgnoresSecretsAndGit: what never reaches the image never
// changes its tag: a nested app's secrets and state, git's data (a token in
// .git/config; .git/index, which `git status` rewrites), a killed write's
// leftover.
func TestPrepareTagIgnoresSecretsAndGit(t *testing.T) {
	dir := app(t, baseConfig)
	base := prepare(t, dir, Options{}).Tag
	for name, content := range map[string]string{
		".git/config":                   "[remote \"origin\"]\n\turl = https://user:ghp_token@example.com/x.git\n",
		".git/index":                    "DIRC\x00\x00\x00\x02",
		"svc/.cupaas.env":               "TOKEN=s3cret\n",
		"svc/.cupaas/credentials.json":  "{}\n",
		"vendor/lib/.git":               "gitdir: ../../.git/modules/lib\n",
		"..cupaas.env.tmp-123":          "TOKEN=s3cret\n",
		"svc/deeper/..cupaas.env.tmp-9": "TOKEN=s3cret\n",
	} {
		write(t, dir, name, content)
		if got := prepare(t, dir, Options{}).Tag; got != base {
			t.Errorf("writing %s changed the tag from %s to %s", name, base, got)
		}
	}
	// A nested app's .cupaas.yml is a file of the app like any other.
	write(t, dir, "svc/.cupaas.yml", "name: svc\n")
	if got := prepare(t, dir, Options{}).Tag; got == base {
		t.Errorf("a nested .cupaas.yml is not part of the build context")
	}
}

func TestPrepareWarnsOfSensitiveFiles(t *testing.T) {
	dir := app(t, baseConfig)
	if w := prepare(t, dir, Options{}).Warnings; len(w) != 0 {
		t.Errorf("warnings = %q, want none", w)
	}
	write(t, dir, ".env", "TOKEN=s3cret\n")
	write(t, dir, "certs/server.pem", "-----BEGIN PRIVATE KEY-----\n")
	write(t, dir, "config/credentials.json", "{}\n")
	write(t, dir, ".env.example", "TOKEN=\n")
	w := prepare(t, dir, Options{}).Warnings
	want := "sending files that may hold secrets to docker build, where COPY can put them in the image: .env, certs/server.pem, config/credentials.json; list them in .dockerignore to keep them out"
	if len(w) != 1 || w[0] != want {
		t.Errorf("warnings = %q, want [%q]", w, want)
	}
	for i := range 6 {
		write(t, dir, "keys/k"+string(rune('0'+i))+".pem", "")
	}
	if w := prepare(t, dir, Options{}).Warnings; len(w) != 1 || !strings.HasSuffix(w[0], ": .env, certs/server.pem, config/credentials.json, keys/k0.pem, keys/k1.pem and 4 more; list them in .dockerignore to keep them out") {
		t.Errorf("warnings = %q, want the first five and a count", w)
	}
	write(t, dir, ".dockerignore", ".env\ncerts\nconfig/credentials.json\nkeys\n")
	if w := prepare(t, dir, Options{}).Warnings; len(w) != 0 {
		t.Errorf("warnings = %q, want none once .dockerignore lists them", w)
	}
}

// TestPrepareRefusesADockerfileLeadingOut: an own Dockerfile that is a link
// out of the app, or to a secret, is refused when the config is loaded, and
// again when the Dockerfile is read (for a config loaded earlier, such as
// the deployed one).
func TestPrepareRefusesADockerfileLeadingOut(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("TOKEN=s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := app(t, "name: custom\ndockerfile: Dockerfile\nport: 9000\n")
	write(t, dir, "Dockerfile", "FROM scratch\n")
	loaded, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}

	_, err = Prepare(dir, Options{})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || !strings.Contains(err.Error(), "dockerfile Dockerfile leads through a symbolic link to "+outside+", outside the app directory") {
		t.Errorf("Prepare: err = %v, want a config problem naming the link", err)
	}
	b, err := Prepare(dir, Options{Config: loaded})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ".cupaas.yml")+": dockerfile Dockerfile leads through a symbolic link to "+outside+", outside the app directory") {
		t.Errorf("Prepare with a loaded config: err = %v, want one naming .cupaas.yml's dockerfile:", err)
	}
	if b != nil && strings.Contains(string(b.Dockerfile), "s3cret") {
		t.Errorf("the outside file was read as the Dockerfile")
	}
}

// TestPrepareBadDockerignore: a bad line of .dockerignore is a problem of
// the app's files (exit 2), named with its line. With a given tag (env
// apply) the build context is not read, so it does not matter.
func TestPrepareBadDockerignore(t *testing.T) {
	dir := app(t, baseConfig)
	write(t, dir, ".dockerignore", "node_modules\n\xff\xfe bad\n")
	_, err := Prepare(dir, Options{})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 1 || cfgErr.Problems[0].Line != 2 ||
		cfgErr.Problems[0].File != filepath.Join(dir, ".dockerignore") {
		t.Errorf("err = %#v, want one problem at .dockerignore:2", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cupaas", "credentials.json")); err == nil {
		t.Error("credentials were written although the app has a problem")
	}
	if _, err := Prepare(dir, Options{Tag: "v1"}); err != nil {
		t.Errorf("with a tag: %v", err)
	}
}

func TestPrepareCanceled(t *testing.T) {
	dir := app(t, baseConfig)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Prepare(dir, Options{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
