package cluster

import (
	"context"
	"testing"
	"time"
)

func TestHasImage(t *testing.T) {
	ls := []byte("registry.k8s.io/pause:3.10\ndocker.io/cupaas/tasks:abc\ndocker.io/library/redis:7\n")
	for image, want := range map[string]bool{"cupaas/tasks:abc": true, "cupaas/tasks:abd": false, "redis:7": true, "cupaas/tasks": false} {
		if got := hasImage(ls, image); got != want {
			t.Errorf("hasImage(%q) = %v", image, got)
		}
	}
}

// A tunnel whose process ends by itself: Wait returns at once and says so
// (the URL works no more), and Stop does not wait its 5 s for it.
func TestTunnelEndsByItself(t *testing.T) {
	done := make(chan error, 1)
	cancelled := false
	tun := newTunnel(func() { cancelled = true }, done)
	done <- nil
	start := time.Now()
	if !tun.Wait(context.Background()) {
		t.Fatal("Wait did not say the tunnel ended by itself")
	}
	if d := time.Since(start); d > 2*time.Second || !cancelled {
		t.Fatalf("Wait took %s, cancelled %v", d, cancelled)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tun2 := newTunnel(func() {}, make(chan error))
	if tun2.Wait(ctx) {
		t.Fatal("a cancelled wait reported the tunnel ended by itself")
	}
}
