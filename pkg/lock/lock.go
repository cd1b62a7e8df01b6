// Package lock is the per-app lock, `lock` in the app's home: two cupaas
// commands that change the same app (deploy, env set) never interleave.
//
// It is a kernel advisory lock (github.com/gofrs/flock: flock(2) on unix,
// LockFileEx on windows), which the kernel releases when its holder dies.
// The lock of a dead process is therefore simply free, and a stale lock is
// taken over without any clean-up.
//
// Who holds the lock is recorded beside it in `.cupaas/lock.info` (JSON: pid,
// command, start time), only so that a waiter can say who it waits for. A
// lock.info left behind by a process that died names a pid that no longer
// runs; the next holder overwrites it as soon as it has the lock. The file is
// never used to decide whether the lock is held.
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/cupaas/cupaas/pkg/safefile"
)

// DefaultHint is the advice a HeldError ends with when its Hint is empty.
const DefaultHint = "wait for it to finish, or pass --wait to queue behind it"

// While waiting, Acquire polls (a blocked flock cannot be cancelled): soon
// at first, since `env set` holds the lock for a moment only, then every
// maxRetry. A poll is an open, a non-blocking flock and a close.
const (
	firstRetry = 5 * time.Millisecond
	maxRetry   = 50 * time.Millisecond
)

// Lock is a held app lock. Release it when done.
type Lock struct {
	fl   *flock.Flock
	info string

	mu       sync.Mutex
	released bool
}

// HolderInfo says who holds a lock. It is stored as JSON in lock.info.
type HolderInfo struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// HeldError is returned by Acquire when another process (or another Lock in
// this process) holds the lock.
type HeldError struct {
	// Path is the lock file.
	Path string
	// Holder is read from lock.info; nil when that file is missing or
	// unreadable (e.g. the holder is just starting or just finishing).
	Holder *HolderInfo
	// Waited is how long Acquire waited before giving up (0: it did not).
	Waited time.Duration
	// Hint is the advice that ends the message; DefaultHint when empty.
	// Callers whose flag is not --wait set their own.
	Hint string
}

// Error reads like: another `cupaas deploy` (pid 1234, started 12s ago) is
// working on this app and holds /app/.cupaas/lock; wait for it to finish,
// or pass --wait to queue behind it.
func (e *HeldError) Error() string { return e.message(time.Now()) }

func (e *HeldError) message(now time.Time) string {
	who := "another cupaas command"
	if h := e.Holder; h != nil {
		if h.Command != "" {
			who = fmt.Sprintf("another `cupaas %s`", h.Command)
		}
		if h.Started.IsZero() {
			who += fmt.Sprintf(" (pid %d)", h.PID)
		} else {
			ago := max(now.Sub(h.Started), 0).Round(time.Second)
			who += fmt.Sprintf(" (pid %d, started %s ago)", h.PID, ago)
		}
	}
	msg := fmt.Sprintf("%s is working on this app and holds %s", who, e.Path)
	if e.Waited > 0 {
		waited := e.Waited.Round(time.Second)
		if e.Waited < time.Second {
			waited = e.Waited.Round(100 * time.Millisecond)
		}
		msg += fmt.Sprintf("; waited %s", waited)
	}
	hint := e.Hint
	if hint == "" {
		hint = DefaultHint
	}
	return msg + "; " + hint
}

// Acquire takes the lock in dir, the app's home (see pkg/home), on behalf
// of command (e.g. "deploy"), creating dir (mode 0700) if needed, and
// records the holder in lock.info.
//
// With wait <= 0 it fails at once with a *HeldError when the lock is held.
// Otherwise it retries until it gets the lock, wait has passed (*HeldError,
// with Waited set) or ctx is done (an error wrapping ctx.Err()).
//
// Each call opens the lock file anew, so two Acquire calls in one process
// exclude each other too.
func Acquire(ctx context.Context, dir, command string, wait time.Duration) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	path := filepath.Join(dir, "lock")
	info := filepath.Join(dir, "lock.info")
	// A lock file that is not a regular file (a named pipe) would block the
	// open, deaf to Ctrl-C: it is refused, and opened without blocking.
	if err := safefile.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("cannot lock the app: %w; delete it", err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|safefile.NonBlock))

	start := time.Now()
	ok, err := fl.TryLock()
	if err == nil && !ok && wait > 0 {
		ok, err = retry(ctx, fl, start.Add(wait))
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("stopped waiting for the lock on %s: %w", path, err)
		}
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if !ok {
		held := &HeldError{Path: path, Holder: readInfo(info)}
		if wait > 0 {
			held.Waited = time.Since(start)
		}
		return nil, held
	}

	// We hold it: whatever lock.info says names a process that is gone.
	data, err := json.Marshal(HolderInfo{PID: os.Getpid(), Command: command, Started: time.Now().UTC().Truncate(time.Second)})
	if err == nil {
		err = writeInfo(info, data)
	}
	if err != nil {
		_ = fl.Unlock()
		return nil, fmt.Errorf("cannot record the holder of %s: %w", path, err)
	}
	return &Lock{fl: fl, info: info}, nil
}

// retry polls the lock until it is taken, deadline passes (false, nil) or
// ctx is done (false, ctx.Err()).
func retry(ctx context.Context, fl *flock.Flock, deadline time.Time) (bool, error) {
	delay := firstRetry
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
		if ok, err := fl.TryLock(); ok || err != nil {
			return ok, err
		}
		delay = min(2*delay, maxRetry)
	}
}

// writeInfo replaces lock.info through a rename, so that a reader sees the
// old or the new content, never a partial one. It is not synced: after a
// crash the file is stale anyway, and a stale one is harmless.
func writeInfo(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lock.info.tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// maxInfoSize bounds what readInfo reads: lock.info is a line of JSON.
const maxInfoSize = 64 << 10

// readInfo reads lock.info; nil when it is missing, not a regular file of
// at most maxInfoSize bytes, or not what we wrote.
func readInfo(path string) *HolderInfo {
	data, err := safefile.ReadFile(path, maxInfoSize)
	if err != nil {
		return nil
	}
	var h HolderInfo
	if json.Unmarshal(data, &h) != nil || h.PID <= 0 {
		return nil
	}
	return &h
}

// Release removes lock.info and frees the lock. Calling it again (from any
// goroutine), or on a nil Lock, does nothing.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	// Remove the info first: once the lock is free, the file belongs to the
	// next holder.
	if err := os.Remove(l.info); err != nil && !os.IsNotExist(err) {
		_ = l.fl.Unlock()
		return fmt.Errorf("cannot remove %s: %w", l.info, err)
	}
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("cannot unlock %s: %w", l.fl.Path(), err)
	}
	return nil
}
