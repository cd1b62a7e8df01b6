package buildctx

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestForced(t *testing.T) {
	for rel, want := range map[string]bool{
		".cupaas.yml": true, ".cupaas.yaml": true, ".cupaas.env": true, ".cupaas": true, ".cupaas/credentials.json": true,
		".git": true, ".git/config": true, "..cupaas.env.tmp-123": true, "..cupaas.yml.tmp-1": true,
		"svc/.cupaas.env": true, "svc/.cupaas/credentials.json": true, "a/b/.git/config": true, "svc/..cupaas.env.tmp-9": true,
		"./.cupaas.env": true, "svc/../.cupaas.env": true,
		// A nested app's config holds no secret: it is sent.
		"svc/.cupaas.yml": false, "svc/.cupaas.yaml": false,
		"Dockerfile": false, "docker/Dockerfile": false, ".cupaas.env.example": false, ".gitignore": false, ".github/x": false,
		"..gitignore.tmp-1": false,
		// Copies of the secrets: an editor's, a backup.
		".cupaas.env~": true, ".cupaas.env.bak": true, "svc/.cupaas.env.swp": true, ".cupaas.env.tmp-1": true,
	} {
		if got := Forced(rel); got != want {
			t.Errorf("Forced(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestLooksSensitive(t *testing.T) {
	for rel, want := range map[string]bool{
		".env": true, "svc/.env": true, ".env.local": true, ".env.production": true, ".ENV": true,
		"certs/server.pem": true, "key.PEM": true, "store.p12": true, "cert.pfx": true,
		"credentials.json": true, "config/credentials.json": true, ".netrc": true, "deploy/id_rsa": true, "id_ed25519": true,
		"backup.env": true, "config/prod.env": true,
		".env.example": false, ".env.sample": false, ".env.template": false, ".env.dist": false, "env.py": false, ".envrc": false,
		"id_rsa.pub": false, "credentials.json.example": false, "app.py": false, "pem": false,
	} {
		if got := LooksSensitive(rel); got != want {
			t.Errorf("LooksSensitive(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestInspectListsSensitiveFilesSent(t *testing.T) {
	dir := tree(t, map[string]string{
		"app.py": "", ".env": "TOKEN=1", "certs/key.pem": "", "svc/credentials.json": "{}", "ignored/.env": "X=1",
		".cupaas.env": "X=1", ".env.example": "", ".dockerignore": "ignored\n",
	})
	sum, err := Inspect(context.Background(), dir, []byte("FROM x"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".env", "certs/key.pem", "svc/credentials.json"}; !reflect.DeepEqual(sum.Sensitive, want) {
		t.Errorf("Sensitive = %q, want %q", sum.Sensitive, want)
	}
	if h, _ := Hash(context.Background(), dir, []byte("FROM x")); sum.Hash != h {
		t.Errorf("Inspect's hash %s, Hash %s", sum.Hash, h)
	}
}

func TestResolveDockerfile(t *testing.T) {
	outside := tree(t, map[string]string{"Dockerfile": "FROM outside", "sub/x": "FROM outside sub"})
	dir := tree(t, map[string]string{
		"Dockerfile": "FROM mine", "docker/Dockerfile.prod": "FROM prod", ".cupaas.env": "TOKEN=s3cret",
		"svc/.cupaas.env": "TOKEN=2", ".cupaas/credentials.json": "{}", ".git/config": "",
	})
	symlink(t, filepath.Join(outside, "Dockerfile"), filepath.Join(dir, "Outside"))
	symlink(t, filepath.Join(outside, "sub"), filepath.Join(dir, "sub"))
	symlink(t, "docker/Dockerfile.prod", filepath.Join(dir, "Prod"))
	symlink(t, ".cupaas.env", filepath.Join(dir, "Secret"))
	symlink(t, ".cupaas", filepath.Join(dir, "state"))
	symlink(t, "../"+filepath.Base(dir)+"/Dockerfile", filepath.Join(dir, "Roundabout"))
	for _, tc := range []struct {
		rel, want, err string
	}{
		{rel: "Dockerfile", want: "Dockerfile"},
		{rel: "docker/Dockerfile.prod", want: "docker/Dockerfile.prod"},
		{rel: "Prod", want: "docker/Dockerfile.prod"},
		{rel: "Roundabout", want: "Dockerfile"},
		{rel: ".cupaas.env", err: "is one of cupaas' own files or git's data, which never reach docker"},
		{rel: "svc/.cupaas.env", err: "is one of cupaas' own files"},
		{rel: ".cupaas/credentials.json", err: "is one of cupaas' own files"},
		{rel: ".git/config", err: "is one of cupaas' own files or git's data"},
		{rel: "Secret", err: "leads through a symbolic link to .cupaas.env, one of cupaas' own files"},
		{rel: "state/credentials.json", err: "leads through a symbolic link to .cupaas/credentials.json, one of cupaas' own files"},
		{rel: "Outside", err: "leads through a symbolic link to " + filepath.Join(outside, "Dockerfile") + ", outside the app directory"},
		{rel: "sub/x", err: "leads through a symbolic link to " + filepath.Join(outside, "sub", "x") + ", outside the app directory"},
		{rel: "../x", err: "is not inside the app directory"},
	} {
		got, err := ResolveDockerfile(dir, tc.rel)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.rel, err, tc.err)
			}
			continue
		}
		real, _ := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(tc.want)))
		if err != nil || got != real {
			t.Errorf("%s: %q, %v; want %q", tc.rel, got, err, real)
		}
	}
	if _, err := ResolveDockerfile(dir, "Missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: err = %v, want fs.ErrNotExist", err)
	}
	// The app directory may itself be reached through a link.
	link := filepath.Join(t.TempDir(), "app")
	symlink(t, dir, link)
	if got, err := ResolveDockerfile(link, "Prod"); err != nil || !strings.HasSuffix(got, filepath.Join("docker", "Dockerfile.prod")) {
		t.Errorf("through a linked app directory: %q, %v", got, err)
	}
	if err := os.Remove(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveDockerfile(dir, "Roundabout"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dangling link: err = %v, want fs.ErrNotExist", err)
	}
}
