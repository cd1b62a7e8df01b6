package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
)

// registryPort is where minikube's registry addon listens on the node.
const registryPort = "5000"

// registryAddon is minikube's `registry` addon as seen from this machine:
// Docker pushes to <node IP>:5000 and the pods name the image
// localhost:5000/..., which the node resolves to the same registry (see
// https://minikube.sigs.k8s.io/docs/handbook/registry/). Only the layers
// the registry lacks travel, where `minikube image load` sends the whole
// image every time.
type registryAddon struct {
	// host is <node IP>:5000, where Docker pushes.
	host string
}

// publishPath is how the image reaches the node, and why.
type publishPath struct {
	registry *registryAddon
	why      string
}

// detectPublishPath asks minikube whether its registry addon is enabled,
// its node IP, and Docker whether it trusts that plain-HTTP registry. Any
// doubt picks `minikube image load`, the path that always works.
func (m *Minikube) detectPublishPath(ctx context.Context, ex Exec) publishPath {
	// The three questions are asked at once; the answers are read in
	// order.
	type answer struct {
		out []byte
		err error
	}
	ask := func(argv []string) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			out, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv})
			ch <- answer{out, err}
		}()
		return ch
	}
	addonsCh := ask(m.argv("addons", "list", "-o", "json"))
	ipCh := ask(m.argv("ip"))
	infoCh := ask([]string{"docker", "info", "--format", "{{json .RegistryConfig}}"})
	addons, ipOut, info := <-addonsCh, <-ipCh, <-infoCh
	if addons.err != nil {
		return publishPath{why: "the registry addon's state is unknown (`minikube addons list` failed)"}
	}
	var list map[string]struct{ Status string }
	if json.Unmarshal(addons.out, &list) != nil {
		return publishPath{why: "the registry addon's state is unknown (`minikube addons list -o json` printed no JSON)"}
	}
	if list["registry"].Status != "enabled" {
		return publishPath{why: "minikube's registry addon is not enabled"}
	}
	ip := net.ParseIP(strings.TrimSpace(string(ipOut.out)))
	if ipOut.err != nil || ip == nil {
		return publishPath{why: "the registry addon is enabled, but `minikube ip` gave no address"}
	}
	host := net.JoinHostPort(ip.String(), registryPort)
	if info.err != nil || !dockerTrusts(info.out, ip, host) {
		return publishPath{why: fmt.Sprintf("the registry addon is enabled, but Docker does not list %s among its insecure-registries", host)}
	}
	return publishPath{registry: &registryAddon{host: host}, why: "minikube's registry addon is enabled: only new layers travel"}
}

// dockerTrusts reports whether Docker's registry config (`docker info
// --format '{{json .RegistryConfig}}'`) lets it push to host over plain
// HTTP.
func dockerTrusts(config []byte, ip net.IP, host string) bool {
	var rc struct {
		InsecureRegistryCIDRs []string
		IndexConfigs          map[string]struct{ Secure bool }
	}
	if json.Unmarshal(config, &rc) != nil {
		return false
	}
	if c, ok := rc.IndexConfigs[host]; ok {
		return !c.Secure
	}
	for _, cidr := range rc.InsecureRegistryCIDRs {
		if _, n, err := net.ParseCIDR(cidr); err == nil && n.Contains(ip) && !ip.IsLoopback() {
			return true
		}
	}
	return false
}

// pushName is the name Docker pushes the local image under; the pods
// name it localhost:5000/<image>.
func (r *registryAddon) pushName(image string) string {
	return r.host + "/" + image
}

// registryLocalhost is the host the pods name the addon's images with.
const registryLocalhost = "localhost:" + registryPort

// has reports whether the registry already holds the local image (pushed
// under pushName): a HEAD of its manifest.
func (r *registryAddon) has(ctx context.Context, image string) bool {
	name, tag, ok := strings.Cut(image, ":")
	if !ok {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+r.host+"/v2/"+name+"/manifests/"+tag, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// push tags image for the registry and pushes it.
func (r *registryAddon) push(ctx context.Context, ex Exec, image string, force bool) (bool, error) {
	target := r.pushName(image)
	tag := []string{"docker", "tag", image, target}
	push := []string{"docker", "push", target}
	if ex.DryRun() {
		ex.Plan(tag, "")
		ex.Plan(push, "minikube's registry addon: only new layers travel")
		return false, nil
	}
	if !force && r.has(ctx, image) {
		return true, nil
	}
	if _, err := ex.Runner.Run(ctx, run.Cmd{Argv: tag}); err != nil {
		return false, err
	}
	_, err := ex.Retry(ctx, "docker push", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: push})
	})
	return false, err
}
