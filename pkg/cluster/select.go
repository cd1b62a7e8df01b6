package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// The kinds of cluster, as --cluster and the setting cluster name them.
const (
	KindMinikube       = "minikube"
	KindKind           = "kind"
	KindK3d            = "k3d"
	KindDockerDesktop  = "docker-desktop"
	KindRancherDesktop = "rancher-desktop"
	KindOrbStack       = "orbstack"
	KindRegistry       = "registry"
)

// Kinds lists the kinds --cluster accepts.
var Kinds = []string{KindMinikube, KindKind, KindK3d, KindDockerDesktop, KindRancherDesktop, KindOrbStack, KindRegistry}

// Detect names the kind of cluster of a kube context from its name, as the
// tools that make these clusters name their contexts: minikube (and
// minikube-<profile>), kind-<name>, k3d-<name>, docker-desktop,
// rancher-desktop, orbstack. It is "" for any other name.
func Detect(kubeContext string) string {
	switch {
	case kubeContext == KindMinikube || strings.HasPrefix(kubeContext, "minikube-"):
		return KindMinikube
	case strings.HasPrefix(kubeContext, "kind-") && len(kubeContext) > len("kind-"):
		return KindKind
	case strings.HasPrefix(kubeContext, "k3d-") && len(kubeContext) > len("k3d-"):
		return KindK3d
	case kubeContext == KindDockerDesktop || kubeContext == KindRancherDesktop || kubeContext == KindOrbStack:
		return kubeContext
	}
	return ""
}

// Select returns the cluster of a kube context. kind, when set, is the
// kind of cluster (--cluster), else it is detected from the context's
// name. registry, when set, is where images are pushed
// (HOST[:PORT][/PATH]): the cluster is then a registry cluster, whatever
// the context's name, unless kind names another kind (an error). A context
// of no known kind, without a registry, gives a cluster whose Check
// refuses it. Errors are about kind and registry (usage errors).
func Select(kubeContext, kind, registry string) (Cluster, error) {
	if kubeContext == "" {
		kubeContext = DefaultContext
	}
	if kind != "" && !validKind(kind) {
		return For(kubeContext), fmt.Errorf("--cluster %q is not a kind of cluster cupaas knows; use one of %s", kind, strings.Join(Kinds, ", "))
	}
	if registry != "" {
		if kind != "" && kind != KindRegistry {
			return For(kubeContext), fmt.Errorf("--registry goes with --cluster registry, not --cluster %s (a %s cluster gets its images without a registry); drop one of them", kind, kind)
		}
		repo, err := registryRepo(registry)
		if err != nil {
			return For(kubeContext), err
		}
		return &Registry{context: kubeContext, registry: registry, repo: repo}, nil
	}
	if kind == KindRegistry {
		return &Unknown{context: kubeContext}, errors.New("--cluster registry needs --registry HOST[:PORT][/PATH] (or the setting registry): where to push the image")
	}
	if kind == "" {
		kind = Detect(kubeContext)
	}
	if kind == "" && madeByMinikube(kubeContext) {
		// minikube -p NAME names its context NAME and marks it in the
		// kubeconfig.
		kind = KindMinikube
	}
	switch kind {
	case KindMinikube:
		return &Minikube{context: kubeContext}, nil
	case KindKind:
		return &Kind{context: kubeContext}, nil
	case KindK3d:
		return &K3d{context: kubeContext}, nil
	case KindDockerDesktop, KindRancherDesktop, KindOrbStack:
		return &Desktop{context: kubeContext, kind: kind}, nil
	}
	return &Unknown{context: kubeContext}, nil
}

func validKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Unknown is a kube context of no kind cupaas knows, without a registry:
// cupaas cannot make an image visible to its nodes, so a deploy is refused
// in Preflight, before anything is built. The day-two commands (status,
// logs) work with it: they need only kubectl.
type Unknown struct {
	context string
}

func (u *Unknown) Kind() string    { return "unknown" }
func (u *Unknown) Context() string { return u.context }
func (u *Unknown) Tools() []Tool   { return []Tool{toolDocker, toolKubectl} }

// Check refuses the context, naming the two ways out.
func (u *Unknown) Check(ctx context.Context, ex Exec) error {
	return &Error{
		Err: fmt.Errorf("cupaas does not know how to get images into the nodes of context %s: it is not minikube, kind-*, k3d-*, docker-desktop, rancher-desktop or orbstack, and no registry is set", u.context),
		Details: []string{
			"Push the image to a registry the cluster's nodes can pull from: `cupaas deploy --registry HOST[:PORT][/PATH]` (or the setting registry)",
			"or, if the context is one of those kinds under another name, say which: `cupaas deploy --cluster " + strings.Join(Kinds[:len(Kinds)-1], "|") + "` (or the setting cluster)",
		},
	}
}

func (u *Unknown) PublishStep() string { return "Publish image" }

func (u *Unknown) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	return Published{}, u.Check(ctx, ex)
}

func (u *Unknown) Image(app, tag string) (string, error) {
	return render.ImageName(ImageRepository, app, tag)
}

func (u *Unknown) PullPolicy() corev1.PullPolicy { return corev1.PullIfNotPresent }

func (u *Unknown) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	return nodePortURL(ctx, ex, u.context, ns, svc, false)
}

func (u *Unknown) Hints() Hints { return genericHints }

var (
	toolDocker  = Tool{"docker", "install Docker: https://docs.docker.com/get-docker/"}
	toolKubectl = Tool{"kubectl", "install kubectl: https://kubernetes.io/docs/tasks/tools/"}
)

// genericHints are the hints of a cluster cupaas knows nothing more about.
var genericHints = Hints{
	ImageNotOnNode: "the node does not have the image; run `cupaas deploy --rebuild`",
	NoStorage:      "the cluster has no default StorageClass, or no provisioner for it (`kubectl get storageclass`)",
	MoreResources:  "give the cluster's nodes more CPU or memory, or add nodes",
}

// runErrLines are the lines of a failed command, for an Error's details.
func runErrLines(err error) []string {
	var re *run.Error
	if errors.As(err, &re) {
		return re.Lines()
	}
	return nil
}
