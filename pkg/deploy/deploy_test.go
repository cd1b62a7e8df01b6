package deploy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
	"github.com/cupaas/cupaas/pkg/state"
)

func writeApp(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var counterApp = map[string]string{
	".cupaas.env":      "API_KEY=s3cr3t\n",
	".cupaas.yml":      "name: counter\nruntime: python:3.11\nentrypoint: [python, app.py]\nport: 8000\nhealthcheck: /health\nservices: [redis]\n",
	"requirements.txt": "flask\nredis\n",
	"app.py":           "print(1)\n",
}

// stubReleases answers the release records' calls: there are none yet,
// and writing one works. Registered first, so that it wins over broader
// patterns.
// stubPruneReads answers the reads of what to prune, done ahead of the
// apply, in a deploy that may fail before it uses them.
func stubPruneReads(f *runtest.Fake) {
	f.StubPattern(`^kubectl --context minikube -n counter get \S+ -l \S+!cupaas.dev/release -o name$`).Optional()
	f.StubPattern(`^kubectl --context minikube -n counter get persistentvolumeclaims -l \S+ -o name$`).Optional()
}

func stubReleases(f *runtest.Fake) {
	f.StubPattern(`^kubectl --context minikube -n counter get secrets -l \S+,cupaas.dev/release -o json$`).Times(0).Stdout(`{"items":[]}`)
	f.StubPattern(`^kubectl --context minikube apply --server-side --force-conflicts --field-manager=cupaas-release -f -$`).Times(0)
}

// stubCluster answers every command of a deploy, as a cluster that already
// runs the app and has its image (the no-change redeploy).
func stubCluster(f *runtest.Fake, url string, imageCached bool) {
	any := func(p string) *runtest.Stub { return f.StubPattern(p).Times(0) }
	any(`^docker version`)
	any(`^minikube status`).Stdout(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`)
	any(`^minikube addons list -o json$`).Stdout(`{"registry":{"Status":"disabled"}}`)
	any(`^minikube ip$`).Stdout("192.0.2.2\n")
	any(`^docker info --format`).Stdout(`{}`)
	any(`^kubectl .* get secrets`).Stdout(`{"items":[]}`)
	if imageCached {
		any(`^docker image inspect`).Stdout("sha256:1\n")
		any(`^minikube image ls`).Stdout("docker.io/cupaas/counter:TAG\n")
	}
	any(`^kubectl --context minikube get namespace counter --ignore-not-found -o jsonpath=`)
	any(`^kubectl --context minikube apply --server-side`)
	any(`^kubectl .* get deployments.apps`)
	any(`^kubectl .* get persistentvolumeclaims`)
	any(`^kubectl .* rollout status`)
	any(`^minikube service counter -n counter --url$`).Stdout(url + "\n")
}

func TestHappyPathReport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	f := runtest.New(t)
	stubCluster(f, srv.URL, false)
	f.StubPattern(`^docker image inspect`).Exit(1)
	f.StubPattern(`^docker build -t cupaas/counter:[0-9a-f]{12} -f .cupaas/build/Dockerfile -$`).Do(func(ctx context.Context, c run.Cmd) ([]byte, error) {
		// The context arrives as a tar on stdin, without the secrets.
		data, _ := io.ReadAll(c.Stdin)
		if !bytes.Contains(data, []byte("app.py")) || bytes.Contains(data, []byte(".cupaas.env")) || bytes.Contains(data, []byte("credentials.json")) {
			t.Errorf("build context tar:\n%q", data)
		}
		return nil, nil
	})
	f.StubPattern(`^minikube image ls$`).Stdout("registry.k8s.io/pause:3.10\n")
	f.StubPattern(`^minikube image load cupaas/counter:[0-9a-f]{12}$`)
	ios, _, _, _ := iostreams.Test()
	rep, tun, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir})
	if err != nil || tun != nil {
		t.Fatalf("Run: %v (tunnel %v)", err, tun)
	}
	if rep.URL != srv.URL || rep.Namespace != "counter" || !strings.HasPrefix(rep.Image, "cupaas/counter:") {
		t.Fatalf("report %+v", rep)
	}
	var names []string
	for _, s := range rep.Steps {
		names = append(names, s.Name)
	}
	want := []string{"Load .cupaas.yml", "Preflight", "Source", "Build image", "Load image into minikube", "Render", "Apply services", "Roll out services", "Apply manifests", "Roll out", "Get URL", "Verify"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("steps %q", names)
	}
	// No secret value ever reaches an argv.
	data, _ := os.ReadFile(filepath.Join(dir, ".cupaas", "credentials.json"))
	for _, c := range f.Calls() {
		for _, a := range c.Argv {
			if strings.Contains(string(data), `"`+a+`"`) && len(a) >= 20 {
				t.Fatalf("a credential appears in argv: %s", c.Line())
			}
		}
	}
}

func TestTransientApplyIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	f := runtest.New(t)
	stubReleases(f)
	f.StubPattern(`^kubectl --context minikube apply --server-side --force-conflicts --field-manager=cupaas -f`).Stderr("The connection to the server 192.0.2.2:8443 was refused - did you specify the right host or port?\n").Exit(1)
	stubCluster(f, srv.URL, false)
	f.StubPattern(`^docker image inspect`).Times(0)
	f.StubPattern(`^minikube image ls`).Stdout("")
	f.StubPattern(`^minikube image load`)
	ios, _, _, errOut := iostreams.Test()
	_, _, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(errOut.String(), "kubectl apply failed (The connection to the server 192.0.2.2:8443 was refused") || !strings.Contains(errOut.String(), "try 2 of 3") {
		t.Fatalf("stderr:\n%s", errOut)
	}
}

func TestInvalidManifestFailsAtOnce(t *testing.T) {
	dir := writeApp(t, counterApp)
	f := runtest.New(t)
	stubReleases(f)
	stubPruneReads(f)
	f.StubPattern(`^kubectl --context minikube apply --server-side --force-conflicts --field-manager=cupaas -f`).Stderr(`error: error validating "kubernetes.yaml": unknown field "replica"` + "\n").Exit(1)
	f.StubPattern(`^kubectl --context minikube get namespace counter --ignore-not-found -o jsonpath`)
	f.StubPattern(`^docker version`)
	f.StubPattern(`^minikube status`).Stdout(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`)
	f.StubPattern(`^minikube addons list -o json$`).Stdout(`{"registry":{"Status":"disabled"}}`)
	f.StubPattern(`^minikube ip$`).Stdout("192.0.2.2\n")
	f.StubPattern(`^docker info --format`).Stdout(`{}`)
	f.StubPattern(`^kubectl .* get secrets`).Stdout(`{"items":[]}`)
	// The image goes on beside the services, until their apply fails.
	f.StubPattern(`^docker image inspect`).Stdout("sha256:1").Optional()
	f.StubPattern(`^minikube image ls`).Stdout("").Optional()
	f.StubPattern(`^minikube image load`).Optional()
	ios, _, _, _ := iostreams.Test()
	_, _, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir, RetryDelay: time.Millisecond})
	var se *StepError
	// The services' objects are applied first, while the image is built.
	if err == nil || !asStep(err, &se) || se.Step != "Apply services" || !strings.Contains(strings.Join(se.Lines(), "\n"), `unknown field "replica"`) {
		t.Fatalf("err = %v", err)
	}
	n := 0
	for _, l := range f.Lines() {
		if strings.Contains(l, " apply ") && !strings.Contains(l, "=cupaas-release ") { // not a release record
			n++
		}
	}
	if n != 1 {
		t.Fatalf("apply ran %d times, want 1", n)
	}
}

func asStep(err error, se **StepError) bool {
	e, ok := err.(*StepError)
	*se = e
	return ok
}

// BenchmarkRedeployNoChange measures cupaas' own work on a redeploy with
// nothing to build or load, the tools answering instantly.
func BenchmarkRedeployNoChange(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(b, counterApp)
	ios, _, _, _ := iostreams.Test()
	f := &instant{url: srv.URL}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// instant is a run.Runner whose tools answer at once, as a cluster that
// already runs the app and has its image.
type instant struct{ url string }

func (i *instant) LookPath(name string) (string, error) { return "/bin/" + name, nil }

func (i *instant) Run(_ context.Context, c run.Cmd) ([]byte, error) {
	line := run.CommandLine(c.Argv)
	switch {
	case strings.HasPrefix(line, "minikube status"):
		return []byte(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`), nil
	case strings.Contains(line, " get namespace "):
		return nil, nil // there, and not being deleted
	case strings.Contains(line, " get "):
		return []byte(`{"items":[]}`), nil
	case strings.HasPrefix(line, "minikube image ls"):
		return []byte(strings.Join(c.Argv, "\n")), nil // never a match: load runs, instantly
	case strings.HasPrefix(line, "minikube service"):
		if c.Stdout != nil {
			c.Stdout.Write([]byte(i.url + "\n"))
		}
		return []byte(i.url + "\n"), nil
	}
	return nil, nil
}

// A file saved while the image is built: the image does not match its
// tag, so it is removed again and the deploy stops, asking for a rerun.
func TestFileChangedDuringBuild(t *testing.T) {
	files := map[string]string{"zz.py": "a = 1\n"}
	for k, v := range counterApp {
		files[k] = v
	}
	dir := writeApp(t, files)
	f := runtest.New(t)
	f.StubPattern(`^docker version`)
	f.StubPattern(`^minikube status`).Stdout(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`)
	f.StubPattern(`^minikube addons list -o json$`).Stdout(`{"registry":{"Status":"disabled"}}`)
	f.StubPattern(`^minikube ip$`).Stdout("192.0.2.2\n")
	f.StubPattern(`^docker info --format`).Stdout(`{}`)
	f.StubPattern(`^docker image inspect`).Exit(1)
	f.StubPattern(`^docker build -t cupaas/counter:[0-9a-f]{12} `)
	f.StubPattern(`^docker image rm cupaas/counter:[0-9a-f]{12}$`)
	// The services go on beside the build, until it fails, and the
	// release records are read ahead while it runs.
	f.StubPattern(`^kubectl .* get secrets -l \S+!cupaas.dev/release`).Stdout(`{"items":[]}`).Optional()
	f.StubPattern(`^kubectl .* get secrets -l \S+,cupaas.dev/release`).Stdout(`{"items":[]}`).Optional()
	stubPruneReads(f)
	for _, p := range []string{`get namespace counter --ignore-not-found`, `^kubectl --context minikube apply --server-side`, `^kubectl .* rollout status`, `^kubectl .* get pods`} {
		f.StubPattern(p).Optional()
	}
	// The Source step hashed zz.py already; the tar is still to come.
	r := editBeforeBuild{Fake: f, edit: func() { os.WriteFile(filepath.Join(dir, "zz.py"), []byte("a = 2\n"), 0o644) }}
	ios, _, _, _ := iostreams.Test()
	_, _, err := Run(context.Background(), Options{IO: ios, Runner: r, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "files of the app changed while the image was built, so the image does not match its tag") {
		t.Fatalf("err = %v", err)
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.Line(), "minikube image load") {
			t.Fatalf("went on after the mismatch: %s", c.Line())
		}
	}
}

// editBeforeBuild runs edit when docker build starts, before it reads its
// stdin.
type editBeforeBuild struct {
	*runtest.Fake
	edit func()
}

func (r editBeforeBuild) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	if len(c.Argv) > 1 && c.Argv[0] == "docker" && c.Argv[1] == "build" {
		r.edit()
	}
	return r.Fake.Run(ctx, c)
}

// The Roll out step waits for the Service to drop the old pods only when
// it replaced them: the app ran before with another image or config.
func TestRolloutWaitsOnlyWhenPodsWereReplaced(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	rollDetail := func() string {
		t.Helper()
		ios, _, _, _ := iostreams.Test()
		rep, _, err := Run(context.Background(), Options{IO: ios, Runner: &instant{url: srv.URL}, Dir: dir, SettleDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Steps {
			if s.Name == "Roll out" {
				return s.Detail
			}
		}
		t.Fatal("no Roll out step")
		return ""
	}
	if d := rollDetail(); d != "1 workload(s) ready" {
		t.Fatalf("first deploy: %q", d)
	}
	if d := rollDetail(); d != "1 workload(s) ready" {
		t.Fatalf("no change: %q", d)
	}
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("API_KEY=other\n"), 0o600)
	if d := rollDetail(); d != "1 workload(s) ready, old pods replaced" {
		t.Fatalf("new secret value: %q", d)
	}
	if d := rollDetail(); d != "1 workload(s) ready" {
		t.Fatalf("no change again: %q", d)
	}
}

// A deploy right after `kubectl delete namespace`: the apply is refused
// while the namespace terminates; deploy waits for it to be gone, applies
// again and goes on, instead of failing with kubectl's Forbidden.
func TestApplyWaitsForATerminatingNamespace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	f := runtest.New(t)
	stubReleases(f)
	f.StubPattern(`^kubectl --context minikube apply --server-side`).Times(1).Exit(1).
		Stderr(`Error from server (Forbidden): error when creating "kubernetes.yaml": secrets "counter-redis" is forbidden: unable to create new content in namespace counter because it is being terminated` + "\n")
	f.Stub("kubectl", "--context", "minikube", "get", "namespace", "counter", "--ignore-not-found", "-o", "name").Times(2).Stdout("namespace/counter\n")
	f.Stub("kubectl", "--context", "minikube", "get", "namespace", "counter", "--ignore-not-found", "-o", "name").Times(1)
	stubCluster(f, srv.URL, true)
	f.StubPattern(`^minikube image load`)
	ios, _, _, errOut := iostreams.Test()
	rep, _, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "namespace counter is being deleted; waiting for it to be gone, then applying again") {
		t.Errorf("stderr:\n%s", errOut)
	}
	n := 0
	for _, l := range f.Lines() {
		if strings.Contains(l, " apply --server-side") && !strings.Contains(l, "=cupaas-release ") {
			n++
		}
	}
	// The services' apply is refused and done again; then all objects.
	if n != 3 || rep.URL != srv.URL {
		t.Fatalf("applies = %d, report %+v", n, rep)
	}
}

// A namespace being deleted when the deploy starts: applying to it would
// only update objects about to be deleted with it (no error, and the app
// gone a moment later). Deploy waits for it to be gone first.
func TestApplyWaitsBeforeApplyingToADeletedNamespace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	f := runtest.New(t)
	stubReleases(f)
	f.StubPattern(`get namespace counter --ignore-not-found -o jsonpath`).Stdout("2026-12-02T13:55:00Z")
	f.Stub("kubectl", "--context", "minikube", "get", "namespace", "counter", "--ignore-not-found", "-o", "name").Stdout("namespace/counter\n")
	f.Stub("kubectl", "--context", "minikube", "get", "namespace", "counter", "--ignore-not-found", "-o", "name")
	for _, p := range []string{`^docker version`, `^docker image inspect`, `^minikube image ls`, `^minikube image load`, `^kubectl --context minikube apply --server-side`,
		`^kubectl .* get deployments.apps`, `^kubectl .* get persistentvolumeclaims`, `^kubectl .* rollout status`} {
		f.StubPattern(p).Times(0)
	}
	f.StubPattern(`^minikube status`).Stdout(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`)
	f.StubPattern(`^minikube addons list -o json$`).Stdout(`{"registry":{"Status":"disabled"}}`)
	f.StubPattern(`^minikube ip$`).Stdout("192.0.2.2\n")
	f.StubPattern(`^docker info --format`).Stdout(`{}`)
	f.StubPattern(`^kubectl .* get secrets`).Stdout(`{"items":[]}`)
	f.StubPattern(`^minikube service counter -n counter --url$`).Stdout(srv.URL + "\n")
	ios, _, _, errOut := iostreams.Test()
	if _, _, err := Run(context.Background(), Options{IO: ios, Runner: f, Dir: dir, RetryDelay: time.Millisecond}); err != nil {
		t.Fatalf("Run: %v\n%s", err, errOut)
	}
	var order []string
	for _, l := range f.Lines() {
		if strings.Contains(l, " get namespace ") || (strings.Contains(l, " apply --server-side") && !strings.Contains(l, "=cupaas-release ")) {
			order = append(order, l)
		}
	}
	if len(order) != 5 || !strings.Contains(order[3], " apply ") || !strings.Contains(order[4], " apply ") || !strings.Contains(errOut.String(), "namespace counter is being deleted; waiting for it to be gone") {
		t.Fatalf("calls:\n%s\nstderr:\n%s", strings.Join(order, "\n"), errOut)
	}
}

// A namespace that never goes away (a finalizer that nobody removes)
// ends the wait after the timeout, with what to look at.
func TestWaitNamespaceGoneTimesOut(t *testing.T) {
	f := runtest.New(t)
	f.StubPattern(`get namespace counter --ignore-not-found -o name`).Times(0).Stdout("namespace/counter\n")
	a := app.New(kubectl.Client{Runner: f, Context: "minikube"}, "counter", cluster.For("").Hints())
	err := a.WaitNamespaceGone(context.Background(), 30*time.Millisecond, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "namespace counter is still being deleted after 30ms: see what holds it with `kubectl --context minikube get namespace counter -o yaml`") {
		t.Fatalf("err = %v", err)
	}
}

// The Build image line says why it builds: content that changed since the
// last deploy is not "image missing locally".
func TestBuildReason(t *testing.T) {
	b := &bundle.Bundle{Tag: "bbbbbbbbbbbb"}
	for _, tc := range []struct {
		last *state.State
		want string
	}{
		{nil, "first build"},
		{&state.State{Tag: "aaaaaaaaaaaa"}, "content changed since the last deploy (tag aaaaaaaaaaaa)"},
		{&state.State{Tag: "bbbbbbbbbbbb"}, "image missing locally"},
	} {
		if got := buildReason(false, b, tc.last); got != tc.want {
			t.Errorf("last %+v: %q, want %q", tc.last, got, tc.want)
		}
	}
}
