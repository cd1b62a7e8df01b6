package buildctx

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestHashCanceledBeforeStart: a context that has ended stops Hash before
// it reads anything.
func TestHashCanceledBeforeStart(t *testing.T) {
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("d%d/f%03d", i%5, i)] = "content"
	}
	dir := tree(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Hash(ctx, dir, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash: err = %v, want context.Canceled", err)
	}
	if _, err := digestAll(ctx, dir, mustList(t, dir)); !errors.Is(err, context.Canceled) {
		t.Errorf("digestAll: err = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 0)
	defer cancel()
	if _, err := Inspect(ctx, dir, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Inspect: err = %v, want context.DeadlineExceeded", err)
	}
}

func mustList(t *testing.T, dir string) []entry {
	t.Helper()
	entries, err := list(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
