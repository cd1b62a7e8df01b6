package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the child process: RUN_TEST_CHILD
// selects a behaviour.
func TestMain(m *testing.M) {
	switch os.Getenv("RUN_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "echo":
		fmt.Fprint(os.Stdout, "out line\n")
		fmt.Fprint(os.Stderr, "err line\n")
		os.Exit(0)
	case "fail":
		fmt.Fprint(os.Stdout, "step 1\nstep 2\n")
		fmt.Fprint(os.Stderr, "boom\n")
		os.Exit(3)
	case "cat":
		data := new(bytes.Buffer)
		data.ReadFrom(os.Stdin)
		fmt.Fprintf(os.Stdout, "got %q and %s", data.String(), os.Getenv("EXTRA"))
		os.Exit(0)
	case "loud":
		chunk := strings.Repeat("x", 1023) + "\n"
		for i := 0; i < 1024; i++ { // 1 MiB on stderr
			os.Stderr.WriteString(chunk)
		}
		os.Exit(1)
	case "parent":
		// Start a grandchild that sleeps, print its pid, then sleep.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "RUN_TEST_CHILD=sleep")
		if err := cmd.Start(); err != nil {
			os.Exit(9)
		}
		fmt.Printf("%d\n", cmd.Process.Pid)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "loudtail":
		chunk := strings.Repeat("y", 1023) + "\n"
		for i := 0; i < 1024; i++ { // 1 MiB on stderr, then a last line
			os.Stderr.WriteString(chunk)
		}
		os.Stderr.WriteString("the last line\n")
		os.Exit(2)
	case "pwd":
		wd, _ := os.Getwd()
		fmt.Print(wd)
		os.Exit(0)
	case "getenv":
		fmt.Print(os.Getenv("RUN_TEST_PARENT") + "," + os.Getenv("EXTRA"))
		os.Exit(0)
	case "stubborn":
		// Ignore SIGTERM, start a grandchild that does too, print its pid.
		signal.Ignore(syscall.SIGTERM)
		fmt.Println(spawn("stubborn-sleep", nil))
		time.Sleep(time.Minute)
		os.Exit(0)
	case "stubborn-sleep":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "orphan":
		// Leave a grandchild that holds stdout open, and exit at once.
		fmt.Println(spawn("sleep", os.Stdout))
		os.Exit(0)
	case "ignoreterm":
		// Survive SIGTERM: only the SIGKILL after the grace period ends it.
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

// spawn starts the test binary as a grandchild with the given behaviour and
// returns its pid.
func spawn(behaviour string, stdout *os.File) int {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RUN_TEST_CHILD="+behaviour)
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		os.Exit(9)
	}
	return cmd.Process.Pid
}

func child(behaviour string, extra ...string) Cmd {
	return Cmd{Argv: append([]string{os.Args[0]}, extra...), Env: []string{"RUN_TEST_CHILD=" + behaviour}}
}

func TestSuccessCapturesStdout(t *testing.T) {
	var streamed bytes.Buffer
	c := child("echo")
	c.Stdout, c.Stderr = &streamed, &streamed
	out, err := NewOS().Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "out line\n" {
		t.Fatalf("stdout = %q", out)
	}
	if !strings.Contains(streamed.String(), "out line") || !strings.Contains(streamed.String(), "err line") {
		t.Fatalf("streamed = %q", streamed.String())
	}
}

// A sensitive command's stdout is returned, but neither streamed nor kept
// in the error; its stderr is both.
func TestSensitiveStdoutIsNotShown(t *testing.T) {
	for _, tc := range []struct{ child, stdout, stderr string }{
		{"echo", "out line\n", "err line"},
		{"fail", "step 1\nstep 2\n", "boom"},
	} {
		var streamed bytes.Buffer
		c := child(tc.child)
		c.Stdout, c.Stderr, c.Sensitive = &streamed, &streamed, true
		out, err := NewOS().Run(context.Background(), c)
		if string(out) != tc.stdout {
			t.Fatalf("%s: stdout = %q", tc.child, out)
		}
		if strings.Contains(streamed.String(), strings.TrimSpace(tc.stdout)[:4]) || !strings.Contains(streamed.String(), tc.stderr) {
			t.Fatalf("%s: streamed = %q", tc.child, streamed.String())
		}
		if tc.child == "echo" {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		var re *Error
		if !errors.As(err, &re) {
			t.Fatalf("%s: err = %v", tc.child, err)
		}
		if strings.Contains(string(re.Output), "step") || !strings.Contains(string(re.Output), "boom") {
			t.Fatalf("%s: error output %q", tc.child, re.Output)
		}
	}
}

func TestFailureIsError(t *testing.T) {
	_, err := NewOS().Run(context.Background(), child("fail", "a b", `it's`))
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %T %v", err, err)
	}
	if re.ExitCode != 3 {
		t.Fatalf("exit code %d", re.ExitCode)
	}
	// stdout and stderr arrive through two pipes: their order is not fixed.
	if got := strings.Join(re.Tail(3), ","); !strings.Contains(got, "boom") || !strings.Contains(got, "step 1,step 2") {
		t.Fatalf("tail = %q", got)
	}
	if got := re.Tail(1); len(got) != 1 {
		t.Fatalf("tail(1) = %q", got)
	}
	if want := os.Args[0] + ` 'a b' it\'s`; re.CommandLine() != want {
		t.Fatalf("command line %s, want %s", re.CommandLine(), want)
	}
	if want := "command failed with exit code 3: " + re.CommandLine(); err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Unwrap does not reach the *exec.ExitError: %#v", re.Err)
	}
}

func TestStdinAndEnv(t *testing.T) {
	c := child("cat")
	c.Stdin = strings.NewReader("secret\nvalue")
	c.Env = append(c.Env, "EXTRA=yes")
	out, err := NewOS().Run(context.Background(), c)
	if err != nil || string(out) != `got "secret\nvalue" and yes` {
		t.Fatalf("out %q, %v", out, err)
	}
}

func TestOutputIsBounded(t *testing.T) {
	_, err := NewOS().Run(context.Background(), child("loud"))
	var re *Error
	if !errors.As(err, &re) || len(re.Output) > MaxOutput {
		t.Fatalf("output %d bytes, err %v", len(re.Output), err)
	}
}

func TestNotFound(t *testing.T) {
	_, err := NewOS().Run(context.Background(), Cmd{Argv: []string{"cupaas-no-such-tool"}})
	if err == nil || !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "cupaas-no-such-tool not found on PATH") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewOS().LookPath("cupaas-no-such-tool"); err == nil {
		t.Fatal("LookPath found it")
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewOS().Run(ctx, child("echo")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestTailStripsEscapes(t *testing.T) {
	got := Tail([]byte("a\n\x1b[91mnpm error\x1b[0m\r\n\n"), 5)
	if len(got) != 2 || got[1] != "npm error" {
		t.Fatalf("tail %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"under the limit", []string{"ab", "cd"}, "abcd"},
		{"at the limit", []string{"abcd"}, "abcd"},
		{"keeps the end", []string{"abc", "def"}, "cdef"},
		{"one large write", []string{"abcdefghij"}, "ghij"},
		{"many small writes", strings.Split("abcdefghijklmnopq", ""), "nopq"},
		{"nothing", nil, ""},
	} {
		tb := &tailBuffer{max: 4}
		for _, w := range tc.writes {
			if n, err := tb.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tc.name, n, err)
			}
			if len(tb.buf) > 2*tb.max {
				t.Fatalf("%s: holds %d bytes, more than twice the limit", tc.name, len(tb.buf))
			}
		}
		if got := string(tb.Bytes()); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
