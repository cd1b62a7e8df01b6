package env

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/render"
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
	t.Chdir(dir)
	cmd := NewCmdEnv(fac)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestSetWritesMode0600(t *testing.T) {
	for _, existing := range []os.FileMode{0, 0o644, 0o666} {
		t.Run(existing.String(), func(t *testing.T) {
			dir := app(t)
			path := filepath.Join(dir, ".cupaas.env")
			if existing != 0 {
				os.WriteFile(path, []byte("OLD=1\n"), existing)
				os.Chmod(path, existing) // whatever the umask
			}
			if _, _, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1"); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, %v", st.Mode().Perm(), err)
			}
		})
	}
}

// fill returns .cupaas.env lines whose keys and values take exactly n
// bytes in a Secret, each value well under one variable's limit.
func fill(n int) string {
	var b strings.Builder
	for i := 0; n > 0; i++ {
		v := min(120000, n-3)
		fmt.Fprintf(&b, "F%02d=%s\n", i, strings.Repeat("f", v))
		n -= 3 + v
	}
	return b.String()
}

func TestSizeLimit(t *testing.T) {
	tests := []struct {
		name     string
		yml      string // "" keeps app()'s
		existing string // .cupaas.env before
		size     int    // length of big.bin
		args     []string
		stdin    string
		wantErr  string // "" means it is stored
	}{
		{
			name:     "one value over the total",
			existing: fill(shared.MaxSecretSize - 6),
			size:     4,
			args:     []string{"set", "BIG=@big.bin"},
			wantErr:  "would hold 1.00 MiB (1048577 bytes), over Kubernetes' limit of 1 MiB (1048576 bytes) for a Secret",
		},
		{
			name:     "exactly the limit",
			existing: fill(shared.MaxSecretSize - 7),
			size:     4,
			args:     []string{"set", "BIG=@big.bin"},
		},
		{
			name:     "the services' settings count too",
			yml:      "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\nservices: [redis]\n",
			existing: fill(shared.MaxSecretSize - 7),
			size:     4,
			args:     []string{"set", "BIG=@big.bin"},
			wantErr:  "the app's Secret app-env would hold 1.00 MiB",
		},
		{
			name:    "one variable over what a process environment takes",
			size:    config.MaxEnvEntry - 2 - 3 + 1,
			args:    []string{"set", "BIG=@big.bin"},
			wantErr: "BIG is 131068 bytes long, and one environment variable can hold at most 128 KiB (131070 bytes with its name) on Linux",
		},
		{
			name: "one variable at what a process environment takes",
			size: config.MaxEnvEntry - 2 - 3,
			args: []string{"set", "BIG=@big.bin"},
		},
		{
			name:    "a file longer than the limit is refused with its size",
			size:    shared.MaxSecretSize + 10,
			args:    []string{"set", "BIG=@big.bin"},
			wantErr: "the value of BIG from the file named after its @ is over 1 MiB (1048576 bytes)",
		},
		{
			name:    "stdin longer than the limit",
			args:    []string{"set", "BIG=-"},
			stdin:   strings.Repeat("y", shared.MaxSecretSize+1),
			wantErr: "the value of BIG from standard input is over 1 MiB",
		},
		{
			name:     "import over the total",
			existing: fill(shared.MaxSecretSize - 6),
			args:     []string{"import", "-"},
			stdin:    "BIG=xxxx\n",
			wantErr:  "would hold 1.00 MiB (1048577 bytes)",
		},
		{
			name:     "removing from a file already over the limit is allowed",
			existing: fill(shared.MaxSecretSize+1000) + "B=1\n",
			args:     []string{"unset", "B"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := app(t)
			if tt.yml != "" {
				os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(tt.yml), 0o644)
			}
			envPath := filepath.Join(dir, ".cupaas.env")
			if tt.existing != "" {
				os.WriteFile(envPath, []byte(tt.existing), 0o600)
			}
			if tt.size > 0 {
				os.WriteFile(filepath.Join(dir, "big.bin"), bytes.Repeat([]byte("x"), tt.size), 0o644)
			}
			_, stderr, err := runEnv(t, dir, runtest.New(t), tt.stdin, tt.args...)
			data, _ := os.ReadFile(envPath)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if string(data) == tt.existing {
					t.Fatalf("nothing was written")
				}
				return
			}
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "nothing was stored") {
				t.Fatalf("err = %v, want a usage error with %q", err, tt.wantErr)
			}
			if string(data) != tt.existing {
				t.Fatalf("file changed: %d bytes", len(data))
			}
			if stderr != "" {
				t.Fatalf("stderr: %q", stderr)
			}
		})
	}
}

func TestApplySendsSecretOnStdinOnly(t *testing.T) {
	dir := app(t)
	if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Image: "cupaas/app:0123456789ab", Tag: "0123456789ab"}); err != nil {
		t.Fatal(err)
	}
	f := runtest.New(t)
	stubRunningImage(f, "cupaas/app:0123456789ab")
	stubReleases(f)
	f.Stub("kubectl", "--context", "minikube", "apply", "--server-side", "--force-conflicts", "--field-manager=cupaas", "-f", "-").Stdout("secret/app-env serverside-applied\n")
	f.StubPattern(`^kubectl --context minikube -n app patch deployment/app --type merge --field-manager=cupaas-env -p .*cupaas.dev/config-hash.*[0-9a-f]{16}`)
	f.Stub("kubectl", "--context", "minikube", "-n", "app", "rollout", "status", "deployment/app", "--timeout", "5m0s")
	f.StubPattern(`get pods,endpointslices`).Stdout(`{"items":[]}`) // no slices: the fixed wait
	stdout, stderr, err := runEnv(t, dir, f, "very-secret-value\n", "set", "TOKEN=-")
	if err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	want := base64.StdEncoding.EncodeToString([]byte("very-secret-value\n"))
	calls = calls[1:] // the check of the running image
	if !strings.Contains(calls[0].StdinData, "TOKEN: "+want) || strings.Contains(calls[0].StdinData, "kind: Deployment") || strings.Count(calls[0].StdinData, "kind: ") != 1 {
		t.Fatalf("stdin of apply, want the Secret only:\n%s", calls[0].StdinData)
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

// env set applies with the config of the last deploy: edits of .cupaas.yml
// that were not deployed (a new service, other env: values) stay out of
// the cluster until the next deploy, and the config hash is the one the
// next deploy of the same config computes.
func TestApplyUsesTheDeployedConfig(t *testing.T) {
	dir := app(t)
	deployedYml := "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\nenv:\n  MODE: blue\n"
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(deployedYml+"services: [redis]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("TOKEN=new\nOTHER=1\n"), 0o600)
	if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab", ConfigFile: ".cupaas.yml", Config: deployedYml}); err != nil {
		t.Fatal(err)
	}
	// The hash a deploy of the deployed config with both values renders.
	c, err := config.LoadData(dir, filepath.Join(dir, ".cupaas.yml"), []byte(deployedYml))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Prepare(dir, bundle.Options{Tag: "0123456789ab", Config: c})
	if err != nil {
		t.Fatal(err)
	}
	_, dep := deploy.EnvObjects(b.Objects, "app")
	hash := dep.Spec.Template.Annotations[render.AnnotationConfigHash]
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("TOKEN=new\n"), 0o600)

	f := runtest.New(t)
	stubRunningImage(f, "cupaas/app:0123456789ab")
	stubReleases(f)
	f.StubPattern(`apply --server-side`)
	f.Stub("kubectl", "--context", "minikube", "-n", "app", "patch", "deployment/app", "--type", "merge", "--field-manager=cupaas-env",
		"-p", `{"spec":{"template":{"metadata":{"annotations":{"`+render.AnnotationConfigHash+`":"`+hash+`"}}}}}`)
	f.StubPattern(`rollout status deployment/app`)
	f.StubPattern(`get pods,endpointslices`).Stdout(`{"items":[]}`) // no slices: the fixed wait
	_, stderr, err := runEnv(t, dir, f, "", "set", "OTHER=1")
	if err != nil {
		t.Fatal(err)
	}
	in := f.Calls()[1].StdinData
	if strings.Contains(in, "REDIS_URL") || !strings.Contains(in, "OTHER:") {
		t.Fatalf("the Secret has undeployed settings, or lacks the new one:\n%s", in)
	}
	if !strings.Contains(stderr, ".cupaas.yml has changes that are not deployed; they apply on the next `cupaas deploy`") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	// The pods now run with this hash: a deploy of the same config will
	// not wait for replaced pods.
	if st, err := home.Of(dir).State(); err != nil || st.ConfigHash != hash || st.Config != deployedYml {
		t.Fatalf("state after apply: %+v, %v", st, err)
	}
}

func TestApplyOutcomes(t *testing.T) {
	const secret = "hunter2-value"
	tests := []struct {
		name     string
		stubs    func(f *runtest.Fake)
		args     []string
		wantCode int    // -1: no error
		wantErr  string // in the error
		wantOut  string // in stderr
		// noImageCheck: the stubs answer the check of the running image.
		noImageCheck bool
	}{
		{
			name: "unreachable: stored, warned, exit 0",
			stubs: func(f *runtest.Fake) {
				f.StubPattern(`apply --server-side --force-conflicts --field-manager=cupaas -f -`).Stderr("Unable to connect to the server: dial tcp 192.0.2.2:8443: i/o timeout\n").Exit(1)
			},
			wantCode: -1,
			wantOut:  "! cluster not reachable (context minikube): the change is stored in .cupaas.env and applies on the next `cupaas deploy`",
		},
		{
			name: "apply refused: exit 1 with kubectl's last lines",
			stubs: func(f *runtest.Fake) {
				f.StubPattern(`apply --server-side --force-conflicts --field-manager=cupaas -f -`).Stderr("Error from server (Forbidden): secrets \"app-env\" is forbidden\n").Exit(1)
			},
			wantCode: 1,
			wantErr:  "the change is stored in .cupaas.env but was not applied\nLast lines of its output:\n  Error from server (Forbidden): secrets \"app-env\" is forbidden\nThe command was:\n  kubectl --context minikube apply --server-side --force-conflicts --field-manager=cupaas -f -",
		},
		{
			name: "rollout fails: exit 1, the Secret is updated",
			stubs: func(f *runtest.Fake) {
				stubReleases(f)
				f.StubPattern(`apply --server-side --force-conflicts --field-manager=cupaas -f -`)
				f.StubPattern(`patch deployment/app`)
				f.StubPattern(`rollout status deployment/app`).Stderr("error: deployment \"app\" exceeded its progress deadline\n").Exit(1)
				f.StubPattern(`get pods`).Stdout(`{"items":[]}`)
			},
			wantCode: 1,
			wantErr:  "the change is stored and the Secret is updated, but the new pods do not start (the old ones keep running): deployment/app did not become ready in 5m0s\nLast lines of its output:\n  error: deployment \"app\" exceeded its progress deadline",
		},
		{
			name:         "--no-apply calls nothing",
			stubs:        func(f *runtest.Fake) {},
			args:         []string{"--no-apply"},
			wantCode:     -1,
			wantOut:      "Stored; it applies on the next `cupaas deploy`",
			noImageCheck: true,
		},
		{
			name: "a deploy failed since: stored, warned, exit 0, nothing applied",
			stubs: func(f *runtest.Fake) {
				stubRunningImage(f, "cupaas/app:ffffffffffff")
			},
			wantCode:     -1,
			wantOut:      "! the cluster runs cupaas/app:ffffffffffff, not cupaas/app:0123456789ab of the last successful deploy (a deploy failed since, or the Deployment was changed by hand): the change is stored in .cupaas.env and applies on the next `cupaas deploy`",
			noImageCheck: true,
		},
		{
			name: "the Deployment is gone: stored, warned, exit 0",
			stubs: func(f *runtest.Fake) {
				f.StubPattern(`get deployment/app`).Stderr(`Error from server (NotFound): deployments.apps "app" not found` + "\n").Exit(1)
			},
			wantCode:     -1,
			wantOut:      "! the app's Deployment is not in the cluster (context minikube) any more: the change is stored in .cupaas.env and applies on the next `cupaas deploy`",
			noImageCheck: true,
		},
		{
			name: "unreachable at the first call: stored, warned, exit 0",
			stubs: func(f *runtest.Fake) {
				f.StubPattern(`get deployment/app`).Stderr("The connection to the server 192.0.2.2:8443 was refused - did you specify the right host or port?\n").Exit(1)
			},
			wantCode:     -1,
			wantOut:      "! cluster not reachable (context minikube)",
			noImageCheck: true,
		},
		{
			name: "--timeout reaches the rollout",
			stubs: func(f *runtest.Fake) {
				stubReleases(f)
				f.StubPattern(`apply --server-side --force-conflicts --field-manager=cupaas -f -`)
				f.StubPattern(`patch deployment/app`)
				f.Stub("kubectl", "--context", "minikube", "-n", "app", "rollout", "status", "deployment/app", "--timeout", "30s")
				f.StubPattern(`get pods,endpointslices`).Stdout(`{"items":[]}`) // no slices: the fixed wait
			},
			args:     []string{"--timeout", "30s"},
			wantCode: -1,
			wantOut:  "✓ Roll out",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := app(t)
			if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab", Image: "cupaas/app:0123456789ab"}); err != nil {
				t.Fatal(err)
			}
			f := runtest.New(t)
			if !tt.noImageCheck {
				stubRunningImage(f, "cupaas/app:0123456789ab")
			}
			tt.stubs(f)
			stdout, stderr, err := runEnv(t, dir, f, secret, append([]string{"set", "TOKEN=-"}, tt.args...)...)
			if tt.wantCode < 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				if cmdutil.ExitCode(err, false) != tt.wantCode || !strings.Contains(printed(err), tt.wantErr) {
					t.Fatalf("err = %v (printed %q), want exit %d with %q", err, printed(err), tt.wantCode, tt.wantErr)
				}
			}
			if !strings.Contains(stderr, tt.wantOut) {
				t.Errorf("stderr does not have %q:\n%s", tt.wantOut, stderr)
			}
			if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "TOKEN="+secret+"\n" {
				t.Errorf("not stored: %q", data)
			}
			all := stdout + stderr + fmt.Sprint(err)
			for _, c := range f.Calls() {
				all += c.Line()
			}
			if strings.Contains(all, secret) {
				t.Errorf("the value leaked into output, an error or an argv:\n%s", all)
			}
		})
	}
}

func TestAppRenamedSinceDeployIsNotApplied(t *testing.T) {
	dir := app(t)
	home.Of(dir).SaveState(state.State{App: "old-name", Namespace: "old-name", Context: "minikube", Tag: "0123456789ab"})
	f := runtest.New(t) // any kubectl call fails the test
	_, stderr, err := runEnv(t, dir, f, "", "set", "A=1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "the app was last deployed as old-name, and .cupaas.yml now names it app: the change is stored in .cupaas.env and applies on the next `cupaas deploy`") {
		t.Fatalf("stderr: %s", stderr)
	}
}

// printed is err as the error printer shows it: the headline, then the
// lines that explain it.
func printed(err error) string {
	msg := err.Error()
	var h interface{ Headline() string }
	if errors.As(err, &h) {
		msg = h.Headline()
	}
	for _, l := range deploy.Lines(err) {
		msg += "\n" + l
	}
	return msg
}

func TestLockHeldStoresNothing(t *testing.T) {
	dir := app(t)
	l, err := home.Of(dir).Lock(context.Background(), "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, _, err = runEnv(t, dir, runtest.New(t), "", "set", "A=1", "--wait", "0")
	var held *lock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v, want the lock's error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cupaas.env")); !os.IsNotExist(err) {
		t.Fatalf(".cupaas.env was written: %v", err)
	}
	// With --wait, set queues until the lock is free.
	go func() { time.Sleep(200 * time.Millisecond); l.Release() }()
	if _, _, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1", "--wait", "10s"); err != nil {
		t.Fatalf("with --wait: %v", err)
	}
}

func TestConfigErrorsStoreNothing(t *testing.T) {
	tests := []struct {
		name  string
		yml   string // "" means no .cupaas.yml
		check func(error) bool
	}{
		{"missing", "", func(err error) bool { var e *config.NotFoundError; return errors.As(err, &e) }},
		{"invalid", "name: app\nruntime: cobol:1\nbogus: 1\n", func(err error) bool { var e *config.Error; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.yml != "" {
				os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(tt.yml), 0o644)
			}
			for _, args := range [][]string{{"set", "A=1"}, {"unset", "A"}, {"import", "-"}} {
				_, _, err := runEnv(t, dir, runtest.New(t), "A=1\n", args...)
				if !tt.check(err) {
					t.Errorf("%v: err = %v (%T)", args, err, err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, ".cupaas.env")); !os.IsNotExist(err) {
				t.Fatalf(".cupaas.env was written: %v", err)
			}
		})
	}
}

func TestImport(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    map[string]string // nil: refused
		wantErr string
	}{
		{
			name:  "dotenv rules",
			input: "# c\nexport A='x y'\nB=\"l1\nl2\"\nC=v # comment\nD=\"q\\\"uote\"\n",
			want:  map[string]string{"A": "x y", "B": "l1\nl2", "C": "v", "D": "q\"uote"},
		},
		{
			name:    "a line that is not KEY=VALUE refuses the file, without showing it",
			input:   "A=1\nthis-is-secret-garbage\nB=2\n",
			wantErr: "nothing was stored: not a KEY=VALUE line (dotenv would refuse the file): standard input:2",
		},
		{
			name:    "an injected name refuses the file",
			input:   "A=1\nPORT=80\n",
			wantErr: "PORT cannot be set",
		},
		{
			name:    "an entry that cannot reach the app is refused with its line, without its value",
			input:   "A=1\nA.B=secret-garbage\nC=secret-garbage\x00\n",
			wantErr: "nothing was stored:\nstandard input:2: \"A.B\" is not a valid variable name: use letters, digits and '_', not starting with a digit; rename it or delete the line\nstandard input:3: the value of C contains a NUL byte",
		},
		{
			name:    "nothing in it",
			input:   "# only a comment\n",
			wantErr: "standard input holds no variables",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := app(t)
			_, stderr, err := runEnv(t, dir, runtest.New(t), tt.input, "import", "-")
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error()+stderr, "secret-garbage") {
					t.Fatalf("a line was shown: %v", err)
				}
				if _, err := os.Stat(filepath.Join(dir, ".cupaas.env")); !os.IsNotExist(err) {
					t.Fatalf(".cupaas.env was written: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := envfile.Load(filepath.Join(dir, ".cupaas.env"))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got.Map(), tt.want) {
				t.Fatalf("stored %q, want %q", got.Map(), tt.want)
			}
		})
	}
}

func TestBadLinesOfEnvFileAreKeptAndWarned(t *testing.T) {
	dir := app(t)
	path := filepath.Join(dir, ".cupaas.env")
	os.WriteFile(path, []byte("A=1\nnot an entry\n"), 0o600)
	_, stderr, err := runEnv(t, dir, runtest.New(t), "", "set", "B=2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "! .cupaas.env:2: this line is not KEY=VALUE and defines nothing; it is kept as it is") || strings.Contains(stderr, "not an entry") {
		t.Fatalf("stderr: %s", stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != "A=1\nnot an entry\nB=2\n" {
		t.Fatalf("file: %q", data)
	}
}

func TestStdinPromptOnlyOnTerminal(t *testing.T) {
	tests := []struct {
		args []string
		hint string
	}{
		{[]string{"set", "K=-"}, "Type the value of K, then Ctrl-D on a line of its own:\n"},
		{[]string{"import", "-"}, "Paste the KEY=VALUE lines, then Ctrl-D on a line of its own:\n"},
	}
	for _, tt := range tests {
		for _, tty := range []bool{false, true} {
			dir := app(t)
			ios, in, _, errOut := iostreams.Test()
			ios.SetStdinTTY(tty)
			in.WriteString("K=v\n")
			t.Chdir(dir)
			cmd := NewCmdEnv(&cmdutil.Factory{IOStreams: ios, Runner: runtest.New(t)})
			cmd.SetArgs(tt.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			if err := cmd.ExecuteContext(context.Background()); err != nil {
				t.Fatal(err)
			}
			if hint := strings.HasPrefix(errOut.String(), tt.hint); hint != tty {
				t.Errorf("%v, stdin tty %v: hint shown %v:\n%s", tt.args, tty, hint, errOut)
			}
		}
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

// The services' passwords come from the cluster, as in deploy: a lost
// .cupaas/credentials.json does not put new ones into the app's Secret.
func TestApplyUsesTheClusterCredentials(t *testing.T) {
	dir := app(t)
	yml := "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\nservices: [redis]\n"
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(yml), 0o644)
	if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab", ConfigFile: ".cupaas.yml", Config: yml}); err != nil {
		t.Fatal(err)
	}
	f := runtest.New(t)
	stubRunningImage(f, "cupaas/app:0123456789ab")
	stubReleases(f)
	pw := base64.StdEncoding.EncodeToString([]byte("cluster-pw"))
	f.StubPattern(`^kubectl --context minikube -n app get secrets -l \S+ -o json$`).Stdout(`{"items":[{"metadata":{"name":"app-redis"},"data":{"REDIS_PASSWORD":"` + pw + `"}}]}`)
	f.StubPattern(`apply --server-side`)
	f.StubPattern(`patch deployment/app`)
	f.StubPattern(`rollout status deployment/app`)
	f.StubPattern(`get pods,endpointslices`).Stdout(`{"items":[]}`) // no slices: the fixed wait
	_, stderr, err := runEnv(t, dir, f, "", "set", "A=1")
	if err != nil {
		t.Fatal(err)
	}
	var applied string
	for _, c := range f.Calls() {
		if strings.Contains(c.Line(), " apply ") && applied == "" {
			applied = c.StdinData // the Secret; the release record follows
		}
		if strings.Contains(c.Line(), "get secrets") && !c.Sensitive {
			t.Fatal("the secrets were read without marking the command sensitive")
		}
	}
	want := base64.StdEncoding.EncodeToString([]byte("redis://:cluster-pw@app-redis:6379/0"))
	if !strings.Contains(applied, "REDIS_URL: "+want) {
		t.Fatalf("the Secret does not use the cluster's password:\n%s", applied)
	}
	if strings.Contains(stderr, "cluster-pw") {
		t.Fatalf("password printed: %s", stderr)
	}
}

// A state.json of an older cupaas has no deployed config: the current one
// is used, with a warning.
func TestApplyWithAnOldStateWarns(t *testing.T) {
	dir := app(t)
	if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab"}); err != nil {
		t.Fatal(err)
	}
	f := runtest.New(t)
	stubRunningImage(f, "cupaas/app:0123456789ab")
	stubReleases(f)
	f.StubPattern(`apply --server-side`)
	f.StubPattern(`patch deployment/app`)
	f.StubPattern(`rollout status deployment/app`)
	f.StubPattern(`get pods,endpointslices`).Stdout(`{"items":[]}`) // no slices: the fixed wait
	_, stderr, err := runEnv(t, dir, f, "", "set", "A=1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "does not record the deployed .cupaas.yml (an older cupaas wrote it): applying with the current one") {
		t.Fatalf("stderr:\n%s", stderr)
	}
}

// stubReleases answers the list of the release records (none yet): an
// applied change is recorded.
func stubReleases(f *runtest.Fake) {
	f.StubPattern(`^kubectl --context minikube -n app get secrets -l \S+,cupaas.dev/release -o json$`).Times(0).Stdout(`{"items":[]}`)
	f.StubPattern(`^kubectl --context minikube apply --server-side --force-conflicts --field-manager=cupaas-release -f -$`).Times(0)
}

// stubRunningImage answers env apply's check of the image the cluster runs.
func stubRunningImage(f *runtest.Fake, image string) {
	f.StubPattern(`^kubectl --context minikube -n app get deployment/app -o `).Stdout(image)
}
