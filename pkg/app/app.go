// Package app is one app in one cluster: its namespace, its pods and the
// questions asked about them after a deploy, by deploy, env, and later by
// status, logs, destroy and rollback. It waits for rollouts and explains
// pods that do not start (Diagnose), reads logs and events, reads the
// services' credentials that the cluster holds, and removes the objects
// that an app no longer generates. Every call goes through kubectl.
package app

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// App is one app in one cluster.
type App struct {
	// Name is the app's name; Namespace its namespace (the same today).
	Name, Namespace string
	// Kube runs the kubectl calls a user may want to see (echoed with -v).
	Kube kubectl.Client
	// Quiet runs the reads that are polled or only feed a diagnosis: pods,
	// logs, events. nil means Kube's runner.
	Quiet run.Runner
	// Hints are the cluster's advice for failures it causes.
	Hints cluster.Hints
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns the app name in the cluster reached through kc.
func New(kc kubectl.Client, name string, hints cluster.Hints) *App {
	return &App{Name: name, Namespace: name, Kube: kc, Hints: hints}
}

func (a *App) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// quiet runs a kubectl read that is never echoed.
func (a *App) quiet(ctx context.Context, args ...string) ([]byte, error) {
	r := a.Quiet
	if r == nil {
		r = a.Kube.Runner
	}
	return r.Run(ctx, run.Cmd{Argv: a.Kube.Argv(args...)})
}

// Selector selects the app's objects, or one component's ("" for all).
func (a *App) Selector(component string) string { return Selector(a.Name, component) }

// Selector selects the objects of app, or of one of its components.
func Selector(app, component string) string {
	sel := render.LabelInstance + "=" + app + "," + render.LabelManagedBy + "=" + render.ManagedBy
	if component != "" {
		sel += "," + render.LabelComponent + "=" + component
	}
	return sel
}

// Pods lists the pods of one component of the app ("" for all).
func (a *App) Pods(ctx context.Context, component string) ([]corev1.Pod, error) {
	out, err := a.quiet(ctx, "-n", a.Namespace, "get", "pods", "-l", a.Selector(component), "-o", "json")
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}
