//go:build unix

package lock

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

// TestNamedPipeLockFile: a lock file that is a named pipe is refused at
// once, by name, instead of blocking the open.
func TestNamedPipeLockFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	os.MkdirAll(dir, 0o700)
	p := filepath.Join(dir, "lock")
	specialfile.Fifo(t, p)
	err := specialfile.Within(t, "Acquire", func() error {
		l, err := Acquire(context.Background(), dir, "deploy", 0)
		l.Release()
		return err
	})
	if want := "cannot lock the app: " + p + " is not a regular file (a named pipe); delete it"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

// TestNamedPipeInfo: a lock.info that is a named pipe says nothing about
// the holder, and does not block.
func TestNamedPipeInfo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock.info")
	specialfile.Fifo(t, p)
	if h := specialfile.Within(t, "readInfo", func() *HolderInfo { return readInfo(p) }); h != nil {
		t.Fatalf("readInfo = %+v", h)
	}
}
