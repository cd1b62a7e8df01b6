package app

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
)

// The Service sends requests only to the new pods once every ready
// endpoint is one of them.
func TestOnlyCurrent(t *testing.T) {
	w := NewWorkload("deployment/web", "app", true, corev1.PodTemplateSpec{})
	w.Hash = "new"
	pod := func(name, hash, deleting string) string {
		del := ""
		if deleting != "" {
			del = fmt.Sprintf(`,"deletionTimestamp":%q`, deleting)
		}
		return fmt.Sprintf(`{"kind":"Pod","metadata":{"name":%q,"annotations":{%q:%q}%s}}`, name, render.AnnotationConfigHash, hash, del)
	}
	slice := func(eps string) string {
		return `{"kind":"EndpointSlice","addressType":"IPv4","endpoints":[` + eps + `]}`
	}
	ep := func(pod string, ready bool) string {
		return fmt.Sprintf(`{"addresses":["10.0.0.1"],"conditions":{"ready":%v},"targetRef":{"kind":"Pod","name":%q}}`, ready, pod)
	}
	for _, tc := range []struct {
		what     string
		list     string
		done, ok bool
	}{
		{"only the new pod", pod("a", "new", "") + "," + slice(ep("a", true)), true, true},
		{"the old pod still ready", pod("a", "new", "") + "," + pod("b", "old", "") + "," + slice(ep("a", true)+","+ep("b", true)), false, true},
		{"the old pod terminating, not ready", pod("a", "new", "") + "," + pod("b", "old", "2026-12-02T00:00:00Z") + "," + slice(ep("a", true)+","+ep("b", false)), true, true},
		{"the new pod not listed yet", pod("a", "new", "") + "," + slice(""), false, true},
		{"no slices", pod("a", "new", ""), false, false},
	} {
		done, ok := onlyCurrent([]byte(`{"items":[`+tc.list+`]}`), w)
		if done != tc.done || ok != tc.ok {
			t.Errorf("%s: done %v ok %v", tc.what, done, ok)
		}
	}
}
