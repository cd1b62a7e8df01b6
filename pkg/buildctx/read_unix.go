//go:build unix

package buildctx

import (
	"errors"
	"hash"
	"io/fs"
	"sync/atomic"
	"syscall"
)

// hashFile writes the content of the regular file abs to h and records its
// size and permissions in d. It goes to the system directly: open, fstat,
// read, close are half the system calls of os.Open, Stat, Read, Close,
// which also register the file with the poller and read once more for EOF.
// It reads as many bytes as fstat reported, like the tar stream does. It
// returns errStopped as soon as stop (when not nil) is set, checked before
// each chunk.
func hashFile(h hash.Hash, buf []byte, abs string, d *digest, stop *atomic.Bool) error {
	// O_NONBLOCK: a file replaced by a FIFO since the walk must not block
	// the open.
	const flags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	fd, err := syscall.Open(abs, flags, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(abs, flags, 0)
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	err = syscall.Fstat(fd, &st)
	for err == syscall.EINTR {
		err = syscall.Fstat(fd, &st)
	}
	if err != nil {
		return &fs.PathError{Op: "stat", Path: abs, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return &fs.PathError{Op: "read", Path: abs, Err: errors.New("no longer a regular file")}
	}
	var total int64
	for total < st.Size {
		if stop != nil && stop.Load() {
			return errStopped
		}
		n, err := syscall.Read(fd, buf[:min(int64(len(buf)), st.Size-total)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: abs, Err: err}
		}
		if n <= 0 {
			break // shrank since fstat
		}
		h.Write(buf[:n])
		total += int64(n)
	}
	d.size = total
	d.perm = fs.FileMode(st.Mode) & fs.ModePerm
	return nil
}
