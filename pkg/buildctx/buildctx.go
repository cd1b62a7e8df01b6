// Package buildctx computes the content hash of a docker build: the
// Dockerfile's bytes and every file of the build context that `docker build`
// would send (honouring .dockerignore), with path, mode and content. The
// image tag is the first 12 hex digits of it, so the same inputs always give
// the same tag and any change gives a new one.
package buildctx

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// forced are never part of the context, whatever .dockerignore says: the
// app's config, its secrets and cupaas' own state. A secret must never reach
// an image, and editing them must not change the tag.
var forced = []string{".cupaas.yml", ".cupaas.yaml", ".cupaas.env", ".cupaas"}

func isForced(rel string) bool {
	for _, f := range forced {
		if rel == f || strings.HasPrefix(rel, f+"/") {
			return true
		}
	}
	return false
}

// File is one file of the build context.
type File struct {
	// Path is slash-separated and relative to the context directory.
	Path string
	Mode fs.FileMode
	Size int64
	abs  string
}

// Files lists the context files in sorted order after the ignore rules.
// Directories are not listed (an empty directory does not change the hash).
func Files(contextDir string) ([]File, error) {
	pm, err := matcher(contextDir)
	if err != nil {
		return nil, err
	}
	var files []File
	parents := map[string]patternmatcher.MatchInfo{}
	err = filepath.WalkDir(contextDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read the build context: %w", err)
		}
		rel, err := filepath.Rel(contextDir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if isForced(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		excluded := false
		if pm != nil {
			var info patternmatcher.MatchInfo
			excluded, info, err = pm.MatchesUsingParentResults(rel, parents[pathDir(rel)])
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(contextDir, ".dockerignore"), err)
			}
			if d.IsDir() {
				parents[rel] = info
			}
		}
		if d.IsDir() {
			// With no `!` pattern nothing below an excluded directory can
			// come back, so it is not even read.
			if excluded && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		if excluded {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, err)
		}
		if !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0 {
			return nil // sockets, pipes, devices are not sent either
		}
		files = append(files, File{Path: rel, Mode: info.Mode(), Size: info.Size(), abs: p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

func pathDir(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

// matcher reads the context's .dockerignore; nil when there is none.
func matcher(contextDir string) (*patternmatcher.PatternMatcher, error) {
	p := filepath.Join(contextDir, ".dockerignore")
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid pattern: %w", p, err)
	}
	return pm, nil
}

// Hash returns the hex SHA-256 of the Dockerfile and the build context.
func Hash(contextDir string, dockerfile []byte) (string, error) {
	files, err := Files(contextDir)
	if err != nil {
		return "", err
	}
	digests, err := digestAll(files)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "cupaas-build-v1\x00dockerfile\x00%d\x00", len(dockerfile))
	h.Write(dockerfile)
	for i, f := range files {
		kind := "f"
		if f.Mode&fs.ModeSymlink != 0 {
			kind = "l"
		}
		// NUL cannot occur in a path, so fields cannot run into each other.
		fmt.Fprintf(h, "\x00%s\x00%s%04o\x00%d\x00%x", f.Path, kind, f.Mode.Perm(), f.Size, digests[i])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Tag returns the first 12 hex digits of Hash.
func Tag(contextDir string, dockerfile []byte) (string, error) {
	h, err := Hash(contextDir, dockerfile)
	if err != nil {
		return "", err
	}
	return h[:12], nil
}

// digestAll hashes file contents with a bounded pool of workers; a
// symlink's digest is that of its target string (it is not followed).
func digestAll(files []File) ([][]byte, error) {
	out := make([][]byte, len(files))
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	workers := min(runtime.NumCPU(), 8)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			buf := make([]byte, 32<<10)
			for i := range jobs {
				d, err := digest(h, buf, files[i])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				out[i] = d
			}
		}()
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out, firstErr
}

func digest(h hash.Hash, buf []byte, f File) ([]byte, error) {
	h.Reset()
	if f.Mode&fs.ModeSymlink != 0 {
		target, err := os.Readlink(f.abs)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f.abs, err)
		}
		io.WriteString(h, target)
		return h.Sum(nil), nil
	}
	r, err := os.Open(f.abs)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", f.abs, err)
	}
	defer r.Close()
	// Hide *os.File's WriterTo, which would ignore buf and allocate a new
	// 32 KiB buffer for every file.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{r}, buf); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", f.abs, err)
	}
	return h.Sum(nil), nil
}

// Tar writes the build context as a tar stream: exactly the files that
// Hash covers (so the hash and what docker builds can never differ, and
// `.cupaas.env`, `.cupaas/` and `.cupaas.yml` are never sent, whatever the
// project's .dockerignore says), plus the Dockerfile at dockerfileName.
// `docker build -f <dockerfileName> -` reads it from stdin.
func Tar(w io.Writer, contextDir, dockerfileName string, dockerfile []byte) error {
	files, err := Files(contextDir)
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
	for _, f := range files {
		if f.Path == dockerfileName {
			continue // the given content wins
		}
		info, err := os.Lstat(f.abs)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f.abs, err)
		}
		if err := addDirs(f.Path, info.ModTime()); err != nil {
			return err
		}
		hdr := &tar.Header{Name: f.Path, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(f.abs)
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", f.abs, err)
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
		r, err := os.Open(f.abs)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f.abs, err)
		}
		_, err = io.CopyBuffer(tw, io.LimitReader(struct{ io.Reader }{r}, info.Size()), buf)
		r.Close()
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f.abs, err)
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
