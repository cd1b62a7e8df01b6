package destroy

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// stubPlan answers the reads of a destroy of app shop on context c.
func stubPlan(f *runtest.Fake) {
	f.Stub("kubectl", "--context", "c", "get", "namespace", "shop", "--ignore-not-found", "-o", "name").Stdout("namespace/shop\n")
	f.StubPattern(`get deployments.apps,.* -o name$`).Stdout("deployment.apps/shop\n")
	f.StubPattern(`get pods -l .*component=run -o name$`)
	f.StubPattern(`get secrets .*jsonpath`).Stdout("shop-env\tapp\nshop-redis\tredis\n")
	f.StubPattern(`get persistentvolumeclaims .* -o json$`).Stdout(`{"items":[{"metadata":{"name":"data-shop-redis-0","labels":{"app.kubernetes.io/component":"redis"}},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}}]}`)
}

func TestConfirmOnATerminal(t *testing.T) {
	f := runtest.New(t)
	stubPlan(f)
	f.Stub("kubectl", "--context", "c", "-n", "shop", "delete", "deployment.apps/shop", "secret/shop-env", "--ignore-not-found", "--timeout=3m0s")
	ios, in, out, errOut := iostreams.Test()
	in.WriteString("shop\n")
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	ios.SetColor(true, false)
	cmd := NewCmdDestroy(&cmdutil.Factory{IOStreams: ios, Runner: f}, nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--app", "shop", "--context", "c"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"This removes app shop from context c (namespace shop):", "  delete deployment.apps/shop", "  keep   persistentvolumeclaim/data-shop-redis-0 (1Gi of redis data)", "  keep   secret/shop-redis", "Type the app's name (shop) to confirm: "} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("no %q in:\n%s", want, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "✓ Destroyed shop on context c: deleted 2 object(s)") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

func TestConfirmRefused(t *testing.T) {
	for _, answer := range []string{"sho\n", ""} {
		f := runtest.New(t)
		stubPlan(f)
		ios, in, out, _ := iostreams.Test()
		in.WriteString(answer)
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
		ios.SetColor(true, false)
		cmd := NewCmdDestroy(&cmdutil.Factory{IOStreams: ios, Runner: f}, nil)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs([]string{"--app", "shop", "--context", "c"})
		err := cmd.ExecuteContext(context.Background())
		if cmdutil.ExitCode(err, false) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "nothing was deleted") {
			t.Errorf("answer %q: err = %v", answer, err)
		}
		for _, c := range f.Calls() {
			if strings.Contains(c.Line(), " delete ") {
				t.Errorf("answer %q: deleted: %s", answer, c.Line())
			}
		}
		if out.Len() != 0 {
			t.Errorf("stdout: %s", out.String())
		}
	}
}

func TestNoTerminalNoYes(t *testing.T) {
	f := runtest.New(t)
	ios, _, _, _ := iostreams.Test()
	ios.SetStdinTTY(false)
	cmd := NewCmdDestroy(&cmdutil.Factory{IOStreams: ios, Runner: f}, nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--app", "shop"})
	err := cmd.ExecuteContext(context.Background())
	if cmdutil.ExitCode(err, false) != cmdutil.ExitUsage {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if len(f.Calls()) != 0 {
		t.Fatalf("the cluster was asked: %q", f.Lines())
	}
}

// Ctrl-C at the prompt ends destroy at once, with nothing deleted.
func TestConfirmInterrupted(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	r, w := io.Pipe()
	defer w.Close()
	ios.In = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- confirm(ctx, ios, "shop") }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the prompt did not end on Ctrl-C")
	}
}
