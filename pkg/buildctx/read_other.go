//go:build !unix

package buildctx

import (
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
)

// hashFile writes the content of the regular file abs to h and records its
// size and permissions in d. It reads as many bytes as Stat reported, like
// the tar stream does. It returns errStopped as soon as stop (when not nil)
// is set, checked before each chunk.
func hashFile(h hash.Hash, buf []byte, abs string, d *digest, stop *atomic.Bool) error {
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
	// stopReader hides *os.File's WriterTo, which would not use buf.
	n, err := io.CopyBuffer(h, io.LimitReader(stopReader{f, stop}, info.Size()), buf)
	if errors.Is(err, errStopped) {
		return err
	}
	if err != nil {
		return &fs.PathError{Op: "read", Path: abs, Err: err}
	}
	d.size = n
	d.perm = info.Mode().Perm()
	return nil
}

// stopReader reads from r until stop is set.
type stopReader struct {
	r    io.Reader
	stop *atomic.Bool
}

func (s stopReader) Read(p []byte) (int, error) {
	if s.stop != nil && s.stop.Load() {
		return 0, errStopped
	}
	return s.r.Read(p)
}
