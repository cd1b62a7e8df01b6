//go:build unix

package gitignore

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

// TestNamedPipeRefused: a .gitignore that is a named pipe is refused at
// once, by name, and left as it is.
func TestNamedPipeRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".gitignore")
	specialfile.Fifo(t, p)
	err := specialfile.Within(t, "Ensure", func() error { _, err := Ensure(dir, ".cupaas.env"); return err })
	if want := p + " is not a regular file (a named pipe)"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if st, err := os.Lstat(p); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v", err)
	}
}
