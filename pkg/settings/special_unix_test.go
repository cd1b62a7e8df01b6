//go:build unix

package settings

import (
	"path/filepath"
	"testing"

	"github.com/cupaas/cupaas/internal/specialfile"
)

func named(p string) func(string) string {
	return func(k string) string {
		if k == "CUPAAS_CONFIG" {
			return p
		}
		return ""
	}
}

// TestSpecialSettingsFiles: a named pipe, a device and a huge file are
// refused by name, at once, without being read.
func TestSpecialSettingsFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	specialfile.Fifo(t, fifo)
	huge := filepath.Join(dir, "huge.yaml")
	specialfile.Sparse(t, huge, 1<<30)
	for p, want := range map[string]string{
		fifo:        "cannot read the cupaas settings file: " + fifo + " is not a regular file (a named pipe); fix it, or point CUPAAS_CONFIG at another file",
		"/dev/zero": "cannot read the cupaas settings file: /dev/zero is not a regular file (a character device); fix it, or point CUPAAS_CONFIG at another file",
		huge:        "cannot read the cupaas settings file: " + huge + " is 1 GiB, over the limit of 1 MiB for this file; fix it, or point CUPAAS_CONFIG at another file",
		dir:         "cannot read the cupaas settings file: " + dir + " is not a regular file (a directory); fix it, or point CUPAAS_CONFIG at another file",
	} {
		err := specialfile.Within(t, "Load of "+p, func() error { _, err := Load(named(p)); return err })
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", p, err, want)
		}
	}
}
