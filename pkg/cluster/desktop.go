package cluster

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// Desktop is the Kubernetes of Docker Desktop, Rancher Desktop (with the
// dockerd runtime) or OrbStack: the node runs on the same Docker engine as
// the docker CLI, so it sees the images cupaas builds. There is no load
// step; Publish only checks that the docker CLI talks to that engine. The
// pods never pull (imagePullPolicy: Never). NodePorts are published on
// 127.0.0.1.
type Desktop struct {
	context string
	// kind is docker-desktop, rancher-desktop or orbstack.
	kind string
}

func (d *Desktop) Kind() string    { return d.kind }
func (d *Desktop) Context() string { return d.context }
func (d *Desktop) Tools() []Tool   { return []Tool{toolDocker, toolKubectl} }

func (d *Desktop) Check(ctx context.Context, ex Exec) error {
	argv := []string{"kubectl", "--context", d.context, "get", "--raw", "/readyz"}
	if ex.DryRun() {
		ex.Plan(argv, "the cluster answers")
		return nil
	}
	_, err := ex.Retry(ctx, "asking the cluster", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &Error{Err: fmt.Errorf("the %s cluster does not answer: turn on its Kubernetes in %s's settings", d.kind, d.app()), Details: runErrLines(err)}
	}
	return nil
}

// app is the name of the desktop application.
func (d *Desktop) app() string {
	switch d.kind {
	case KindRancherDesktop:
		return "Rancher Desktop"
	case KindOrbStack:
		return "OrbStack"
	}
	return "Docker Desktop"
}

func (d *Desktop) PublishStep() string { return "Image for " + d.kind }

// engineName is what `docker info` calls the engine of each desktop:
// docker-desktop, lima-rancher-desktop, orbstack.
func (d *Desktop) engineName() string { return d.kind }

// Publish loads nothing: it checks that the docker CLI builds on the
// engine the cluster's node runs on, where the image then is.
func (d *Desktop) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	argv := []string{"docker", "info", "--format", "{{.Name}}"}
	detail := "no load: the " + d.kind + " node uses this Docker engine's images"
	if ex.DryRun() {
		ex.Plan(argv, "the docker CLI uses "+d.app()+"'s engine, which the cluster sees; nothing is loaded")
		return Published{Ref: image, Detail: detail}, nil
	}
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	if err != nil {
		return Published{}, err
	}
	name := strings.TrimSpace(string(out))
	if !strings.Contains(name, d.engineName()) {
		return Published{}, &Error{
			Err: fmt.Errorf("the docker CLI talks to the engine %q, not %s's, so the %s cluster cannot see the image %s", name, d.app(), d.kind, image),
			Details: []string{
				"switch the docker CLI to " + d.app() + "'s engine (`docker context ls`, then `docker context use NAME`), and deploy again",
			},
		}
	}
	return Published{Ref: image, Cached: true, Detail: detail}, nil
}

func (d *Desktop) Image(app, tag string) (string, error) {
	return render.ImageName(ImageRepository, app, tag)
}

func (d *Desktop) PullPolicy() corev1.PullPolicy { return corev1.PullNever }

func (d *Desktop) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	return nodePortURL(ctx, ex, d.context, ns, svc, true)
}

func (d *Desktop) Hints() Hints {
	notOnNode := "the " + d.kind + " node does not see this Docker engine's images"
	if d.kind == KindRancherDesktop {
		notOnNode += " (Rancher Desktop: choose the dockerd (moby) container engine)"
	}
	return Hints{
		ImageNotOnNode: notOnNode + "; run `cupaas deploy --rebuild`",
		NoStorage:      genericHints.NoStorage,
		MoreResources:  "give " + d.app() + " more CPU or memory in its settings",
	}
}
