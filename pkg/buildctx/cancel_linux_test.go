package buildctx

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHashCanceledInALargeFile cancels the context while a 64 GiB file
// (sparse: it takes no disk space, but reads as zeros) is hashed, which
// would take tens of seconds: Hash must return context.Canceled having read
// a small part of it. What was read is counted by the kernel
// (/proc/self/io), so the test asserts no timing.
func TestHashCanceledInALargeFile(t *testing.T) {
	const size = 64 << 30
	dir := tree(t, map[string]string{"a.py": "print(1)"})
	f, err := os.Create(filepath.Join(dir, "huge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	before := readBytes(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once 32 MiB were read: the hashing is then inside huge.bin.
	go func() {
		for ctx.Err() == nil && readBytes(t)-before < 32<<20 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err = Hash(ctx, dir, nil)
	read := readBytes(t) - before
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if read >= size/2 {
		t.Errorf("read %d bytes of the %d-byte file before stopping", read, int64(size))
	}
}

// readBytes is the number of bytes this process read with read(2) and the
// like so far.
func readBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Error(err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Error(err)
			}
			return n
		}
	}
	t.Error("no rchar in /proc/self/io")
	return 0
}
