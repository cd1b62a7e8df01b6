//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gitPush runs `git push cupaas main` in dir, with the data directory that
// `cupaas remote` used, and returns its exit code and output (git shows
// what the hook prints as remote: lines).
func gitPush(t *testing.T, dir, data string) (int, string) {
	t.Helper()
	cmd := exec.Command("git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "push", "cupaas", "main")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_DATA_HOME="+data)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("git push: %v", err)
	}
	return 0, string(out)
}

var remoteURL = regexp.MustCompile(`(?m)^remote: (http://\S+)\s*$`)

// Deploy by `git push cupaas main`, with no server: the pushed commit
// answers at the URL the push prints; a pushed code change answers with
// the new code; a pushed commit that crashes is rejected with the crash's
// log line, and the app keeps serving the version before it.
func TestPushDeploy(t *testing.T) {
	const app = "e2e-push"
	freshNamespace(t, app)
	data := t.TempDir()
	dir := appDir(t, app, pyApp(app, "healthcheck: /health\n", `import os
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    return "push v1"

@app.get("/health")
def health():
    return "ok"

app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
`))
	cmd := exec.Command(bin, "remote")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_DATA_HOME="+data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cupaas remote: %v\n%s", err, out)
	}

	code, out := gitPush(t, dir, data)
	if code != 0 || !strings.Contains(out, "remote: ✓ Deployed e2e-push in ") {
		t.Fatalf("first push: exit %d\n%s", code, out)
	}
	m := remoteURL.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no URL in:\n%s", out)
	}
	url := m[1]
	if status, body := httpGet(t, url+"/"); status != 200 || body != "push v1" {
		t.Fatalf("GET %s/: HTTP %d %q", url, status, body)
	}

	edit(t, dir, "app.py", `return "push v1"`, `return "push v2"`)
	if code, out := gitPush(t, dir, data); code != 0 || !strings.Contains(out, "remote: ✓ Build image (new commit") {
		t.Fatalf("push of a code change: exit %d\n%s", code, out)
	}
	if status, body := httpGet(t, url+"/"); status != 200 || body != "push v2" {
		t.Fatalf("after the pushed change, GET %s/: HTTP %d %q", url, status, body)
	}

	edit(t, dir, "app.py", "from flask import Flask\n", "from flask import Flask\nraise RuntimeError(\"e2e-push-boom: broken commit\")\n")
	code, out = gitPush(t, dir, data)
	if code == 0 {
		t.Fatalf("a crashing commit was accepted:\n%s", out)
	}
	for _, want := range []string{"CrashLoopBackOff", "e2e-push-boom: broken commit", "pre-receive hook declined"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the rejected push:\n%s", want, out)
		}
	}
	if status, body := httpGet(t, url+"/"); status != 200 || body != "push v2" {
		t.Fatalf("after the rejected push, GET %s/: HTTP %d %q (the previous version must keep serving)", url, status, body)
	}
	// The remote branch still points at the deployed commit.
	bare := filepath.Join(data, "cupaas", "repos", kubeContext, app+".git")
	remote, err := exec.Command("git", "--git-dir", bare, "rev-parse", "main").Output()
	if err != nil {
		t.Fatal(err)
	}
	deployed := exec.Command("git", "rev-parse", "HEAD~1")
	deployed.Dir = dir
	want, err := deployed.Output()
	if err != nil || string(remote) != string(want) {
		t.Fatalf("remote main is %s, want the deployed commit %s (%v)", remote, want, err)
	}
}
