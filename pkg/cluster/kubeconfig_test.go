package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

const minikubeKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: dev
  cluster:
    server: https://192.168.49.2:8443
    extensions:
    - name: cluster_info
      extension:
        provider: minikube.sigs.k8s.io
        version: v1.34.0
- name: plain
  cluster:
    server: https://10.0.0.1:6443
contexts:
- name: dev
  context:
    cluster: dev
    user: dev
- name: work
  context:
    cluster: plain
    user: me
- name: marked
  context:
    cluster: plain
    extensions:
    - name: context_info
      extension:
        provider: minikube.sigs.k8s.io
`

func TestMinikubeProfileFromKubeconfig(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("{not yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(minikubeKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", other+string(os.PathListSeparator)+filepath.Join(dir, "missing")+string(os.PathListSeparator)+cfg)
	for ctx, want := range map[string]string{
		"dev":    KindMinikube, // the cluster carries minikube's provider
		"marked": KindMinikube, // the context does
		"work":   "unknown",
		"absent": "unknown",
	} {
		if got := For(ctx).Kind(); got != want {
			t.Errorf("For(%q).Kind() = %q, want %q", ctx, got, want)
		}
	}
}
