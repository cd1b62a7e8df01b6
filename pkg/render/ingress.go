package render

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/cupaas/cupaas/pkg/config"
)

// ingress routes http://<domain>/ to the app's Service (`domain:` in
// .cupaas.yml), through the IngressClass `ingressClass:` names or the
// cluster's default one.
func ingress(c *config.Config) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: meta(c.Name, c.Name, c.Name, ComponentApp),
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: c.Domain,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     "/",
						PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: c.Name,
							Port: networkingv1.ServiceBackendPort{Name: httpPortName},
						}},
					}},
				}},
			}},
		},
	}
	if c.IngressClass != "" {
		ing.Spec.IngressClassName = &c.IngressClass
	}
	return ing
}
