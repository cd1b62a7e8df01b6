package detect

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
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

	repo, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return fallback
	}
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("could not open the git repository (%v); the name comes from the directory", err))
		return fallback
	}
	remote, err := repo.Remote("origin")
	if errors.Is(err, git.ErrRemoteNotFound) {
		return fallback
	}
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("could not read git remote origin (%v); the name comes from the directory", err))
		return fallback
	}
	urls := remote.Config().URLs
	if len(urls) == 0 {
		return fallback
	}
	if name := repoNameFromURL(urls[0]); name != "" {
		return Finding{Value: name, Reason: "git remote origin (" + urls[0] + ")"}
	}
	return fallback
}

// repoNameFromURL returns the last path element of a git URL without
// ".git": "git@github.com:acme/shop.git", "https://github.com/acme/shop/"
// and "/srv/git/shop.git" all give "shop".
func repoNameFromURL(url string) string {
	url = strings.TrimRight(url, "/\\")
	if i := strings.LastIndexAny(url, "/\\:"); i >= 0 {
		url = url[i+1:]
	}
	return strings.TrimSuffix(url, ".git")
}
