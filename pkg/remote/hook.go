package remote

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cupaas/cupaas/pkg/gitsource"
)

// Update is one line of a pre-receive hook's input: a ref's old and new
// commit.
type Update struct {
	Old, New, Ref string
}

const zeroHash = "0000000000000000000000000000000000000000"

// Deletes reports whether the update deletes the ref.
func (u Update) Deletes() bool { return u.New == zeroHash }

// ParseUpdates reads the lines "<old> <new> <ref>" git gives the hook.
func ParseUpdates(r io.Reader) ([]Update, error) {
	var out []Update
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !gitsource.IsHash(f[0]) || !gitsource.IsHash(f[1]) {
			return nil, fmt.Errorf("unexpected input from git: %q (is this a pre-receive hook of a SHA-1 repository?)", sc.Text())
		}
		out = append(out, Update{Old: f[0], New: f[1], Ref: f[2]})
	}
	return out, sc.Err()
}

// RefusedError is a push the hook refuses before deploying anything.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Pick returns the one update that deploys: of the deploy branch, not a
// deletion. Any other ref in the push refuses the whole push, with the
// command that would deploy it.
func Pick(updates []Update, branch string) (Update, error) {
	want := "refs/heads/" + branch
	var picked *Update
	for i, u := range updates {
		switch {
		case u.Ref != want:
			name := strings.TrimPrefix(strings.TrimPrefix(u.Ref, "refs/heads/"), "refs/tags/")
			return Update{}, &RefusedError{Msg: fmt.Sprintf("only branch %s deploys, and this push updates %s; to deploy it, push it to %s: `git push cupaas %s:%s`", branch, u.Ref, branch, name, branch)}
		case u.Deletes():
			return Update{}, &RefusedError{Msg: fmt.Sprintf("deleting branch %s is refused: it names the deployed commit; to deploy another commit, push it with `git push --force cupaas COMMIT:%s`", branch, branch)}
		}
		picked = &updates[i]
	}
	if picked == nil {
		return Update{}, &RefusedError{Msg: "nothing to deploy: the push updates no ref"}
	}
	return *picked, nil
}

// ObjectDirs are the object directories git names to a pre-receive hook
// (the quarantine first, then the alternates), made absolute against
// gitDir, the hook's directory.
func ObjectDirs(gitDir string) []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(gitDir, d)
		}
		dirs = append(dirs, d)
	}
	add(os.Getenv("GIT_OBJECT_DIRECTORY"))
	for _, d := range filepath.SplitList(os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
		add(d)
	}
	return dirs
}
