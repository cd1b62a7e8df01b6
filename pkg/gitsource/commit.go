package gitsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/helper/mount"
	"github.com/go-git/go-billy/v5/helper/polyfill"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Commit is one commit of a repository, read from git's objects: its tree
// is a build context (buildctx.Tree) and its files can be read, without a
// checkout.
type Commit struct {
	// Hash is the full hex SHA.
	Hash string
	// Time is the committer's time; files of the tree carry it.
	Time time.Time
	tree *object.Tree
}

// Short is the first 12 hex digits of the hash.
func (c *Commit) Short() string { return c.Hash[:12] }

// Info describes the commit as Read describes a clean work tree at it.
func (c *Commit) Info(branch string) Info {
	return Info{IsRepo: true, Commit: c.Hash, Short: c.Short(), Branch: branch}
}

// ResolveCommit opens the repository around dir (a work tree, or a bare
// repository) and returns the commit that rev names: any commit-ish git
// understands that go-git resolves (a hash or its prefix, a branch, a tag,
// HEAD~2, main^).
func ResolveCommit(dir, rev string) (*Commit, error) {
	if err := checkGitFiles(dir); err != nil {
		return nil, fmt.Errorf("cannot read the git repository: %w", err)
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, &RefError{Err: fmt.Errorf("%s is not in a git repository, so there is no commit %s to deploy; run `git init` and commit, or deploy the working tree without --ref", dirName(dir), rev)}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the git repository at %s: %w", dir, err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, &RefError{Err: fmt.Errorf("no commit %q in the git repository at %s (%v); name a commit, branch or tag, such as `--ref HEAD~1`", rev, dirName(dir), err)}
	}
	return commitOf(repo.Storer, *h)
}

func dirName(dir string) string {
	if dir == "" || dir == "." {
		return "the current directory"
	}
	return dir
}

// RefError is a revision that names no commit: a user mistake.
type RefError struct{ Err error }

func (e *RefError) Error() string { return e.Err.Error() }
func (e *RefError) Unwrap() error { return e.Err }

// PushedCommit returns the commit hash of the repository at gitDir (a bare
// repository) whose objects are in objectDirs first: during a pre-receive
// hook, git keeps the pushed objects in a quarantine directory
// (GIT_OBJECT_DIRECTORY, with the repository's own in
// GIT_ALTERNATE_OBJECT_DIRECTORIES) until the hook accepts them.
func PushedCommit(gitDir, hash string, objectDirs []string) (*Commit, error) {
	repo, err := git.PlainOpen(gitDir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the git repository at %s: %w", gitDir, err)
	}
	stores := multiStore{EncodedObjectStorer: repo.Storer}
	for _, d := range objectDirs {
		if d == "" {
			continue
		}
		// dotgit reads objects from "objects" under its root: mount the
		// directory there.
		root := polyfill.New(mount.New(memfs.New(), "objects", osfs.New(d)))
		stores.first = append(stores.first, filesystem.NewObjectStorage(dotgit.New(root), cache.NewObjectLRUDefault()))
	}
	return commitOf(stores, plumbing.NewHash(hash))
}

func commitOf(s storer.EncodedObjectStorer, h plumbing.Hash) (*Commit, error) {
	c, err := object.GetCommit(s, h)
	if err != nil {
		return nil, fmt.Errorf("cannot read commit %s: %w", h, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("cannot read the tree of commit %s: %w", h, err)
	}
	return &Commit{Hash: h.String(), Time: c.Committer.When, tree: t}, nil
}

// multiStore reads an object from the first store that has it, then from
// the embedded one.
type multiStore struct {
	storer.EncodedObjectStorer
	first []*filesystem.ObjectStorage
}

func (m multiStore) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	for _, s := range m.first {
		if o, err := s.EncodedObject(t, h); err == nil {
			return o, nil
		}
	}
	return m.EncodedObjectStorer.EncodedObject(t, h)
}

func (m multiStore) HasEncodedObject(h plumbing.Hash) error {
	for _, s := range m.first {
		if s.HasEncodedObject(h) == nil {
			return nil
		}
	}
	return m.EncodedObjectStorer.HasEncodedObject(h)
}

func (m multiStore) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	for _, s := range m.first {
		if n, err := s.EncodedObjectSize(h); err == nil {
			return n, nil
		}
	}
	return m.EncodedObjectStorer.EncodedObjectSize(h)
}

// Describe names a path of the commit in messages.
func (c *Commit) Describe(name string) string {
	if name == "" {
		return "commit " + c.Short()
	}
	return "commit " + c.Short() + ":" + name
}

// ReadDir lists the directory dir ("" for the root) of the commit.
func (c *Commit) ReadDir(dir string) ([]fs.DirEntry, error) {
	t := c.tree
	if dir != "" {
		var err error
		if t, err = c.tree.Tree(dir); err != nil {
			return nil, err
		}
	}
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		out = append(out, fs.FileInfoToDirEntry(c.info(path.Join(dir, e.Name), e)))
	}
	return out, nil
}

// Lstat describes the file name of the commit.
func (c *Commit) Lstat(name string) (fs.FileInfo, error) {
	e, err := c.tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return c.info(name, *e), nil
}

// Open returns the content of a file of the commit, or a link's target.
func (c *Commit) Open(name string) (io.ReadCloser, error) {
	f, err := c.tree.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.Reader()
}

// ReadFile reads a file of the commit of at most limit bytes.
func (c *Commit) ReadFile(name string, limit int64) ([]byte, error) {
	r, err := c.Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", c.Describe(name), limit)
	}
	return data, nil
}

// IsFile reports whether the commit has a regular file at name.
func (c *Commit) IsFile(name string) bool {
	info, err := c.Lstat(name)
	return err == nil && info.Mode().IsRegular()
}

func (c *Commit) info(name string, e object.TreeEntry) fileInfo {
	fi := fileInfo{name: path.Base(name), mod: c.Time}
	switch e.Mode {
	case filemode.Dir:
		fi.mode = fs.ModeDir | 0o755
	case filemode.Regular, filemode.Deprecated:
		fi.mode = 0o644
	case filemode.Executable:
		fi.mode = 0o755
	case filemode.Symlink:
		fi.mode = fs.ModeSymlink | fs.ModePerm
	default: // a submodule: an empty directory in a checkout
		fi.mode = fs.ModeIrregular
	}
	if fi.mode.IsRegular() || fi.mode&fs.ModeSymlink != 0 {
		if f, err := c.tree.TreeEntryFile(&e); err == nil {
			fi.size = f.Size
		}
	}
	return fi
}

type fileInfo struct {
	name string
	mode fs.FileMode
	size int64
	mod  time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.mod }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

// IsHash reports whether s is a full hex SHA-1.
func IsHash(s string) bool {
	return len(s) == 40 && strings.Trim(s, "0123456789abcdef") == ""
}
