package cluster

import "testing"

func TestHasImage(t *testing.T) {
	ls := []byte("registry.k8s.io/pause:3.10\ndocker.io/cupaas/tasks:abc\ndocker.io/library/redis:7\n")
	for image, want := range map[string]bool{"cupaas/tasks:abc": true, "cupaas/tasks:abd": false, "redis:7": true, "cupaas/tasks": false} {
		if got := hasImage(ls, image); got != want {
			t.Errorf("hasImage(%q) = %v", image, got)
		}
	}
}
