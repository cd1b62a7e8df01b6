package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// ServicesName is the file of the objects applied before the app's image
// is on the node, in the build directory.
const ServicesName = "services.yaml"

// AppName is the file of the objects applied once the app's image is on
// the nodes, after services.yaml: the app's Deployment and autoscaler.
const AppName = "app.yaml"

// serviceObjects are the objects applied before the image is on the node,
// for an app with services: all but the app's Deployment and autoscaler,
// so that the databases start while the image is built, and the app's
// Service has its node port ready when the app is. None for an app without
// services.
func serviceObjects(objects []runtime.Object) []runtime.Object {
	services := false
	var out []runtime.Object
	for _, o := range objects {
		switch o.(type) {
		case *appsv1.Deployment, *autoscalingv2.HorizontalPodAutoscaler:
			continue
		}
		if m, err := meta.Accessor(o); err == nil {
			if c := m.GetLabels()[render.LabelComponent]; c != "" && c != render.ComponentApp {
				services = true
			}
		}
		out = append(out, o)
	}
	if !services {
		return nil
	}
	return out
}

// writeServices writes the objects applied first to dir/services.yaml
// (readable by its owner only: it holds the credentials), or removes a
// stale one when the app has no services. It returns a hash of the file,
// "" when there is none. The app.yaml of the last deploy goes: the apply
// writes it again when it is used.
func writeServices(dir string, objects []runtime.Object) (string, error) {
	for _, name := range []string{AppName, ServicesName} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	objs := serviceObjects(objects)
	if len(objs) == 0 {
		return "", nil
	}
	data, err := render.Encode(objs, false)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16], atomicfile.Write(filepath.Join(dir, ServicesName), data, 0o600)
}

// manifestsHash is a hash of the objects as applied, but for the app
// image's name and pull policy (which the publish path picks, and the tag
// already stands for): the same hash and tag are the same deploy.
func manifestsHash(objects []runtime.Object) string {
	objs := make([]runtime.Object, len(objects))
	for i, o := range objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			d = d.DeepCopy()
			for j := range d.Spec.Template.Spec.Containers {
				if d.Spec.Template.Spec.Containers[j].Name == render.AppContainer {
					d.Spec.Template.Spec.Containers[j].Image = ""
					d.Spec.Template.Spec.Containers[j].ImagePullPolicy = ""
				}
			}
			o = d
		}
		objs[i] = o
	}
	data, err := render.Encode(objs, false)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

// mayBeUnchanged says whether the last deploy's record could make this one
// a no-change deploy, before the app is hashed.
func mayBeUnchanged(opts Options, last *state.State, kubeContext string) bool {
	return !opts.Rebuild && !opts.DryRun && last != nil && last.Context == kubeContext && last.ManifestsHash != "" && last.URL != ""
}

// upToDateGet bounds the GET of the recorded URL on the no-change path.
const upToDateGet = time.Second

// 3b. Check what runs: when the last deploy recorded this exact tag and
// these exact objects, one read of the cluster shows its workloads ready
// with them, and the recorded URL answers, nothing needs doing: the
// pipeline ends there ("Everything up-to-date"). Any doubt shows no line
// and lets the deploy go on.
func upToDate(ctx context.Context, s stepIO, opts Options, a *app.App, last *state.State, b *bundle.Bundle, kubeContext string) (result, error) {
	skip := result{hidden: true}
	if opts.Rebuild || last == nil || b == nil || last.Context != kubeContext || last.App != b.Config.Name ||
		last.Tag != b.Tag || last.URL == "" || last.Image == "" || last.ManifestsHash == "" ||
		last.ManifestsHash != manifestsHash(b.Objects) {
		return skip, nil
	}
	targets := workloads(b.Objects)
	target := strings.TrimRight(last.URL, "/") + "/"
	if b.Config.Healthcheck != "" {
		target = strings.TrimRight(last.URL, "/") + b.Config.Healthcheck
	}
	var (
		wg      sync.WaitGroup
		status  int
		took    time.Duration
		getErr  error
		out     []byte
		readErr error
		// deleting: the namespace is being deleted (its objects still
		// answer for a while, then go).
		deleting bool
		nsErr    error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		deleting, nsErr = a.NamespaceDeleting(ctx)
	}()
	go func() {
		defer wg.Done()
		client := *opts.HTTPClient
		client.Timeout = upToDateGet
		start := time.Now()
		status, getErr = get(ctx, &client, target)
		took = time.Since(start)
	}()
	argv := a.Kube.Argv("-n", a.Namespace, "get", "deployments.apps,statefulsets.apps", "-l", a.Selector(""), "-o", "json")
	out, readErr = s.Runner.Run(ctx, run.Cmd{Argv: argv})
	wg.Wait()
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	if readErr != nil || getErr != nil || nsErr != nil || deleting || status >= 500 || (b.Config.Healthcheck != "" && status >= 400) {
		return skip, nil
	}
	if !running(out, targets, last.Image) {
		return skip, nil
	}
	var names []string
	for _, t := range targets {
		names = append(names, t.KindName)
	}
	return result{finished: true, detail: fmt.Sprintf("%s ready with image tag %s and this config; GET %s: HTTP %d in %s",
		strings.Join(names, ", "), b.Tag, target, status, took.Round(time.Millisecond))}, nil
}

// running reports whether the list of Deployments and StatefulSets shows
// every target rolled out and ready with its rendered pod template (config
// hash; the app's image is image), each spec seen by its controller.
func running(list []byte, targets []app.Workload, image string) bool {
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(list, &l) != nil {
		return false
	}
	deps := map[string]appsv1.Deployment{}
	sets := map[string]appsv1.StatefulSet{}
	for _, raw := range l.Items {
		var head struct{ Kind string }
		if json.Unmarshal(raw, &head) != nil {
			return false
		}
		switch head.Kind {
		case "Deployment":
			var d appsv1.Deployment
			if json.Unmarshal(raw, &d) != nil {
				return false
			}
			deps["deployment/"+d.Name] = d
		case "StatefulSet":
			var st appsv1.StatefulSet
			if json.Unmarshal(raw, &st) != nil {
				return false
			}
			sets["statefulset/"+st.Name] = st
		}
	}
	for _, t := range targets {
		if d, ok := deps[t.KindName]; ok {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			st := d.Status
			if d.Generation != st.ObservedGeneration || want < 1 || st.UpdatedReplicas != want || st.ReadyReplicas != want ||
				st.AvailableReplicas != want || st.Replicas != want || st.UnavailableReplicas != 0 {
				return false
			}
			// The app's image is the recorded one (the Source step may
			// have named it before the preflight picked the publish path).
			if d.Spec.Template.Annotations[render.AnnotationConfigHash] != t.Hash || (t.IsApp && !hasImage(d.Spec.Template.Spec, image)) {
				return false
			}
			continue
		}
		if st, ok := sets[t.KindName]; ok {
			want := int32(1)
			if st.Spec.Replicas != nil {
				want = *st.Spec.Replicas
			}
			s := st.Status
			if st.Generation != s.ObservedGeneration || want < 1 || s.ReadyReplicas != want || s.UpdatedReplicas != want ||
				s.CurrentRevision != s.UpdateRevision || st.Spec.Template.Annotations[render.AnnotationConfigHash] != t.Hash {
				return false
			}
			continue
		}
		return false
	}
	return true
}

func hasImage(spec corev1.PodSpec, image string) bool {
	for _, c := range spec.Containers {
		if c.Name == render.AppContainer {
			return c.Image == image
		}
	}
	return false
}

// dropOldEndpoints waits after replacing the app's pods until the
// Service's EndpointSlices list only the new ones (at most 10 s), so that
// the URL no longer reaches a replaced pod. When the slices cannot be read
// it waits fallback instead.
func dropOldEndpoints(ctx context.Context, warn func(string), a *app.App, targets []app.Workload, fallback time.Duration) error {
	for _, t := range targets {
		if !t.IsApp {
			continue
		}
		done, err := a.WaitEndpoints(ctx, t, 10*time.Second, 200*time.Millisecond)
		switch {
		case errors.Is(err, app.ErrNoEndpointSlices):
			return settle(ctx, fallback)
		case err != nil:
			return err
		case !done:
			warn("the Service still sends requests to replaced pods after 10s; they stop as those pods end")
			return nil
		}
		// The slices are what the API says; kube-proxy programs the
		// node from them at most once per its minimum sync period (1 s
		// by default), and until then a request may still reach a
		// replaced pod (seen on the test bed: an env set whose next
		// request got the old value).
		return settle(ctx, kubeProxySync)
	}
	return nil
}

// kubeProxySync is kube-proxy's default minimum sync period: how long a
// change of EndpointSlices may take to reach the node's rules.
const kubeProxySync = time.Second

// settle gives the Service time to drop replaced pods when their
// EndpointSlices cannot be read: they leave its endpoints as soon as they
// start terminating, and kube-proxy applies such changes at most once a
// second.
func settle(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// servicesPresent reads whether every object of services.yaml (n of
// them) is in the cluster: `kubectl get -f` names the ones found.
func servicesPresent(a *app.App, manifest string, n int) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		out, err := a.Kube.Run(ctx, "get", "-f", manifest, "-o", "name", "--ignore-not-found")
		if err != nil {
			return false, err
		}
		return len(strings.Fields(string(out))) == n, nil
	}
}
