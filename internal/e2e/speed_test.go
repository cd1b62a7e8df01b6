//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The no-change path, for real: a redeploy with nothing changed checks
// what runs and the URL, and does nothing else; --rebuild and a changed
// secret value still build or roll; the image goes through minikube's
// registry addon, which the bed's minikube reports enabled.
func TestSpeedNoChangeRedeploy(t *testing.T) {
	const app = "h14speed"
	freshNamespace(t, app)
	dir := appDir(t, "python-flask-redis", nil)
	rename(t, dir, "counter", app)

	rep := deployOK(t, dir)
	record(app, "first deploy", rep.Seconds)
	// Pushed, or already in the registry from an earlier run of this test.
	if s := publishStep(t, rep); s.Name != "Push image to minikube's registry" || !strings.Contains(s.Detail, "registry addon is enabled") && !strings.Contains(s.Detail, "minikube's registry has") {
		t.Fatalf("the bed's registry addon was not used: %+v", s)
	}
	if !strings.HasPrefix(rep.Image, "localhost:5000/cupaas/"+app+":") {
		t.Fatalf("image %s is not named for the registry addon", rep.Image)
	}
	var a struct{ Visits int }
	firstJSON(t, rep.URL+"/", &a)

	start := time.Now()
	same := deployOK(t, dir)
	took := time.Since(start)
	record(app, "no-change redeploy (wall)", took.Seconds())
	if !same.UpToDate || same.URL != rep.URL || same.Image != rep.Image {
		t.Fatalf("no-change redeploy: %+v", same)
	}
	for _, s := range same.Steps {
		if s.Name == "Build image" || s.Name == "Apply manifests" || s.Name == "Preflight" {
			t.Fatalf("no-change redeploy ran %s: %+v", s.Name, same.Steps)
		}
	}
	t.Logf("no-change redeploy: %s (report %.2fs)", took, same.Seconds)

	// --rebuild still builds and publishes.
	re := deployOK(t, dir, "--rebuild")
	if re.UpToDate || step(t, re, "Build image").Cached || publishStep(t, re).Cached {
		t.Fatalf("--rebuild: %+v", re.Steps)
	}
	// A changed secret value rolls the pods, without a build.
	if err := os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("API_TOKEN=e2e-"+time.Now().Format("150405.000")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := deployOK(t, dir)
	if env.UpToDate || !step(t, env, "Build image").Cached || !strings.Contains(step(t, env, "Roll out").Detail, "old pods replaced") {
		t.Fatalf("changed env value: %+v", env.Steps)
	}
	var b struct{ Visits int }
	getJSON(t, env.URL+"/", &b)
	if b.Visits <= a.Visits {
		t.Fatalf("visits %d after %d: redis lost its data", b.Visits, a.Visits)
	}
}

// The side-by-side benchmark (bench/realcluster.sh): cupaas against the
// same steps typed by hand, the no-change redeploy and a one-line change.
// It fails when the script fails; the figures and whether they meet the
// targets are in its output (this machine is shared, so a missed target
// is reported, not failed: run `bench/realcluster.sh -n 3 --strict` by
// hand for that).
func TestBenchRealCluster(t *testing.T) {
	cmd := exec.Command(filepath.Join(root, "bench", "realcluster.sh"), "-n", "1")
	cmd.Env = append(os.Environ(), "CUPAAS="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("bench/realcluster.sh:\n%s", out)
	if err != nil {
		t.Fatalf("bench/realcluster.sh: %v", err)
	}
	if !strings.Contains(string(out), "first deploy / by hand:") {
		t.Fatal("bench/realcluster.sh printed no ratios")
	}
}
