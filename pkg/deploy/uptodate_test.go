package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

func prepared(t *testing.T, files map[string]string) *bundle.Bundle {
	t.Helper()
	dir := writeApp(t, files)
	b, err := bundle.Prepare(dir, bundle.Options{Cluster: cluster.For("")})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The hash of what is applied ignores the app image's name and pull
// policy (the publish path's choice) and nothing else.
func TestManifestsHash(t *testing.T) {
	b := prepared(t, counterApp)
	h := manifestsHash(b.Objects)
	_, dep := EnvObjects(b.Objects, "counter")
	orig := dep.Spec.Template.Spec.Containers[0]
	dep.Spec.Template.Spec.Containers[0].Image = "localhost:5000/cupaas/counter:" + b.Tag
	dep.Spec.Template.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	if got := manifestsHash(b.Objects); got != h {
		t.Fatalf("the image's name changed the hash: %s, was %s", got, h)
	}
	if dep.Spec.Template.Spec.Containers[0].Image == orig.Image {
		t.Fatal("manifestsHash changed the objects")
	}
	dep.Spec.Replicas = new(int32)
	if manifestsHash(b.Objects) == h {
		t.Fatal("replicas did not change the hash")
	}
}

// The objects applied first are all but the Deployment and the autoscaler;
// none for an app without services.
func TestServiceObjects(t *testing.T) {
	b := prepared(t, counterApp)
	var kinds []string
	for _, o := range serviceObjects(b.Objects) {
		kinds = append(kinds, fmt.Sprintf("%T", o))
	}
	if strings.Join(kinds, ",") != "*v1.Namespace,*v1.Secret,*v1.StatefulSet,*v1.Service,*v1.ConfigMap,*v1.Secret,*v1.Service" {
		t.Fatalf("service objects: %v", kinds)
	}
	plain := map[string]string{".cupaas.yml": "name: web\nruntime: python:3.11\nentrypoint: [python, app.py]\n", "app.py": "print(1)\n", "requirements.txt": "flask\n"}
	if objs := serviceObjects(prepared(t, plain).Objects); objs != nil {
		t.Fatalf("an app without services: %d objects", len(objs))
	}
}

// running reads one list of Deployments and StatefulSets: every workload
// rolled out, ready, with this config and the recorded image.
func TestRunning(t *testing.T) {
	b := prepared(t, counterApp)
	targets := workloads(b.Objects)
	_, dep := EnvObjects(b.Objects, "counter")
	hash := dep.Spec.Template.Annotations[render.AnnotationConfigHash]
	var stsHash string
	for _, o := range b.Objects {
		if s, ok := o.(*appsv1.StatefulSet); ok {
			stsHash = s.Spec.Template.Annotations[render.AnnotationConfigHash]
		}
	}
	list := func(image, depHash string, ready, observed int) []byte {
		return []byte(fmt.Sprintf(`{"items":[
{"kind":"Deployment","metadata":{"name":"counter","generation":2},"spec":{"replicas":1,"template":{"metadata":{"annotations":{%q:%q}},"spec":{"containers":[{"name":"app","image":%q}]}}},
 "status":{"observedGeneration":%d,"replicas":1,"updatedReplicas":1,"readyReplicas":%d,"availableReplicas":%d}},
{"kind":"StatefulSet","metadata":{"name":"counter-redis","generation":1},"spec":{"replicas":1,"template":{"metadata":{"annotations":{%q:%q}}}},
 "status":{"observedGeneration":1,"replicas":1,"readyReplicas":1,"updatedReplicas":1,"currentRevision":"r1","updateRevision":"r1"}}]}`,
			render.AnnotationConfigHash, depHash, image, observed, ready, ready, render.AnnotationConfigHash, stsHash))
	}
	img := "cupaas/counter:" + b.Tag
	for _, tc := range []struct {
		what string
		list []byte
		want bool
	}{
		{"ready", list(img, hash, 1, 2), true},
		{"another image", list("cupaas/counter:other", hash, 1, 2), false},
		{"another config", list(img, "0000", 1, 2), false},
		{"not ready", list(img, hash, 0, 2), false},
		{"spec not seen yet", list(img, hash, 1, 1), false},
		{"no StatefulSet", []byte(`{"items":[]}`), false},
		{"not JSON", []byte(`No resources found`), false},
	} {
		if got := running(tc.list, targets, img); got != tc.want {
			t.Errorf("%s: running = %v", tc.what, got)
		}
	}
}

// countApplies counts the applies of services.yaml, app.yaml and
// kubernetes.yaml, answers `kubectl get -f services.yaml` with the names of
// present objects, and fails the first `rollout status` of a StatefulSet
// when armed.
type countApplies struct {
	instant
	services, app, all int
	present            int
	armed              bool
	rollouts           int
}

func (f *countApplies) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	line := run.CommandLine(c.Argv)
	switch {
	case strings.Contains(line, " apply ") && strings.HasSuffix(line, ServicesName):
		f.services++
	case strings.Contains(line, " apply ") && strings.HasSuffix(line, AppName):
		f.app++
	case strings.Contains(line, " apply ") && strings.HasSuffix(line, "kubernetes.yaml"):
		f.all++
	case strings.Contains(line, " get -f ") && strings.Contains(line, ServicesName):
		return []byte(strings.Repeat("secret/x\n", f.present)), nil
	case strings.Contains(line, "rollout status statefulset/"):
		f.rollouts++
		if f.armed {
			f.armed = false
			return nil, errors.New(`Error from server (NotFound): statefulsets.apps "counter-redis" not found`)
		}
	}
	return f.instant.Run(ctx, c)
}

// The services' objects go with Apply services while the image builds;
// the apply after the image then sends only the app's Deployment
// (app.yaml). When they are what the last deploy applied, their apply is
// skipped, and the app's Deployment goes alone if they are all still
// there (read ahead), else everything goes; when their StatefulSet is
// gone, they are applied again.
func TestServicesThenTheAppAlone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, counterApp)
	r := &countApplies{instant: instant{url: srv.URL}}
	deploy := func() *Report {
		t.Helper()
		ios, _, _, _ := iostreams.Test()
		rep, _, err := Run(context.Background(), Options{IO: ios, Runner: r, Dir: dir, SettleDelay: time.Millisecond, PollInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	step := func(rep *Report, name string) StepReport {
		for _, s := range rep.Steps {
			if s.Name == name {
				return s
			}
		}
		t.Fatalf("no step %s in %+v", name, rep.Steps)
		return StepReport{}
	}
	check := func(what string, services, app, all int) {
		t.Helper()
		if r.services != services || r.app != app || r.all != all {
			t.Fatalf("%s: %d applies of %s, %d of %s, %d of kubernetes.yaml; want %d, %d, %d", what, r.services, ServicesName, r.app, AppName, r.all, services, app, all)
		}
	}

	rep := deploy()
	check("first deploy", 1, 1, 0)
	if s := step(rep, "Apply manifests"); s.Detail != "1 object, after the 7 of the services" {
		t.Errorf("first deploy: %+v", s)
	}
	data, err := os.ReadFile(filepath.Join(dir, BuildDir, AppName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "kind: Deployment") || strings.Contains(string(data), "kind: StatefulSet") || strings.Contains(string(data), "kind: Secret") {
		t.Errorf("%s:\n%s", AppName, data)
	}

	r.present = 7
	rep = deploy()
	check("unchanged services, all there", 1, 2, 0)
	if s := step(rep, "Apply services"); !s.Cached || !strings.Contains(s.Detail, "the last deploy applied") {
		t.Fatalf("unchanged services: %+v", s)
	}

	r.present = 6
	deploy()
	check("unchanged services, one gone", 1, 2, 1)

	r.present, r.armed = 7, true
	deploy()
	check("unchanged services, StatefulSet gone", 2, 3, 1)
	if r.rollouts != 5 {
		t.Fatalf("%d rollouts of the StatefulSet, want 5", r.rollouts)
	}
}
