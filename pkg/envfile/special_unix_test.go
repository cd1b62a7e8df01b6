//go:build unix

package envfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

func loadWithin(t *testing.T, p string) error {
	t.Helper()
	return specialfile.Within(t, "Load("+p+")", func() error {
		_, err := Load(p)
		return err
	})
}

// TestLoadRefusesSpecialFiles: a named pipe is refused at once, and a huge
// file before it is read.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.env")
	specialfile.Fifo(t, fifo)
	err := loadWithin(t, fifo)
	if got, want := problemStrings(t, err), []string{fifo + ": is not a regular file (a named pipe); it must be a dotenv file"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	huge := filepath.Join(dir, "huge.env")
	specialfile.Sparse(t, huge, 1<<30)
	err = loadWithin(t, huge)
	want := []string{huge + ": is 1 GiB, over the limit of 4 MiB for this file: its values could not fit in a Secret (1 MiB at most); keep large files out of environment variables"}
	if got := problemStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The largest file is read.
	os.WriteFile(huge, []byte("A=1\n"+strings.Repeat("#", MaxFileSize-4)), 0o600)
	if f, err := Load(huge); err != nil || len(f.Keys()) != 1 {
		t.Fatalf("a file of MaxFileSize bytes: %v", err)
	}
}
