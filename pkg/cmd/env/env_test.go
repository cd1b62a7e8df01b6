package env

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
	"github.com/cupaas/cupaas/pkg/state"
)

func app(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte("name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask\n"), 0o644)
	return dir
}

func runEnv(t *testing.T, dir string, f *runtest.Fake, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	fac := &cmdutil.Factory{IOStreams: ios, Runner: f}
	cmd := newCmdEnv(fac, dir)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestSetWritesMode0600(t *testing.T) {
	dir := app(t)
	if _, _, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, ".cupaas.env"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode().Perm(), err)
	}
}

func TestSizeLimitRefusedBeforeWriting(t *testing.T) {
	dir := app(t)
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("OLD=1\n"), 0o600)
	big := filepath.Join(dir, "big.bin")
	os.WriteFile(big, bytes.Repeat([]byte("x"), MaxSecretSize), 0o644)
	_, _, err := runEnv(t, dir, runtest.New(t), "", "set", "BIG=@big.bin")
	if err == nil || !strings.Contains(err.Error(), "over Kubernetes' limit of 1 MiB for a Secret") || !strings.Contains(err.Error(), "1048583 bytes") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "OLD=1\n" {
		t.Fatalf("file changed: %q", data)
	}
}

func TestApplySendsSecretOnStdinOnly(t *testing.T) {
	dir := app(t)
	if err := state.Save(dir, state.State{App: "app", Namespace: "app", Context: "minikube", Image: "cupaas/app:0123456789ab", Tag: "0123456789ab"}); err != nil {
		t.Fatal(err)
	}
	f := runtest.New(t)
	f.Stub("kubectl", "--context", "minikube", "apply", "-f", "-").Stdout("secret/app-env configured\n")
	f.Stub("kubectl", "--context", "minikube", "-n", "app", "rollout", "status", "deployment/app", "--timeout", "5m0s")
	stdout, stderr, err := runEnv(t, dir, f, "very-secret-value\n", "set", "TOKEN=-")
	if err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	want := base64.StdEncoding.EncodeToString([]byte("very-secret-value\n"))
	if !strings.Contains(calls[0].StdinData, "TOKEN: "+want) || !strings.Contains(calls[0].StdinData, "image: cupaas/app:0123456789ab") {
		t.Fatalf("stdin of apply:\n%s", calls[0].StdinData)
	}
	for _, c := range calls {
		if strings.Contains(c.Line(), "very-secret") {
			t.Fatalf("value in argv: %s", c.Line())
		}
	}
	if strings.Contains(stdout+stderr, "very-secret") {
		t.Fatalf("value printed: %s %s", stdout, stderr)
	}
}

func TestUnreachableIsStoredWarnedAndSucceeds(t *testing.T) {
	dir := app(t)
	state.Save(dir, state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab"})
	f := runtest.New(t)
	f.StubPattern(`apply -f -`).Stderr("Unable to connect to the server: dial tcp 192.0.2.2:8443: i/o timeout\n").Exit(1)
	_, stderr, err := runEnv(t, dir, f, "", "set", "A=1")
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(stderr, "cluster not reachable (context minikube)") {
		t.Fatalf("stderr: %s", stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "A=1\n" {
		t.Fatalf("not stored: %q", data)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := app(t)
	_, _, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1", "A=2")
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "A is given twice") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = runEnv(t, dir, runtest.New(t), "x", "set", "A=-", "B=-")
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "only one value can come from standard input") {
		t.Fatalf("err = %v", err)
	}
}

func TestMask(t *testing.T) {
	for v, want := range map[string]string{"": "••••", "short": "••••", "12345678": "••••", "s3cr3tvalue": "s3cr…", "ünïcödé-long": "ünïc…"} {
		if got := Mask(v); got != want {
			t.Errorf("Mask(%q) = %q, want %q", v, got, want)
		}
	}
}
