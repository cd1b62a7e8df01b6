package lock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain doubles as a child process that holds the lock until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LOCK_TEST_HOLD"); dir != "" {
		if _, err := Acquire(context.Background(), dir, "deploy", 0); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(context.Background(), dir, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, ".cupaas"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf(".cupaas: %v %v", st.Mode(), err)
	}
	_, err = Acquire(context.Background(), dir, "env set", 0)
	var held *HeldError
	if !errors.As(err, &held) || held.Holder == nil || held.Holder.PID != os.Getpid() || held.Holder.Command != "deploy" {
		t.Fatalf("second Acquire: %v", err)
	}
	if !strings.Contains(err.Error(), "another `cupaas deploy` (pid") || !strings.Contains(err.Error(), "pass --wait") {
		t.Fatalf("message: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(context.Background(), dir, "deploy", 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

func TestWaitForRelease(t *testing.T) {
	dir := t.TempDir()
	l, _ := Acquire(context.Background(), dir, "deploy", 0)
	go func() {
		time.Sleep(300 * time.Millisecond)
		l.Release()
	}()
	l2, err := Acquire(context.Background(), dir, "deploy", 5*time.Second)
	if err != nil {
		t.Fatalf("waiting Acquire: %v", err)
	}
	l2.Release()
}

func TestWaitGivesUp(t *testing.T) {
	dir := t.TempDir()
	l, _ := Acquire(context.Background(), dir, "deploy", 0)
	defer l.Release()
	_, err := Acquire(context.Background(), dir, "deploy", 300*time.Millisecond)
	var held *HeldError
	if !errors.As(err, &held) || held.Waited < 300*time.Millisecond {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	dir := t.TempDir()
	l, _ := Acquire(context.Background(), dir, "deploy", 0)
	defer l.Release()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := Acquire(ctx, dir, "deploy", time.Minute)
	if err == nil || !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestStaleInfoIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".cupaas"), 0o700)
	os.WriteFile(filepath.Join(dir, ".cupaas", "lock.info"), []byte(`{"pid": 999999, "command": "deploy", "started": "2020-01-01T00:00:00Z"}`), 0o600)
	l, err := Acquire(context.Background(), dir, "deploy", 0)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	defer l.Release()
	if h := readInfo(filepath.Join(dir, ".cupaas", "lock.info")); h == nil || h.PID != os.Getpid() {
		t.Fatalf("lock.info = %+v", h)
	}
}

func TestLockOfKilledProcessIsFree(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCK_TEST_HOLD="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	_, err := Acquire(context.Background(), dir, "deploy", 0)
	var held *HeldError
	if !errors.As(err, &held) || held.Holder == nil || held.Holder.PID != cmd.Process.Pid {
		t.Fatalf("while the child holds it: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(context.Background(), dir, "deploy", 0)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}
