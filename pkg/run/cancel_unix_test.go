//go:build !windows

package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the runner writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCancelKillsTheProcessGroup: cancelling stops the child and the
// grandchild it started.
func TestCancelKillsTheProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	c := child("parent")
	c.Stdout = &out
	done := make(chan error, 1)
	go func() {
		_, err := NewOS().Run(ctx, c)
		done <- err
	}()
	var pid int
	for i := 0; i < 100 && pid == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			pid, _ = strconv.Atoi(line)
		}
	}
	if pid == 0 {
		t.Fatal("the child did not report its grandchild")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		// SIGTERM stopped both: no waiting out the grace period.
		if d := time.Since(start); d >= GracePeriod {
			t.Fatalf("Run returned %v after the cancel", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for i := 0; i < 100 && !gone(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !gone(pid) {
		t.Fatalf("grandchild %d still runs", pid)
	}
}

// gone reports whether pid has exited: no such process, or a zombie that
// nobody has reaped yet (an orphaned grandchild is not ours to reap).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) state ...": the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// TestCancelKillsStubbornGrandchild: when the child and its grandchild
// both ignore SIGTERM, both get SIGKILL once the grace period is over,
// and Run returns only then.
func TestCancelKillsStubbornGrandchild(t *testing.T) {
	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	c := child("stubborn")
	c.Stdout = &out
	done := make(chan error, 1)
	go func() {
		_, err := osRunner{grace: grace}.Run(ctx, c)
		done <- err
	}()
	var pid int
	for i := 0; i < 200 && pid == 0; i++ {
		time.Sleep(25 * time.Millisecond)
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			pid, _ = strconv.Atoi(line)
		}
	}
	if pid == 0 {
		t.Fatal("the child did not report its grandchild")
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d < grace {
			t.Fatalf("Run returned %v after the cancel, before the grace period of %v", d, grace)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for i := 0; i < 50 && !gone(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !gone(pid) {
		t.Fatalf("grandchild %d outlived the SIGKILL", pid)
	}
}

// TestOrphanHoldingStdout: a child that exits 0 while an orphan keeps its
// stdout open succeeds, with what it printed, once the wait delay is over.
func TestOrphanHoldingStdout(t *testing.T) {
	const grace = 300 * time.Millisecond
	start := time.Now()
	out, err := osRunner{grace: grace}.Run(context.Background(), child("orphan"))
	took := time.Since(start)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if perr == nil {
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	}
	if err != nil || perr != nil {
		t.Fatalf("out %q, err %v", out, err)
	}
	if took < grace || took > grace+5*time.Second {
		t.Fatalf("Run took %v, want about the wait delay %v", took, grace)
	}
}
