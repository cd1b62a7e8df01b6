package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cupaas/cupaas/pkg/atomicfile"
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

// deployedFile, in the bare repository, records the last update a hook
// deployed ("<old> <new> <ref>"): git moves the ref only after the hook
// exits, so the next push, which may take the app lock in between, waits
// for that move.
const deployedFile = "cupaas-deployed"

// RecordDeployed records u as deployed (see CheckUnmoved).
func RecordDeployed(gitDir string, u Update) error {
	data := []byte(u.Old + " " + u.New + " " + u.Ref + "\n")
	if err := atomicfile.Write(filepath.Join(gitDir, deployedFile), data, 0o644); err != nil {
		return fmt.Errorf("cannot record the deployed commit: %w", err)
	}
	return nil
}

// pendingWait bounds how long CheckUnmoved waits for git to move the ref
// of the previous push (it does so right after that push's hook exits).
const pendingWait = 15 * time.Second

// CheckUnmoved refuses the update when its ref no longer names u.Old in
// the bare repository at gitDir: another push moved it while this one
// waited for the app lock, and git would refuse to move it after the
// deploy. A push deployed just before, whose ref git has not moved yet,
// is waited for.
func CheckUnmoved(ctx context.Context, gitDir string, u Update) error {
	repo, err := git.PlainOpen(gitDir)
	if err != nil {
		return fmt.Errorf("cannot read the git repository %s: %w", gitDir, err)
	}
	var last []string
	if data, err := os.ReadFile(filepath.Join(gitDir, deployedFile)); err == nil {
		last = strings.Fields(string(data))
	}
	deadline := time.Now().Add(pendingWait)
	for {
		now := zeroHash
		if ref, err := repo.Reference(plumbing.ReferenceName(u.Ref), true); err == nil {
			now = ref.Hash().String()
		} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return fmt.Errorf("cannot read %s of %s: %w", u.Ref, gitDir, err)
		}
		pending := len(last) == 3 && last[2] == u.Ref && now == last[0] && last[0] != last[1]
		if pending && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if now != u.Old {
			return &RefusedError{Msg: fmt.Sprintf("another push moved %s to %s while this one waited; nothing was deployed: fetch, then push again (`git push --force` to deploy this commit anyway)", strings.TrimPrefix(u.Ref, "refs/heads/"), now[:12])}
		}
		return nil
	}
}
