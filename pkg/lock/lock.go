// Package lock is the per-app lock in `<app>/.cupaas/lock`: two cupaas
// commands that change the same app (deploy, env set) never interleave.
//
// It is a kernel advisory lock (github.com/gofrs/flock), released by the
// kernel when its holder dies, so the lock of a dead process is simply free:
// a stale lock is taken over without any clean-up. Who holds it is recorded
// beside it in lock.info, for the message a waiter shows.
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/cupaas/cupaas/pkg/atomicfile"
)

// Lock is a held app lock.
type Lock struct {
	fl   *flock.Flock
	info string
}

// HolderInfo says who holds a lock.
type HolderInfo struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// HeldError is returned when another process holds the lock.
type HeldError struct {
	Path   string
	Holder *HolderInfo // nil when unknown
	// Waited is how long Acquire waited before giving up.
	Waited time.Duration
}

func (e *HeldError) Error() string {
	who := "another cupaas command"
	if h := e.Holder; h != nil {
		who = fmt.Sprintf("another `cupaas %s` (pid %d, started %s ago)", h.Command, h.PID, time.Since(h.Started).Round(time.Second))
	}
	msg := fmt.Sprintf("%s is working on this app and holds %s", who, e.Path)
	if e.Waited > 0 {
		msg += fmt.Sprintf("; waited %s", e.Waited.Round(time.Second))
	}
	return msg + "; wait for it to finish, or pass --wait to queue behind it"
}

// Dir is where cupaas keeps its per-app state.
func Dir(appDir string) string { return filepath.Join(appDir, ".cupaas") }

// Acquire takes the lock of the app in appDir for command. With wait <= 0
// it fails at once with *HeldError when the lock is held; otherwise it
// retries until wait has passed or ctx is done.
func Acquire(ctx context.Context, appDir, command string, wait time.Duration) (*Lock, error) {
	dir := Dir(appDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	path := filepath.Join(dir, "lock")
	fl := flock.New(path, flock.SetPermissions(0o600))
	start := time.Now()
	ok, err := fl.TryLock()
	if err == nil && !ok && wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, wait)
		ok, err = fl.TryLockContext(wctx, 200*time.Millisecond)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = nil // waited the whole time: report who holds it
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	l := &Lock{fl: fl, info: filepath.Join(dir, "lock.info")}
	if !ok {
		held := &HeldError{Path: path, Holder: readInfo(l.info)}
		if wait > 0 {
			held.Waited = time.Since(start)
		}
		return nil, held
	}
	// We hold it: any lock.info left behind names a process that is gone.
	data, _ := json.Marshal(HolderInfo{PID: os.Getpid(), Command: command, Started: time.Now().UTC()})
	if err := atomicfile.Write(l.info, data, 0o600); err != nil {
		fl.Unlock()
		return nil, err
	}
	return l, nil
}

func readInfo(path string) *HolderInfo {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var h HolderInfo
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}

// Release frees the lock.
func (l *Lock) Release() error {
	os.Remove(l.info)
	return l.fl.Unlock()
}
