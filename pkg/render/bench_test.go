package render

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkRenderAllServices renders and encodes an app with every service
// that fits in one config (postgresql and mysql both set DATABASE_URL) and
// autoscale.
func BenchmarkRenderAllServices(b *testing.B) {
	c := parse(b, "name: bench\nruntime: python:3.11\nentrypoint: [python, app.py]\nhealthcheck: /health\n"+
		"autoscale: {min: 1, max: 4}\nresources: {memory: 256Mi}\nservices: [mongodb, postgresql, redis]\nenv: {A: \"1\", B: \"2\"}\n")
	in := Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/bench:0123456789ab", Commit: "abc", Credentials: fixedCredentials(), Secrets: map[string]string{"S": "x"}}
	files := ProjectFiles{HasRequirements: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Dockerfile(c, files); err != nil {
			b.Fatal(err)
		}
		objs, err := Manifests(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(objs, true); err != nil {
			b.Fatal(err)
		}
	}
}
