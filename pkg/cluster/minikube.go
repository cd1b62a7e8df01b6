package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// ImageRepository is the repository prefix of app images on a cluster that
// loads images from the local Docker engine.
const ImageRepository = "cupaas"

// Minikube is a minikube profile; its kube context has the profile's name.
// Images are loaded into the node with `minikube image load`, so the pods
// never pull (imagePullPolicy: Never), and the URL comes from `minikube
// service --url`, which holds a tunnel open with the docker driver on
// macOS and Windows.
type Minikube struct {
	context string

	// mu guards path: PreparePublish sets it while the app is hashed.
	mu   sync.Mutex
	path publishPath
}

// PreparePublish picks how images reach the node: a push to the registry
// addon when it is enabled and Docker trusts it, else `minikube image
// load`. A deploy calls it in its preflight; until then (and for `cupaas
// render`) the image is named for the load.
func (m *Minikube) PreparePublish(ctx context.Context, ex Exec) {
	if ex.DryRun() {
		ex.Plan(m.argv("addons", "list", "-o", "json"), "a push to the registry addon when it is enabled, else minikube image load")
		return
	}
	p := m.detectPublishPath(ctx, ex)
	m.mu.Lock()
	m.path = p
	m.mu.Unlock()
}

func (m *Minikube) publishPath() publishPath {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.path
}

// PublishPath says how the image reaches the node, and why.
func (m *Minikube) PublishPath() string {
	p := m.publishPath()
	if p.registry != nil {
		return "pushed to " + p.registry.host + "; " + p.why
	}
	if p.why == "" {
		return ""
	}
	return "minikube image load; " + p.why
}

func (m *Minikube) Kind() string    { return "minikube" }
func (m *Minikube) Context() string { return m.context }

func (m *Minikube) Tools() []Tool {
	return []Tool{
		{"docker", "install Docker: https://docs.docker.com/get-docker/"},
		{"minikube", "install minikube: https://minikube.sigs.k8s.io/docs/start/"},
		{"kubectl", "install kubectl: https://kubernetes.io/docs/tasks/tools/"},
	}
}

// argv names the minikube profile when the context is not the default one
// (a minikube profile and its kube context share their name).
func (m *Minikube) argv(args ...string) []string {
	argv := append([]string{"minikube"}, args...)
	if m.context != DefaultContext {
		argv = append(argv, "-p", m.context)
	}
	return argv
}

func (m *Minikube) Check(ctx context.Context, ex Exec) error {
	statusArgv := m.argv("status", "-o", "json")
	if ex.DryRun() {
		ex.Plan(statusArgv, "the cluster runs")
		return nil
	}
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: statusArgv})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var st struct{ Host, Kubelet, APIServer string }
	jsonErr := json.Unmarshal(out, &st)
	if err == nil && jsonErr == nil && st.Host == "Running" && st.APIServer == "Running" {
		return nil
	}
	what := "minikube is not running"
	if jsonErr == nil && st.Host != "" {
		what = fmt.Sprintf("minikube is not running (host: %s, kubelet: %s, apiserver: %s)", st.Host, st.Kubelet, st.APIServer)
	}
	start := "minikube start"
	if m.context != DefaultContext {
		start += " -p " + m.context
	}
	var details []string
	var re *run.Error
	if errors.As(err, &re) {
		details = re.Lines()
	}
	return &Error{Err: fmt.Errorf("%s: start it with `%s`", what, start), Details: details}
}

func (m *Minikube) PublishStep() string {
	if m.publishPath().registry != nil {
		return "Push image to minikube's registry"
	}
	return "Load image into minikube"
}

func (m *Minikube) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	if r := m.publishPath().registry; r != nil {
		cached, err := r.push(ctx, ex, image, force)
		// The pods name the pushed image localhost:5000/... (Image).
		return Published{Cached: cached}, err
	}
	cached, err := m.load(ctx, ex, image, force)
	return Published{Ref: image, Cached: cached}, err
}

func (m *Minikube) load(ctx context.Context, ex Exec, image string, force bool) (bool, error) {
	ls := m.argv("image", "ls")
	load := m.argv("image", "load", image)
	if ex.DryRun() {
		ex.Plan(ls, "skip the load when the node has the image")
		ex.Plan(load, "")
		return false, nil
	}
	out, err := ex.Retry(ctx, "listing the node's images", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: ls})
	})
	if err != nil {
		return false, err
	}
	// After a rebuild the node may hold an older image under this name:
	// force loads it then.
	if hasImage(out, image) && !force {
		return true, nil
	}
	_, err = ex.Retry(ctx, "minikube image load", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: load})
	})
	return false, err
}

// hasImage reports whether `minikube image ls` lists image, under any of
// the names a runtime shows (docker.io/ prefix or not).
func hasImage(ls []byte, image string) bool {
	for _, line := range strings.Split(string(ls), "\n") {
		name := strings.TrimSpace(line)
		name = strings.TrimPrefix(name, "docker.io/")
		name = strings.TrimPrefix(name, "library/")
		if name == image {
			return true
		}
	}
	return false
}

func (m *Minikube) Image(app, tag string) (string, error) {
	if m.publishPath().registry != nil {
		return render.ImageName(registryLocalhost+"/"+ImageRepository, app, tag)
	}
	return render.ImageName(ImageRepository, app, tag)
}

// PullPolicy is Never for a loaded image; Always for one in the registry
// addon, so that a --rebuild under the same tag reaches the pods (the
// check costs one request to a registry on the node).
func (m *Minikube) PullPolicy() corev1.PullPolicy {
	if m.publishPath().registry != nil {
		return corev1.PullAlways
	}
	return corev1.PullNever
}

func (m *Minikube) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	argv := m.argv("service", svc, "-n", ns, "--url")
	if ex.DryRun() {
		ex.Plan(argv, "")
		return "", nil, nil
	}
	url, tun, err := serviceURL(ctx, ex, argv, "minikube service", svc)
	if tun != nil {
		tun.What, tun.Command = "minikube tunnel", run.CommandLine(m.argv("service", svc, "-n", ns))
	}
	return url, tun, err
}

func (m *Minikube) Hints() Hints {
	return Hints{
		ImageNotOnNode: "loading it into minikube did not take; run `cupaas deploy --rebuild`, and check `minikube image ls`",
		NoStorage:      "the cluster has no storage provisioner or default StorageClass (minikube: `minikube addons enable storage-provisioner` and `minikube addons enable default-storageclass`)",
		MoreResources:  "give minikube more (`minikube start --cpus 4 --memory 8g`)",
	}
}
