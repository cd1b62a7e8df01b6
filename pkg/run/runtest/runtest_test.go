package runtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/run"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf records like Errorf: the caller goes on, where a real test stops.
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Helper()                           {}
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }
func (r *recorder) finish() {
	for _, f := range r.cleanups {
		f()
	}
}

func TestStubs(t *testing.T) {
	f := New(t)
	f.Stub("docker", "version").Stdout("28.2\n")
	f.StubPattern(`^kubectl --context \S+ apply`).Times(2)
	f.Stub("docker", "build").Stderr("no space\n").Exit(1)
	f.StubPattern(`^minikube service`).Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
		return []byte("http://x\n"), nil
	})
	ctx := context.Background()
	if out, err := f.Run(ctx, run.Cmd{Argv: []string{"docker", "version"}}); err != nil || string(out) != "28.2\n" {
		t.Fatalf("docker version: %q %v", out, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := f.Run(ctx, run.Cmd{Argv: []string{"kubectl", "--context", "m", "apply", "-f", "-"}, Stdin: strings.NewReader("kind: Secret")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.Run(ctx, run.Cmd{Argv: []string{"docker", "build"}})
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode != 1 || re.Tail(1)[0] != "no space" {
		t.Fatalf("docker build: %v", err)
	}
	if out, _ := f.Run(ctx, run.Cmd{Argv: []string{"minikube", "service", "x"}}); string(out) != "http://x\n" {
		t.Fatalf("Do: %q", out)
	}
	calls := f.Calls()
	if len(calls) != 5 || calls[1].StdinData != "kind: Secret" || f.Lines()[0] != "docker version" {
		t.Fatalf("calls %+v", calls)
	}
	f.LookPathResult("docker", "", errors.New("missing"))
	if _, err := f.LookPath("docker"); err == nil {
		t.Fatal("LookPathResult ignored")
	}
	if p, _ := f.LookPath("kubectl"); p != "/fake/bin/kubectl" {
		t.Fatalf("LookPath = %q", p)
	}
}

func TestUnexpectedAndUnusedFail(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.Stub("never", "used")
	f.Stub("once").Times(1)
	f.Run(context.Background(), run.Cmd{Argv: []string{"once"}})
	if _, err := f.Run(context.Background(), run.Cmd{Argv: []string{"once"}}); err == nil {
		t.Fatal("a Times(1) stub answered twice")
	}
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "unexpected command") {
		t.Fatalf("errors %q", r.errors)
	}
	r.finish()
	if len(r.errors) != 2 || !strings.Contains(r.errors[1], "stub never used") {
		t.Fatalf("errors after cleanup %q", r.errors)
	}
}

// TestTimesIsExpected: a Times(n) stub used fewer than n times fails the
// test at cleanup.
func TestTimesIsExpected(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.Stub("kubectl", "get", "pods").Times(3)
	f.Run(context.Background(), run.Cmd{Argv: []string{"kubectl", "get", "pods"}})
	f.Run(context.Background(), run.Cmd{Argv: []string{"kubectl", "get", "pods"}})
	r.finish()
	if want := []string{"runtest: stub used 2 of 3 times: kubectl get pods"}; strings.Join(r.errors, "|") != strings.Join(want, "|") {
		t.Fatalf("errors %q, want %q", r.errors, want)
	}
}

// TestUnexpectedListsTheStubsLeft: the failure for an unexpected command
// shows the stubs that could still answer, to spot a typo in an argv.
func TestUnexpectedListsTheStubsLeft(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.Stub("docker", "version")
	f.StubPattern(`^kubectl apply`).Times(0)
	_, err := f.Run(context.Background(), run.Cmd{Argv: []string{"docker", "versoin"}})
	if err == nil || err.Error() != "runtest: unexpected command: docker versoin" {
		t.Fatalf("err = %v", err)
	}
	want := "runtest: unexpected command: docker versoin\n\tstub left: docker version\n\tstub left: pattern ^kubectl apply"
	if len(r.errors) != 1 || r.errors[0] != want {
		t.Fatalf("errors %q, want %q", r.errors, want)
	}
}

func TestBadPatternFails(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.StubPattern(`docker (`)
	if len(r.errors) != 1 || !strings.HasPrefix(r.errors[0], "runtest: StubPattern(\"docker (\"): error parsing regexp") {
		t.Fatalf("errors %q", r.errors)
	}
}
