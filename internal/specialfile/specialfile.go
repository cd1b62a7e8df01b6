//go:build unix

// Package specialfile makes, for tests, the files that must not hang or
// exhaust cupaas: named pipes and huge sparse files; and runs the code
// under test with a deadline, so that a regression fails instead of
// blocking the test suite.
package specialfile

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// Timeout is how long Within waits.
const Timeout = 10 * time.Second

// Fifo makes a named pipe at path. Opening it for reading the ordinary way
// blocks until some process opens it for writing, which no test does.
func Fifo(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Sparse makes a file of size bytes at path that takes no disk space.
func Sparse(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// Within runs f in a goroutine and fails the test when it has not
// returned after Timeout. The goroutine of a call that blocks is left
// behind: the test has failed, and the test binary ends anyway.
func Within[T any](t testing.TB, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(Timeout):
		t.Fatalf("%s did not return within %v", what, Timeout)
		var zero T
		return zero
	}
}
