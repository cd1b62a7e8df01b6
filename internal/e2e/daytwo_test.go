//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cmd/apps"
)

// The day-two commands that read the app on the cluster: status of a
// running app (exit 0) and of a crash-looping one (exit 1 with its
// reason), apps listing both, and open printing the URL when there is no
// browser opener.
func TestDayTwoStatusAppsOpen(t *testing.T) {
	const name, crash = "e2e-daytwo", "e2e-daytwo-crash"
	freshNamespace(t, name)
	dir := appDir(t, "python-flask-redis", nil)
	rename(t, dir, "counter", name)
	rep := deployOK(t, dir)
	var visits struct{ Visits int }
	firstJSON(t, rep.URL+"/", &visits)

	// status in the app's directory: healthy, exit 0.
	r := cupaas(t, dir, "status")
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Image:     " + rep.Image,
		"URL:       " + rep.URL + "  answers (HTTP 200",
		"=== app: 1/1 ready",
		"=== redis: 1/1 ready (redis:7)",
		"data-" + name + "-redis-0  1Gi   Bound",
		"✓ " + name + " is healthy",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status: no %q in:\n%s", want, r.stdout)
		}
	}
	t.Logf("cupaas status:\n%s", r.stdout)

	// --app from elsewhere, --json: the same app, read from the cluster.
	elsewhere := t.TempDir()
	r = cupaas(t, elsewhere, "status", "--app", name, "--json")
	var st app.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("status --app --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if !st.Healthy || st.Image != rep.Image || st.URL != rep.URL || st.Commit != rep.Commit || st.DeployedAt == nil ||
		len(st.Services) != 1 || len(st.Services[0].Volumes) != 1 || !st.Services[0].Volumes[0].Bound || st.URLCheck == nil || st.URLCheck.Code != 200 {
		t.Fatalf("status --app --json: %+v", st)
	}

	// A crash-looping app: exit 1, and the reason.
	freshNamespace(t, crash)
	currentNamespace = name
	cdir := appDir(t, crash, pyApp(crash, "", "import sys\nprint('e2e-daytwo: crash', file=sys.stderr, flush=True)\nsys.exit(3)\n"))
	if r := cupaas(t, cdir, "deploy", "--context", kubeContext); r.code != 1 {
		t.Fatalf("deploy of the crashing app: exit %d\n%s", r.code, r.stderr)
	}
	r = cupaas(t, cdir, "status")
	t.Logf("cupaas status of the crashing app (exit %d):\n%s", r.code, r.stdout)
	if r.code != 1 {
		t.Fatalf("status of a crashing app: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"=== app: 0/1 ready", "CrashLoopBackOff", "✗ " + crash + " is not healthy:", "container app exits with code 3 right after it starts"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status of a crashing app: no %q in:\n%s", want, r.stdout)
		}
	}

	// apps lists both, with the running one's URL.
	r = cupaas(t, elsewhere, "apps", "--json")
	var l apps.Listing
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || r.code != 0 {
		t.Fatalf("apps --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	found := map[string]app.Summary{}
	for _, a := range l.Apps {
		found[a.Name] = a
	}
	if a := found[name]; a.Namespace != name || a.Ready != 2 || a.Pods != 2 || a.Image != rep.Image || a.URL != rep.URL || a.DeployedAt == nil {
		t.Errorf("apps: %s is %+v", name, a)
	}
	if a := found[crash]; a.Namespace != crash || a.Ready != 0 || a.Pods != 1 {
		t.Errorf("apps: %s is %+v", crash, a)
	}
	r = cupaas(t, elsewhere, "apps")
	t.Logf("cupaas apps:\n%s", r.stdout)
	for _, n := range []string{name, crash} {
		if !strings.Contains(r.stdout, "\n"+n+" ") {
			t.Errorf("apps: no line for %s in:\n%s", n, r.stdout)
		}
	}

	// open with no browser opener on PATH prints the URL.
	r = withPath(t, dir, onlyTools(t, "kubectl", "minikube"), "open", "--path", "/health")
	if r.code != 0 || r.stdout != rep.URL+"/health\n" || !strings.Contains(r.stderr, "No browser opener found (xdg-open)") {
		t.Fatalf("open: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if status, _ := httpGet(t, strings.TrimSpace(r.stdout)); status != 200 {
		t.Fatalf("GET the URL open printed: HTTP %d", status)
	}
}

// onlyTools returns a directory with links to the named programs only.
func onlyTools(t *testing.T, names ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// withPath runs cupaas in dir with PATH set to path and no $BROWSER.
func withPath(t *testing.T, dir, path string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "BROWSER=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+path, "NO_COLOR=1", "XDG_CONFIG_HOME="+filepath.Join(dir, ".no-settings"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cupaas %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout.String(), stderr.String(), code}
}
