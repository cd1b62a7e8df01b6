package lock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdEnv makes the test binary a child process that takes the lock of the
// app directory it names, says "held" and sleeps until it is killed.
const holdEnv = "CUPAAS_LOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		if _, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startHolder starts a child process holding the lock of dir and waits
// until it has it. The child is killed at the end of the test.
func startHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("child did not take the lock: %q, %v", line, err)
	}
	return cmd
}

func mustAcquire(t *testing.T, dir, command string) *Lock {
	t.Helper()
	l, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), command, 0)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	t.Cleanup(func() { l.Release() })
	return l
}

func asHeld(t *testing.T, err error) *HeldError {
	t.Helper()
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v (%T), want *HeldError", err, err)
	}
	return held
}

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, ".cupaas"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf(".cupaas: %v, %v", st, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".cupaas", "lock.info"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("lock.info %q: %v", data, err)
	}
	if raw["pid"] != float64(os.Getpid()) || raw["command"] != "deploy" {
		t.Fatalf("lock.info = %s", data)
	}
	if started, err := time.Parse(time.RFC3339, raw["started"].(string)); err != nil || time.Since(started) > time.Minute {
		t.Fatalf("started = %v, %v", raw["started"], err)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cupaas", "lock.info")); !os.IsNotExist(err) {
		t.Fatalf("lock.info after Release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	mustAcquire(t, dir, "deploy")
}

// A second Acquire in the same process opens its own file description, so
// it conflicts with the first.
func TestSecondAcquireInProcessIsHeld(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, "deploy")
	start := time.Now()
	l, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "env", 0)
	if err == nil {
		l.Release()
		t.Fatal("second Acquire succeeded while the lock was held")
	}
	held := asHeld(t, err)
	if time.Since(start) > time.Second {
		t.Fatalf("wait=0 took %v", time.Since(start))
	}
	if held.Holder == nil || held.Holder.PID != os.Getpid() || held.Holder.Command != "deploy" {
		t.Fatalf("holder = %+v", held.Holder)
	}
	if held.Waited != 0 || held.Path != filepath.Join(dir, ".cupaas", "lock") {
		t.Fatalf("held = %+v", held)
	}
	if !strings.HasPrefix(err.Error(), "another `cupaas deploy` (pid ") || !strings.HasSuffix(err.Error(), DefaultHint) {
		t.Fatalf("message: %v", err)
	}
}

// Releasing a Lock twice must not delete the info of the next holder.
func TestDoubleReleaseKeepsNextHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	mustAcquire(t, dir, "env")
	l.Release()
	_, err = Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0)
	if h := asHeld(t, err).Holder; h == nil || h.Command != "env" {
		t.Fatalf("holder after a double Release: %+v", h)
	}
}

func TestWaitSucceedsWhenReleased(t *testing.T) {
	dir := t.TempDir()
	l := mustAcquire(t, dir, "deploy")
	time.AfterFunc(300*time.Millisecond, func() { l.Release() })
	start := time.Now()
	l2, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 10*time.Second)
	if err != nil {
		t.Fatalf("waiting Acquire: %v", err)
	}
	defer l2.Release()
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Fatalf("got the lock after %v, want soon after 300ms", d)
	}
}

func TestWaitGivesUp(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, "deploy")
	start := time.Now()
	_, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 400*time.Millisecond)
	held := asHeld(t, err)
	if held.Waited < 400*time.Millisecond || time.Since(start) > 5*time.Second {
		t.Fatalf("waited %v (%v in all)", held.Waited, time.Since(start))
	}
	if !strings.Contains(err.Error(), "; waited 400ms; ") && !strings.Contains(err.Error(), "; waited 500ms; ") {
		t.Fatalf("message: %v", err)
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, "deploy")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := Acquire(ctx, filepath.Join(dir, ".cupaas"), "deploy", time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took effect after %v", d)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, ".cupaas", "lock")) {
		t.Fatalf("message does not name the lock: %v", err)
	}
}

// A lock.info naming a dead process does not block: the flock is free, the
// new holder takes it at once and overwrites the info.
func TestStaleInfoIsTakenOver(t *testing.T) {
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".cupaas"), 0o700)
	stale := `{"pid": ` + itoa(dead.Process.Pid) + `, "command": "deploy", "started": "2020-01-01T00:00:00Z"}`
	if err := os.WriteFile(filepath.Join(dir, ".cupaas", "lock.info"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	mustAcquire(t, dir, "env")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	h := readInfo(filepath.Join(dir, ".cupaas", "lock.info"))
	if h == nil || h.PID != os.Getpid() || h.Command != "env" || h.Started.Year() < 2025 {
		t.Fatalf("lock.info = %+v", h)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A child process holds the lock: we are refused, told its pid; once it is
// killed with SIGKILL (no chance to clean up), we get the lock at once.
func TestLockOfKilledProcessIsFree(t *testing.T) {
	dir := t.TempDir()
	child := startHolder(t, dir)
	_, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0)
	held := asHeld(t, err)
	if held.Holder == nil || held.Holder.PID != child.Process.Pid || held.Holder.Command != "deploy" {
		t.Fatalf("holder = %+v, want pid %d", held.Holder, child.Process.Pid)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	start := time.Now()
	l := mustAcquire(t, dir, "deploy")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	if h := readInfo(l.info); h == nil || h.PID != os.Getpid() {
		t.Fatalf("lock.info = %+v", h)
	}
}

// A waiter gets the lock as soon as the child holding it is killed.
func TestWaiterGetsLockOfKilledProcess(t *testing.T) {
	dir := t.TempDir()
	child := startHolder(t, dir)
	time.AfterFunc(300*time.Millisecond, func() { child.Process.Kill() })
	l, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 20*time.Second)
	if err != nil {
		t.Fatalf("waiting Acquire: %v", err)
	}
	l.Release()
}

func TestHeldErrorMessage(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		err  HeldError
		want string
	}{
		{
			name: "holder known",
			err:  HeldError{Path: "/app/.cupaas/lock", Holder: &HolderInfo{PID: 1234, Command: "deploy", Started: now.Add(-12 * time.Second)}},
			want: "another `cupaas deploy` (pid 1234, started 12s ago) is working on this app and holds /app/.cupaas/lock; wait for it to finish, or pass --wait to queue behind it",
		},
		{
			name: "waited, own hint",
			err:  HeldError{Path: "/app/.cupaas/lock", Holder: &HolderInfo{PID: 7, Command: "env", Started: now.Add(-90 * time.Second)}, Waited: 10 * time.Second, Hint: "retry with --lock-timeout 5m"},
			want: "another `cupaas env` (pid 7, started 1m30s ago) is working on this app and holds /app/.cupaas/lock; waited 10s; retry with --lock-timeout 5m",
		},
		{
			name: "waited less than a second",
			err:  HeldError{Path: "l", Waited: 420 * time.Millisecond},
			want: "another cupaas command is working on this app and holds l; waited 400ms; " + DefaultHint,
		},
		{
			name: "holder unknown",
			err:  HeldError{Path: ".cupaas/lock"},
			want: "another cupaas command is working on this app and holds .cupaas/lock; wait for it to finish, or pass --wait to queue behind it",
		},
		{
			name: "no command, no start",
			err:  HeldError{Path: "l", Holder: &HolderInfo{PID: 3}},
			want: "another cupaas command (pid 3) is working on this app and holds l; " + DefaultHint,
		},
		{
			name: "start in the future",
			err:  HeldError{Path: "l", Holder: &HolderInfo{PID: 3, Command: "deploy", Started: now.Add(time.Hour)}},
			want: "another `cupaas deploy` (pid 3, started 0s ago) is working on this app and holds l; " + DefaultHint,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.message(now); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestUnreadableInfo(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data string
	}{
		{"garbage", "not json"},
		{"no pid", `{"command": "deploy"}`},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, []byte(tc.data), 0o600)
			if h := readInfo(p); h != nil {
				t.Fatalf("readInfo = %+v, want nil", h)
			}
		})
	}
	if h := readInfo(filepath.Join(dir, "missing")); h != nil {
		t.Fatalf("missing file: %+v", h)
	}
}

func TestAcquireFailsWhenDirCannotBeCreated(t *testing.T) {
	dir := t.TempDir()
	// .cupaas is a file: neither MkdirAll nor root can get past that.
	os.WriteFile(filepath.Join(dir, ".cupaas"), []byte("x"), 0o600)
	_, err := Acquire(context.Background(), filepath.Join(dir, ".cupaas"), "deploy", 0)
	if err == nil || !strings.Contains(err.Error(), "cannot create "+filepath.Join(dir, ".cupaas")) {
		t.Fatalf("err = %v", err)
	}
}
