package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Mirror is a local mirror (a bare repository) of a remote repository,
// kept in the user's cache directory to follow its branches.
type Mirror struct {
	// URL is the remote repository.
	URL string
	// Dir is the mirror.
	Dir string
	// Name is RepoName(URL).
	Name string
	// Key is a short hash of the URL, telling apart mirrors of two
	// repositories of the same name.
	Key string
}

// CheckURL refuses a repository URL that holds a password, without
// showing it: the mirror's config and every message would hold it.
func CheckURL(url string) error {
	if u, err := neturl.Parse(url); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return &RefError{Err: errors.New("the repository URL holds a password (it is not shown): cupaas would keep it in its cache and could print it; give the URL without it (only public repositories can be followed)")}
		}
	}
	return nil
}

// MirrorOf returns where the mirror of url is kept, under cacheDir:
// <cacheDir>/cupaas/git/<name>-<key>.git.
func MirrorOf(cacheDir, url string) (Mirror, error) {
	if err := CheckURL(url); err != nil {
		return Mirror{}, err
	}
	name := RepoName(url)
	if name == "" {
		return Mirror{}, &RefError{Err: fmt.Errorf("cannot tell a repository name from %q; give the URL of a repository, such as https://github.com/me/app.git", url)}
	}
	sum := sha256.Sum256([]byte(url))
	key := hex.EncodeToString(sum[:6])
	return Mirror{URL: url, Name: name, Key: key, Dir: filepath.Join(cacheDir, "cupaas", "git", name+"-"+key+".git")}, nil
}

// Update clones the mirror (with go-git) or fetches what changed since.
func (m Mirror) Update(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(m.Dir, "HEAD")); err != nil {
		if err := os.MkdirAll(filepath.Dir(m.Dir), 0o700); err != nil {
			return fmt.Errorf("cannot create %s: %w", filepath.Dir(m.Dir), err)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(m.Dir), ".clone-*")
		if err != nil {
			return fmt.Errorf("cannot clone %s: %w", m.URL, err)
		}
		// Cloned aside, then renamed: an interrupted clone leaves no
		// half-made mirror.
		if _, err := git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{URL: m.URL, Mirror: true}); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("cannot clone %s: %w", m.URL, err)
		}
		if err := os.Rename(tmp, m.Dir); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("cannot keep the clone of %s in %s: %w", m.URL, m.Dir, err)
		}
		return nil
	}
	repo, err := git.PlainOpen(m.Dir)
	if err != nil {
		return fmt.Errorf("cannot open the mirror %s of %s: %w; delete it to clone again", m.Dir, m.URL, err)
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Force: true, Prune: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("cannot fetch %s: %w", m.URL, err)
	}
	return nil
}

// Head returns the head commit of branch; "" means the remote's default
// branch (its HEAD when cloned). It returns the branch too.
func (m Mirror) Head(branch string) (*Commit, string, error) {
	repo, err := git.PlainOpen(m.Dir)
	if err != nil {
		return nil, "", fmt.Errorf("cannot open the mirror %s of %s: %w", m.Dir, m.URL, err)
	}
	if branch == "" {
		ref, err := repo.Storer.Reference(plumbing.HEAD)
		if err != nil || ref.Type() != plumbing.SymbolicReference || !ref.Target().IsBranch() {
			return nil, "", &RefError{Err: fmt.Errorf("%s names no default branch; name one with --branch", m.URL)}
		}
		branch = ref.Target().Short()
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		return nil, branch, &RefError{Err: fmt.Errorf("%s has no branch %q; name one it has with --branch", m.URL, branch)}
	}
	c, err := commitOf(repo.Storer, ref.Hash())
	return c, branch, err
}
