package doctor

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

func TestProbeContext(t *testing.T) {
	tr := tar.NewReader(bytes.NewReader(probeContext()))
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = string(data)
	}
	if files["Dockerfile"] != "FROM scratch\nCOPY probe /probe\n" || files["probe"] == "" || len(files) != 2 {
		t.Fatalf("probe context = %q", files)
	}
}

// The image check loads the probe (forced), finds it on the node, and
// says when the node cannot remove it (the check still passes); Docker's
// copy is removed in every case. The other checks, whose commands fail
// here, report in the order of Names, whatever order they finish in.
func TestImageLoadAndOrder(t *testing.T) {
	f := runtest.New(t)
	f.Stub("docker", "version", "--format", "{{.Client.Version}}").Stdout("27.3.1\n")
	f.Stub("kubectl", "version", "--client", "-o", "json").Stdout(`{"clientVersion":{"gitVersion":"v1.32.2"}}`)
	f.Stub("minikube", "version").Stdout("minikube version: v1.34.0\n")
	f.Stub("docker", "version", "--format", "{{.Server.Version}}").Stdout("27.3.1\n")
	f.Stub("kubectl", "config", "get-contexts", "-o", "name").Stdout("minikube\n")
	f.Stub("minikube", "status", "-o", "json").Stdout(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`)
	f.Stub("kubectl", "--context", "minikube", "--request-timeout=15s", "get", "nodes", "-o", "json").
		Stdout(`{"items":[{"metadata":{"name":"minikube"},"status":{"nodeInfo":{"kubeletVersion":"v1.32.2"},"conditions":[{"type":"Ready","status":"True"}],"allocatable":{"cpu":"2","memory":"4Gi"}}}]}`)
	f.StubPattern(`get storageclasses`).Stdout(`{"items":[]}`)
	f.Stub("docker", "build", "-q", "-t", ProbeImage, "-").Stdout("sha256:1\n")
	f.Stub("minikube", "image", "ls").Stdout("registry.k8s.io/pause:3.10\n")
	f.Stub("minikube", "image", "load", ProbeImage)
	f.Stub("minikube", "image", "ls").Stdout("docker.io/" + ProbeImage + "\n")
	f.Stub("minikube", "image", "rm", ProbeImage).Stderr("X  Exiting due to MK_USAGE: unsupported\n").Exit(1)
	f.Stub("docker", "image", "rm", ProbeImage)
	f.StubPattern(`get pods -l k8s-app=kube-dns`).Stderr("Error from server (Forbidden)\n").Exit(1)
	f.StubPattern(`get pods -A`).Stdout(`{"items":[]}`)

	c := cluster.For("minikube")
	res := Run(context.Background(), Options{Runner: f, Cluster: c, Kube: kubectl.Client{Runner: f, Context: "minikube"}, Dir: t.TempDir(), Timeout: 15 * time.Second})
	names := Names(c)
	if len(res) != len(names) {
		t.Fatalf("%d results for %d checks", len(res), len(names))
	}
	byName := map[string]Result{}
	for i, r := range res {
		if r.Name != names[i] {
			t.Fatalf("result %d is %s, want %s", i, r.Name, names[i])
		}
		byName[r.Name] = r
	}
	img := byName["image load"]
	if img.Status != OK || !strings.Contains(img.Detail, "could not remove it from the node (X  Exiting due to MK_USAGE: unsupported)") {
		t.Errorf("image load: %+v", img)
	}
	if r := byName["default StorageClass"]; r.Status != Fail || !strings.Contains(r.Fix, "minikube addons enable default-storageclass") {
		t.Errorf("storage class: %+v", r)
	}
	if r := byName["cluster DNS"]; r.Status != Fail || !strings.Contains(r.Detail, "Forbidden") {
		t.Errorf("dns: %+v", r)
	}
	if r := byName[".cupaas.yml"]; r.Status != Skip {
		t.Errorf("config outside an app: %+v", r)
	}
	if r := byName["node resources"]; r.Status != OK || r.Detail != "free on the node: 2.00 CPU, 4.0Gi memory" {
		t.Errorf("resources: %+v", r)
	}
}
