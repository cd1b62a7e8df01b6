package runtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cupaas/cupaas/pkg/run"
)

func argv(a ...string) run.Cmd { return run.Cmd{Argv: a} }

func TestExactMatchIsWholeArgv(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.Stub("docker", "version").Stdout("ok")
	for _, a := range [][]string{{"docker"}, {"docker", "version", "--format", "json"}, {"docker", "Version"}} {
		if _, err := f.Run(context.Background(), argv(a...)); err == nil || !strings.Contains(err.Error(), "unexpected command: "+run.CommandLine(a)) {
			t.Errorf("%q: err = %v", a, err)
		}
	}
	if out, err := f.Run(context.Background(), argv("docker", "version")); err != nil || string(out) != "ok" {
		t.Fatalf("out %q, %v", out, err)
	}
	r.finish()
	if len(r.errors) != 3 {
		t.Fatalf("errors %q", r.errors)
	}
}

// TestPatternMatchesTheQuotedCommandLine: a pattern sees the line as
// run.CommandLine prints it, quotes included.
func TestPatternMatchesTheQuotedCommandLine(t *testing.T) {
	f := New(t)
	f.StubPattern(`^kubectl -n shop apply -f -$`)
	f.StubPattern(`--entrypoint 'python app\.py'`).Stdout("quoted")
	if _, err := f.Run(context.Background(), argv("kubectl", "-n", "shop", "apply", "-f", "-")); err != nil {
		t.Fatal(err)
	}
	if out, err := f.Run(context.Background(), argv("cupaas", "init", "--entrypoint", "python app.py")); err != nil || string(out) != "quoted" {
		t.Fatalf("out %q, %v", out, err)
	}
}

// TestTimes: a stub answers Times calls, then the next matching stub
// answers; Times(0) answers any number.
func TestTimes(t *testing.T) {
	f := New(t)
	f.Stub("minikube", "status").Times(2).Stdout("Stopped")
	f.Stub("minikube", "status").Times(0).Stdout("Running")
	var got []string
	for i := 0; i < 5; i++ {
		out, err := f.Run(context.Background(), argv("minikube", "status"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(out))
	}
	if want := []string{"Stopped", "Stopped", "Running", "Running", "Running"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("answers %q, want %q", got, want)
	}
}

func TestUnusedTimesZeroStubFails(t *testing.T) {
	r := &recorder{TB: t}
	f := New(r)
	f.StubPattern(`^docker`).Times(0)
	r.finish()
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "stub never used") {
		t.Fatalf("errors %q", r.errors)
	}
}

func TestOutputAndExit(t *testing.T) {
	f := New(t)
	f.Stub("docker", "build", "-").Stdout("Step 1/2\n").Stderr("ERROR: no space left\n").Exit(17)
	var stdout, stderr bytes.Buffer
	out, err := f.Run(context.Background(), run.Cmd{Argv: []string{"docker", "build", "-"}, Stdout: &stdout, Stderr: &stderr})
	var re *run.Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %T %v", err, err)
	}
	if re.ExitCode != 17 || re.CommandLine() != "docker build -" || !reflect.DeepEqual(re.Tail(2), []string{"Step 1/2", "ERROR: no space left"}) {
		t.Fatalf("error %+v", re)
	}
	if err.Error() != "command failed with exit code 17: docker build -" {
		t.Fatalf("message %q", err)
	}
	if string(out) != "Step 1/2\n" || stdout.String() != "Step 1/2\n" || stderr.String() != "ERROR: no space left\n" {
		t.Fatalf("out %q, stdout %q, stderr %q", out, stdout.String(), stderr.String())
	}
}

// TestDo: the custom function gets the context and the command with its
// stdin still readable, and its answer is returned as is.
func TestDo(t *testing.T) {
	f := New(t)
	type key struct{}
	f.Stub("kubectl", "apply", "-f", "-").Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
		data, err := io.ReadAll(cmd.Stdin)
		if err != nil {
			return nil, err
		}
		return []byte(fmt.Sprintf("%v:%s", ctx.Value(key{}), data)), errors.New("custom")
	})
	ctx := context.WithValue(context.Background(), key{}, "ctx")
	out, err := f.Run(ctx, run.Cmd{Argv: []string{"kubectl", "apply", "-f", "-"}, Stdin: strings.NewReader("kind: Namespace")})
	if string(out) != "ctx:kind: Namespace" || err == nil || err.Error() != "custom" {
		t.Fatalf("out %q, err %v", out, err)
	}
	if c := f.Calls(); len(c) != 1 || c[0].StdinData != "kind: Namespace" {
		t.Fatalf("calls %+v", c)
	}
}

func TestCallsRecordTheCommand(t *testing.T) {
	f := New(t)
	f.StubPattern(`^docker`).Times(0)
	f.Run(context.Background(), run.Cmd{Argv: []string{"docker", "build", "-t", "a b"}, Dir: "/app", Env: []string{"DOCKER_BUILDKIT=1"}})
	f.Run(context.Background(), argv("docker", "images"))
	calls := f.Calls()
	if len(calls) != 2 || calls[0].Dir != "/app" || !reflect.DeepEqual(calls[0].Env, []string{"DOCKER_BUILDKIT=1"}) || calls[0].StdinData != "" {
		t.Fatalf("calls %+v", calls)
	}
	if want := []string{"docker build -t 'a b'", "docker images"}; !reflect.DeepEqual(f.Lines(), want) {
		t.Fatalf("lines %q", f.Lines())
	}
	if calls[0].Line() != "docker build -t 'a b'" {
		t.Fatalf("line %q", calls[0].Line())
	}
	// Calls is a copy.
	calls[0].Argv = nil
	if f.Calls()[0].Argv == nil {
		t.Fatal("Calls shares its slice")
	}
}

func TestLookPathResult(t *testing.T) {
	f := New(t)
	if p, err := f.LookPath("docker"); p != "/fake/bin/docker" || err != nil {
		t.Fatalf("default: %q %v", p, err)
	}
	missing := errors.New(`exec: "minikube": executable file not found in $PATH`)
	f.LookPathResult("minikube", "", missing)
	f.LookPathResult("kubectl", "/opt/kubectl", nil)
	if _, err := f.LookPath("minikube"); err != missing {
		t.Fatalf("minikube: %v", err)
	}
	if p, err := f.LookPath("kubectl"); p != "/opt/kubectl" || err != nil {
		t.Fatalf("kubectl: %q %v", p, err)
	}
	if len(f.Calls()) != 0 {
		t.Fatal("LookPath recorded as a call")
	}
}

func TestConcurrentUse(t *testing.T) {
	f := New(t)
	f.StubPattern(`^kubectl get pods`).Times(0).Stdout("{}")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := f.Run(context.Background(), run.Cmd{Argv: []string{"kubectl", "get", "pods"}, Stdin: strings.NewReader("x")}); err != nil {
					t.Error(err)
				}
				f.LookPath("kubectl")
				f.Lines()
			}
		}()
	}
	wg.Wait()
	if n := len(f.Calls()); n != 160 {
		t.Fatalf("%d calls", n)
	}
}
