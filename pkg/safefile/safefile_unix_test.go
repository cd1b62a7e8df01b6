//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

// TestNamedPipeRefusedWithoutBlocking: a named pipe with no writer would
// block a plain open forever; it is refused at once, by name.
func TestNamedPipeRefusedWithoutBlocking(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".cupaas.env")
	specialfile.Fifo(t, p)
	want := p + " is not a regular file (a named pipe)"
	for name, read := range map[string]func() error{
		"ReadFile":   func() error { _, err := ReadFile(p, 1<<20); return err },
		"ReadHead":   func() error { _, err := ReadHead(p, 1<<20); return err },
		"Open":       func() error { _, _, err := Open(p); return err },
		"DirFS.Open": func() error { _, err := DirFS(filepath.Dir(p)).Open(".cupaas.env"); return err },
	} {
		err := specialfile.Within(t, name, read)
		var nr *NotRegularError
		if !errors.As(err, &nr) || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	// Stat does not open the file, and so does not block either.
	if st, err := fs.Stat(DirFS(filepath.Dir(p)), ".cupaas.env"); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("Stat: %v", err)
	}
}

// TestDevZeroRefused: an endless device is refused, not read until the
// memory runs out.
func TestDevZeroRefused(t *testing.T) {
	err := specialfile.Within(t, "ReadFile(/dev/zero)", func() error { _, err := ReadFile("/dev/zero", 1<<20); return err })
	if err == nil || err.Error() != "/dev/zero is not a regular file (a character device)" {
		t.Fatalf("err = %v", err)
	}
}
