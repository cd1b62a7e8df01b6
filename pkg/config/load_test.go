package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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
