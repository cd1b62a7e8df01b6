package kubectl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

func TestApplySendsManifestOnStdin(t *testing.T) {
	f := runtest.New(t)
	f.Stub("kubectl", "--context", "minikube", "apply", "--server-side", "--force-conflicts", "--field-manager=cupaas", "-f", "-").Stdout("secret/x configured\n")
	c := Client{Runner: f, Context: "minikube"}
	if _, err := c.Apply(context.Background(), []byte("kind: Secret\ndata: {A: czNjcjN0}\n")); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].StdinData != "kind: Secret\ndata: {A: czNjcjN0}\n" {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestPatchPodAnnotation(t *testing.T) {
	f := runtest.New(t)
	f.Stub("kubectl", "--context", "minikube", "-n", "tasks", "patch", "deployment/tasks", "--type", "merge", "--field-manager=cupaas-env",
		"-p", `{"spec":{"template":{"metadata":{"annotations":{"cupaas.dev/config-hash":"0123abcd"}}}}}`)
	c := Client{Runner: f, Context: "minikube"}
	if _, err := c.PatchPodAnnotation(context.Background(), "tasks", "deployment/tasks", "cupaas.dev/config-hash", "0123abcd"); err != nil {
		t.Fatal(err)
	}
}

func TestRolloutStatusArgs(t *testing.T) {
	f := runtest.New(t)
	f.Stub("kubectl", "--context", "dev", "-n", "tasks", "rollout", "status", "deployment/tasks", "--timeout", "5m0s")
	c := Client{Runner: f, Context: "dev"}
	if _, err := c.RolloutStatus(context.Background(), "tasks", "deployment/tasks", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestIsUnreachable(t *testing.T) {
	for out, want := range map[string]bool{
		"The connection to the server 192.0.2.2:8443 was refused - did you specify the right host or port?": true,
		"Unable to connect to the server: dial tcp 192.0.2.2:8443: i/o timeout":                             true,
		`error: error validating "STDIN": error validating data: unknown field "replica"`:                   false,
		`Error from server (Forbidden): secrets is forbidden`:                                               false,
	} {
		err := &run.Error{Argv: []string{"kubectl"}, ExitCode: 1, Output: []byte(out)}
		if got := IsUnreachable(err); got != want {
			t.Errorf("IsUnreachable(%q) = %v", out, got)
		}
	}
	if IsUnreachable(errors.New("x")) {
		t.Error("a plain error is not unreachable")
	}
}
