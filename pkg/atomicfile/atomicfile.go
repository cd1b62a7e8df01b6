// Package atomicfile writes files so that a reader, or a crash, never sees
// a half-written one: the data goes to a temporary file, is synced, and is
// renamed over the target.
//
// The temporary file is a full copy of the data until the rename. A
// process killed in between (SIGKILL, a power cut) leaves it behind, and
// nothing can remove it at that moment. For a file that holds secrets,
// WriteVia puts the temporary file in a directory that nothing builds or
// commits, and RemoveLeftovers clears what a killed writer left.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Write replaces path with data, atomically, with permissions perm. The
// temporary file is `.<name>.tmp-*` next to path. On any error the old
// file is left as it was and the temporary file is removed.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, filepath.Dir(path), data, perm, os.Rename)
}

// WriteVia is Write with the temporary file in tmpDir (which must exist)
// instead of next to path, so that a copy left by a killed process lands
// where nothing picks it up. When the rename from tmpDir fails (tmpDir is
// on another file system than path), the data is written again through a
// temporary file next to path, as Write does.
func WriteVia(path, tmpDir string, data []byte, perm os.FileMode) error {
	return writeVia(path, tmpDir, data, perm, os.Rename)
}

func writeVia(path, tmpDir string, data []byte, perm os.FileMode, rename func(string, string) error) error {
	err := write(path, tmpDir, data, perm, rename)
	if err == nil || filepath.Clean(tmpDir) == filepath.Dir(path) {
		return err
	}
	if le := (*os.LinkError)(nil); !errors.As(err, &le) {
		return err
	}
	return write(path, filepath.Dir(path), data, perm, rename)
}

// write puts data in a temporary file in tmpDir and renames it to path;
// the rename step is injectable, so tests can interrupt it.
func write(path, tmpDir string, data []byte, perm os.FileMode, rename func(string, string) error) (err error) {
	tmp, err := os.CreateTemp(tmpDir, TempPattern(filepath.Base(path)))
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// TempPattern is the os.CreateTemp pattern of the temporary files of a
// file named name: `.<name>.tmp-*`.
func TempPattern(name string) string { return "." + name + ".tmp-*" }

// RemoveLeftovers removes, from dir, the temporary files that writes of a
// file named name left behind (regular files matching TempPattern(name))
// and that were last modified at least minAge ago; 0 removes them all,
// which is right only while the caller holds a lock that every writer of
// that file takes. It returns how many it removed.
func RemoveLeftovers(dir, name string, minAge time.Duration) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, err
	}
	prefix := strings.TrimSuffix(TempPattern(name), "*")
	n := 0
	var firstErr error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		if minAge > 0 && time.Since(info.ModTime()) < minAge {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			if firstErr == nil {
				firstErr = fmt.Errorf("cannot remove %s: %w", filepath.Join(dir, e.Name()), err)
			}
			continue
		}
		n++
	}
	return n, firstErr
}

// syncDir makes the rename durable where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere (windows); best effort
		d.Close()
	}
}
