package buildctx

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Tree is a build context that is not a directory on disk, such as the
// tree of a git commit read from git's objects (gitsource.Commit). Paths
// are slash paths relative to its root; "" is the root.
type Tree interface {
	// ReadDir lists a directory; each entry's Type is a directory, a
	// regular file, a symbolic link, or anything else (ignored, like a
	// socket in a directory).
	ReadDir(dir string) ([]fs.DirEntry, error)
	// Lstat describes a file without following a link: its permission
	// bits (and fs.ModeSymlink for a link), its size and its time.
	Lstat(name string) (fs.FileInfo, error)
	// Open returns the content of a regular file, or the target of a
	// symbolic link.
	Open(name string) (io.ReadCloser, error)
	// Describe names a path of the tree in messages, such as
	// "commit 1a2b3c4d5e6f:.dockerignore".
	Describe(name string) string
}

// listTree is list for a Tree: the same forced exclusions and the same
// .dockerignore rules, read from the tree itself.
func listTree(ctx context.Context, t Tree) ([]entry, error) {
	rules, err := readTreeIgnore(t)
	if err != nil {
		return nil, err
	}
	return walkAll(ctx, rules, "", func(rel, _ string) ([]fs.DirEntry, error) {
		d, err := t.ReadDir(rel)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", t.Describe(rel), err)
		}
		return d, nil
	})
}

// readTreeIgnore reads the tree's .dockerignore; nil when it has none.
func readTreeIgnore(t Tree) (*ignoreRules, error) {
	info, err := t.Lstat(IgnoreFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(IgnoreFile), err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; make it one", t.Describe(IgnoreFile))
	}
	if info.Size() > MaxIgnoreSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; is this the right file?", t.Describe(IgnoreFile), MaxIgnoreSize)
	}
	data, err := readTreeFile(t, IgnoreFile, MaxIgnoreSize)
	if err != nil {
		return nil, err
	}
	return parseIgnore(t.Describe(IgnoreFile), data)
}

// readTreeFile reads at most limit bytes of a file of the tree.
func readTreeFile(t Tree, name string, limit int64) ([]byte, error) {
	r, err := t.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(name), err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(name), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", t.Describe(name), limit)
	}
	return data, nil
}

// CheckTreeIgnore is CheckIgnore for a Tree.
func CheckTreeIgnore(t Tree) error {
	_, err := readTreeIgnore(t)
	return err
}

// InspectTree is Inspect for a Tree. For the same files (paths, types,
// permission bits, contents) and the same Dockerfile it gives the same
// hash as Inspect of a directory: a clean checkout of a commit and the
// commit itself have one tag.
func InspectTree(ctx context.Context, t Tree, dockerfile []byte) (Summary, error) {
	entries, err := listTree(ctx, t)
	if err != nil {
		return Summary{}, err
	}
	digests := make([]digest, len(entries))
	h := sha256.New()
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		if _, err := digestTree(t, e, h, io.Discard, &digests[i]); err != nil {
			return Summary{}, err
		}
	}
	s := Summary{Hash: combine(dockerfile, entries, digests)}
	for _, e := range entries {
		if LooksSensitive(e.rel) {
			s.Sensitive = append(s.Sensitive, e.rel)
		}
	}
	return s, nil
}

// digestTree hashes one file of the tree into d, copying its content (or
// link target) to w as well; it returns the file's info.
func digestTree(t Tree, e entry, h interface {
	io.Writer
	Reset()
	Sum([]byte) []byte
}, w io.Writer, d *digest) (fs.FileInfo, error) {
	info, err := t.Lstat(e.rel)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
	}
	r, err := t.Open(e.rel)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
	}
	defer r.Close()
	h.Reset()
	n, err := io.Copy(io.MultiWriter(h, w), r)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
	}
	if n != info.Size() {
		return nil, fmt.Errorf("cannot read %s: %d bytes instead of %d", t.Describe(e.rel), n, info.Size())
	}
	d.size = n
	if e.link {
		d.perm = fs.ModePerm
	} else {
		d.perm = info.Mode().Perm()
	}
	h.Sum(d.sum[:0])
	return info, nil
}

// TarTree is Tar for a Tree: the same files, headers and Dockerfile, read
// from the tree (for a commit, streamed from git's objects: nothing is
// checked out). It returns the hash of what it sent.
func TarTree(ctx context.Context, w io.Writer, t Tree, dockerfileName string, dockerfile []byte) (string, error) {
	entries, err := listTree(ctx, t)
	if err != nil {
		return "", err
	}
	digests := make([]digest, len(entries))
	tw := newContextWriter(w)
	h := sha256.New()
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if e.rel == dockerfileName {
			// Replaced by the Dockerfile, but hashed.
			if _, err := digestTree(t, e, h, io.Discard, &digests[i]); err != nil {
				return "", err
			}
			continue
		}
		info, err := t.Lstat(e.rel)
		if err != nil {
			return "", fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
		}
		if err := tw.addDirs(e.rel, info.ModTime()); err != nil {
			return "", err
		}
		hdr := &tar.Header{Name: e.rel, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		if e.link {
			r, err := t.Open(e.rel)
			if err != nil {
				return "", fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
			}
			target, err := io.ReadAll(io.LimitReader(r, 4096+1))
			r.Close()
			if err != nil {
				return "", fmt.Errorf("cannot read %s: %w", t.Describe(e.rel), err)
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(target)
			if err := tw.WriteHeader(hdr); err != nil {
				return "", err
			}
			if _, err := digestTree(t, e, h, io.Discard, &digests[i]); err != nil {
				return "", err
			}
			continue
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		if _, err := digestTree(t, e, h, tw, &digests[i]); err != nil {
			return "", err
		}
	}
	if err := tw.finish(dockerfileName, dockerfile); err != nil {
		return "", err
	}
	return combine(dockerfile, entries, digests), nil
}
