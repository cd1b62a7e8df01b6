//go:build unix

package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

func detectWithin(t *testing.T, dir string) error {
	t.Helper()
	return specialfile.Within(t, "Detect("+dir+")", func() error {
		_, err := Detect(dir)
		return err
	})
}

// TestSpecialFilesRefused: every file detection reads may be a named pipe
// (which would block a plain open until some process writes to it) or a
// sparse 1 GiB file; each is refused by name, at once, before it is read.
func TestSpecialFilesRefused(t *testing.T) {
	for _, tc := range []struct {
		special string            // the file made a named pipe, then a huge file
		others  map[string]string // regular files beside it
	}{
		{"requirements.txt", nil},
		{"pyproject.toml", nil},
		{"Pipfile", nil},
		{"setup.py", nil},
		{".python-version", map[string]string{"requirements.txt": "flask\n"}},
		{"runtime.txt", map[string]string{"requirements.txt": "flask\n"}},
		{"Procfile", map[string]string{"requirements.txt": "flask\n"}},
		{"package.json", nil},
		{"go.mod", nil},
	} {
		t.Run(tc.special, func(t *testing.T) {
			for _, kind := range []string{"fifo", "huge"} {
				dir := t.TempDir()
				for name, content := range tc.others {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				p := filepath.Join(dir, tc.special)
				want := p + " is not a regular file (a named pipe)"
				if kind == "fifo" {
					specialfile.Fifo(t, p)
				} else {
					specialfile.Sparse(t, p, 1<<30)
					want = p + " is 1 GiB, over the limit of 4 MiB for this file"
				}
				err := detectWithin(t, dir)
				if err == nil || err.Error() != want {
					t.Errorf("%s: err = %v, want %q", kind, err, want)
				}
			}
		})
	}
}

// TestNamedPipeEntryFileIgnored: an entry file that is a named pipe is not
// searched for a port (it is not a regular file), and does not block.
func TestNamedPipeEntryFileIgnored(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: python app.py\n"), 0o644)
	specialfile.Fifo(t, filepath.Join(dir, "app.py"))
	if err := detectWithin(t, dir); err != nil {
		t.Fatal(err)
	}
}
