//go:build !windows

package run

import (
	"bytes"
	"context"
	"errors"
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
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			return // gone
		}
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, syscall.WNOHANG, nil) // reap if it is ours
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("grandchild %d still runs", pid)
}
