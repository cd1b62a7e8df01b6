//go:build unix

package credentials

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

// TestSpecialFilesRefused: a named pipe as credentials.json or as its lock
// file is refused at once, by name; a huge credentials.json before it is
// read.
func TestSpecialFilesRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t testing.TB, p string)
		file string
		want string
	}{
		{"fifo", specialfile.Fifo, FileName, " is not a regular file (a named pipe)"},
		{"huge", func(t testing.TB, p string) { specialfile.Sparse(t, p, 1<<30) }, FileName, " is 1 GiB, over the limit of 1 MiB for this file"},
		{"fifo lock", specialfile.Fifo, FileName + ".lock", " is not a regular file (a named pipe); delete it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".cupaas")
			os.MkdirAll(dir, 0o700)
			p := filepath.Join(dir, tc.file)
			tc.make(t, p)
			err := specialfile.Within(t, "Ensure", func() error {
				_, err := Ensure(dir, []string{"redis"}, nil)
				return err
			})
			if err == nil || !strings.HasSuffix(err.Error(), p+tc.want) {
				t.Fatalf("err = %v, want it to end with %q", err, p+tc.want)
			}
		})
	}
}
