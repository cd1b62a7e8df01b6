// Package gitsource reads what cupaas needs from the app's git repository
// with go-git (never the git program): the HEAD commit, whether tracked
// files changed, the branch and the "origin" remote.
package gitsource

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Info describes the repository around an app directory.
type Info struct {
	IsRepo bool `json:"isRepo"`
	// Commit is the full SHA of HEAD; "" when there is no commit yet.
	Commit string `json:"commit,omitempty"`
	// Short is the first 12 hex digits of Commit.
	Short string `json:"short,omitempty"`
	// Dirty is true when tracked files differ from HEAD (modified, staged,
	// deleted). Untracked files do not count.
	Dirty bool `json:"dirty"`
	// Branch is "" on a detached HEAD.
	Branch string `json:"branch,omitempty"`
	// Remote is the first URL of remote "origin".
	Remote string `json:"remote,omitempty"`
	// RepoName is the last path element of Remote without ".git".
	RepoName string `json:"repoName,omitempty"`
}

// Revision is the commit, with "-dirty" when tracked files changed; "" when
// there is no commit.
func (i Info) Revision() string {
	if i.Commit == "" {
		return ""
	}
	if i.Dirty {
		return i.Commit + "-dirty"
	}
	return i.Commit
}

// Read inspects the repository containing dir (dir may be a subdirectory).
// A directory outside any repository gives Info{IsRepo: false} and no error.
func Read(dir string) (Info, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return Info{}, nil
	}
	if err != nil {
		return Info{}, fmt.Errorf("cannot read the git repository at %s: %w", dir, err)
	}
	info := Info{IsRepo: true}
	if rem, err := repo.Remote("origin"); err == nil && len(rem.Config().URLs) > 0 {
		info.Remote = rem.Config().URLs[0]
		info.RepoName = RepoName(info.Remote)
	}
	head, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return info, nil // no commit yet
	}
	if err != nil {
		return info, fmt.Errorf("cannot read HEAD of the git repository at %s: %w", dir, err)
	}
	info.Commit = head.Hash().String()
	info.Short = info.Commit[:12]
	if head.Name().IsBranch() {
		info.Branch = head.Name().Short()
	}
	wt, err := repo.Worktree()
	if err != nil {
		return info, nil // a bare repository has no working tree to be dirty
	}
	// Status compares every file of the work tree with the index and HEAD;
	// on very large trees this is the slow part of Read.
	st, err := wt.Status()
	if err != nil {
		return info, fmt.Errorf("cannot read the git status at %s: %w", dir, err)
	}
	for _, fs := range st {
		if fs.Worktree == git.Untracked && fs.Staging == git.Untracked {
			continue
		}
		if fs.Worktree != git.Unmodified || fs.Staging != git.Unmodified {
			info.Dirty = true
			break
		}
	}
	return info, nil
}

// RepoName returns the repository name in a remote URL: the last path
// element without ".git", for https://, ssh://, scp-like git@host:org/repo
// and file paths.
func RepoName(url string) string {
	u := strings.TrimRight(strings.TrimSpace(url), "/")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if i := strings.Index(u, ":"); i >= 0 && !strings.Contains(u[:i], "/") {
		u = u[i+1:] // scp-like user@host:path
	}
	name := path.Base(strings.ReplaceAll(u, "\\", "/"))
	name = strings.TrimSuffix(name, ".git")
	if name == "." || name == "/" || name == "" {
		return ""
	}
	return name
}
