// Package statedir makes an app's private directory (see pkg/home, which
// says where it is): mode 0700, with a .gitignore inside that keeps it out
// of git even in a project whose own .gitignore does not name it. It holds
// the lock, the service credentials, the last deploy, the build files, and
// the temporary copies cupaas makes while it rewrites a file that holds
// secrets. The build context always leaves it out.
package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cupaas/cupaas/pkg/atomicfile"
)

// Mode is the directory's permission: its owner's only.
const Mode fs.FileMode = 0o700

// Ensure creates dir (mode 0700) and its .gitignore when they are missing,
// and returns dir.
func Ensure(dir string) (string, error) {
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
