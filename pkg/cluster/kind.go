package cluster

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// Kind is a kind cluster (sigs.k8s.io/kind); its kube context is
// kind-<name>. Images are copied into every node with `kind load
// docker-image`, so the pods never pull (imagePullPolicy: Never). The URL
// is a node's address and the NodePort when this machine reaches it (on
// Linux), else a kubectl port-forward (Docker Desktop on macOS).
type Kind struct {
	context string
}

func (k *Kind) Kind() string    { return KindKind }
func (k *Kind) Context() string { return k.context }

// name is the kind cluster's name: the context without "kind-" (a
// context named otherwise, given with --cluster kind, is the name).
func (k *Kind) name() string {
	if n, ok := strings.CutPrefix(k.context, "kind-"); ok && n != "" {
		return n
	}
	return k.context
}

func (k *Kind) Tools() []Tool {
	return []Tool{toolDocker, {"kind", "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"}, toolKubectl}
}

// Check: `kind get clusters` lists the cluster.
func (k *Kind) Check(ctx context.Context, ex Exec) error {
	argv := []string{"kind", "get", "clusters"}
	if ex.DryRun() {
		ex.Plan(argv, "the kind cluster "+k.name()+" exists")
		return nil
	}
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &Error{Err: fmt.Errorf("`kind get clusters` failed: %s", FirstLine(err)), Details: runErrLines(err)}
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == k.name() {
			return nil
		}
	}
	return &Error{Err: fmt.Errorf("there is no kind cluster %s (context %s): create it with `kind create cluster --name %s`", k.name(), k.context, k.name())}
}

func (k *Kind) PublishStep() string { return "Load image into kind" }

// Publish runs `kind load docker-image`, which itself skips the nodes that
// have the image already and says so.
func (k *Kind) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	argv := []string{"kind", "load", "docker-image", image, "--name", k.name()}
	if ex.DryRun() {
		ex.Plan(argv, "")
		return Published{Ref: image}, nil
	}
	// kind logs on stderr.
	var logged bytes.Buffer
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv, Stderr: &logged})
	if err != nil {
		return Published{}, err
	}
	cached := strings.Contains(string(out)+logged.String(), "already present on all nodes")
	return Published{Ref: image, Cached: cached}, nil
}

func (k *Kind) Image(app, tag string) (string, error) {
	return render.ImageName(ImageRepository, app, tag)
}

func (k *Kind) PullPolicy() corev1.PullPolicy { return corev1.PullNever }

func (k *Kind) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	return nodePortURL(ctx, ex, k.context, ns, svc, false)
}

func (k *Kind) Hints() Hints {
	return Hints{
		ImageNotOnNode: "loading it into kind did not take; run `cupaas deploy --rebuild`, and check `docker exec " + k.name() + "-control-plane crictl images`",
		NoStorage:      genericHints.NoStorage + " (kind ships the StorageClass `standard`)",
		MoreResources:  "give Docker more CPU or memory, or add worker nodes to the kind cluster",
	}
}
