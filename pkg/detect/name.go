package detect

import (
	"fmt"
	"path/filepath"

	"github.com/cupaas/cupaas/pkg/gitsource"
)

// detectName returns the repository name of the git remote "origin" of the
// repository containing dir, else the directory's base name. Problems reading
// git are reported in notes, never as errors: the name is only a suggestion.
func detectName(dir string, notes *[]string) Finding {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	fallback := Finding{Value: filepath.Base(abs), Reason: "directory name"}
	info, err := gitsource.Read(abs)
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("could not read the git repository (%v); the name comes from the directory", err))
		return fallback
	}
	if info.RepoName != "" {
		return Finding{Value: info.RepoName, Reason: "git remote origin (" + info.Remote + ")"}
	}
	return fallback
}
