package run

import (
	"context"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

const dep = `{"metadata":{"name":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"cupaas/shop:abc","envFrom":[{"secretRef":{"name":"shop-env"}}]}]}}}}`

// On a terminal, `kubectl run -i -t` gets the user's streams as they are
// and stays in cupaas' process group; kubectl's exit code 1 is told from
// the command's own by the pod's state, which is read before the pod is
// removed.
func TestOnATerminal(t *testing.T) {
	f := runtest.New(t)
	f.Stub("kubectl", "--context", "c", "get", "namespace", "shop", "--ignore-not-found", "-o", "name").Stdout("namespace/shop\n")
	f.Stub("kubectl", "--context", "c", "-n", "shop", "get", "deployment", "shop", "-o", "json").Stdout(dep)
	ios, _, _, _ := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	f.StubPattern(`^kubectl --context c -n shop run shop-run-[a-z0-9]{5} --image=cupaas/shop:abc --restart=Never --quiet -i --pod-running-timeout=2m0s '--overrides=.*"tty":true.*' -t$`).
		Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
			if !cmd.Interactive || cmd.Stdin == nil || cmd.Stdout != ios.Out || cmd.Stderr != ios.ErrOut {
				t.Errorf("kubectl run does not get the user's streams as they are: %+v", cmd)
			}
			return nil, &run.Error{Argv: cmd.Argv, ExitCode: 1}
		})
	f.StubPattern(`-n shop get pod shop-run-[a-z0-9]{5} -o json$`).Stdout(`{"status":{"containerStatuses":[{"name":"x","state":{"terminated":{"exitCode":4}}}]}}`)
	f.StubPattern(`-n shop delete pod shop-run-[a-z0-9]{5} --ignore-not-found --wait=false$`)

	cmd := NewCmdRun(&cmdutil.Factory{IOStreams: ios, Runner: f}, nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--app", "shop", "--context", "c", "--", "sh", "-c", "exit 4"})
	err := cmd.ExecuteContext(context.Background())
	if code := cmdutil.ExitCode(err, false); code != 4 {
		t.Fatalf("exit code %d (%v), want 4", code, err)
	}
	lines := f.Lines()
	if !strings.Contains(lines[len(lines)-2], " get pod ") || !strings.Contains(lines[len(lines)-1], " delete pod ") {
		t.Fatalf("the pod's state must be read before it is removed: %q", lines)
	}
}
