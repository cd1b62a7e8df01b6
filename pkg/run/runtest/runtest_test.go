package runtest

import (
	"context"
	"errors"
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

func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
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
