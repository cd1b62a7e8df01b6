// Package safefile reads the files cupaas takes from the user: the app's
// files (.cupaas.yml, .cupaas.env, package.json, ...), its local state and
// the user's settings. It opens only regular files and reads only up to a
// limit, so that no file can make cupaas hang or run out of memory: a named
// pipe, a device such as /dev/zero, a socket or a directory is refused by
// name, and a file over its limit is refused before any of it is read.
//
// Opening never blocks: where the platform has O_NONBLOCK, the file is
// opened with it (opening a named pipe that no one writes to would
// otherwise wait for a writer, deaf to Ctrl-C), then checked with fstat on
// the opened descriptor, so that a file swapped for a pipe after a Stat is
// still refused.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// NotRegularError is returned for a path that is not a regular file.
type NotRegularError struct {
	Path string
	// Kind says what it is instead: "a named pipe", "a directory", ...
	Kind string
}

func (e *NotRegularError) Error() string { return e.Path + " " + e.Reason() }

// Reason is the message without the path.
func (e *NotRegularError) Reason() string {
	return "is not a regular file (" + e.Kind + ")"
}

// TooLargeError is returned for a file over its limit.
type TooLargeError struct {
	Path string
	// Size is the file's size; -1 when it said it was smaller but held
	// more than Limit when read (it grew, or it is a file of /proc).
	Size  int64
	Limit int64
}

func (e *TooLargeError) Error() string { return e.Path + " " + e.Reason() }

// Reason is the message without the path.
func (e *TooLargeError) Reason() string {
	if e.Size < 0 {
		return fmt.Sprintf("holds more than %s, the limit for this file", Size(e.Limit))
	}
	return fmt.Sprintf("is %s, over the limit of %s for this file", Size(e.Size), Size(e.Limit))
}

// Refused reports whether err is a *NotRegularError or a *TooLargeError:
// an error that names the file and says what is wrong with it, which a
// caller need not wrap.
func Refused(err error) bool {
	var nr *NotRegularError
	var tl *TooLargeError
	return errors.As(err, &nr) || errors.As(err, &tl)
}

// Size formats a number of bytes for messages: "512 bytes", "4 MiB",
// "1.5 GiB (1610612736 bytes)".
func Size(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	if n < 1<<10 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	v, u := float64(n)/(1<<10), units[0]
	for i := 1; i < len(units) && v >= 1<<10; i++ {
		v, u = v/(1<<10), units[i]
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), u)
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", v, u, n)
}

// Kind describes a file mode that is not regular, as NotRegularError.Kind.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a file cupaas can read"
}

// Open opens the regular file at path for reading, without ever blocking
// on a special file. The error of a missing file is the *fs.PathError of
// os.Open (errors.Is(err, fs.ErrNotExist) holds); one that is not a regular
// file is a *NotRegularError.
func Open(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Kind: Kind(st.Mode())}
	}
	return f, st, nil
}

// CheckRegular returns a *NotRegularError when path exists and is not a
// regular file, for a file that another package opens (a lock file): it
// should open it with NonBlock too, in case it is replaced meanwhile.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		return &NotRegularError{Path: path, Kind: Kind(st.Mode())}
	}
	return nil
}

// ReadFile returns the content of the regular file at path, which must
// hold at most limit bytes: a larger one is a *TooLargeError, found with
// fstat before anything is read (and, should the file grow meanwhile, by
// reading at most limit+1 bytes). Errors name the file.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: st.Size(), Limit: limit}
	}
	data, err := readAtMost(f, st.Size(), limit+1)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: -1, Limit: limit}
	}
	return data, nil
}

// ReadHead returns the first bytes of the regular file at path, at most
// limit of them, for files that are searched rather than parsed: the rest
// of a larger file is ignored.
func ReadHead(path string, limit int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readAtMost(f, st.Size(), limit)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, nil
}

// readAtMost reads r to its end, but no more than n bytes. size, the
// expected length, sizes the buffer: a file that does not change is read
// into one allocation.
func readAtMost(r io.Reader, size, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(max(size, 0)+1, n))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // it grew: make room
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// DirFS returns a file system of the tree at dir, as os.DirFS does, except
// that Open opens only regular files (through Open above): opening a
// directory, a named pipe or a device is an error, and never blocks.
func DirFS(dir string) fs.StatFS { return dirFS(dir) }

type dirFS string

func (d dirFS) join(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

func (d dirFS) Open(name string) (fs.File, error) {
	p, err := d.join("open", name)
	if err != nil {
		return nil, err
	}
	f, _, err := Open(p)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (d dirFS) Stat(name string) (fs.FileInfo, error) {
	p, err := d.join("stat", name)
	if err != nil {
		return nil, err
	}
	return os.Stat(p)
}
