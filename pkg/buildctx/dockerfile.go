package buildctx

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// ResolveDockerfile checks that the app's own Dockerfile, at the slash path
// rel inside contextDir, may be sent to docker, and returns the path to
// read it from, with symbolic links resolved. It refuses a file that is
// never sent (Forced: a secret of cupaas, its state, git's data), and a
// path that leads out of contextDir or to such a file through a symbolic
// link (the Dockerfile itself or a directory on the way): docker gets only
// what is inside the context. A missing file gives an error that wraps
// fs.ErrNotExist.
//
// The messages read after "dockerfile <rel> ".
func ResolveDockerfile(contextDir, rel string) (string, error) {
	rel = path.Clean(rel)
	if Forced(rel) {
		return "", fmt.Errorf("is one of cupaas' own files or git's data, which never reach docker")
	}
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", fmt.Errorf("is not inside the app directory")
	}
	root, err := filepath.EvalSymlinks(contextDir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return "", err
	}
	inside, err := filepath.Rel(root, real)
	if err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) || filepath.IsAbs(inside) {
		return "", fmt.Errorf("leads through a symbolic link to %s, outside the app directory, which docker never gets", real)
	}
	if Forced(filepath.ToSlash(inside)) {
		return "", fmt.Errorf("leads through a symbolic link to %s, one of cupaas' own files or git's data, which never reach docker", filepath.ToSlash(inside))
	}
	return real, nil
}
