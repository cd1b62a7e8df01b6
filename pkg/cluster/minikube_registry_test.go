package cluster

import (
	"context"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/run/runtest"
)

func TestDockerTrusts(t *testing.T) {
	ip := net.ParseIP("192.0.2.2")
	for _, tc := range []struct {
		config string
		want   bool
	}{
		{`{"IndexConfigs":{"192.0.2.2:5000":{"Name":"192.0.2.2:5000","Secure":false}}}`, true},
		{`{"IndexConfigs":{"192.0.2.2:5000":{"Secure":true}}}`, false},
		{`{"InsecureRegistryCIDRs":["127.0.0.0/8","192.0.2.0/24"],"IndexConfigs":{}}`, true},
		{`{"InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"docker.io":{"Secure":true}}}`, false},
		{`not json`, false},
	} {
		if got := dockerTrusts([]byte(tc.config), ip, "192.0.2.2:5000"); got != tc.want {
			t.Errorf("%s: %v", tc.config, got)
		}
	}
}

// With the registry addon enabled and trusted, images are pushed to
// <node IP>:5000 and the pods name them localhost:5000/..., pulled always;
// otherwise they are loaded, and the line says why.
func TestPublishPath(t *testing.T) {
	for _, tc := range []struct {
		addons, trust string
		registry      bool
		why           string
	}{
		{`{"registry":{"Status":"enabled"}}`, `{"IndexConfigs":{"192.0.2.2:5000":{"Secure":false}}}`, true, "pushed to 192.0.2.2:5000; minikube's registry addon is enabled: only new layers travel"},
		{`{"registry":{"Status":"disabled"}}`, "", false, "minikube image load; minikube's registry addon is not enabled"},
		{`{"registry":{"Status":"enabled"}}`, `{"IndexConfigs":{}}`, false, "minikube image load; the registry addon is enabled, but Docker does not list 192.0.2.2:5000 among its insecure-registries"},
	} {
		f := runtest.New(t)
		f.Stub("minikube", "addons", "list", "-o", "json").Stdout(tc.addons)
		f.Stub("minikube", "ip").Stdout("192.0.2.2\n")
		f.Stub("docker", "info", "--format", "{{json .RegistryConfig}}").Stdout(tc.trust)
		m := For("").(*Minikube)
		m.PreparePublish(context.Background(), Exec{Runner: f})
		if got := m.PublishPath(); got != tc.why {
			t.Errorf("path %q, want %q", got, tc.why)
		}
		img, err := m.Image("web", "0123456789ab")
		if err != nil {
			t.Fatal(err)
		}
		if tc.registry != strings.HasPrefix(img, "localhost:5000/cupaas/web:") || tc.registry != (m.PullPolicy() == corev1.PullAlways) {
			t.Errorf("registry %v: image %s, pull policy %s", tc.registry, img, m.PullPolicy())
		}
		if tc.registry && m.PublishStep() != "Push image to minikube's registry" {
			t.Errorf("step %q", m.PublishStep())
		}
	}
}

// The push sends the local image under the registry's name, unless the
// registry has it.
func TestRegistryPush(t *testing.T) {
	f := runtest.New(t)
	f.Stub("docker", "tag", "cupaas/web:0123456789ab", "127.0.0.1:1/cupaas/web:0123456789ab")
	f.Stub("docker", "push", "127.0.0.1:1/cupaas/web:0123456789ab")
	r := &registryAddon{host: "127.0.0.1:1"} // nothing answers: the registry lacks it
	cached, err := r.push(context.Background(), Exec{Runner: f}, "cupaas/web:0123456789ab", false)
	if err != nil || cached {
		t.Fatalf("cached %v, err %v", cached, err)
	}
}
