// Package gitsource reads what cupaas needs from the app's git repository
// with go-git (never the git program): the HEAD commit, whether tracked
// files changed, the branch and the "origin" remote.
package gitsource

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cupaas/cupaas/pkg/safefile"
)

// Info describes the repository around an app directory.
type Info struct {
	// IsRepo is false when the directory is outside any git repository;
	// every other field is then empty.
	IsRepo bool `json:"isRepo"`
	// Commit is the full hex SHA of HEAD; "" when there is no commit yet.
	Commit string `json:"commit,omitempty"`
	// Short is the first 12 hex digits of Commit.
	Short string `json:"short,omitempty"`
	// Dirty is true when tracked files differ from HEAD: modified, deleted,
	// or staged (added, changed or removed in the index). Untracked files do
	// not count.
	Dirty bool `json:"dirty"`
	// Branch is the branch HEAD points to, also before the first commit;
	// "" on a detached HEAD.
	Branch string `json:"branch,omitempty"`
	// Remote is the first URL of remote "origin"; "" without one.
	Remote string `json:"remote,omitempty"`
	// RepoName is RepoName(Remote).
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

// Read inspects the repository containing dir; dir may be any directory
// inside the work tree, also of a linked work tree (git worktree add).
// A directory outside any repository gives Info{IsRepo: false} and no error.
//
// Finding out whether the tree is dirty is the slow part on big trees:
// go-git's Worktree.Status walks the whole work tree, including untracked
// and ignored directories such as node_modules (it drops ignored paths only
// after the walk), and hashes every tracked file whose size or mtime differs
// from the index (git would do the same for those). It does not apply
// core.autocrlf, so a checkout converted to CRLF reads as dirty.
func Read(dir string) (Info, error) {
	// go-git says "not a repository" for a missing directory too.
	if st, err := os.Stat(dir); err != nil {
		return Info{}, fmt.Errorf("cannot read the git repository: %w", err)
	} else if !st.IsDir() {
		return Info{}, fmt.Errorf("cannot read the git repository at %s: not a directory", dir)
	}
	if err := checkGitFiles(dir); err != nil {
		return Info{}, fmt.Errorf("cannot read the git repository: %w", err)
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
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
	// HEAD itself, unresolved: it names the branch even before the first
	// commit, and is a hash when detached.
	if ref, err := repo.Storer.Reference(plumbing.HEAD); err == nil && ref.Type() == plumbing.SymbolicReference && ref.Target().IsBranch() {
		info.Branch = ref.Target().Short()
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

	wt, err := repo.Worktree()
	if errors.Is(err, git.ErrIsBareRepository) {
		return info, nil // no work tree, nothing can be dirty
	}
	if err != nil {
		return info, fmt.Errorf("cannot read the work tree of the git repository at %s: %w", dir, err)
	}
	// Empty lists only the paths that differ; Preload would also list every
	// unmodified file.
	st, err := wt.StatusWithOptions(git.StatusOptions{Strategy: git.Empty})
	if err != nil {
		return info, fmt.Errorf("cannot read the git status at %s: %w", dir, err)
	}
	for _, fs := range st {
		if fs.Staging == git.Untracked && fs.Worktree == git.Untracked {
			continue // untracked (ignored ones are not listed at all)
		}
		if fs.Staging != git.Unmodified || fs.Worktree != git.Unmodified {
			info.Dirty = true
			break
		}
	}
	return info, nil
}

// RepoName returns the repository name in a remote URL: the last path
// element without ".git", for https://, ssh://, git://, file:// URLs,
// scp-like user@host:org/repo.git and plain paths. It is "" when the URL
// has no path.
func RepoName(url string) string {
	u := strings.TrimSpace(url)
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return "" // only a host
		}
		u = u[j:]
	} else if i := strings.IndexByte(u, ':'); i > 1 && !strings.ContainsAny(u[:i], `/\`) {
		u = u[i+1:] // scp-like [user@]host:path; i > 1 keeps C:\ paths
	}
	u = strings.TrimRight(strings.ReplaceAll(u, `\`, "/"), "/")
	name := strings.TrimSuffix(path.Base(u), ".git")
	if name == "" || name == "." || name == ".." || name == "/" {
		return ""
	}
	return name
}

// checkGitFiles refuses a repository whose files go-git opens first are
// not regular files: go-git would block for ever opening a named pipe as
// .git/HEAD, and no signal would end the wait. It looks for .git the way
// go-git does, from dir up.
func checkGitFiles(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil // go-git reports it
	}
	for d := abs; ; d = filepath.Dir(d) {
		dotGit := filepath.Join(d, ".git")
		st, err := os.Lstat(dotGit)
		if err == nil {
			if !st.IsDir() {
				// A linked work tree or a submodule: a file naming the
				// real directory, which go-git reads.
				return safefile.CheckRegular(dotGit)
			}
			for _, name := range []string{"HEAD", "config", "index", "packed-refs", "commondir", "ORIG_HEAD"} {
				if err := safefile.CheckRegular(filepath.Join(dotGit, name)); err != nil {
					return err
				}
			}
			head, err := safefile.ReadFile(filepath.Join(dotGit, "HEAD"), 4096)
			if ref, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: "); err == nil && ok && !strings.Contains(ref, "..") {
				return safefile.CheckRegular(filepath.Join(dotGit, filepath.FromSlash(ref)))
			}
			return nil
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}
