package remote

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cupaas/cupaas/pkg/gitsource"
)

// Followed is the head of a branch of a remote repository, fetched into
// its mirror, and the home of the app it holds.
type Followed struct {
	Mirror gitsource.Mirror
	Commit *gitsource.Commit
	Branch string
	// Home is the app directory that holds the app's .cupaas.env and
	// .cupaas/ (credentials, state, lock): <data dir>/cupaas/git/
	// <name>-<key>/<name>, so that the app's default name is the
	// repository's name.
	Home string
}

// Follow clones or fetches the repository at url into the user's cache
// directory (with go-git) and returns the head of branch ("" for the
// repository's default branch).
func Follow(ctx context.Context, url, branch string) (Followed, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return Followed{}, fmt.Errorf("cannot find the cache directory: %w; set XDG_CACHE_HOME", err)
	}
	m, err := gitsource.MirrorOf(cache, url)
	if err != nil {
		return Followed{}, err
	}
	if err := m.Update(ctx); err != nil {
		return Followed{}, err
	}
	return Head(m, branch)
}

// Head is Follow without the fetch.
func Head(m gitsource.Mirror, branch string) (Followed, error) {
	c, branch, err := m.Head(branch)
	if err != nil {
		return Followed{}, err
	}
	data, err := DataDir()
	if err != nil {
		return Followed{}, err
	}
	home := filepath.Join(data, "cupaas", "git", m.Name+"-"+m.Key, m.Name)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return Followed{}, fmt.Errorf("cannot create %s: %w", home, err)
	}
	return Followed{Mirror: m, Commit: c, Branch: branch, Home: home}, nil
}
