package buildctx

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"
)

// Tar writes the build context as a tar stream: exactly the files that
// Hash covers (so the hash and what docker builds can never differ, and
// .cupaas.env, .cupaas/ and .cupaas.yml are never sent, whatever the
// project's .dockerignore says), plus the Dockerfile at dockerfileName (a
// slash path), which wins over a context file of that name.
// `docker build -f <dockerfileName> -` reads it from stdin.
func Tar(w io.Writer, contextDir, dockerfileName string, dockerfile []byte) error {
	root := filepath.Clean(contextDir)
	entries, err := list(root)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	addDirs := func(p string, mod time.Time) error {
		var parents []string
		for d := path.Dir(p); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			dirs[parents[i]] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: parents[i] + "/", Mode: 0o755, ModTime: mod}); err != nil {
				return err
			}
		}
		return nil
	}
	buf := make([]byte, 32<<10)
	for _, e := range entries {
		if e.rel == dockerfileName {
			continue
		}
		abs := e.abs(root)
		info, err := os.Lstat(abs)
		if err != nil {
			return fmt.Errorf("cannot read %s of the build context: %w", e.rel, err)
		}
		if err := addDirs(e.rel, info.ModTime()); err != nil {
			return err
		}
		hdr := &tar.Header{Name: e.rel, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(abs)
			if err != nil {
				return fmt.Errorf("cannot read %s of the build context: %w", e.rel, err)
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		r, err := os.Open(abs)
		if err != nil {
			return fmt.Errorf("cannot read %s of the build context: %w", e.rel, err)
		}
		_, err = io.CopyBuffer(tw, io.LimitReader(struct{ io.Reader }{r}, info.Size()), buf)
		r.Close()
		if err != nil {
			return fmt.Errorf("cannot read %s of the build context: %w", e.rel, err)
		}
	}
	now := time.Unix(0, 0)
	if err := addDirs(dockerfileName, now); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dockerfileName, Mode: 0o644, Size: int64(len(dockerfile)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(dockerfile); err != nil {
		return err
	}
	return tw.Close()
}
