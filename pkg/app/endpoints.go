package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/cupaas/cupaas/pkg/render"
)

// ErrNoEndpointSlices says the app Service's EndpointSlices could not be
// read (an old cluster, no permission): the caller falls back to a fixed
// wait.
var ErrNoEndpointSlices = errors.New("the app's EndpointSlices cannot be read")

// EndpointsArgs are the kubectl arguments of the one read that
// WaitEndpoints polls: the app's pods and its Service's EndpointSlices
// (which carry the Service's labels).
func (a *App) EndpointsArgs() []string {
	return []string{"-n", a.Namespace, "get", "pods,endpointslices.discovery.k8s.io", "-l", a.Selector(render.ComponentApp), "-o", "json"}
}

// WaitEndpoints waits, at most timeout, until the app Service's
// EndpointSlices send requests only to pods of the rollout t (at least one
// of them ready), so that the URL no longer reaches replaced pods. It
// reports whether that happened within timeout; ErrNoEndpointSlices when
// the slices cannot be read.
func (a *App) WaitEndpoints(ctx context.Context, t Workload, timeout, poll time.Duration) (bool, error) {
	deadline := a.now().Add(timeout)
	for {
		out, err := a.quiet(ctx, a.EndpointsArgs()...)
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			return false, ErrNoEndpointSlices
		}
		done, ok := onlyCurrent(out, t)
		if !ok {
			return false, ErrNoEndpointSlices
		}
		if done {
			return true, nil
		}
		if !a.now().Before(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// onlyCurrent reads a list of pods and EndpointSlices: done when every
// ready endpoint is a pod of t's rollout that is not being deleted, and
// one is. ok is false when the list holds no EndpointSlice.
func onlyCurrent(list []byte, t Workload) (done, ok bool) {
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(list, &l) != nil {
		return false, false
	}
	pods := map[string]corev1.Pod{}
	var slices []discoveryv1.EndpointSlice
	for _, raw := range l.Items {
		var head struct{ Kind string }
		if json.Unmarshal(raw, &head) != nil {
			return false, false
		}
		switch head.Kind {
		case "Pod":
			var p corev1.Pod
			if json.Unmarshal(raw, &p) == nil {
				pods[p.Name] = p
			}
		case "EndpointSlice":
			var s discoveryv1.EndpointSlice
			if json.Unmarshal(raw, &s) != nil {
				return false, false
			}
			slices = append(slices, s)
		}
	}
	if len(slices) == 0 {
		return false, false
	}
	ready := 0
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			if e.TargetRef == nil || e.TargetRef.Kind != "Pod" {
				return false, true
			}
			p, found := pods[e.TargetRef.Name]
			if !found || p.DeletionTimestamp != nil || !t.Current(p) {
				return false, true
			}
			ready++
		}
	}
	return ready > 0, true
}
