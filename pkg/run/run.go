// Package run is the one way cupaas starts subprocesses: an argv (never a
// shell, never a string to split), a working directory, extra environment,
// stdin, streaming writers and a context whose cancellation stops the
// process and its children. Failures are *Error values that carry the exit
// code, the tail of the output and a pasteable command line.
//
// Tests of code that runs commands use the fake in pkg/run/runtest.
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
	Env []string
	// Stdin, when set, is the process's standard input.
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it is produced, in
	// addition to the capture. Writes to them are serialised, so one writer
	// may serve both.
	Stdout io.Writer
	Stderr io.Writer
	// Sensitive marks a command whose standard output holds secrets (such
	// as `kubectl get secrets -o json`): it is returned to the caller but
	// never streamed to Stdout and never kept in Error.Output.
	Sensitive bool
	// Stream marks a long-running command whose standard output is only
	// streamed to Stdout (such as `kubectl logs -f`): Run does not keep
	// it, and returns no stdout.
	Stream bool
	// Interactive hands the process Stdin, Stdout and Stderr as they are
	// (a terminal stays a terminal), keeps it in cupaas' process group so
	// that a terminal's Ctrl-C reaches it as it reaches cupaas, and keeps
	// no output: an *Error carries the exit code only. A cancel sends it
	// SIGTERM, then SIGKILL after the grace period.
	Interactive bool
}

// Runner runs subprocesses. The OS implementation is NewOS; tests use
// pkg/run/runtest.
type Runner interface {
	// Run runs cmd to completion and returns its stdout. A non-zero exit
	// returns *Error; a cancelled context returns an error wrapping the
	// context's error; a program not on PATH returns an error wrapping
	// exec.ErrNotFound.
	Run(ctx context.Context, cmd Cmd) ([]byte, error)
	// LookPath reports where a program is, like exec.LookPath.
	LookPath(name string) (string, error)
}

// MaxOutput bounds the output kept for an error report (Error.Output).
const MaxOutput = 256 << 10

// GracePeriod is how long a cancelled process group gets between SIGTERM and
// SIGKILL.
const GracePeriod = 2 * time.Second

// Error is a subprocess that failed: it exited non-zero, was killed by a
// signal, or could not be started.
type Error struct {
	Argv []string
	// ExitCode is the exit status, or -1 when there is none (killed by a
	// signal, not started).
	ExitCode int
	// Output is the tail (at most MaxOutput bytes) of the combined stdout
	// and stderr.
	Output []byte
	// Err is the underlying error (an *exec.ExitError, a start failure, ...).
	Err error
}

// Error reads `command failed with exit code 1: docker build -t x .`.
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

// TailLines is how many lines of a failed command's output are shown.
const TailLines = 20

// Lines explain the failure: the last TailLines lines of the command's
// output and the command line to paste and rerun.
func (e *Error) Lines() []string {
	var out []string
	if tail := e.Tail(TailLines); len(tail) > 0 {
		out = append(out, "Last lines of its output:")
		for _, l := range tail {
			out = append(out, "  "+l)
		}
	}
	return append(out, "The command was:", "  "+e.CommandLine())
}

// CommandLine quotes argv for a POSIX shell, for -v echoes and --dry-run.
func CommandLine(argv []string) string { return shellquote.Join(argv...) }

// ansi matches terminal escape sequences (colours, cursor moves), which
// some tools print even into pipes.
var ansi = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`) })

// Tail returns the last n non-empty lines of out, without line endings and
// terminal escape sequences.
func Tail(out []byte, n int) []string {
	if n <= 0 {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(ansi().ReplaceAllString(string(out), ""), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// NewOS returns the Runner that starts real processes.
func NewOS() Runner { return osRunner{grace: GracePeriod} }

type osRunner struct {
	// grace is the time between SIGTERM and SIGKILL after a cancel, and
	// how long Wait waits for pipes that orphaned grandchildren hold open.
	grace time.Duration
}

func (osRunner) LookPath(name string) (string, error) { return exec.LookPath(name) }

func (r osRunner) Run(ctx context.Context, c Cmd) ([]byte, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("run: empty argv")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", CommandLine(c.Argv), err)
	}
	path, err := exec.LookPath(c.Argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("%s not found on PATH: %w", c.Argv[0], exec.ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", c.Argv[0], err)
	}
	cmd := exec.CommandContext(ctx, path, c.Argv[1:]...)
	cmd.Args[0] = c.Argv[0]
	cmd.Dir, cmd.Stdin = c.Dir, c.Stdin
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	if c.Interactive {
		return nil, r.interactive(ctx, cmd, c)
	}
	var stdout bytes.Buffer
	tail := &tailBuffer{max: MaxOutput}
	// The two pipes are copied by two goroutines: writes to the caller's
	// writers (often one and the same) are serialised.
	var mu sync.Mutex
	switch {
	case c.Sensitive:
		cmd.Stdout = &stdout
	case c.Stream:
		cmd.Stdout = multi(tail, locked(&mu, c.Stdout))
	default:
		cmd.Stdout = multi(&stdout, tail, locked(&mu, c.Stdout))
	}
	cmd.Stderr = multi(tail, locked(&mu, c.Stderr))

	setProcessGroup(cmd)
	var cancelled time.Time // set by Cancel, read after Wait (ordered by os/exec)
	cmd.Cancel = func() error {
		cancelled = time.Now()
		terminate(cmd.Process)
		return nil
	}
	// After a cancel os/exec kills the child itself once the grace is over;
	// in every case it stops waiting for pipes that an orphaned grandchild
	// keeps open.
	cmd.WaitDelay = r.grace

	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", CommandLine(c.Argv), ctx.Err())
		}
		return nil, &Error{Argv: c.Argv, ExitCode: -1, Err: err}
	}
	err = cmd.Wait()
	if !cancelled.IsZero() {
		stopGroup(cmd.Process, cancelled.Add(r.grace))
		return stdout.Bytes(), fmt.Errorf("%s: %w", CommandLine(c.Argv), ctx.Err())
	}
	if err != nil && !(errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success()) {
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

// tailBuffer keeps the last max bytes written to it. It holds at most
// 2*max bytes and trims to max when full, so each byte is copied a bounded
// number of times.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	if len(t.buf)+len(p) > 2*t.max {
		keep := t.max - len(p)
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-keep:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// Bytes returns a copy of the last max bytes.
func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return bytes.Clone(b)
}
