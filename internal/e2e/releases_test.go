//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/deploy"
)

// releaseItem is a line of `cupaas releases --json`.
type releaseItem struct {
	Version int    `json:"version"`
	What    string `json:"what"`
	Image   string `json:"image"`
	Status  string `json:"status"`
	Current bool   `json:"current"`
}

func releasesOf(t *testing.T, dir string) []releaseItem {
	t.Helper()
	r := cupaas(t, dir, "releases", "--json")
	var items []releaseItem
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &items) != nil {
		t.Fatalf("cupaas releases --json: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return items
}

// rollbackOK rolls back (to vN when given) with --json and returns the
// report; it checks that nothing was built or loaded.
func rollbackOK(t *testing.T, dir string, args ...string) deploy.Report {
	t.Helper()
	r := cupaas(t, dir, append([]string{"rollback", "--json"}, args...)...)
	var rep deploy.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("cupaas rollback: exit %d (%v): %s\n%s\nstderr:\n%s", r.code, err, rep.Error, strings.Join(rep.Details, "\n"), r.stderr)
	}
	for _, s := range rep.Steps {
		if s.Name == "Build image" {
			t.Fatalf("rollback built an image: %+v", rep.Steps)
		}
	}
	if s := step(t, rep, "Load image into minikube"); !s.Cached {
		t.Fatalf("rollback loaded the image although the node has it: %+v", s)
	}
	return rep
}

// The counter deployed twice with a code change between: `cupaas
// rollback` answers with the first version's code within seconds, with no
// build, and the visit count goes on (redis is never rolled back). Then
// `env set` and `rollback` put the earlier setting back.
func TestReleasesRollback(t *testing.T) {
	const app = "e2e-releases"
	freshNamespace(t, app)
	dir := appDir(t, "python-flask-redis", nil)
	rename(t, dir, "counter", app)

	type answer struct {
		Visits   int    `json:"visits"`
		Greeting string `json:"greeting"`
		Version  int    `json:"version"`
	}
	var a answer
	// get decodes into a zero answer: v1's code sends no version.
	get := func(url string) {
		t.Helper()
		a = answer{}
		getJSON(t, url+"/", &a)
	}
	rep1 := deployOK(t, dir)
	if rep1.Release != 1 {
		t.Fatalf("first deploy: release %d, want 1", rep1.Release)
	}
	firstJSON(t, rep1.URL+"/", &a)
	n := a.Visits
	rep2 := redeployUnchanged(t, app, dir) // nothing changed: no release
	if !rep2.UpToDate || rep2.Release != 0 {
		t.Fatalf("no-change redeploy: up to date %v, release %d; want up to date and no release", rep2.UpToDate, rep2.Release)
	}
	edit(t, dir, "app.py", `jsonify({"visits": visits,`, `jsonify({"version": 2, "visits": visits,`)
	rep3 := redeployChanged(t, app, dir, rep2) // v2: the new code
	get(rep3.URL)
	if a.Version != 2 || a.Visits != n+1 {
		t.Fatalf("v3: %+v", a)
	}

	start := time.Now()
	rb := rollbackOK(t, dir) // v3: to v1, the release before v2
	took := time.Since(start)
	record(app, "rollback (no build)", rb.Seconds)
	if rb.Image != rep1.Image || rb.Release != 3 {
		t.Fatalf("rollback: image %s release %d, want %s and 3", rb.Image, rb.Release, rep1.Image)
	}
	if took > 60*time.Second {
		t.Fatalf("rollback took %s", took)
	}
	get(rb.URL)
	if a.Version != 0 || a.Visits != n+2 {
		t.Fatalf("after the rollback: %+v, want v1's code (no version) and visits %d", a, n+2)
	}
	t.Logf("rollback %.1fs (wall %s), no-change redeploy %.1fs", rb.Seconds, took.Round(100*time.Millisecond), rep2.Seconds)

	// env set, then rollback: the earlier value (none: the default greeting).
	envSet(t, dir, "GREETING=hola from e2e")
	get(rb.URL)
	if a.Greeting != "hola from e2e" {
		t.Fatalf("after env set: %+v", a)
	}
	rb2 := rollbackOK(t, dir)
	get(rb2.URL)
	if a.Greeting != "hello" || a.Version != 0 || a.Visits != n+4 {
		t.Fatalf("after rolling back env set: %+v", a)
	}
	if r := cupaas(t, dir, "env", "get", "GREETING"); r.code != 1 {
		t.Fatalf("env get GREETING after the rollback: exit %d, %q (the rolled-back release had none)", r.code, r.stdout)
	}
	// And forward again to the release with the new code and the greeting.
	rb3 := rollbackOK(t, dir, "v4")
	get(rb3.URL)
	if a.Greeting != "hola from e2e" || a.Version != 0 {
		t.Fatalf("after rollback v4: %+v", a)
	}

	items := releasesOf(t, dir)
	var whats []string
	for _, it := range items {
		whats = append(whats, fmt.Sprintf("v%d %s %s", it.Version, it.What, it.Status))
	}
	want := "v6 rollback to v4 succeeded|v5 rollback to v3 succeeded|v4 env set GREETING succeeded|v3 rollback to v1 succeeded|v2 deploy succeeded|v1 deploy succeeded"
	if got := strings.Join(whats, "|"); got != want || !items[0].Current {
		t.Fatalf("releases:\n got  %s\n want %s", got, want)
	}
	// The records are Secrets of the app's namespace, and the app's own
	// objects did not prune them.
	if out := kubectl(t, "-n", app, "get", "secrets", "-l", "cupaas.dev/release", "-o", "name"); strings.Count(out, "secret/cupaas.release."+app+".v") != 6 {
		t.Fatalf("release Secrets:\n%s", out)
	}
}

// A release command that writes to the database runs before the new pods
// start: the app reads, when it starts, what the command wrote. A failing
// release command stops the deploy and leaves the running version
// serving.
func TestReleasePhase(t *testing.T) {
	const app = "e2e-release-phase"
	freshNamespace(t, app)
	run := fmt.Sprint(time.Now().UnixNano())
	code := `import os, redis
from flask import Flask, jsonify

store = redis.Redis.from_url(os.environ["REDIS_URL"])
MIGRATED = (store.get("schema") or b"").decode()  # read once, at start
app = Flask(__name__)

@app.get("/")
def index():
    return jsonify({"version": 1, "schema": MIGRATED})

@app.get("/health")
def health():
    return "ok"

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
`
	releaseCmd := func(value string) string {
		return `release: [python, -c, "import os, redis; print('migrating to ` + value + `', flush=True); redis.Redis.from_url(os.environ['REDIS_URL']).set('schema', '` + value + `')"]` + "\n"
	}
	yml := "name: " + app + "\nruntime: python:3.11\nentrypoint: [python, app.py]\nport: 8000\nhealthcheck: /health\nservices: [redis]\n"
	dir := appDir(t, app, map[string]string{
		".cupaas.yml": yml + releaseCmd("s1-"+run), "requirements.txt": "flask\nredis\n", "app.py": code,
	})
	type answer struct {
		Version int    `json:"version"`
		Schema  string `json:"schema"`
	}
	var a answer
	r := cupaas(t, dir, "deploy")
	if r.code != 0 || !strings.Contains(r.stderr, "  migrating to s1-"+run) || !strings.Contains(r.stderr, "✓ Release phase (") {
		t.Fatalf("deploy with a release command: exit %d\n%s", r.code, r.stderr)
	}
	url := strings.TrimSpace(lastLine(r.stdout))
	firstJSON(t, url+"/", &a)
	if a.Schema != "s1-"+run {
		t.Fatalf("the app did not read what the release command wrote before it started: %+v", a)
	}

	// A new release command and new code: the new pods read the new value.
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(yml+releaseCmd("s2-"+run)), 0o644)
	edit(t, dir, "app.py", `"version": 1`, `"version": 2`)
	rep := deployOK(t, dir)
	getJSON(t, rep.URL+"/", &a)
	if a.Schema != "s2-"+run || a.Version != 2 {
		t.Fatalf("second deploy: %+v", a)
	}
	running := strings.TrimSpace(kubectl(t, "-n", app, "get", "deployment", app, "-o", "jsonpath={.spec.template.spec.containers[0].image}"))

	// A failing release command: exit 1 with its log; v2 keeps serving.
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte(yml+`release: [python, -c, "import sys; print('e2e migration failed: column exists', flush=True); sys.exit(3)"]`+"\n"), 0o644)
	edit(t, dir, "app.py", `"version": 2`, `"version": 3`)
	r = cupaas(t, dir, "deploy")
	if r.code != 1 {
		t.Fatalf("failing release command: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Error: Release phase failed: the release command exited with code 3", "e2e migration failed: column exists", "The app's pods were not changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no %q in:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "Apply manifests") {
		t.Errorf("the app's manifests were applied after a failed release command:\n%s", r.stderr)
	}
	getJSON(t, rep.URL+"/", &a)
	if a.Version != 2 || a.Schema != "s2-"+run {
		t.Fatalf("after the failed release command: %+v, want v2 serving", a)
	}
	if now := strings.TrimSpace(kubectl(t, "-n", app, "get", "deployment", app, "-o", "jsonpath={.spec.template.spec.containers[0].image}")); now != running {
		t.Fatalf("the Deployment changed: %s, was %s", now, running)
	}
	items := releasesOf(t, dir)
	if len(items) != 3 || items[0].Status != "failed" || !items[1].Current {
		t.Fatalf("releases: %+v", items)
	}
}
