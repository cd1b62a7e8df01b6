package buildctx

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"
)

// Tar writes the build context as a tar stream: exactly the files that
// Hash covers (so .cupaas.env, .cupaas/ and .git at any depth and the root
// .cupaas.yml are never sent, whatever the project's .dockerignore says),
// plus the Dockerfile at
// dockerfileName (a slash path), which wins over a context file of that
// name. `docker build -f <dockerfileName> -` reads it from stdin.
//
// It returns the Hash of what it sent, computed from the very bytes it
// wrote: a file saved between Hash and Tar shows as a different hash, so
// the caller can refuse to tag the image with a hash of other content.
func Tar(w io.Writer, contextDir, dockerfileName string, dockerfile []byte) (string, error) {
	root := filepath.Clean(contextDir)
	entries, err := list(context.Background(), root)
	if err != nil {
		return "", err
	}
	digests := make([]digest, len(entries))
	tw := newContextWriter(w)
	buf := make([]byte, 32<<10)
	h := sha256.New()
	for i, e := range entries {
		abs := e.abs(root)
		d := &digests[i]
		h.Reset()
		fail := func(err error) (string, error) {
			return "", fmt.Errorf("cannot read %s of the build context: %w", e.rel, err)
		}
		if e.rel == dockerfileName {
			// Not sent (the Dockerfile takes its place), but hashed as
			// Hash does.
			if e.link {
				err = hashLink(h, abs, d)
			} else {
				err = hashFile(h, buf, abs, d, nil)
			}
			if err != nil {
				return fail(err)
			}
			h.Sum(d.sum[:0])
			continue
		}
		info, err := os.Lstat(abs)
		if err != nil {
			return fail(err)
		}
		if err := tw.addDirs(e.rel, info.ModTime()); err != nil {
			return "", err
		}
		hdr := &tar.Header{Name: e.rel, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		if e.link {
			if info.Mode()&fs.ModeSymlink == 0 {
				return fail(fmt.Errorf("no longer a symbolic link"))
			}
			target, err := os.Readlink(abs)
			if err != nil {
				return fail(err)
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
			if err := tw.WriteHeader(hdr); err != nil {
				return "", err
			}
			h.Write([]byte(target))
			d.size, d.perm = int64(len(target)), fs.ModePerm
			h.Sum(d.sum[:0])
			continue
		}
		if !info.Mode().IsRegular() {
			return fail(fmt.Errorf("no longer a regular file"))
		}
		r, err := os.Open(abs)
		if err != nil {
			return fail(err)
		}
		// The size and mode of the open file: the header must match the
		// bytes that follow, and the digest both.
		st, err := r.Stat()
		if err != nil || !st.Mode().IsRegular() {
			r.Close()
			if err == nil {
				err = fmt.Errorf("no longer a regular file")
			}
			return fail(err)
		}
		hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, st.Size(), int64(st.Mode().Perm())
		if err := tw.WriteHeader(hdr); err != nil {
			r.Close()
			return "", err
		}
		n, err := io.CopyBuffer(io.MultiWriter(tw, h), io.LimitReader(struct{ io.Reader }{r}, st.Size()), buf)
		r.Close()
		if err != nil {
			return fail(err)
		}
		if n != st.Size() {
			return fail(fmt.Errorf("it shrank while it was read; run the deploy again"))
		}
		d.size, d.perm = n, st.Mode().Perm()
		h.Sum(d.sum[:0])
	}
	if err := tw.finish(dockerfileName, dockerfile); err != nil {
		return "", err
	}
	return combine(dockerfile, entries, digests), nil
}

// contextWriter writes a build context's tar: each file's parent
// directories before it, once, and the Dockerfile last.
type contextWriter struct {
	*tar.Writer
	dirs map[string]bool
}

func newContextWriter(w io.Writer) *contextWriter {
	return &contextWriter{Writer: tar.NewWriter(w), dirs: map[string]bool{}}
}

// addDirs writes the headers of p's parent directories not written yet.
func (tw *contextWriter) addDirs(p string, mod time.Time) error {
	var parents []string
	for d := path.Dir(p); d != "." && d != "/" && !tw.dirs[d]; d = path.Dir(d) {
		parents = append(parents, d)
	}
	for i := len(parents) - 1; i >= 0; i-- {
		tw.dirs[parents[i]] = true
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: parents[i] + "/", Mode: 0o755, ModTime: mod}); err != nil {
			return err
		}
	}
	return nil
}

// finish writes the Dockerfile under name, which wins over a context file
// of that name, and closes the tar.
func (tw *contextWriter) finish(name string, dockerfile []byte) error {
	now := time.Unix(0, 0)
	if err := tw.addDirs(name, now); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(dockerfile)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(dockerfile); err != nil {
		return err
	}
	return tw.Close()
}
