package app

import (
	"reflect"
	"testing"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/render"
)

func TestListening(t *testing.T) {
	procNet := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1388 0100007F:A000 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0000000000000000 100 0 0 10 0
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 4
`)
	got := listening(procNet)
	want := []socket{{"127.0.0.1", 5000}, {"0.0.0.0", 8000}, {"::", 3000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("listening = %+v", got)
	}
}

func TestStaleObjectsAndOrphanClaims(t *testing.T) {
	c, err := config.Parse(".cupaas.yml", []byte("name: app\nruntime: go:1.22\nservices: [postgresql]\n"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render.Manifests(render.Input{Config: c, Image: "cupaas/app:abc",
		Credentials: map[string]credentials.Service{"postgresql": {Username: "app", Password: "pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	list := []byte("deployment.apps/app\nstatefulset.apps/app-redis\nsecret/app-redis\nstatefulset.apps/app-postgresql\npod/x\n\n")
	stale := staleObjects(list, objs)
	if !reflect.DeepEqual(stale, []string{"secret/app-redis", "statefulset.apps/app-redis"}) {
		t.Fatalf("stale = %q", stale)
	}
	pvcs := []byte("persistentvolumeclaim/data-app-redis-0\npersistentvolumeclaim/data-app-postgresql-0\n")
	kept := orphanClaims(pvcs, objs)
	if !reflect.DeepEqual(kept, []string{"data-app-redis-0"}) {
		t.Fatalf("kept = %q", kept)
	}
	if got := staleObjects([]byte("No resources found in app namespace.\n"), objs); len(got) != 0 {
		t.Fatalf("a message taken for objects: %q", got)
	}
}

func TestParseCredentials(t *testing.T) {
	c, _ := config.Parse(".cupaas.yml", []byte("name: app\nruntime: go:1.22\nservices: [postgresql, redis]\n"))
	out := []byte(`{"items":[
	 {"metadata":{"name":"app-postgresql"},"data":{"POSTGRES_USER":"b3duZXI=","POSTGRES_PASSWORD":"c2VjcmV0"}},
	 {"metadata":{"name":"app-redis"},"data":{"REDIS_PASSWORD":"cmVkaXNwdw=="}},
	 {"metadata":{"name":"app-env"},"data":{"X":"eQ=="}}]}`)
	got, err := ParseCredentials(out, c.Name, c.ServiceNames())
	if err != nil {
		t.Fatal(err)
	}
	if got["postgresql"].Username != "owner" || got["postgresql"].Password != "secret" || got["redis"].Password != "redispw" || len(got) != 2 {
		t.Fatalf("credentials %+v", got)
	}
}
