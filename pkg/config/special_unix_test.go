//go:build unix

package config

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

func loadWithin(t *testing.T, dir string) error {
	t.Helper()
	return specialfile.Within(t, "Load("+dir+")", func() error {
		_, err := Load(dir)
		return err
	})
}

// TestLoadRefusesSpecialFiles: a named pipe as .cupaas.yml, as package.json
// or as the Dockerfile is a problem of the config (exit code 2), found
// without blocking on it.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	t.Run(".cupaas.yml", func(t *testing.T) {
		dir := t.TempDir()
		specialfile.Fifo(t, filepath.Join(dir, FileName))
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ": is not a regular file (a named pipe); it must be a file of YAML"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("package.json", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{FileName: "name: app\nruntime: node:20\n"})
		specialfile.Fifo(t, filepath.Join(dir, "package.json"))
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ":2:1: " + filepath.Join(dir, "package.json") + " is not a regular file (a named pipe)"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("dockerfile", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{FileName: "name: app\nport: 80\ndockerfile: Dockerfile\n"})
		specialfile.Fifo(t, filepath.Join(dir, "Dockerfile"))
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ":3:1: dockerfile Dockerfile is not a regular file (a named pipe)"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestLoadRefusesHugeFiles: files over their limit are refused with their
// size, before they are read (a 1 GiB file is never held in memory).
func TestLoadRefusesHugeFiles(t *testing.T) {
	t.Run(".cupaas.yml", func(t *testing.T) {
		dir := t.TempDir()
		specialfile.Sparse(t, filepath.Join(dir, FileName), 1<<30)
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ": is 1 GiB, over the limit of 1 MiB for this file; a .cupaas.yml is a few hundred bytes: is this the right file?"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("package.json", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{FileName: "name: app\nruntime: node:20\n"})
		specialfile.Sparse(t, filepath.Join(dir, "package.json"), 1<<30)
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ":2:1: " + filepath.Join(dir, "package.json") + " is 1 GiB, over the limit of 4 MiB for this file"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("dockerfile", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{FileName: "name: app\nport: 80\ndockerfile: Dockerfile\n"})
		specialfile.Sparse(t, filepath.Join(dir, "Dockerfile"), 1<<30)
		err := loadWithin(t, dir)
		want := []string{filepath.Join(dir, FileName) + ":3:1: dockerfile Dockerfile is 1 GiB, over the limit of 1 MiB for this file"}
		if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
