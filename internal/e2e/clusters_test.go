//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/deploy"
)

// certsDir is where the bed's containerd reads one hosts.toml per
// registry (config_path), at every pull: a new file needs no restart.
const certsDir = "/etc/realcluster/certs.d"

// startRegistry starts Debian's docker-registry (distribution) on a free
// loopback port with its own config file and a temporary storage
// directory, makes the bed's node trust it over plain HTTP (a hosts.toml
// under containerd's config_path; Docker trusts 127.0.0.0/8 by itself),
// and stops and removes both when the test ends. It returns HOST:PORT.
func startRegistry(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Fatalf("the registry trial needs Debian's docker-registry: apt-get install -y docker-registry (%v)", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "registry.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "storage"), addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	reg := exec.Command("docker-registry", "serve", config)
	reg.Stdout, reg.Stderr = logFile, logFile
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		reg.Process.Kill()
		reg.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("the registry does not answer at %s: %v\n%s", addr, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	hosts := filepath.Join(certsDir, addr)
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		t.Fatalf("cannot make the node trust the registry: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(hosts) })
	toml := fmt.Sprintf("# Written by cupaas's e2e test (TestRegistryDeploy); removed at its end.\nserver = \"http://%s\"\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\"]\n", addr, addr)
	if err := os.WriteFile(filepath.Join(hosts, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("registry %s (docker-registry, storage in %s)", addr, dir)
	return addr
}

// renamedContext writes a kubeconfig holding the bed's context also under
// another name (so that cupaas cannot take it for minikube), and points
// KUBECONFIG at it for the test.
func renamedContext(t *testing.T, name string) {
	t.Helper()
	out, err := exec.Command("kubectl", "config", "view", "--raw", "--flatten").Output()
	if err != nil {
		t.Fatalf("kubectl config view: %v", err)
	}
	file := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	get := func(field string) string {
		out, err := exec.Command("kubectl", "--kubeconfig", file, "config", "view", "-o", `jsonpath={.contexts[?(@.name=="`+kubeContext+`")].context.`+field+`}`).Output()
		if err != nil || len(out) == 0 {
			t.Fatalf("the %s of context %s: %v", field, kubeContext, err)
		}
		return string(out)
	}
	argv := []string{"--kubeconfig", file, "config", "set-context", name, "--cluster", get("cluster"), "--user", get("user")}
	if out, err := exec.Command("kubectl", argv...).CombinedOutput(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	t.Setenv("KUBECONFIG", file)
}

// A cluster that is not minikube-named, through a registry: the image is
// pushed to a registry from Debian's docker-registry, the Deployment runs
// it by digest with imagePullPolicy IfNotPresent, and the node pulls it
// from there; a second deploy pushes nothing. Without --registry the same
// context is refused before any build.
func TestRegistryDeploy(t *testing.T) {
	const app, ctxName = "e2e-registry-h16", "e2e-shared"
	freshNamespace(t, app)
	registry := startRegistry(t)
	renamedContext(t, ctxName)
	dir := appDir(t, "go-http", nil)
	rename(t, dir, "go-http", app)

	// No registry: refused in Preflight, nothing built.
	r := cupaas(t, dir, "deploy", "--context", ctxName)
	if r.code != 1 || !strings.Contains(r.stderr, "cupaas does not know how to get images into the nodes of context "+ctxName) || strings.Contains(r.stderr, "Build image") {
		t.Fatalf("deploy to %s without a registry: exit %d\n%s", ctxName, r.code, r.stderr)
	}

	deployTo := func() deploy.Report {
		t.Helper()
		// --detach: a kubectl port-forward (the URL when no node answers)
		// would otherwise hold the command.
		r := cupaas(t, dir, "deploy", "--json", "--detach", "--context", ctxName, "--registry", registry)
		var rep deploy.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
			t.Fatalf("cupaas deploy --registry: exit %d (%v)\n%s\n%s\n%s", r.code, err, rep.Error, strings.Join(rep.Details, "\n"), r.stderr)
		}
		return rep
	}
	pushStep := "Push image to " + registry
	first := deployTo()
	// The bed's NodePorts answer on the node's InternalIP.
	node := strings.TrimSpace(kubectl(t, "get", "nodes", "-o", `jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}`))
	if !regexp.MustCompile(`^http://` + regexp.QuoteMeta(node) + `:3\d{4}$`).MatchString(first.URL) {
		t.Fatalf("URL %s is not the node's address %s and a NodePort", first.URL, node)
	}
	record(app, "deploy --registry (push)", first.Seconds)
	ref := regexp.MustCompile(`^` + regexp.QuoteMeta(registry) + `/cupaas/` + app + `@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(first.Image)
	if ref == nil {
		t.Fatalf("image %q is not %s/cupaas/%s@sha256:...", first.Image, registry, app)
	}
	digest := ref[1]
	if s := step(t, first, pushStep); s.Cached {
		t.Fatalf("first deploy: push cached: %+v", s)
	}
	// The registry has the tag with that digest.
	tag := regexp.MustCompile(`^tag ([0-9a-f]{12})`).FindStringSubmatch(step(t, first, "Source").Detail)
	if tag == nil {
		t.Fatalf("no tag in the Source step: %+v", step(t, first, "Source"))
	}
	req, _ := http.NewRequest(http.MethodHead, "http://"+registry+"/v2/cupaas/"+app+"/manifests/"+tag[1], nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != 200 || got != digest {
		t.Fatalf("registry HEAD manifests/%s: HTTP %d, digest %q; want %s", tag[1], resp.StatusCode, got, digest)
	}
	// The Deployment runs the image by digest, IfNotPresent; the node
	// pulled it from the registry.
	spec := kubectl(t, "-n", app, "get", "deployment", app, "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].imagePullPolicy}")
	if spec != first.Image+" IfNotPresent" {
		t.Fatalf("Deployment: %q, want %q", spec, first.Image+" IfNotPresent")
	}
	imageID := kubectl(t, "-n", app, "get", "pods", "-l", "app.kubernetes.io/component=app", "-o", "jsonpath={.items[*].status.containerStatuses[0].imageID}")
	if !strings.Contains(imageID, digest) {
		t.Fatalf("the pod's imageID %q is not the pushed digest %s", imageID, digest)
	}
	events := kubectl(t, "-n", app, "get", "events", "--field-selector", "reason=Pulled", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
	if !strings.Contains(events, first.Image) {
		t.Fatalf("no Pulled event for %s:\n%s", first.Image, events)
	}
	t.Logf("node pulled: %s", strings.TrimSpace(events))
	var health map[string]any
	getJSON(t, first.URL+"/", &health)

	// The second deploy pushes nothing: nothing changed, so it checks
	// what runs and stops there ("Everything up-to-date").
	second := deployTo()
	record(app, "deploy --registry (up to date)", second.Seconds)
	if !second.UpToDate {
		t.Fatalf("second deploy: not up to date: %+v", second.Steps)
	}
	// With the Deployment gone, the full path runs, and the push is
	// skipped: the registry has the tag with the same digest.
	kubectl(t, "-n", app, "delete", "deployment", app)
	third := deployTo()
	record(app, "deploy --registry (no push)", third.Seconds)
	if s := step(t, third, pushStep); !s.Cached || !strings.Contains(s.Detail, digest) {
		t.Fatalf("third deploy: push step %+v, want cached with %s", s, digest)
	}
	if third.Image != first.Image {
		t.Fatalf("third deploy: image %s, want %s", third.Image, first.Image)
	}
	t.Logf("first deploy %.1fs (%s), second %.1fs (up to date), third %.1fs (%s)", first.Seconds, step(t, first, pushStep).Detail, second.Seconds, third.Seconds, step(t, third, pushStep).Detail)
}
