//go:build !windows

package run

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCancelKillsAfterGracePeriod: a process that ignores SIGTERM is
// killed once the grace period is over.
func TestCancelKillsAfterGracePeriod(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	c := child("ignoreterm")
	c.Stdout = &out
	done := make(chan error, 1)
	go func() {
		_, err := NewOS().Run(ctx, c)
		done <- err
	}()
	for i := 0; i < 100 && !strings.Contains(out.String(), "ready\n"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "ready\n") {
		t.Fatal("the child did not start")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d < GracePeriod-100*time.Millisecond {
			t.Fatalf("killed after %v, before the grace period of %v", d, GracePeriod)
		}
	case <-time.After(GracePeriod + 10*time.Second):
		t.Fatal("Run did not return: the process outlived SIGKILL")
	}
}
