package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteCreatesWithMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := Write(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "hello" {
		t.Fatalf("content = %q, %v", got, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestWriteReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := Write(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new" {
		t.Fatalf("content = %q", got)
	}
}

func TestInterruptedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("old"), 0o644)
	boom := errors.New("killed before rename")
	err := write(p, dir, []byte("new"), 0o644, func(string, string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("old file changed: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
}

func TestWriteIntoMissingDirFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope", "f")
	if err := Write(p, []byte("x"), 0o644); err == nil {
		t.Fatal("want error")
	}
}

// At the moment a kill could strike (the data is complete, the rename has
// not happened), the only copy beside the target is in tmpDir: nothing is
// next to the target that a build or git could pick up.
func TestWriteViaKeepsTheTemporaryCopyInTmpDir(t *testing.T) {
	app := t.TempDir()
	tmpDir := filepath.Join(app, ".cupaas")
	os.Mkdir(tmpDir, 0o700)
	p := filepath.Join(app, ".cupaas.env")
	var sawTmp string
	rename := func(from, to string) error {
		sawTmp = from
		if filepath.Dir(from) != tmpDir {
			t.Errorf("temporary file %s is not in %s", from, tmpDir)
		}
		if data, err := os.ReadFile(from); err != nil || string(data) != "SECRET=1\n" {
			t.Errorf("temporary file holds %q, %v", data, err)
		}
		entries, _ := os.ReadDir(app)
		for _, e := range entries {
			if e.Name() != ".cupaas" {
				t.Errorf("%s is in the app directory during the write", e.Name())
			}
		}
		return os.Rename(from, to)
	}
	if err := writeVia(p, tmpDir, []byte("SECRET=1\n"), 0o600, rename); err != nil {
		t.Fatal(err)
	}
	if sawTmp == "" {
		t.Fatal("rename was not called")
	}
	if got, _ := os.ReadFile(p); string(got) != "SECRET=1\n" {
		t.Fatalf("content = %q", got)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(tmpDir); len(entries) != 0 {
		t.Fatalf("left in %s: %v", tmpDir, entries)
	}
}

// A tmpDir on another file system cannot be renamed from: the data goes
// through a temporary file next to the target instead, and the write works.
func TestWriteViaFallsBackWhenTheRenameCannotCross(t *testing.T) {
	app := t.TempDir()
	tmpDir := t.TempDir()
	p := filepath.Join(app, "f")
	calls := 0
	rename := func(from, to string) error {
		calls++
		if filepath.Dir(from) == tmpDir {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("invalid cross-device link")}
		}
		return os.Rename(from, to)
	}
	if err := writeVia(p, tmpDir, []byte("x"), 0o600, rename); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "x" || calls != 2 {
		t.Fatalf("content %q after %d renames", got, calls)
	}
	for _, d := range []string{app, tmpDir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != "f" {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

func TestRemoveLeftovers(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"..cupaas.env.tmp-1", "..cupaas.env.tmp-22", "..cupaas.env.tmp-fresh", ".other.tmp-1", ".cupaas.env", "..cupaas.env.tmp-"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("S=1\n"), 0o600)
		if name != "..cupaas.env.tmp-fresh" {
			os.Chtimes(p, old, old)
		}
	}
	os.Mkdir(filepath.Join(dir, "..cupaas.env.tmp-dir"), 0o700) // not a file: kept
	n, err := RemoveLeftovers(dir, ".cupaas.env", time.Minute)
	if err != nil || n != 3 {
		t.Fatalf("removed %d, %v; want 3", n, err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"..cupaas.env.tmp-dir", "..cupaas.env.tmp-fresh", ".cupaas.env", ".other.tmp-1"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	// With 0 (the caller holds the writers' lock), the fresh one goes too.
	if n, err := RemoveLeftovers(dir, ".cupaas.env", 0); err != nil || n != 1 {
		t.Fatalf("removed %d, %v; want 1", n, err)
	}
	if n, err := RemoveLeftovers(filepath.Join(dir, "missing"), ".cupaas.env", 0); err != nil || n != 0 {
		t.Fatalf("missing dir: %d, %v", n, err)
	}
}
