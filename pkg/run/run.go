// Package run is the one way cupaas starts subprocesses: an argv (never a
// shell, never a string to split), a working directory, extra environment,
// stdin, streaming writers and a context whose cancellation stops the
// process and its children. Failures are *Error values that carry the exit
// code, the tail of the output and a pasteable command line.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kballard/go-shellquote"
)

// Cmd describes one subprocess. Argv[0] is the program, looked up on PATH.
type Cmd struct {
	Argv []string
	Dir  string
	// Env are extra KEY=VALUE entries appended to the parent environment.
	Env   []string
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it is produced, in
	// addition to the capture.
	Stdout io.Writer
	Stderr io.Writer
}

// Runner runs subprocesses. The OS implementation is NewOS; tests use
// pkg/run/runtest.
type Runner interface {
	// Run runs cmd to completion and returns its stdout. A non-zero exit
	// returns *Error; a cancelled context returns an error wrapping the
	// context's error.
	Run(ctx context.Context, cmd Cmd) ([]byte, error)
	// LookPath reports where a program is, like exec.LookPath.
	LookPath(name string) (string, error)
}

// MaxOutput bounds the output kept for an error report.
const MaxOutput = 256 << 10

// GracePeriod is how long a cancelled process group gets between SIGTERM and
// SIGKILL.
const GracePeriod = 2 * time.Second

// Error is a subprocess that failed.
type Error struct {
	Argv     []string
	ExitCode int
	// Output is the tail of the combined stdout and stderr.
	Output []byte
	// Err is the underlying error (an *exec.ExitError, a start failure, ...).
	Err error
}

func (e *Error) Error() string {
	if e.ExitCode >= 0 {
		return fmt.Sprintf("command failed with exit code %d: %s", e.ExitCode, e.CommandLine())
	}
	return fmt.Sprintf("command failed: %s: %v", e.CommandLine(), e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// CommandLine is the argv quoted for a POSIX shell, to paste and rerun.
func (e *Error) CommandLine() string { return CommandLine(e.Argv) }

// Tail returns the last n non-empty lines of the output.
func (e *Error) Tail(n int) []string { return Tail(e.Output, n) }

// CommandLine quotes argv for a POSIX shell, for -v echoes and --dry-run.
func CommandLine(argv []string) string { return shellquote.Join(argv...) }

// ansi matches terminal escape sequences (colours, cursor moves), which
// tools print even into pipes.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// Tail returns the last n non-empty lines of out, without terminal escape
// sequences.
func Tail(out []byte, n int) []string {
	var lines []string
	text := ansi.ReplaceAllString(string(out), "")
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// NewOS returns the Runner that starts real processes.
func NewOS() Runner { return osRunner{} }

type osRunner struct{}

func (osRunner) LookPath(name string) (string, error) { return exec.LookPath(name) }

func (osRunner) Run(ctx context.Context, c Cmd) ([]byte, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("run: empty argv")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(c.Argv[0])
	if err != nil {
		return nil, fmt.Errorf("%s not found on PATH: %w", c.Argv[0], err)
	}
	cmd := exec.Command(path, c.Argv[1:]...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout bytes.Buffer
	tail := &tailBuffer{max: MaxOutput}
	// The two pipes are copied by two goroutines: writes to the caller's
	// writers (often one and the same) are serialised.
	var mu sync.Mutex
	cmd.Stdout = multi(&stdout, tail, locked(&mu, c.Stdout))
	cmd.Stderr = multi(tail, locked(&mu, c.Stderr))
	setProcessGroup(cmd)
	// A grandchild that keeps the output pipes open must not hang Wait.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, &Error{Argv: c.Argv, ExitCode: -1, Err: err}
	}
	done := make(chan struct{})
	var stopped sync.WaitGroup
	stopped.Add(1)
	go func() {
		defer stopped.Done()
		select {
		case <-ctx.Done():
			terminate(cmd.Process)
			select {
			case <-done:
			case <-time.After(GracePeriod):
				kill(cmd.Process)
			}
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	stopped.Wait()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", CommandLine(c.Argv), ctx.Err())
	}
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return stdout.Bytes(), &Error{Argv: c.Argv, ExitCode: code, Output: tail.Bytes(), Err: err}
	}
	return stdout.Bytes(), nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func locked(mu *sync.Mutex, w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return lockedWriter{mu, w}
}

func multi(ws ...io.Writer) io.Writer {
	var out []io.Writer
	for _, w := range ws {
		if w != nil {
			out = append(out, w)
		}
	}
	return io.MultiWriter(out...)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
