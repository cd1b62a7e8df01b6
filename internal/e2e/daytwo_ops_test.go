//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The day-two commands on the counter example, under its own name: logs
// (also -f across an env set rollout), run (env, exit code, the pod
// removed), doctor (passing, and naming the failing check when the
// cluster cannot be reached), destroy keeping the data and a deploy that
// finds it again, and destroy --delete-data leaving nothing.
func TestDayTwo(t *testing.T) {
	const app = "e2e-dayops"
	freshNamespace(t, app)
	dir := appDir(t, "python-flask-redis", nil)
	rename(t, dir, "counter", app)
	rep := deployOK(t, dir)
	type answer struct {
		Visits   int    `json:"visits"`
		Greeting string `json:"greeting"`
	}
	var a answer
	firstJSON(t, rep.URL+"/", &a)
	visits := a.Visits
	claim := claimUID(t, app, "data-"+app+"-redis-0")

	t.Run("logs", func(t *testing.T) {
		r := cupaas(t, dir, "logs", "--tail", "-1")
		if r.code != 0 {
			t.Fatalf("logs: exit %d\n%s", r.code, r.stderr)
		}
		for _, re := range []string{`(?m)^app/[a-z0-9]{5} +\| .*"GET / HTTP/1.1" 200`, `(?m)^redis/0 +\| .*Ready to accept connections`} {
			if !regexp.MustCompile(re).MatchString(r.stdout) {
				t.Errorf("logs: no line matching %s in:\n%s", re, r.stdout)
			}
		}
	})

	t.Run("logs -f across a rollout", func(t *testing.T) {
		var out, errOut syncBuffer
		cmd := exec.Command(bin, "logs", "-f", "--service", "app", "--tail", "5")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_CONFIG_HOME="+filepath.Join(dir, ".no-settings"))
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		prefix := regexp.MustCompile(`(?m)^(app/[a-z0-9]{5}) +\| `)
		sources := func() map[string]bool {
			m := map[string]bool{}
			for _, s := range prefix.FindAllStringSubmatch(out.String(), -1) {
				m[s[1]] = true
			}
			return m
		}
		waitFor(t, 30*time.Second, "the first lines of logs -f", func() bool { return len(sources()) > 0 }, &out, &errOut)
		before := sources()
		envSet(t, dir, "GREETING=hello from the new pod")
		getJSON(t, rep.URL+"/", &a)
		if a.Greeting != "hello from the new pod" {
			t.Fatalf("after env set: %+v", a)
		}
		// The new pod's lines (its start, its health checks, the
		// request) appear in the same, still running, logs -f.
		waitFor(t, 60*time.Second, "a line of the new pod", func() bool {
			for s := range sources() {
				if !before[s] {
					return true
				}
			}
			return false
		}, &out, &errOut)
		waitFor(t, 30*time.Second, "the request's line from the new pod", func() bool {
			return strings.Contains(out.String(), `"GET / HTTP/1.1" 200`) && len(sources()) > len(before)
		}, &out, &errOut)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("logs -f after Ctrl-C: %v (want exit code 0)\nstderr:\n%s", err, errOut.String())
		}
		t.Logf("logs -f saw pods %v, then %v", keys(before), keys(sources()))
	})

	t.Run("run", func(t *testing.T) {
		// A quick command's output is never lost (three times: an
		// attach alone lost it now and then on this bed).
		for i := 0; i < 3; i++ {
			r := cupaas(t, dir, "run", "--", "python", "-c", `import os; print(os.environ["REDIS_URL"] != "")`)
			if r.code != 0 || strings.TrimSpace(r.stdout) != "True" {
				t.Fatalf("run python (try %d): exit %d, stdout %q\nstderr:\n%s", i+1, r.code, r.stdout, r.stderr)
			}
		}
		r := cupaas(t, dir, "run", "--", "sh", "-c", "exit 3")
		if r.code != 3 {
			t.Fatalf("run sh -c 'exit 3': exit %d, want 3\nstderr:\n%s", r.code, r.stderr)
		}
		// The one-off pods are removed (they may take a moment to end).
		waitFor(t, 60*time.Second, "the run pods to be gone", func() bool {
			return strings.TrimSpace(kubectl(t, "-n", app, "get", "pods", "-l", "app.kubernetes.io/component=run", "-o", "name")) == ""
		})
	})

	t.Run("doctor", func(t *testing.T) {
		r := cupaas(t, dir, "doctor")
		if r.code != 0 || !strings.Contains(r.stdout, "✓ Ready to deploy to context minikube") {
			t.Fatalf("doctor on the bed: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r = cupaas(t, dir, "doctor", "--context", "e2e-no-such-context")
		if r.code != 1 || !regexp.MustCompile(`(?m)^✗ kube context +context e2e-no-such-context does not exist`).MatchString(r.stdout) {
			t.Fatalf("doctor with a missing context: exit %d\n%s", r.code, r.stdout)
		}
		// A kubeconfig whose server is a closed port: the cluster check
		// fails and says so; the bed is left alone.
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		raw := kubectl(t, "config", "view", "--raw", "--minify")
		raw = regexp.MustCompile(`server: \S+`).ReplaceAllString(raw, "server: https://127.0.0.1:1")
		if err := os.WriteFile(kc, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		r = cupaasEnv(t, dir, []string{"KUBECONFIG=" + kc}, "doctor")
		if r.code != 1 || !regexp.MustCompile(`(?m)^✗ cluster `).MatchString(r.stdout) || !strings.Contains(r.stdout, "– image load") {
			t.Fatalf("doctor with the cluster unreachable: exit %d\n%s", r.code, r.stdout)
		}
	})

	t.Run("destroy keeps the data", func(t *testing.T) {
		r := cupaas(t, dir, "destroy")
		if r.code != 2 || !strings.Contains(r.stderr, "add --yes") {
			t.Fatalf("destroy without a terminal and --yes: exit %d\n%s", r.code, r.stderr)
		}
		getJSON(t, rep.URL+"/", &a)
		visits = a.Visits
		r = cupaas(t, dir, "destroy", "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, "redis: volume claim data-"+app+"-redis-0, 1Gi (bound)") {
			t.Fatalf("destroy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, ".cupaas", "state.json")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state.json is still there: %v", err)
		}
		if left := kubectl(t, "-n", app, "get", "deployments,statefulsets,services,configmaps", "-l", "app.kubernetes.io/managed-by=cupaas", "-o", "name"); strings.TrimSpace(left) != "" {
			t.Fatalf("destroy left:\n%s", left)
		}
		kubectl(t, "-n", app, "get", "secret", app+"-redis")
		if uid := claimUID(t, app, "data-"+app+"-redis-0"); uid != claim {
			t.Fatalf("the claim changed: %s, was %s", uid, claim)
		}

		rep2 := deployOK(t, dir)
		firstJSON(t, rep2.URL+"/", &a)
		if a.Visits != visits+1 {
			t.Fatalf("after destroy and deploy: %+v, want visits %d (the data found again)", a, visits+1)
		}
		t.Logf("visits %d before destroy, %d after the new deploy", visits, a.Visits)
	})

	t.Run("destroy --delete-data", func(t *testing.T) {
		start := time.Now()
		r := cupaas(t, dir, "destroy", "--delete-data", "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, "deleted namespace "+app+" and everything in it") {
			t.Fatalf("destroy --delete-data: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		t.Logf("destroy --delete-data took %s", time.Since(start).Round(100*time.Millisecond))
		if out, _ := exec.Command("kubectl", "--context", kubeContext, "get", "namespace", app, "--ignore-not-found", "-o", "name").Output(); len(bytes.TrimSpace(out)) > 0 {
			t.Fatalf("namespace %s is still there", app)
		}
		// The volume goes with its claim (the provisioner deletes it).
		waitFor(t, 60*time.Second, "the app's volumes to be gone", func() bool {
			return !strings.Contains(kubectl(t, "get", "pv", "-o", "jsonpath={range .items[*]}{.spec.claimRef.namespace}{\"\\n\"}{end}"), app+"\n")
		})
	})
}

// cupaasEnv runs cupaas in dir with extra environment.
func cupaasEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "XDG_CONFIG_HOME="+filepath.Join(dir, ".no-settings")), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cupaas %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// waitFor polls cond every half second for up to d; on timeout it fails
// with what the buffers hold.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, bufs ...*syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, s := range bufs {
				b.WriteString(s.String())
				b.WriteString("\n---\n")
			}
			t.Fatalf("waited %s for %s\n%s", d, what, b.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}
