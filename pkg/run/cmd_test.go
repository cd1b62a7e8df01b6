package run

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"docker", "build", "-t", "cupaas/app:1"}, "docker build -t cupaas/app:1"},
		{[]string{"echo", "a b"}, `echo 'a b'`},
		{[]string{"echo", `it's`}, `echo it\'s`},
		{[]string{"echo", `say "hi" now`}, `echo 'say "hi" now'`},
		{[]string{"echo", ""}, `echo ''`},
		{[]string{"kubectl", "apply", "-f", "-"}, "kubectl apply -f -"},
		{[]string{"sh", "$HOME;rm"}, `sh \$HOME\;rm`},
	} {
		if got := CommandLine(tc.argv); got != tc.want {
			t.Errorf("CommandLine(%q) = %s, want %s", tc.argv, got, tc.want)
		}
	}
}

func TestTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  string
		n    int
		want []string
	}{
		{"last two", "a\nb\nc\n", 2, []string{"b", "c"}},
		{"fewer than n", "a\nb", 5, []string{"a", "b"}},
		{"blank lines skipped", "a\n\n  \nb\n\n", 2, []string{"a", "b"}},
		{"CRLF", "a\r\nb\r\n", 1, []string{"b"}},
		{"indentation kept", "  step\n", 1, []string{"  step"}},
		{"empty", "", 3, nil},
	} {
		if got := Tail([]byte(tc.out), tc.n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Tail = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStreamsReachTheirOwnWriters(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := child("echo")
	c.Stdout, c.Stderr = &stdout, &stderr
	out, err := NewOS().Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "out line\n" || stderr.String() != "err line\n" || string(out) != "out line\n" {
		t.Fatalf("stdout %q, stderr %q, captured %q", stdout.String(), stderr.String(), out)
	}
}

func TestFailureStreamsToo(t *testing.T) {
	var streamed bytes.Buffer
	c := child("fail")
	c.Stdout, c.Stderr = &streamed, &streamed
	out, err := NewOS().Run(context.Background(), c)
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != 3 {
		t.Fatalf("err = %v", err)
	}
	// The stdout read before the failure is still returned.
	if string(out) != "step 1\nstep 2\n" {
		t.Fatalf("captured %q", out)
	}
	for _, s := range []string{"step 1\n", "step 2\n", "boom\n"} {
		if !strings.Contains(streamed.String(), s) {
			t.Errorf("streamed %q lacks %q", streamed.String(), s)
		}
	}
}

func TestEnvIsAppendedToTheParents(t *testing.T) {
	t.Setenv("RUN_TEST_PARENT", "inherited")
	c := child("getenv")
	c.Env = append(c.Env, "EXTRA=added")
	out, err := NewOS().Run(context.Background(), c)
	if err != nil || string(out) != "inherited,added" {
		t.Fatalf("out %q, err %v", out, err)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	c := child("pwd")
	c.Dir = dir
	out, err := NewOS().Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(dir)
	if got, _ := filepath.EvalSymlinks(string(out)); got != want {
		t.Fatalf("ran in %q, want %q", out, want)
	}
}

// TestStartFailureIsError: a process that cannot start (here: its
// directory is gone) is an *Error without an exit code.
func TestStartFailureIsError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	c := child("echo")
	c.Dir = missing
	_, err := NewOS().Run(context.Background(), c)
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != -1 || re.Err == nil {
		t.Fatalf("err = %#v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "command failed: "+CommandLine(c.Argv)+": ") {
		t.Fatalf("message %q", msg)
	}
}

func TestEmptyArgv(t *testing.T) {
	if _, err := NewOS().Run(context.Background(), Cmd{}); err == nil || !strings.Contains(err.Error(), "empty argv") {
		t.Fatalf("err = %v", err)
	}
}

func TestNotFoundNamesTheProgram(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := NewOS().Run(context.Background(), Cmd{Argv: []string{"kubectl", "version"}})
	if err == nil || !strings.HasPrefix(err.Error(), "kubectl not found on PATH") {
		t.Fatalf("err = %v", err)
	}
	var re *Error
	if errors.As(err, &re) {
		t.Fatalf("a missing program is not a failed command: %#v", re)
	}
}

// TestOutputKeepsTheTail: a loud failure keeps exactly MaxOutput bytes, the
// last ones, so that Tail shows how it ended.
func TestOutputKeepsTheTail(t *testing.T) {
	_, err := NewOS().Run(context.Background(), child("loudtail"))
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != 2 {
		t.Fatalf("err = %v", err)
	}
	if len(re.Output) != MaxOutput {
		t.Fatalf("output %d bytes, want %d", len(re.Output), MaxOutput)
	}
	if got := re.Tail(1); len(got) != 1 || got[0] != "the last line" {
		t.Fatalf("tail %q", got)
	}
}

func TestDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewOS().Run(ctx, child("sleep"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), CommandLine([]string{testBinary()})) {
		t.Fatalf("the error does not name the command: %v", err)
	}
	// SIGTERM ends it: no wait for the grace period.
	if d := time.Since(start); d > GracePeriod {
		t.Fatalf("took %v", d)
	}
}

func testBinary() string { return child("").Argv[0] }
