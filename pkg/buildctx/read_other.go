//go:build !unix

package buildctx

import (
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
)

// hashFile writes the content of the regular file abs to h and records its
// size and permissions in d. It reads as many bytes as Stat reported, like
// the tar stream does.
func hashFile(h hash.Hash, buf []byte, abs string, d *digest) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: abs, Err: errors.New("no longer a regular file")}
	}
	// The anonymous struct hides *os.File's WriterTo, which would not use
	// buf.
	n, err := io.CopyBuffer(h, io.LimitReader(struct{ io.Reader }{f}, info.Size()), buf)
	if err != nil {
		return &fs.PathError{Op: "read", Path: abs, Err: err}
	}
	d.size = n
	d.perm = info.Mode().Perm()
	return nil
}
