//go:build unix

package buildctx

import (
	"context"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// TestSpecialFilesAreLeftOut: a FIFO is neither listed nor opened (opening
// one for reading would block).
func TestSpecialFilesAreLeftOut(t *testing.T) {
	dir := tree(t, map[string]string{"a": "1"})
	before := hashOf(t, dir, "")
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := paths(t, dir); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("files = %q", got)
	}
	if after := hashOf(t, dir, ""); after != before {
		t.Error("a FIFO changed the hash")
	}
	// A regular file that became a FIFO after the walk fails cleanly.
	_, err := digestAll(context.Background(), dir, []entry{{rel: "pipe"}})
	if err == nil {
		t.Fatal("hashing a FIFO as a file did not fail")
	}
}
