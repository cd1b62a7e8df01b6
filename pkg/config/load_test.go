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

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBothConfigFiles: .cupaas.yml and .cupaas.yaml together are a
// problem of the config (exit code 2) that names both.
func TestBothConfigFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{FileName: "runtime: go:1.22\n", AltFileName: "runtime: go:1.22\n"})
	_, err := Load(dir)
	want := []string{filepath.Join(dir, FileName) + ": both " + filepath.Join(dir, FileName) + " and " + filepath.Join(dir, AltFileName) + " exist in " + dir + "; keep one of them"}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestNoNameFromDirectory: the message reads as a sentence.
func TestNoNameFromDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "___")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte("runtime: go:1.22\n"), 0o644)
	_, err := Load(dir)
	want := []string{filepath.Join(dir, FileName) + ": cannot make an app name from the name of directory " + dir + "; add `name: myapp`"}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	t.Chdir(dir)
	_, err = Load(".")
	want = []string{FileName + ": cannot make an app name from the name of the current directory; add `name: myapp`"}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestEnvValueLimits: an env: value that no process environment can hold
// is a problem at its position, found by validate rather than by render.
func TestEnvValueLimits(t *testing.T) {
	big := strings.Repeat("x", 900<<10)
	_, err := parse(t, "runtime: go:1.22\nenv:\n  SMALL: ok\n  BIG: "+big+"\n  NUL: \"a\\0b\"\n")
	want := []string{
		".cupaas.yml:4:8: env value of BIG is 921600 bytes long, and one environment variable can hold at most 128 KiB (131070 bytes with its name) on Linux: the app could not even start; put large content in a file of the app instead",
		`.cupaas.yml:5:8: env value of NUL contains a NUL byte (\0), which no environment variable can hold`,
	}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// The largest value that fits is accepted.
	edge := strings.Repeat("y", MaxEnvEntry-len("EDGE")-2)
	if c := mustParse(t, "runtime: go:1.22\nenv:\n  EDGE: "+edge+"\n"); len(c.Env) != 1 || c.Env[0].Value != edge {
		t.Fatalf("env = %v", len(c.Env))
	}
}
