// Package statedir is `<app>/.cupaas`: where cupaas keeps an app's local
// state (the lock, service credentials, the last deploy, build files) and
// the temporary copies it makes while it rewrites a file that holds
// secrets. The directory never reaches an image (the build context leaves
// it out), and a .gitignore inside it keeps it out of git even in a
// project whose own .gitignore does not name it.
package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cupaas/cupaas/pkg/atomicfile"
)

// Name is the directory's name, inside the app's directory.
const Name = ".cupaas"

// Mode is the directory's permission: its owner's only.
const Mode fs.FileMode = 0o700

// Path returns the state directory of the app in appDir.
func Path(appDir string) string { return filepath.Join(appDir, Name) }

// Ensure creates the state directory (mode 0700) and its .gitignore when
// they are missing, and returns the directory's path.
func Ensure(appDir string) (string, error) {
	dir := Path(appDir)
	if err := os.MkdirAll(dir, Mode); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", dir, err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		content := "# cupaas's local state, including database passwords: never commit it.\n*\n"
		if err := atomicfile.Write(ignore, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
