package render

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/cupaas/cupaas/pkg/config"
)

// domain: gives an Ingress to the app's Service port "http", after the
// Service; ingressClass: sets its class, else the cluster's default.
func TestIngress(t *testing.T) {
	for _, class := range []string{"", "nginx"} {
		c := &config.Config{Name: "shop", Port: 8000, Replicas: 1, Domain: "shop.example.test", IngressClass: class}
		objs, err := Manifests(Input{Config: c, Image: "cupaas/shop:v1"})
		if err != nil {
			t.Fatal(err)
		}
		var ing *networkingv1.Ingress
		for i, o := range objs {
			if x, ok := o.(*networkingv1.Ingress); ok {
				ing = x
				if prev := objs[i-1].GetObjectKind().GroupVersionKind().Kind; prev != "Service" {
					t.Errorf("the Ingress follows a %s", prev)
				}
			}
		}
		if ing == nil {
			t.Fatal("no Ingress")
		}
		rule := ing.Spec.Rules[0]
		backend := rule.HTTP.Paths[0].Backend.Service
		if ing.Namespace != "shop" || rule.Host != "shop.example.test" || rule.HTTP.Paths[0].Path != "/" || backend.Name != "shop" || backend.Port.Name != "http" {
			t.Errorf("Ingress %+v", ing)
		}
		if got := ing.Spec.IngressClassName; (class == "") != (got == nil) || got != nil && *got != class {
			t.Errorf("class %v, want %q", got, class)
		}
	}
}
