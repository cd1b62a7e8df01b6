package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
	"github.com/cupaas/cupaas/pkg/run"
)

// cluster is a run.Runner whose tools answer at once: a cluster that runs
// the app, keeps its release records, and whose node has every image.
type withRecords struct {
	url string
	mu  sync.Mutex
	// recs are the stored records' Secrets, by name.
	recs  map[string]json.RawMessage
	calls []string
}

func newWithRecords(t testing.TB, url string, recs ...release.Record) *withRecords {
	c := &withRecords{url: url, recs: map[string]json.RawMessage{}}
	store := release.Store{App: "counter", Namespace: "counter"}
	for _, r := range recs {
		sec, err := store.Secret(r)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(sec)
		c.recs[sec.Name] = data
	}
	return c
}

func (c *withRecords) LookPath(name string) (string, error) { return "/bin/" + name, nil }

func (c *withRecords) Run(_ context.Context, cmd run.Cmd) ([]byte, error) {
	line := run.CommandLine(cmd.Argv)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, line)
	switch {
	case strings.HasPrefix(line, "minikube status"):
		return []byte(`{"Host":"Running","Kubelet":"Running","APIServer":"Running"}`), nil
	case strings.HasPrefix(line, "minikube image ls"):
		var images []string
		for _, data := range c.recs {
			var sec struct {
				Data map[string][]byte `json:"data"`
			}
			json.Unmarshal(data, &sec)
			var r release.Record
			json.Unmarshal(sec.Data["release.json"], &r)
			images = append(images, "docker.io/"+r.Image)
		}
		return []byte(strings.Join(images, "\n")), nil
	case strings.Contains(line, "--field-manager="+release.FieldManager):
		data, _ := io.ReadAll(cmd.Stdin)
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		json.Unmarshal(data, &list)
		for _, it := range list.Items {
			var m struct {
				Type     string                `json:"type"`
				Metadata struct{ Name string } `json:"metadata"`
			}
			json.Unmarshal(it, &m)
			if m.Type == release.SecretType {
				c.recs[m.Metadata.Name] = it
			}
		}
		return nil, nil
	case strings.Contains(line, ",cupaas.dev/release -o json"):
		names := make([]string, 0, len(c.recs))
		for n := range c.recs {
			names = append(names, n)
		}
		sort.Strings(names)
		var items []string
		for _, n := range names {
			items = append(items, string(c.recs[n]))
		}
		return []byte(`{"items":[` + strings.Join(items, ",") + `]}`), nil
	case strings.Contains(line, " delete secret "):
		for _, a := range cmd.Argv {
			delete(c.recs, a)
		}
		return nil, nil
	case strings.Contains(line, " get "):
		return []byte(`{"items":[]}`), nil
	case strings.HasPrefix(line, "minikube service"):
		if cmd.Stdout != nil {
			cmd.Stdout.Write([]byte(c.url + "\n"))
		}
		return []byte(c.url + "\n"), nil
	}
	if cmd.Stdin != nil {
		io.Copy(io.Discard, cmd.Stdin)
	}
	return nil, nil
}

const counterConfig = "name: counter\nruntime: python:3.11\nentrypoint: [python, app.py]\nport: 8000\nhealthcheck: /health\n"

func twoReleases() []release.Record {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return []release.Record{
		{Version: 1, Time: t0, Kind: release.KindDeploy, Image: "cupaas/counter:111111111111", Tag: "111111111111", Commit: "aaaa", ConfigFile: ".cupaas.yml", Config: counterConfig, Status: release.Succeeded, Env: map[string]string{"API_KEY": "old-secret"}},
		{Version: 2, Time: t0.Add(time.Minute), Kind: release.KindDeploy, Image: "cupaas/counter:222222222222", Tag: "222222222222", Commit: "bbbb", ConfigFile: ".cupaas.yml", Config: counterConfig, Status: release.Succeeded, Env: map[string]string{"API_KEY": "new-secret", "DEBUG": "1"}},
	}
}

// A rollback puts back the recorded image, config and settings with no
// build and no image load (the node has the image), records "rollback to
// v1", and makes the app directory's .cupaas.env and state follow.
func TestRollbackNoBuild(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(t, map[string]string{".cupaas.yml": counterConfig, ".cupaas.env": "API_KEY=new-secret\nDEBUG=1\n", "app.py": "print(1)\n", "requirements.txt": "flask\n"})
	c := newWithRecords(t, srv.URL, twoReleases()...)
	ios, _, _, errOut := iostreams.Test()
	rep, _, err := Rollback(context.Background(), RollbackOptions{Options: Options{IO: ios, Runner: c, Dir: dir, SettleDelay: time.Millisecond, PollInterval: time.Millisecond}, App: "counter"})
	if err != nil {
		t.Fatalf("Rollback: %v\n%s", err, errOut)
	}
	if rep.Image != "cupaas/counter:111111111111" || rep.Release != 3 || rep.URL != srv.URL {
		t.Fatalf("report: %+v", rep)
	}
	for _, l := range c.calls {
		if strings.HasPrefix(l, "docker build") || strings.HasPrefix(l, "minikube image load") {
			t.Fatalf("rollback ran %s", l)
		}
	}
	recs, err := release.Parse(c.list())
	if err != nil || len(recs) != 3 || recs[0].Summary() != "rollback to v1" || recs[0].Status != release.Succeeded || recs[0].Env["API_KEY"] != "old-secret" {
		t.Fatalf("records: %+v, %v", recs, err)
	}
	env, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env"))
	if string(env) != "API_KEY=old-secret\n" {
		t.Fatalf(".cupaas.env after the rollback: %q", env)
	}
	st, _ := os.ReadFile(filepath.Join(dir, ".cupaas", "state.json"))
	if !strings.Contains(string(st), `"image": "cupaas/counter:111111111111"`) {
		t.Fatalf("state after the rollback:\n%s", st)
	}
	if strings.Contains(errOut.String(), "secret") {
		t.Fatalf("a value was printed:\n%s", errOut)
	}
}

func (c *withRecords) list() []byte {
	out, _ := c.Run(context.Background(), run.Cmd{Argv: kubectl.Client{Context: "minikube"}.Argv(release.Store{App: "counter", Namespace: "counter"}.ListArgs()...)})
	return out
}

// BenchmarkRollback measures cupaas' own work in a rollback, the tools
// answering instantly: read the records, render the release's objects,
// write two records, prune, save .cupaas.env and the state. Each rollback
// goes back to the release before the one that runs.
func BenchmarkRollback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := writeApp(b, map[string]string{".cupaas.yml": counterConfig, "app.py": "print(1)\n", "requirements.txt": "flask\n"})
	c := newWithRecords(b, srv.URL, twoReleases()...)
	ios, _, _, _ := iostreams.Test()
	opts := RollbackOptions{Options: Options{IO: ios, Runner: c, Dir: dir, SettleDelay: time.Nanosecond, PollInterval: time.Millisecond}, App: "counter"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Rollback(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// The target of a rollback: the release before the current one by
// default; a missing, failed or current release is refused with the list.
func TestPickTarget(t *testing.T) {
	recs := []release.Record{
		{Version: 4, Status: release.Failed, Kind: release.KindDeploy},
		{Version: 3, Status: release.Succeeded, Kind: release.KindDeploy},
		{Version: 2, Status: release.Failed, Kind: release.KindDeploy},
		{Version: 1, Status: release.Succeeded, Kind: release.KindDeploy},
	}
	if tg, cur, err := pickTarget(recs, 0, "shop", "minikube"); err != nil || tg.Version != 1 || cur.Version != 3 {
		t.Fatalf("default target: %+v %+v %v", tg, cur, err)
	}
	for to, want := range map[int]string{3: "release v3 is the one that runs; nothing to do", 2: "release v2 failed; roll back to a release that succeeded", 9: "app shop has no release v9 (kept: v1–v4)"} {
		if _, _, err := pickTarget(recs, to, "shop", "minikube"); err == nil || err.Error() != want {
			t.Errorf("rollback v%d: %v, want %q", to, err, want)
		}
	}
	if _, _, err := pickTarget(nil, 0, "shop", "minikube"); err == nil || !strings.Contains(err.Error(), "has no recorded release in context minikube") {
		t.Errorf("no release: %v", err)
	}
	if _, _, err := pickTarget(recs[2:], 0, "shop", "minikube"); err == nil || !strings.Contains(err.Error(), "no earlier release that succeeded") {
		t.Errorf("nothing before: %v", err)
	}
}

// Services are never rolled back: the rollback says so when they differ.
func TestServicesDiffer(t *testing.T) {
	cur := &release.Record{Version: 3, Services: []string{"redis:7", "postgresql:15"}}
	if w := servicesDiffer(release.Record{Version: 1, Services: []string{"redis:7"}}, cur); w != "services are never rolled back: v1 had redis:7, v3 has redis:7, postgresql:15; the services that run stay as they are, with their data" {
		t.Fatal(w)
	}
	if w := servicesDiffer(release.Record{Version: 2, Services: []string{"redis:7", "postgresql:15"}}, cur); w != "" {
		t.Fatal(w)
	}
}

// Before the release Job, a Service created a moment ago is given the rest
// of serviceRouteGrace, so that the cluster routes its address.
func TestWaitServicesRouted(t *testing.T) {
	created := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	answer := `{"items":[{"metadata":{"name":"counter-redis","creationTimestamp":"` + created.Format(time.RFC3339) + `"}}]}`
	for _, tt := range []struct {
		age  time.Duration
		want string
	}{
		{serviceRouteGrace - 200*time.Millisecond, "the services are new: waiting 200ms for the cluster to route their addresses"},
		{time.Minute, ""},
	} {
		r := &cannedRunner{out: answer}
		var logged []string
		s := stepIO{Log: func(l string) { logged = append(logged, l) }}
		s.Runner = r
		a := app.New(kubectl.Client{Runner: r, Context: "minikube"}, "counter", cluster.For("").Hints())
		start := time.Now()
		if err := waitServicesRouted(context.Background(), s, a, Options{Now: func() time.Time { return created.Add(tt.age) }}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(logged, "\n"); got != tt.want {
			t.Errorf("age %s: logged %q, want %q", tt.age, got, tt.want)
		}
		if tt.want == "" && time.Since(start) > 100*time.Millisecond {
			t.Errorf("age %s: waited %s", tt.age, time.Since(start))
		}
	}
}

type cannedRunner struct{ out string }

func (c *cannedRunner) LookPath(name string) (string, error) { return name, nil }
func (c *cannedRunner) Run(context.Context, run.Cmd) ([]byte, error) {
	return []byte(c.out), nil
}
