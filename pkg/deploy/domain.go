package deploy

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/run"
)

// domainURL is http://<domain> when the app has `domain:` and the name
// resolves; then the Verify step checks it, and a tunnel to the Service is
// not needed. When the name does not resolve, or the cluster has no
// IngressClass (no ingress controller), it says so with what to do, and
// the Service's URL stays the app's URL.
func domainURL(ctx context.Context, s stepIO, cl cluster.Cluster, a *app.App, domain, url string, tun *cluster.Tunnel) (string, *cluster.Tunnel) {
	classes := a.Kube.Argv("get", "ingressclasses.networking.k8s.io", "-o", "name")
	if s.plan(classes, "warn when the cluster has no ingress controller for the Ingress of "+domain) {
		return url, tun
	}
	addon := ""
	if cl.Kind() == cluster.KindMinikube {
		addon = "; on minikube: `minikube addons enable ingress`"
	}
	out, err := s.Runner.Run(ctx, run.Cmd{Argv: classes})
	if err == nil && strings.TrimSpace(string(out)) == "" {
		s.Warn(fmt.Sprintf("the cluster has no IngressClass, so nothing serves the Ingress for %s: install an ingress controller%s", domain, addon))
	}
	if _, err := net.DefaultResolver.LookupHost(ctx, domain); err != nil {
		s.Warn(fmt.Sprintf("%s does not resolve (%v): point it at the cluster's ingress controller (to try it here: a line `<node address> %s` in /etc/hosts)%s; the URL is the Service's until then", domain, err, domain, addon))
		return url, tun
	}
	if tun != nil {
		tun.Stop()
	}
	return "http://" + domain, nil
}
