package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// A domain that resolves is the URL; one that does not keeps the
// Service's URL with a hint, as does a cluster without an IngressClass.
func TestDomainURL(t *testing.T) {
	for _, tc := range []struct {
		domain, classes, want string
		warns                 []string
	}{
		{"localhost", "ingressclass.networking.k8s.io/nginx\n", "http://localhost", nil},
		{"shop.invalid", "ingressclass.networking.k8s.io/nginx\n", "http://192.0.2.2:30080", []string{"shop.invalid does not resolve", "minikube addons enable ingress"}},
		{"localhost", "", "http://localhost", []string{"the cluster has no IngressClass, so nothing serves the Ingress for localhost"}},
	} {
		f := runtest.New(t)
		f.Stub("kubectl", "--context", "minikube", "get", "ingressclasses.networking.k8s.io", "-o", "name").Stdout(tc.classes)
		var warns []string
		s := stepIO{Exec: cluster.Exec{Runner: f, Warn: func(w string) { warns = append(warns, w) }}}
		a := app.New(kubectl.Client{Runner: f, Context: "minikube"}, "shop", cluster.Hints{})
		got, tun := domainURL(context.Background(), s, cluster.For("minikube"), a, tc.domain, "http://192.0.2.2:30080", nil)
		if got != tc.want || tun != nil {
			t.Errorf("%s: URL %s, tunnel %v; want %s", tc.domain, got, tun, tc.want)
		}
		all := strings.Join(warns, "\n")
		for _, w := range tc.warns {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no warning %q in %q", tc.domain, w, all)
			}
		}
		if len(tc.warns) == 0 && len(warns) > 0 {
			t.Errorf("%s: warnings %q", tc.domain, warns)
		}
	}
}
