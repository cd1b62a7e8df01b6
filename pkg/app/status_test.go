package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/cluster"
)

// TestPodReasons: each pod of testdata/pods (real `kubectl get pods -o
// json` documents) gets the state and the reason Diagnose would give, in
// one line.
func TestPodReasons(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for file, want := range map[string][2]string{
		"crashloop.json":         {"CrashLoopBackOff", "CrashLoopBackOff: container app exits with code 1 right after it starts"},
		"oomkilled.json":         {"CrashLoopBackOff", "runs out of memory (OOMKilled"},
		"imagepullbackoff.json":  {"ImagePullBackOff", "ImagePullBackOff: the cluster cannot pull image"},
		"errimageneverpull.json": {"ErrImageNeverPull", "is not on the cluster's node"},
		"unschedulable_pvc.json": {"Pending", "its PersistentVolumeClaim is not bound; NOSTORAGE"},
		"not_ready.json":         {"Running", "it runs but its readiness check fails"},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "pods", file))
		if err != nil {
			t.Fatal(err)
		}
		var list corev1.PodList
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatal(err)
		}
		var got PodStatus
		for _, pod := range list.Items {
			if pod.DeletionTimestamp == nil {
				got = podStatus(pod, Workload{}, cluster.Hints{NoStorage: "NOSTORAGE"}, now)
				if !got.Ready {
					break
				}
			}
		}
		if got.State != want[0] || !strings.Contains(got.Reason, want[1]) || got.Ready {
			t.Errorf("%s: state %q reason %q ready %v; want %q with %q", file, got.State, got.Reason, got.Ready, want[0], want[1])
		}
	}
}

const statusList = `{"items":[
{"kind":"Deployment","metadata":{"name":"shop","generation":3,"labels":{"app.kubernetes.io/instance":"shop","app.kubernetes.io/component":"app"},
 "annotations":{"cupaas.dev/commit":"abc"},"managedFields":[{"manager":"cupaas","operation":"Apply","time":"2026-01-01T10:00:00Z"},{"manager":"cupaas-env","operation":"Update","time":"2026-01-02T10:00:00Z"}]},
 "spec":{"replicas":2,"template":{"metadata":{"annotations":{"cupaas.dev/config-hash":"new"}},"spec":{"containers":[{"name":"app","image":"cupaas/shop:2"}]}}},
 "status":{"observedGeneration":3,"readyReplicas":2,"updatedReplicas":1}},
{"kind":"Pod","metadata":{"name":"shop-new","labels":{"app.kubernetes.io/component":"app"},"annotations":{"cupaas.dev/config-hash":"new"}},
 "spec":{"containers":[{"name":"app","image":"cupaas/shop:2"}]},
 "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","image":"","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}},
{"kind":"Pod","metadata":{"name":"shop-old","labels":{"app.kubernetes.io/component":"app"},"annotations":{"cupaas.dev/config-hash":"old"}},
 "spec":{"containers":[{"name":"app","image":"cupaas/shop:1"}]},
 "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","image":"","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}},
{"kind":"StatefulSet","metadata":{"name":"shop-postgresql","labels":{"app.kubernetes.io/component":"postgresql"}},
 "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"postgresql","image":"postgres:15"}]}}},"status":{"readyReplicas":0}},
{"kind":"PersistentVolumeClaim","metadata":{"name":"data-shop-postgresql-0","labels":{"app.kubernetes.io/component":"postgresql"}},
 "spec":{"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Pending"}},
{"kind":"Service","metadata":{"name":"shop","labels":{"app.kubernetes.io/component":"app"}},"spec":{"ports":[{"port":80,"nodePort":30080}]}}
]}`

// TestParseStatus: a rollout half done, a service with no pod and a claim
// not bound are each a problem; the deploy time is cupaas' apply, not the
// env patch; the node port is read.
func TestParseStatus(t *testing.T) {
	st, err := parseStatus([]byte(statusList), "shop", "shop", "minikube", cluster.Hints{NoStorage: "add storage"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Image != "cupaas/shop:2" || st.Commit != "abc" || st.NodePort != 30080 || st.DeployedAt == nil || !st.DeployedAt.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("status %+v", st)
	}
	if len(st.Pods) != 2 || st.Pods[0].Name != "shop-new" || !st.Pods[0].Current || st.Pods[1].Current {
		t.Fatalf("pods %+v", st.Pods)
	}
	want := []string{
		"the app is rolling out: 1 of 2 pods run the last deploy",
		"service postgresql has 0 of 1 pods ready",
		"volume data-shop-postgresql-0 of service postgresql is Pending, not Bound: add storage",
	}
	if strings.Join(st.Problems, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(st.Problems, "\n"), strings.Join(want, "\n"))
	}
	if v := st.Services[0].Volumes[0]; v.Size != "1Gi" || v.Bound {
		t.Fatalf("volume %+v", v)
	}
}

func TestNotDeployed(t *testing.T) {
	_, err := parseStatus([]byte(`{"items":[]}`), "shop", "shop", "minikube", cluster.Hints{}, time.Now())
	if nd, ok := err.(*NotDeployedError); !ok || !strings.Contains(nd.Error(), "cupaas apps --context minikube") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(500)
		case "/slow":
			time.Sleep(URLTimeout + time.Second)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	if c := CheckURL(context.Background(), srv.URL+"/"); !c.Answers || c.Code != 404 {
		t.Errorf("404: %+v", c)
	}
	if c := CheckURL(context.Background(), srv.URL+"/fail"); c.Answers || c.Code != 500 {
		t.Errorf("500: %+v", c)
	}
	if c := CheckURL(context.Background(), srv.URL+"/slow"); c.Answers || c.Error != "no answer within 2s" {
		t.Errorf("slow: %+v", c)
	}
}

func TestSummaries(t *testing.T) {
	o, err := parseObjects([]byte(statusList))
	if err != nil {
		t.Fatal(err)
	}
	for i := range o.deployments {
		o.deployments[i].Namespace = "shop"
	}
	for i := range o.statefulsets {
		o.statefulsets[i].Namespace, o.statefulsets[i].Labels["app.kubernetes.io/instance"] = "shop", "shop"
	}
	for i := range o.services {
		o.services[i].Namespace, o.services[i].Labels["app.kubernetes.io/instance"] = "shop", "shop"
	}
	apps := summaries(o)
	setURLs(apps, o, nodeAddress([]byte(`{"items":[{"metadata":{"name":"n"},"status":{"addresses":[{"type":"Hostname","address":"n"},{"type":"InternalIP","address":"192.0.2.2"}]}}]}`)))
	if len(apps) != 1 || apps[0].Name != "shop" || apps[0].Ready != 2 || apps[0].Pods != 3 || apps[0].URL != "http://192.0.2.2:30080" || apps[0].Image != "cupaas/shop:2" {
		t.Fatalf("apps %+v", apps)
	}
}
