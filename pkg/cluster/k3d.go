package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// K3d is a k3d cluster (k3s in Docker); its kube context is k3d-<name>.
// Images are copied into the nodes with `k3d image import`, so the pods
// never pull (imagePullPolicy: Never). The URL is found as for kind.
type K3d struct {
	context string
}

func (k *K3d) Kind() string    { return KindK3d }
func (k *K3d) Context() string { return k.context }

func (k *K3d) name() string {
	if n, ok := strings.CutPrefix(k.context, "k3d-"); ok && n != "" {
		return n
	}
	return k.context
}

func (k *K3d) Tools() []Tool {
	return []Tool{toolDocker, {"k3d", "install k3d: https://k3d.io/#installation"}, toolKubectl}
}

// Check: `k3d cluster list NAME -o json` shows the cluster with a server
// running.
func (k *K3d) Check(ctx context.Context, ex Exec) error {
	argv := []string{"k3d", "cluster", "list", k.name(), "-o", "json"}
	if ex.DryRun() {
		ex.Plan(argv, "the k3d cluster "+k.name()+" runs")
		return nil
	}
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &Error{Err: fmt.Errorf("there is no k3d cluster %s (context %s): create it with `k3d cluster create %s`", k.name(), k.context, k.name()), Details: runErrLines(err)}
	}
	var list []struct {
		Name           string `json:"name"`
		ServersRunning int    `json:"serversRunning"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return &Error{Err: fmt.Errorf("cannot read the answer of `%s`: %v", run.CommandLine(argv), err)}
	}
	for _, c := range list {
		if c.Name == k.name() {
			if c.ServersRunning == 0 {
				return &Error{Err: fmt.Errorf("the k3d cluster %s is stopped: start it with `k3d cluster start %s`", k.name(), k.name())}
			}
			return nil
		}
	}
	return &Error{Err: fmt.Errorf("there is no k3d cluster %s (context %s): create it with `k3d cluster create %s`", k.name(), k.context, k.name())}
}

func (k *K3d) PublishStep() string { return "Import image into k3d" }

// Publish runs `k3d image import`. It imports every time: k3d does not
// tell whether the nodes have the image.
func (k *K3d) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	argv := []string{"k3d", "image", "import", image, "-c", k.name()}
	if ex.DryRun() {
		ex.Plan(argv, "")
		return Published{Ref: image}, nil
	}
	_, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	return Published{Ref: image}, err
}

func (k *K3d) Image(app, tag string) (string, error) {
	return render.ImageName(ImageRepository, app, tag)
}

func (k *K3d) PullPolicy() corev1.PullPolicy { return corev1.PullNever }

func (k *K3d) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	return nodePortURL(ctx, ex, k.context, ns, svc, false)
}

func (k *K3d) Hints() Hints {
	return Hints{
		ImageNotOnNode: "importing it into k3d did not take; run `cupaas deploy --rebuild`",
		NoStorage:      genericHints.NoStorage + " (k3d ships the StorageClass `local-path`)",
		MoreResources:  "give Docker more CPU or memory, or add agents (`k3d node create --cluster " + k.name() + "`)",
	}
}
