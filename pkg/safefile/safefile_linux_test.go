package safefile

import (
	"errors"
	"testing"
)

// TestProcFileLongerThanItsSize: files of /proc say they are empty but are
// not; such a file (like one that grows while it is read) is read no
// further than the limit.
func TestProcFileLongerThanItsSize(t *testing.T) {
	_, err := ReadFile("/proc/self/status", 16)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != -1 {
		t.Fatalf("err = %v", err)
	}
	if want := "/proc/self/status holds more than 16 bytes, the limit for this file"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	data, err := ReadFile("/proc/self/status", 1<<20)
	if err != nil || len(data) == 0 {
		t.Fatalf("%d bytes, %v", len(data), err)
	}
}
