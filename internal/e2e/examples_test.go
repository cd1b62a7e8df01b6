//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Every example: deploy to a URL and use the app, change a setting with
// `cupaas env set` (no rebuild), redeploy unchanged (build and load
// cached), change the code (a new image rolls out), and remove it.

// The counter keeps its visits in redis: across env set, an unchanged
// redeploy and a rollout of new code, the count goes on and the volume
// claim is the same one.
func TestExampleFlaskRedis(t *testing.T) {
	const app = "counter"
	freshNamespace(t, app)
	dir := appDir(t, "python-flask-redis", nil)
	rep := deployOK(t, dir)
	record(app, "first deploy", rep.Seconds)
	type answer struct {
		Visits   int    `json:"visits"`
		Greeting string `json:"greeting"`
		Version  int    `json:"version"`
	}
	var a answer
	firstJSON(t, rep.URL+"/", &a)
	first := a.Visits
	getJSON(t, rep.URL+"/", &a)
	if a.Visits != first+1 || a.Greeting != "hello" {
		t.Fatalf("second visit: %+v after %d", a, first)
	}
	claim := claimUID(t, app, "data-counter-redis-0")

	envSet(t, dir, "GREETING=hola from e2e")
	getJSON(t, rep.URL+"/", &a)
	if a.Greeting != "hola from e2e" || a.Visits != first+2 {
		t.Fatalf("after env set: %+v", a)
	}

	rep2 := redeployUnchanged(t, app, dir)
	getJSON(t, rep2.URL+"/", &a)
	if a.Visits != first+3 || a.Greeting != "hola from e2e" {
		t.Fatalf("after the unchanged redeploy: %+v", a)
	}

	edit(t, dir, "app.py", `jsonify({"visits": visits,`, `jsonify({"version": 2, "visits": visits,`)
	rep3 := redeployChanged(t, app, dir, rep2)
	getJSON(t, rep3.URL+"/", &a)
	if a.Version != 2 || a.Visits != first+4 || a.Greeting != "hola from e2e" {
		t.Fatalf("after the code change: %+v (the count must go on: redis keeps its data)", a)
	}
	if uid := claimUID(t, app, "data-counter-redis-0"); uid != claim {
		t.Fatalf("the redis volume claim was replaced: %s, was %s", uid, claim)
	}
}

// The task API stores tasks in MongoDB (with SCRAM authentication): a task
// posted before a code change is still listed after it.
func TestExampleFlaskMongo(t *testing.T) {
	const app = "tasks"
	freshNamespace(t, app)
	dir := appDir(t, "python-flask-mongo", nil)
	rep := deployOK(t, dir)
	record(app, "first deploy", rep.Seconds)
	var none []struct{ ID, Task string }
	firstJSON(t, rep.URL+"/", &none)
	status, body := request(t, http.MethodPost, rep.URL+"/", `{"task": "buy milk"}`)
	if status != 201 || !strings.Contains(body, `"buy milk"`) {
		t.Fatalf("POST /: HTTP %d: %s", status, body)
	}
	var tasks []struct{ ID, Task string }
	getJSON(t, rep.URL+"/", &tasks)
	if len(tasks) != 1 || tasks[0].Task != "buy milk" {
		t.Fatalf("GET /: %+v", tasks)
	}
	var about struct {
		Greeting string `json:"greeting"`
		Version  int    `json:"version"`
	}
	getJSON(t, rep.URL+"/about", &about)
	if about.Greeting != "hello" {
		t.Fatalf("GET /about: %+v", about)
	}

	envSet(t, dir, "GREETING=bonjour")
	getJSON(t, rep.URL+"/about", &about)
	if about.Greeting != "bonjour" {
		t.Fatalf("after env set: %+v", about)
	}

	rep2 := redeployUnchanged(t, app, dir)

	edit(t, dir, "app.py", `jsonify({"app": "tasks",`, `jsonify({"version": 2, "app": "tasks",`)
	rep3 := redeployChanged(t, app, dir, rep2)
	getJSON(t, rep3.URL+"/about", &about)
	if about.Version != 2 || about.Greeting != "bonjour" {
		t.Fatalf("after the code change: %+v", about)
	}
	getJSON(t, rep3.URL+"/", &tasks)
	if len(tasks) != 1 || tasks[0].Task != "buy milk" {
		t.Fatalf("after the code change, the task is gone: %+v", tasks)
	}
}

// The node and go apps answer with GREETING.
func TestExampleNodeExpress(t *testing.T) {
	helloApp(t, "node-express", "server.js", "from node-express`", "from node-express v2`")
}

func TestExampleGoHTTP(t *testing.T) {
	helloApp(t, "go-http", "main.go", `" from go-http"`, `" from go-http v2"`)
}

func helloApp(t *testing.T, app, file, old, new string) {
	freshNamespace(t, app)
	dir := appDir(t, app, nil)
	rep := deployOK(t, dir)
	record(app, "first deploy", rep.Seconds)
	var msg struct{ Message string }
	getJSON(t, rep.URL+"/", &msg)
	if msg.Message != "hello from "+app {
		t.Fatalf("GET /: %+v", msg)
	}
	envSet(t, dir, "GREETING=hi")
	getJSON(t, rep.URL+"/", &msg)
	if msg.Message != "hi from "+app {
		t.Fatalf("after env set: %+v", msg)
	}
	rep2 := redeployUnchanged(t, app, dir)
	edit(t, dir, file, old, new)
	rep3 := redeployChanged(t, app, dir, rep2)
	getJSON(t, rep3.URL+"/", &msg)
	if want := fmt.Sprintf("hi from %s v2", app); msg.Message != want {
		t.Fatalf("after the code change: %q, want %q", msg.Message, want)
	}
}
