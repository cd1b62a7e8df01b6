// Package cluster is the seam between cupaas and the kind of Kubernetes
// cluster it deploys to. Everything that depends on that kind (which tools
// must exist, how the cluster is checked, how an image becomes visible to
// the nodes, which pull policy the pods use, how the app's URL is found,
// and what to tell the user when the cluster is the cause of a failure)
// lives behind Cluster. Each kind of cluster is one file: minikube.go is
// the first; kind, k3d or a registry are new files, not edits elsewhere.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
)

// DefaultContext is the kube context used when none is given.
const DefaultContext = "minikube"

// Cluster is one kind of cluster, reached through one kube context.
type Cluster interface {
	// Kind names the kind of cluster, such as "minikube".
	Kind() string
	// Context is the kube context every kubectl call names.
	Context() string
	// Tools are the programs a deploy needs on PATH, with how to install
	// each.
	Tools() []Tool
	// Check tells whether the cluster runs (a *Error when it does not).
	Check(ctx context.Context, ex Exec) error
	// PublishStep names the step that runs Publish, such as "Load image
	// into minikube".
	PublishStep() string
	// Publish makes image, built in the local Docker engine, visible to
	// the cluster's nodes, and returns the reference the pods must use
	// (for a registry: the pushed digest). It reports whether the nodes
	// already had it (then nothing was done). force publishes even then.
	Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error)
	// Image is the reference the pods use for the app image tagged tag.
	Image(app, tag string) (string, error)
	// PullPolicy is the pull policy of the app's pods.
	PullPolicy() corev1.PullPolicy
	// URL finds the URL of the NodePort service svc in namespace ns.
	// When the URL works only while a process runs (a tunnel), that
	// process is returned running.
	URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error)
	// Hints say what to do when the cluster is the cause of a failure.
	Hints() Hints
}

// Published is what Publish did.
type Published struct {
	// Ref is the image reference the pods use: the image itself, or its
	// digest in a registry (host/cupaas/app@sha256:...).
	Ref string
	// Cached says the nodes had the image already: nothing was done.
	Cached bool
	// Detail, when set, is the step's detail.
	Detail string
}

// Tool is a program a deploy runs.
type Tool struct {
	Name    string
	Install string
}

// Hints are the cluster-specific advice in diagnoses.
type Hints struct {
	// ImageNotOnNode follows "image X is not on the cluster's node".
	ImageNotOnNode string
	// NoStorage follows "its PersistentVolumeClaim is not bound".
	NoStorage string
	// MoreResources follows "the node lacks resources for it".
	MoreResources string
}

// Exec is how a cluster runs commands inside a deploy step: Runner echoes
// and streams them with -v; Plan, when set, records a command instead of
// running it (--dry-run); Warn reports a retry.
type Exec struct {
	Runner run.Runner
	// Plan lists argv with a note for --dry-run; nil runs the commands.
	Plan func(argv []string, note string)
	// Warn shows a warning on the step's line.
	Warn func(string)
	// RetryDelay is the first wait before a retry; 0 means 1 s.
	RetryDelay time.Duration
}

// DryRun reports whether commands are only listed.
func (ex Exec) DryRun() bool { return ex.Plan != nil }

func (ex Exec) warn(msg string) {
	if ex.Warn != nil {
		ex.Warn(msg)
	}
}

// Retry runs fn up to 3 times while it fails because the cluster does not
// answer, doubling the wait each time, and says so.
func (ex Exec) Retry(ctx context.Context, what string, fn func() ([]byte, error)) ([]byte, error) {
	delay := ex.RetryDelay
	if delay == 0 {
		delay = time.Second
	}
	var out []byte
	var err error
	for try := 1; try <= 3; try++ {
		out, err = fn()
		if err == nil || !kubectl.IsUnreachable(err) || try == 3 || ctx.Err() != nil {
			return out, err
		}
		ex.warn(fmt.Sprintf("%s failed (%s); retrying in %s (try %d of 3)", what, FirstLine(err), delay, try+1))
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
	return out, err
}

// FirstLine is the last line a failed command printed, or the error.
func FirstLine(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		if t := re.Tail(1); len(t) > 0 {
			return strings.TrimSpace(t[0])
		}
	}
	return err.Error()
}

// Error is a cluster that is not usable: what is wrong, with the lines
// that explain it (a failed command's output).
type Error struct {
	Err     error
	Details []string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Lines are the lines printed under the error.
func (e *Error) Lines() []string { return e.Details }

// Of returns the cluster an app was deployed to: its context, and the kind
// and registry a deploy recorded (the kind is detected when none was).
func Of(kubeContext, kind, registry string) Cluster {
	cl, err := Select(kubeContext, kind, registry)
	if err != nil {
		return For(kubeContext)
	}
	return cl
}

// For returns the cluster of a kube context, its kind detected from the
// context's name (see Detect). A context of no known kind gives a cluster
// whose Check refuses it, saying the ways out.
func For(kubeContext string) Cluster {
	cl, _ := Select(kubeContext, "", "")
	return cl
}
