//go:build e2e

// Package e2e is the real tier: it runs the real cupaas binary against a
// real Docker engine and a real Kubernetes cluster (../shared/realcluster,
// context minikube) for every app in examples/, and for the failures a
// user meets most. Run it with
//
//	go test -tags e2e -count=1 -v -timeout 60m ./internal/e2e/
//
// It fails, never skips, when the cluster or Docker is missing.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/deploy"
)

// kubeContext is the realcluster's context.
const kubeContext = "minikube"

var (
	// bin is the cupaas binary under test, built by TestMain.
	bin string
	// root is the repository's top directory.
	root string

	timingsMu sync.Mutex
	timings   []timing
)

// timing is one deploy's duration, for the summary TestMain prints.
type timing struct {
	app, what string
	seconds   float64
}

func record(app, what string, seconds float64) {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	timings = append(timings, timing{app, what, seconds})
}

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	defer os.RemoveAll(filepath.Dir(bin))
	code = m.Run()
	if len(timings) > 0 {
		fmt.Println("e2e timings (seconds, as cupaas deploy --json reports them):")
		for _, t := range timings {
			fmt.Printf("  %-20s %-28s %6.1f\n", t.app, t.what, t.seconds)
		}
	}
	os.Exit(code)
}

// setup builds cupaas and checks that Docker and the cluster answer.
func setup() (int, error) {
	_, file, _, _ := runtime.Caller(0)
	root = filepath.Join(filepath.Dir(file), "..", "..")
	tmp, err := os.MkdirTemp("", "cupaas-e2e-bin-")
	if err != nil {
		return 1, err
	}
	bin = filepath.Join(tmp, "cupaas")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cupaas")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go build: %v\n%s", err, out)
	}
	for _, argv := range [][]string{
		{"docker", "info", "--format", "{{.ServerVersion}}"},
		{"kubectl", "--context", kubeContext, "get", "--raw", "/readyz"},
		{"minikube", "status", "-o", "json"},
	} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			return 1, fmt.Errorf("the real tier needs Docker and the cluster (run ../shared/realcluster/bed.sh): `%s` failed: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	return 0, nil
}

// result is one run of cupaas.
type result struct {
	stdout, stderr string
	code           int
}

// cupaas runs the binary in dir.
func cupaas(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_CONFIG_HOME="+filepath.Join(dir, ".no-settings"))
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

// deployOK deploys the app in dir with --json and returns the report; any
// failure fails the test with what cupaas printed.
func deployOK(t *testing.T, dir string, args ...string) deploy.Report {
	t.Helper()
	r := cupaas(t, dir, append([]string{"deploy", "--json", "--context", kubeContext}, args...)...)
	var rep deploy.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("cupaas deploy: exit %d, no JSON report (%v)\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	if r.code != 0 {
		t.Fatalf("cupaas deploy: exit %d: %s\n%s\nstderr:\n%s", r.code, rep.Error, strings.Join(rep.Details, "\n"), r.stderr)
	}
	return rep
}

// step returns the report's step name.
func step(t *testing.T, rep deploy.Report, name string) deploy.StepReport {
	t.Helper()
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", name, rep.Steps)
	return deploy.StepReport{}
}

// httpGet returns the status and body of url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	return request(t, http.MethodGet, url, "")
}

func request(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var last error
	for try := 0; try < 5; try++ {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(data)
		}
		last = err
		time.Sleep(time.Second)
	}
	t.Fatalf("%s %s: %v", method, url, last)
	return 0, ""
}

// getJSON decodes the JSON that url answers with 200. On another answer
// the test fails with the logs of the app's namespace.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	status, body := httpGet(t, url)
	if status != 200 {
		t.Fatalf("GET %s: HTTP %d: %s\n%s", url, status, body, namespaceLogs())
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// currentNamespace is the namespace of the running test's app, for
// namespaceLogs.
var currentNamespace string

// namespaceLogs are the last lines of every container's log in the
// current test's namespace, to explain a failure.
func namespaceLogs() string {
	if currentNamespace == "" {
		return ""
	}
	out, _ := exec.Command("kubectl", "--context", kubeContext, "-n", currentNamespace, "logs", "--all-containers", "--prefix", "--tail", "30", "-l", "app.kubernetes.io/managed-by=cupaas").CombinedOutput()
	return "logs of namespace " + currentNamespace + ":\n" + string(out)
}

// firstJSON is getJSON for the first request of an app that uses a
// service: it is tried for up to 30 s while the app answers HTTP 500. On
// this bed the Service's address is not always reachable yet right after
// its creation (kube-proxy programs it a few seconds later, and meanwhile
// the packets go to whatever answers outside: the counter's redis client
// got "HTTP/1.1 400 Bad Request").
func firstJSON(t *testing.T, url string, v any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := httpGet(t, url)
		if status == 500 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Second)
			continue
		}
		if status != 200 {
			t.Fatalf("GET %s: HTTP %d: %s\n%s", url, status, body, namespaceLogs())
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, body)
		}
		return
	}
}

// kubectl runs kubectl against the cluster and returns its output.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("kubectl", append([]string{"--context", kubeContext}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dnsCacheTime is how long the cluster's DNS may still answer with the
// address of a Service that was deleted: the records' TTL (30 s) plus
// CoreDNS's cache (30 s at most, counted from the same moment).
const dnsCacheTime = 35 * time.Second

// freshNamespace deletes what an earlier run left of namespace ns, and
// deletes ns when the test ends. After deleting a leftover it waits until
// the cluster's DNS has forgotten its Services: a new Service of the same
// name gets another address, and a client that still gets the old one
// reaches nothing (seen for real: the counter's redis client got "HTTP/1.1
// 400" from whatever answers an unassigned address here).
func freshNamespace(t *testing.T, ns string) {
	t.Helper()
	del := func() bool {
		out, _ := exec.Command("kubectl", "--context", kubeContext, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=180s").CombinedOutput()
		return strings.Contains(string(out), "deleted")
	}
	if del() {
		t.Logf("deleted the namespace %s an earlier run left; waiting %s for the cluster's DNS to forget its Services", ns, dnsCacheTime)
		time.Sleep(dnsCacheTime)
	}
	currentNamespace = ns
	t.Cleanup(func() { del() })
}

// appDir copies examples/<name> (or the files given) into a new git
// repository with one commit, and returns it.
func appDir(t *testing.T, example string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), example)
	if files == nil {
		src := filepath.Join(root, "examples", example)
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	} else {
		for name, content := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	git(t, dir, "init", "-q", "-b", "main")
	commit(t, dir, "first")
	return dir
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func commit(t *testing.T, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
}

// edit replaces old with new in dir/file (old must be there) and commits.
// A comment naming this run goes at the end of the file, so that the code
// change is new content on every run: a change built by an earlier run on
// this machine would otherwise be found cached, under its content tag.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	comment := "//"
	if strings.HasSuffix(file, ".py") {
		comment = "#"
	}
	data = bytes.Replace(data, []byte(old), []byte(new), 1)
	data = fmt.Appendf(data, "\n%s e2e run %d\n", comment, time.Now().UnixNano())
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	commit(t, dir, "change "+file)
}

// envSet runs `cupaas env set KEY=VALUE` and checks it applied without a
// build.
func envSet(t *testing.T, dir, pair string) {
	t.Helper()
	r := cupaas(t, dir, "env", "set", pair)
	if r.code != 0 {
		t.Fatalf("env set %s: exit %d\n%s", pair, r.code, r.stderr)
	}
	for _, want := range []string{"✓ Store .cupaas.env", "✓ Apply secret", "✓ Roll out"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("env set %s: no %q in:\n%s", pair, want, r.stderr)
		}
	}
	if strings.Contains(r.stderr+r.stdout, "Build image") {
		t.Fatalf("env set built an image:\n%s", r.stderr)
	}
}

// publishSteps are the names of the step that makes the image visible to
// the node: a push to minikube's registry addon, or an image load.
var publishSteps = []string{"Push image to minikube's registry", "Load image into minikube"}

// publishStep returns the report's publish step.
func publishStep(t *testing.T, rep deploy.Report) deploy.StepReport {
	t.Helper()
	for _, s := range rep.Steps {
		for _, name := range publishSteps {
			if s.Name == name {
				return s
			}
		}
	}
	t.Fatalf("no publish step in %+v", rep.Steps)
	return deploy.StepReport{}
}

// redeployUnchanged deploys again with nothing changed: either the app is
// found up to date (nothing built, applied or waited for), or, after a
// change made outside deploy (such as `cupaas env set`), the build and the
// publish are cached.
func redeployUnchanged(t *testing.T, app, dir string) deploy.Report {
	t.Helper()
	rep := deployOK(t, dir)
	if rep.UpToDate {
		for _, s := range rep.Steps {
			if s.Name == "Build image" || s.Name == "Apply manifests" {
				t.Fatalf("up-to-date redeploy ran %s: %+v", s.Name, rep.Steps)
			}
		}
		record(app, "no-change redeploy (up to date)", rep.Seconds)
		return rep
	}
	if s := step(t, rep, "Build image"); !s.Cached {
		t.Fatalf("no-change redeploy: Build image was not cached: %+v", s)
	}
	if s := publishStep(t, rep); !s.Cached {
		t.Fatalf("no-change redeploy: %s was not cached: %+v", s.Name, s)
	}
	record(app, "no-change redeploy", rep.Seconds)
	return rep
}

// redeployChanged deploys after a code change: a new image is built and
// loaded.
func redeployChanged(t *testing.T, app, dir string, before deploy.Report) deploy.Report {
	t.Helper()
	rep := deployOK(t, dir)
	if s := step(t, rep, "Build image"); s.Cached || !strings.HasPrefix(s.Detail, "new commit") {
		t.Fatalf("code change: Build image %+v", s)
	}
	if s := publishStep(t, rep); s.Cached {
		t.Fatalf("code change: %s cached: %+v", s.Name, s)
	}
	if rep.Image == before.Image {
		t.Fatalf("code change: same image %s", rep.Image)
	}
	record(app, "code-change redeploy", rep.Seconds)
	return rep
}

// claimUID is the UID of a PersistentVolumeClaim: the same UID means the
// same volume, with its data.
func claimUID(t *testing.T, ns, claim string) string {
	t.Helper()
	return strings.TrimSpace(kubectl(t, "-n", ns, "get", "pvc", claim, "-o", "jsonpath={.metadata.uid}"))
}

// rename gives the app in dir another name in .cupaas.yml, and commits.
func rename(t *testing.T, dir, from, to string) {
	t.Helper()
	p := filepath.Join(dir, ".cupaas.yml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("name: "+from+"\n")) {
		t.Fatalf(".cupaas.yml has no name: %s", from)
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte("name: "+from+"\n"), []byte("name: "+to+"\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	commit(t, dir, "rename")
}
