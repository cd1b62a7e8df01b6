//go:build unix

package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

// TestSpecialFilesRefused: a named pipe as state.json is refused at once,
// by name; a huge one before it is read.
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".cupaas"), 0o700)
	specialfile.Fifo(t, Path(dir))
	err := specialfile.Within(t, "Load", func() error { _, err := Load(dir); return err })
	if want := Path(dir) + " is not a regular file (a named pipe)"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	os.Remove(Path(dir))
	specialfile.Sparse(t, Path(dir), 1<<30)
	_, err = Load(dir)
	if want := Path(dir) + " is 1 GiB, over the limit of 8 MiB for this file"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}
