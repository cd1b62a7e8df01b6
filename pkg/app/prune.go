package app

import (
	"context"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/render"
)

// resourceOf names a kind the way `kubectl get -o name` prints it and
// `kubectl delete` takes it.
var resourceOf = map[string]string{
	"Deployment": "deployment.apps", "StatefulSet": "statefulset.apps", "Service": "service",
	"Secret": "secret", "ConfigMap": "configmap", "HorizontalPodAutoscaler": "horizontalpodautoscaler.autoscaling",
	"Ingress": "ingress.networking.k8s.io",
}

// pruneKinds are the kinds Prune looks at.
const pruneKinds = "deployments.apps,statefulsets.apps,services,secrets,configmaps,horizontalpodautoscalers.autoscaling,ingresses.networking.k8s.io"

// PruneArgs list the app's objects by name only: never a Secret's values,
// also not in -v output. The release records (Secrets labelled
// cupaas.dev/release, see pkg/release) are not generated, and never pruned.
func (a *App) PruneArgs() []string {
	return []string{"-n", a.Namespace, "get", pruneKinds, "-l", a.Selector("") + "," + notReleaseRecord, "-o", "name"}
}

// notReleaseRecord leaves the release records out of a selection.
const notReleaseRecord = "!cupaas.dev/release"

// ClaimsArgs list the app's PersistentVolumeClaims by name.
func (a *App) ClaimsArgs() []string {
	return []string{"-n", a.Namespace, "get", "persistentvolumeclaims", "-l", render.LabelInstance + "=" + a.Name, "-o", "name"}
}

// Prune deletes what cupaas made for the app before but no longer
// generates, calling deleted after each, and returns the volume claims of
// removed services: they are kept, since they hold data.
func (a *App) Prune(ctx context.Context, generated []runtime.Object, deleted func(resourceName string)) (removed, kept []string, err error) {
	l, err := a.PruneList(ctx)
	if err != nil {
		return nil, nil, err
	}
	return a.PruneListed(ctx, l, generated, deleted)
}

// Listed is what PruneList read: the app's objects and volume claims.
type Listed struct{ objects, claims []byte }

// PruneList reads the app's objects and volume claims for PruneListed. It
// may run while the new objects are applied: what the apply creates is
// generated, so never stale.
func (a *App) PruneList(ctx context.Context) (Listed, error) {
	// The two reads run side by side.
	var (
		claims    []byte
		claimsErr error
		read      = make(chan struct{})
	)
	go func() {
		defer close(read)
		claims, claimsErr = a.Kube.Run(ctx, a.ClaimsArgs()...)
	}()
	objects, err := a.Kube.Run(ctx, a.PruneArgs()...)
	<-read
	if err != nil {
		return Listed{}, err
	}
	if claimsErr != nil {
		return Listed{}, claimsErr
	}
	return Listed{objects, claims}, nil
}

// PruneListed is Prune with the lists read before.
func (a *App) PruneListed(ctx context.Context, l Listed, generated []runtime.Object, deleted func(resourceName string)) (removed, kept []string, err error) {
	for _, obj := range staleObjects(l.objects, generated) {
		if _, err := a.Kube.Run(ctx, "-n", a.Namespace, "delete", obj, "--ignore-not-found"); err != nil {
			return removed, nil, err
		}
		removed = append(removed, obj)
		if deleted != nil {
			deleted(obj)
		}
	}
	return removed, orphanClaims(l.claims, generated), nil
}

// names reads the output of `kubectl get -o name`: one resource/name a
// line.
func names(out []byte) []string {
	var res []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			res = append(res, l)
		}
	}
	return res
}

// staleObjects lists, as resource/name, the listed objects that are not
// among the generated ones.
func staleObjects(listed []byte, generated []runtime.Object) []string {
	want := map[string]bool{}
	for _, o := range generated {
		kind := o.GetObjectKind().GroupVersionKind().Kind
		if m, ok := o.(metav1.Object); ok {
			want[resourceOf[kind]+"/"+m.GetName()] = true
		}
	}
	known := map[string]bool{}
	for _, r := range resourceOf {
		known[r] = true
	}
	var out []string
	for _, n := range names(listed) {
		res, _, ok := strings.Cut(n, "/")
		if ok && known[res] && !want[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// orphanClaims lists the volume claims of StatefulSets that are no longer
// generated (data-<statefulset>-<ordinal>), by name.
func orphanClaims(listed []byte, generated []runtime.Object) []string {
	sets := map[string]bool{}
	for _, o := range generated {
		if s, ok := o.(*appsv1.StatefulSet); ok {
			sets[s.Name] = true
		}
	}
	var out []string
	for _, n := range names(listed) {
		_, name, ok := strings.Cut(n, "/")
		if !ok {
			continue
		}
		owner := strings.TrimPrefix(name, "data-")
		if i := strings.LastIndexByte(owner, '-'); i > 0 {
			owner = owner[:i]
		}
		if !sets[owner] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
