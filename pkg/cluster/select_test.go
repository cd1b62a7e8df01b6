package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for ctx, want := range map[string]string{
		"minikube": "minikube", "minikube-dev": "minikube", "kind-dev": "kind", "kind-": "",
		"k3d-lab": "k3d", "docker-desktop": "docker-desktop", "rancher-desktop": "rancher-desktop",
		"orbstack": "orbstack", "prod": "", "gke_p_z_c": "", "kindly": "",
	} {
		if got := Detect(ctx); got != want {
			t.Errorf("Detect(%q) = %q, want %q", ctx, got, want)
		}
	}
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		ctx, kind, registry string
		want                string // the Kind(), or "error: ..." substring
	}{
		{"", "", "", "minikube"},
		{"kind-dev", "", "", "kind"},
		{"dev", "minikube", "", "minikube"},
		{"prod", "", "", "unknown"},
		{"prod", "", "localhost:5000", "registry"},
		{"kind-dev", "", "localhost:5000", "registry"},
		{"prod", "registry", "localhost:5000", "registry"},
		{"prod", "registry", "", "error: needs --registry"},
		{"prod", "kind", "localhost:5000", "error: goes with --cluster registry"},
		{"prod", "eks", "", "error: not a kind of cluster"},
		{"prod", "", "https://r.example", "error: without a scheme"},
		{"prod", "", "r.example/Team", "error: is not HOST"},
	} {
		cl, err := Select(tc.ctx, tc.kind, tc.registry)
		if e, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), e) {
				t.Errorf("Select(%q, %q, %q) = %v, want an error with %q", tc.ctx, tc.kind, tc.registry, err, e)
			}
			continue
		}
		if err != nil || cl.Kind() != tc.want {
			t.Errorf("Select(%q, %q, %q) = %v, %v, want %s", tc.ctx, tc.kind, tc.registry, cl, err, tc.want)
		}
	}
}

func TestRegistryImage(t *testing.T) {
	for registry, want := range map[string]string{
		"localhost:5000":       "localhost:5000/cupaas/app:abc",
		"192.0.2.2:5000/":      "192.0.2.2:5000/cupaas/app:abc",
		"ghcr.io/me":           "ghcr.io/me/app:abc",
		"registry.example/a/b": "registry.example/a/b/app:abc",
		"docker.io/me":         "me/app:abc",
	} {
		cl, err := Select("prod", "", registry)
		if err != nil {
			t.Fatalf("%s: %v", registry, err)
		}
		if got, err := cl.Image("app", "abc"); err != nil || got != want {
			t.Errorf("registry %s: image %q, %v; want %q", registry, got, err, want)
		}
	}
}

func TestPushedDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	out := []byte("The push refers to repository [localhost:5000/cupaas/app]\n5f70bf18a086: Layer already exists\nabc: digest: " + d + " size: 528\n")
	if got := pushedDigest(out, "abc"); got != d {
		t.Errorf("pushedDigest = %q", got)
	}
	if got := pushedDigest(out, "other"); got != "" {
		t.Errorf("pushedDigest of another tag = %q", got)
	}
	inspect := []byte(`["localhost:5000/cupaas/other@` + d + `","localhost:5000/cupaas/app@` + d + `"]`)
	if got := recordedDigest(inspect, "localhost:5000/cupaas/app"); got != d {
		t.Errorf("recordedDigest = %q", got)
	}
	if got := recordedDigest([]byte("[]"), "localhost:5000/cupaas/app"); got != "" {
		t.Errorf("recordedDigest of none = %q", got)
	}
}

func TestManifestDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("cd", 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead || !strings.Contains(r.Header.Get("Accept"), "application/vnd.docker.distribution.manifest.v2+json") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/v2/cupaas/app/manifests/abc":
			w.Header().Set("Docker-Content-Digest", d)
		case "/v2/private/app/manifests/abc":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	if got, err := ManifestDigest(ctx, host, "cupaas/app", "abc"); err != nil || got != d {
		t.Errorf("ManifestDigest = %q, %v", got, err)
	}
	if got, err := ManifestDigest(ctx, host, "cupaas/app", "def"); err != nil || got != "" {
		t.Errorf("ManifestDigest of a missing tag = %q, %v", got, err)
	}
	if _, err := ManifestDigest(ctx, host, "private/app", "abc"); err == nil || !strings.Contains(err.Error(), "login") {
		t.Errorf("ManifestDigest behind a login: %v", err)
	}
}

func TestForwardedURL(t *testing.T) {
	for line, want := range map[string]string{
		"Forwarding from 127.0.0.1:41234 -> 8080": "http://127.0.0.1:41234",
		"Forwarding from [::1]:41234 -> 8080":     "",
		"Handling connection for 41234":           "",
	} {
		got, ok := forwardedURL(line)
		if got != want || ok != (want != "") {
			t.Errorf("forwardedURL(%q) = %q, %v", line, got, ok)
		}
	}
}

func TestNodeAddresses(t *testing.T) {
	got, err := nodeAddresses([]byte(`{"items":[{"status":{"addresses":[{"type":"Hostname","address":"n1"},{"type":"ExternalIP","address":"203.0.113.1"},{"type":"InternalIP","address":"10.0.0.1"}]}},{"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"}]}}]}`))
	if err != nil || strings.Join(got, ",") != "10.0.0.1,10.0.0.2,203.0.113.1" {
		t.Errorf("nodeAddresses = %v, %v", got, err)
	}
}
