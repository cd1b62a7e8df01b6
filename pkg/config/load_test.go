package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// problemsOfLoad loads the app in dir and returns its problems as strings.
func problemsOfLoad(t *testing.T, dir string) []string {
	t.Helper()
	_, err := Load(dir)
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Load: %T %v, want *Error", err, err)
	}
	var out []string
	for _, p := range e.Problems {
		out = append(out, strings.TrimPrefix(p.String(), dir+string(filepath.Separator)))
	}
	return out
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadDockerfileThroughSymlinks: the Dockerfile is checked with its
// links resolved, so that no file outside the app and none of cupaas' own
// files is sent to docker as the Dockerfile.
func TestLoadDockerfileThroughSymlinks(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "Dockerfile", "FROM outside")
	write(t, outside, "sub/x", "FROM outside")
	for _, tc := range []struct {
		name, dockerfile string
		setup            func(t *testing.T, dir string)
		want             []string
	}{
		{"a plain file", "Dockerfile", nil, nil},
		{"a link inside the app", "Dockerfile", func(t *testing.T, dir string) {
			write(t, dir, "docker/Dockerfile.prod", "FROM x")
			link(t, "docker/Dockerfile.prod", filepath.Join(dir, "Dockerfile"))
		}, nil},
		{"a link to a file outside the app", "Dockerfile", func(t *testing.T, dir string) {
			link(t, filepath.Join(outside, "Dockerfile"), filepath.Join(dir, "Dockerfile"))
		}, []string{".cupaas.yml:2:1: dockerfile Dockerfile leads through a symbolic link to " + filepath.Join(outside, "Dockerfile") +
			", outside the app directory, which docker never gets; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`"}},
		{"through a linked directory", "sub/x", func(t *testing.T, dir string) {
			link(t, filepath.Join(outside, "sub"), filepath.Join(dir, "sub"))
		}, []string{".cupaas.yml:2:1: dockerfile sub/x leads through a symbolic link to " + filepath.Join(outside, "sub", "x") +
			", outside the app directory, which docker never gets; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`"}},
		{"a link to the secrets", "Dockerfile", func(t *testing.T, dir string) {
			write(t, dir, ".cupaas.env", "TOKEN=s3cret")
			link(t, ".cupaas.env", filepath.Join(dir, "Dockerfile"))
		}, []string{".cupaas.yml:2:1: dockerfile Dockerfile leads through a symbolic link to .cupaas.env, one of cupaas' own files or git's data, which never reach docker; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`"}},
		{"a dangling link", "Dockerfile", func(t *testing.T, dir string) {
			link(t, "nowhere", filepath.Join(dir, "Dockerfile"))
		}, []string{".cupaas.yml:2:1: dockerfile Dockerfile not found in " + "%DIR%" + "; check the path or remove dockerfile: to let cupaas generate one"}},
		{"a directory", "docker", func(t *testing.T, dir string) {
			write(t, dir, "docker/x", "")
		}, []string{".cupaas.yml:2:1: dockerfile docker not found in " + "%DIR%" + "; check the path or remove dockerfile: to let cupaas generate one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, ".cupaas.yml", "port: 80\ndockerfile: "+tc.dockerfile+"\n")
			if tc.setup != nil {
				tc.setup(t, dir)
			} else {
				write(t, dir, tc.dockerfile, "FROM x")
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "%DIR%", dir))
			}
			if got := problemsOfLoad(t, dir); !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n got  %q\n want %q", got, want)
			}
		})
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDockerignore(t *testing.T) {
	dir := t.TempDir()
	if err := CheckDockerignore(dir); err != nil {
		t.Fatalf("no .dockerignore: %v", err)
	}
	write(t, dir, ".dockerignore", "node_modules\n\xff\xfe bad\n")
	err := CheckDockerignore(dir)
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 1 {
		t.Fatalf("err = %T %v, want one problem as *Error", err, err)
	}
	p := e.Problems[0]
	if want := filepath.Join(dir, ".dockerignore"); p.File != want || p.Line != 2 || !strings.Contains(p.Msg, "not valid UTF-8") {
		t.Errorf("problem = %+v", p)
	}
	if s := e.Snippet(p); !strings.Contains(s, "   2 | \uFFFD bad") {
		t.Errorf("snippet = %q", s)
	}
}
