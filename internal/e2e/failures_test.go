//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The failures a user meets most, on the real cluster: each must end with
// exit code 1 and the message that says what is wrong.

const requirements = "flask\n"

func pyApp(name, extra, code string) map[string]string {
	return map[string]string{
		".cupaas.yml":      "name: " + name + "\nruntime: python:3.11\nentrypoint: [python, app.py]\nport: 8000\n" + extra,
		"requirements.txt": requirements,
		"app.py":           code,
	}
}

// An app that exits at start: CrashLoopBackOff, with the line it printed.
func TestFailureCrashAtStart(t *testing.T) {
	const app = "e2e-crash"
	freshNamespace(t, app)
	dir := appDir(t, app, pyApp(app, "", `import sys
print("e2e-boom: the setting DATABASE is missing", file=sys.stderr, flush=True)
sys.exit(1)
`))
	r := cupaas(t, dir, "deploy", "--context", kubeContext)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Error: Roll out failed: pod e2e-crash-", "is in CrashLoopBackOff: container app exits with exit code 1", "e2e-boom: the setting DATABASE is missing", "Fix the error in the log above, then run `cupaas deploy` again."} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no %q in:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "http://") {
		t.Errorf("a URL was printed for a crashing app:\n%s", r.stdout)
	}
}

// An app that listens on 127.0.0.1 never becomes ready; cupaas says so.
func TestFailureListensOnLoopback(t *testing.T) {
	const app = "e2e-loopback"
	freshNamespace(t, app)
	dir := appDir(t, app, pyApp(app, "", `import os
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    return "hi"

app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
`))
	r := cupaas(t, dir, "deploy", "--context", kubeContext, "--timeout", "40s")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"runs but never becomes ready: the TCP check on port 8000 fails", "The app listens on 127.0.0.1:8000 only, which cannot be reached from outside the pod: make it listen on 0.0.0.0:$PORT"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no %q in:\n%s", want, r.stderr)
		}
	}
}

// An app that answers HTTP 500: no URL is printed, and its log is shown.
func TestFailureHTTP500(t *testing.T) {
	const app = "e2e-500"
	freshNamespace(t, app)
	dir := appDir(t, app, pyApp(app, "", `import os, sys
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    print("e2e-500: cannot reach the payment service", file=sys.stderr, flush=True)
    return "broken", 500

app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
`))
	r := cupaas(t, dir, "deploy", "--context", kubeContext)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "http://") {
		t.Errorf("a URL was printed for an app that answers 500:\n%s", r.stdout)
	}
	for _, want := range []string{"Error: Verify failed: the app does not answer at http://", "answered HTTP 500", "Last 20 lines of the app's log:", "e2e-500: cannot reach the payment service"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no %q in:\n%s", want, r.stderr)
		}
	}
}

// syncBuffer is a bytes.Buffer that a running process writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A deploy right after the app's namespace was deleted, while it is still
// terminating (held here by a finalizer, as a slow controller would): cupaas
// waits for it to be gone instead of failing with kubectl's Forbidden, then
// deploys.
func TestDeployIntoTerminatingNamespace(t *testing.T) {
	const app = "e2e-ns"
	freshNamespace(t, app)
	dir := appDir(t, app, pyApp(app, "", `import os
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    return "ns ok"

app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
`))
	deployOK(t, dir)
	kubectl(t, "-n", app, "create", "configmap", "e2e-hold")
	kubectl(t, "-n", app, "patch", "configmap", "e2e-hold", "--type", "merge", "-p", `{"metadata":{"finalizers":["e2e.cupaas.dev/hold"]}}`)
	release := func() {
		exec.Command("kubectl", "--context", kubeContext, "-n", app, "patch", "configmap", "e2e-hold", "--type", "json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`).Run()
	}
	t.Cleanup(release)
	kubectl(t, "delete", "namespace", app, "--wait=false")
	if phase := kubectl(t, "get", "namespace", app, "-o", "jsonpath={.status.phase}"); phase != "Terminating" {
		t.Fatalf("namespace phase %q, want Terminating", phase)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "deploy", "--context", kubeContext)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The deploy must wait, not fail: still running while the namespace
	// is held.
	select {
	case err := <-done:
		t.Fatalf("deploy ended while the namespace was still terminating: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "namespace e2e-ns is being deleted; waiting for it to be gone, then applying again") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	url := strings.TrimSpace(lastLine(stdout.String()))
	if status, body := httpGet(t, url+"/"); status != 200 || body != "ns ok" {
		t.Fatalf("GET %s/: HTTP %d %q", url, status, body)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
