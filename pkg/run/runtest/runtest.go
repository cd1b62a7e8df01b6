// Package runtest provides a fake run.Runner for tests: stubs match an argv
// exactly or by a regular expression, calls are recorded, an unexpected
// call fails the test and so does a stub that was never used.
package runtest

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cupaas/cupaas/pkg/run"
)

// Call is one recorded call.
type Call struct {
	run.Cmd
	// StdinData is what the command read from Stdin.
	StdinData string
}

// Line is the call's command line.
func (c Call) Line() string { return run.CommandLine(c.Argv) }

// Fake implements run.Runner. It is safe for concurrent use.
type Fake struct {
	t     testing.TB
	mu    sync.Mutex
	stubs []*Stub
	calls []Call
	paths map[string]lookResult
}

type lookResult struct {
	path string
	err  error
}

// New returns a Fake that fails t, at cleanup, for every stub never used
// and every Times(n) stub used fewer than n times.
func New(t testing.TB) *Fake {
	f := &Fake{t: t, paths: map[string]lookResult{}}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, s := range f.stubs {
			switch {
			case s.used == 0 && !s.optional:
				t.Errorf("runtest: stub never used: %s", s.describe())
			case s.used < s.times:
				t.Errorf("runtest: stub used %d of %d times: %s", s.used, s.times, s.describe())
			}
		}
	})
	return f
}

// Stub is the canned answer to matching calls.
type Stub struct {
	exact   []string
	pattern *regexp.Regexp
	stdout  string
	stderr  string
	exit    int
	times   int // 0 = any number ≥ 1
	used    int
	// optional stubs may go unused.
	optional bool
	do       func(ctx context.Context, cmd run.Cmd) ([]byte, error)
}

// Stub answers calls whose argv is exactly argv.
func (f *Fake) Stub(argv ...string) *Stub {
	s := &Stub{exact: argv, times: 1}
	f.add(s)
	return s
}

// StubPattern answers calls whose command line (run.CommandLine) matches
// the regular expression pattern. An invalid pattern fails the test.
func (f *Fake) StubPattern(pattern string) *Stub {
	f.t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		f.t.Fatalf("runtest: StubPattern(%q): %v", pattern, err)
		return &Stub{times: 1} // not reached in a real test
	}
	s := &Stub{pattern: re, times: 1}
	f.add(s)
	return s
}

func (f *Fake) add(s *Stub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stubs = append(f.stubs, s)
}

// Stdout sets what the stub prints on stdout.
func (s *Stub) Stdout(out string) *Stub { s.stdout = out; return s }

// Stderr sets what the stub prints on stderr.
func (s *Stub) Stderr(out string) *Stub { s.stderr = out; return s }

// Exit sets the stub's exit code.
func (s *Stub) Exit(code int) *Stub { s.exit = code; return s }

// Times sets how many calls the stub answers, and expects, before later
// stubs get their turn; 0 means any number, at least one.
func (s *Stub) Times(n int) *Stub { s.times = n; return s }

// Optional lets the stub go unused: it answers a call made by a step that
// runs beside one that fails, and is stopped at an unknown point.
func (s *Stub) Optional() *Stub { s.times, s.optional = 0, true; return s }

// Do gives the stub custom behaviour (block until ctx is done, read stdin...).
func (s *Stub) Do(fn func(ctx context.Context, cmd run.Cmd) ([]byte, error)) *Stub {
	s.do = fn
	return s
}

func (s *Stub) describe() string {
	if s.pattern != nil {
		return "pattern " + s.pattern.String()
	}
	return run.CommandLine(s.exact)
}

func (s *Stub) matches(argv []string) bool {
	if s.times > 0 && s.used >= s.times {
		return false
	}
	if s.pattern != nil {
		return s.pattern.MatchString(run.CommandLine(argv))
	}
	if len(s.exact) != len(argv) {
		return false
	}
	for i := range argv {
		if argv[i] != s.exact[i] {
			return false
		}
	}
	return true
}

// left lists the stubs that still answer, to show beside an unexpected
// command.
func (f *Fake) left() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, s := range f.stubs {
		if s.times == 0 || s.used < s.times {
			b.WriteString("\n\tstub left: " + s.describe())
		}
	}
	if b.Len() == 0 {
		return "\n\tno stub left"
	}
	return b.String()
}

// LookPathResult sets what LookPath answers for name. By default every
// program is found at /fake/bin/<name>.
func (f *Fake) LookPathResult(name, path string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths[name] = lookResult{path, err}
}

// LookPath implements run.Runner.
func (f *Fake) LookPath(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.paths[name]; ok {
		return r.path, r.err
	}
	return "/fake/bin/" + name, nil
}

// Calls returns the recorded calls in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Lines returns the command lines of the recorded calls.
func (f *Fake) Lines() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Line())
	}
	return out
}

// Run implements run.Runner.
func (f *Fake) Run(ctx context.Context, cmd run.Cmd) ([]byte, error) {
	call := Call{Cmd: cmd}
	if cmd.Stdin != nil {
		data, _ := io.ReadAll(cmd.Stdin)
		call.StdinData = string(data)
		cmd.Stdin = strings.NewReader(call.StdinData)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	var stub *Stub
	for _, s := range f.stubs {
		if s.matches(cmd.Argv) {
			stub = s
			s.used++
			break
		}
	}
	f.mu.Unlock()
	if stub == nil {
		err := fmt.Errorf("runtest: unexpected command: %s", run.CommandLine(cmd.Argv))
		f.t.Errorf("%v%s", err, f.left())
		return nil, err
	}
	if stub.do != nil {
		return stub.do(ctx, cmd)
	}
	// Like the real runner: a sensitive command's stdout is neither
	// streamed nor kept in the error.
	if cmd.Stdout != nil && !cmd.Sensitive {
		io.WriteString(cmd.Stdout, stub.stdout)
	}
	if cmd.Stderr != nil {
		io.WriteString(cmd.Stderr, stub.stderr)
	}
	if stub.exit != 0 {
		output := stub.stdout + stub.stderr
		if cmd.Sensitive {
			output = stub.stderr
		}
		return []byte(stub.stdout), &run.Error{Argv: cmd.Argv, ExitCode: stub.exit, Output: []byte(output)}
	}
	return []byte(stub.stdout), nil
}
