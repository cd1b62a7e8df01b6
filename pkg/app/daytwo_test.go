package app

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

func TestShortPodName(t *testing.T) {
	pod := func(name, comp string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{render.LabelComponent: comp}}}
	}
	for _, tc := range []struct {
		pod  corev1.Pod
		want string
	}{
		{pod("shop-7b54b69c95-2ccjw", "app"), "app/2ccjw"},
		{pod("shop-redis-0", "redis"), "redis/0"},
		{pod("shop-run-x7k2p", "run"), "run/x7k2p"},
		{pod("odd", ""), "pod/odd"},
	} {
		if got := ShortPodName("shop", tc.pod); got != tc.want {
			t.Errorf("ShortPodName(%s) = %q, want %q", tc.pod.Name, got, tc.want)
		}
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(s string) { got = append(got, s) }}
	w.Write([]byte("one\r\ntw"))
	w.Write([]byte("o\nthr"))
	w.flush()
	if !reflect.DeepEqual(got, []string{"one", "two", "thr"}) {
		t.Fatalf("lines = %q", got)
	}
	got = nil
	w.Write([]byte(strings.Repeat("x", maxLine+10)))
	if len(got) != 1 || len(got[0]) != maxLine+10 {
		t.Fatalf("a line over maxLine was not emitted in a piece: %d pieces", len(got))
	}
}

func TestSplitTimestamp(t *testing.T) {
	at, text := splitTimestamp("2026-12-02T10:00:01.123456789Z hello world")
	if at != "2026-12-02T10:00:01.123456789Z" || text != "hello world" {
		t.Fatalf("split = %q %q", at, text)
	}
	if at, text := splitTimestamp("no stamp here"); at != "" || text != "no stamp here" {
		t.Fatalf("a line without a timestamp: %q %q", at, text)
	}
}

func podList(t *testing.T, pods ...corev1.Pod) string {
	t.Helper()
	data, err := json.Marshal(corev1.PodList{Items: pods})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func appPod(name, uid string, restarts int32, running bool) corev1.Pod {
	st := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	if running {
		st = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(uid), Labels: map[string]string{render.LabelComponent: "app"}},
		Status:     corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: restarts, State: st}}},
	}
}

func cluster0() cluster.Hints { return cluster.Hints{} }

// FollowLogs picks up a container that starts later and a restarted one
// (from its first line), stops the stream of a pod that is gone, and
// never starts a stream twice.
func TestFollowLogs(t *testing.T) {
	f := runtest.New(t)
	listArgs := []string{"kubectl", "--context", "c", "-n", "shop", "get", "pods", "-l", Selector("shop", ""), "-o", "json"}
	// Poll 1: a is running, b is being created. Poll 2: b runs. Poll 3:
	// a restarted. Then: a is gone.
	f.Stub(listArgs...).Stdout(podList(t, appPod("shop-1-aaaaa", "a", 0, true), appPod("shop-1-bbbbb", "b", 0, false)))
	f.Stub(listArgs...).Stdout(podList(t, appPod("shop-1-aaaaa", "a", 0, true), appPod("shop-1-bbbbb", "b", 0, true)))
	f.Stub(listArgs...).Stdout(podList(t, appPod("shop-1-aaaaa", "a", 1, true), appPod("shop-1-bbbbb", "b", 0, true)))
	f.Stub(listArgs...).Times(0).Stdout(podList(t, appPod("shop-1-bbbbb", "b", 0, true)))

	aStopped := make(chan struct{})
	var once sync.Once
	// a's first run: the initial tail; it goes on until cancelled.
	f.Stub("kubectl", "--context", "c", "-n", "shop", "logs", "shop-1-aaaaa", "-c", "app", "--timestamps", "-f", "--since=1m0s", "--tail=5").
		Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
			if !cmd.Stream {
				t.Error("a log stream that is kept in memory")
			}
			fmt.Fprint(cmd.Stdout, "2026-12-02T10:00:00.000000000Z a first run\n")
			<-ctx.Done()
			return nil, ctx.Err()
		})
	// a's second run (after its restart), from its first line; then
	// the pod goes and its stream is cancelled.
	f.Stub("kubectl", "--context", "c", "-n", "shop", "logs", "shop-1-aaaaa", "-c", "app", "--timestamps", "-f").
		Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
			fmt.Fprint(cmd.Stdout, "2026-12-02T10:00:02.000000000Z a second run\n")
			<-ctx.Done()
			once.Do(func() { close(aStopped) })
			return nil, ctx.Err()
		})
	f.Stub("kubectl", "--context", "c", "-n", "shop", "logs", "shop-1-bbbbb", "-c", "app", "--timestamps", "-f").
		Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
			fmt.Fprint(cmd.Stdout, "2026-12-02T10:00:01.000000000Z b starts\npartial")
			return nil, nil // b's container ended: its stream is not started again
		})

	a := New(kubectl.Client{Runner: f, Context: "c"}, "shop", cluster0())
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var lines []string
	done := make(chan error)
	go func() {
		done <- a.FollowLogs(ctx, LogOptions{Since: time.Minute, Tail: 5, Poll: 20 * time.Millisecond}, func(l LogLine) {
			mu.Lock()
			lines = append(lines, l.Short+" "+l.Text)
			mu.Unlock()
		}, func(n string) { t.Errorf("note: %s", n) })
	}()
	select {
	case <-aStopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream of the pod that is gone was not stopped")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("FollowLogs = %v, want nil after cancel", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{"app/aaaaa a first run": true, "app/bbbbb b starts": true, "app/bbbbb partial": true, "app/aaaaa a second run": true}
	if len(lines) != len(want) {
		t.Fatalf("lines = %q", lines)
	}
	for _, l := range lines {
		if !want[l] {
			t.Fatalf("unexpected line %q in %q", l, lines)
		}
	}
}

func TestOneOffPod(t *testing.T) {
	no := false
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	dep.Spec.Template.Spec = corev1.PodSpec{
		AutomountServiceAccountToken: &no,
		Containers: []corev1.Container{{
			Name: "app", Image: "cupaas/shop:abc", ImagePullPolicy: corev1.PullNever,
			Args:           []string{"serve"},
			Env:            []corev1.EnvVar{{Name: "PORT", Value: "8000"}, {Name: "PGPASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-postgresql"}, Key: "POSTGRES_PASSWORD"}}}},
			EnvFrom:        []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-env"}}}},
			Ports:          []corev1.ContainerPort{{ContainerPort: 8000}},
			ReadinessProbe: &corev1.Probe{},
		}},
	}
	pod, err := OneOffPod(dep, "shop", "shop-run-abcde", []string{"python", "manage.py", "migrate"}, true)
	if err != nil {
		t.Fatal(err)
	}
	c := pod.Spec.Containers[0]
	if !reflect.DeepEqual(c.Command, []string{"python", "manage.py", "migrate"}) || c.Args != nil {
		t.Errorf("command %q args %q", c.Command, c.Args)
	}
	if c.Image != "cupaas/shop:abc" || c.ImagePullPolicy != corev1.PullNever || !c.Stdin || !c.StdinOnce || !c.TTY {
		t.Errorf("container %+v", c)
	}
	if !reflect.DeepEqual(c.Env, dep.Spec.Template.Spec.Containers[0].Env) || !reflect.DeepEqual(c.EnvFrom, dep.Spec.Template.Spec.Containers[0].EnvFrom) {
		t.Errorf("env not copied as references: %+v %+v", c.Env, c.EnvFrom)
	}
	if c.ReadinessProbe != nil || len(c.Ports) != 0 {
		t.Errorf("a one-off pod got probes or ports: %+v", c)
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever || pod.Labels[render.LabelComponent] != ComponentRun || pod.Labels[render.LabelInstance] != "shop" || pod.Labels[render.LabelManagedBy] != render.ManagedBy {
		t.Errorf("pod %+v", pod.ObjectMeta)
	}
	a := New(kubectl.Client{Context: "c"}, "shop", cluster0())
	args, err := a.RunArgs(pod, false, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	if !strings.Contains(joined, `"secretKeyRef":{"name":"shop-postgresql","key":"POSTGRES_PASSWORD"}`) || strings.Contains(joined, " -t") {
		t.Errorf("run args: %s", joined)
	}
	if n := a.OneOffName(); !strings.HasPrefix(n, "shop-run-") || len(n) != len("shop-run-abcde") {
		t.Errorf("OneOffName = %q", n)
	}
	long := New(kubectl.Client{Context: "c"}, strings.Repeat("a", 60), cluster0())
	if n := long.OneOffName(); len(n) > 63 {
		t.Errorf("OneOffName is %d long", len(n))
	}
}

func TestPlanDestroy(t *testing.T) {
	f := runtest.New(t)
	sel := Selector("shop", "")
	k := func(args ...string) []string { return append([]string{"kubectl", "--context", "c"}, args...) }
	f.Stub(k("-n", "shop", "get", destroyKinds, "-l", sel, "-o", "name")...).Stdout("deployment.apps/shop\nservice/shop\n")
	f.Stub(k("-n", "shop", "get", "pods", "-l", Selector("shop", ComponentRun), "-o", "name")...).Stdout("pod/shop-run-abcde\n")
	f.StubPattern(`get secrets -l .* -o 'jsonpath=`).Stdout("shop-env\tapp\nshop-redis\tredis\nshop-postgresql\tpostgresql\nshop-release-7\trelease\nother-redis\tredis\n")
	f.Stub(k("-n", "shop", "get", "persistentvolumeclaims", "-l", sel, "-o", "json")...).Stdout(`{"items":[{"metadata":{"name":"data-shop-redis-0","labels":{"app.kubernetes.io/component":"redis"}},"spec":{"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Pending"}}]}`)
	a := New(kubectl.Client{Runner: f, Context: "c"}, "shop", cluster0())
	p, err := a.PlanDestroy(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"deployment.apps/shop", "pod/shop-run-abcde", "secret/other-redis", "secret/shop-env", "secret/shop-release-7", "service/shop"}; !reflect.DeepEqual(p.Delete, want) {
		t.Errorf("Delete = %q, want %q", p.Delete, want)
	}
	if want := []string{"secret/shop-redis", "secret/shop-postgresql"}; !reflect.DeepEqual(p.ServiceSecrets, want) {
		t.Errorf("ServiceSecrets = %q", p.ServiceSecrets)
	}
	if want := []Claim{{Name: "data-shop-redis-0", Service: "redis", Size: "1Gi", Status: "Pending"}}; !reflect.DeepEqual(p.Claims, want) {
		t.Errorf("Claims = %+v", p.Claims)
	}
	if !p.KeptData() || p.DeleteNamespace {
		t.Errorf("plan %+v", p)
	}
	for _, c := range f.Calls() {
		if strings.Contains(c.Line(), "secrets") && strings.Contains(c.Line(), "-o json") {
			t.Errorf("Secrets read with their values: %s", c.Line())
		}
	}
}

func TestNamespaceForeign(t *testing.T) {
	for _, tc := range []struct {
		ns, others, want string
	}{
		{`{"metadata":{"labels":{"app.kubernetes.io/managed-by":"cupaas","app.kubernetes.io/instance":"shop"}}}`, "configmap/kube-root-ca.crt\n", ""},
		{`{"metadata":{"labels":{"app.kubernetes.io/managed-by":"cupaas","app.kubernetes.io/instance":"other"}}}`, "", "cupaas did not create namespace shop"},
		{`{"metadata":{}}`, "", "cupaas did not create namespace shop"},
		{`{"metadata":{"labels":{"app.kubernetes.io/managed-by":"cupaas","app.kubernetes.io/instance":"shop"}}}`, "configmap/kube-root-ca.crt\ndeployment.apps/mine\n", "namespace shop holds objects cupaas did not make (deployment.apps/mine)"},
	} {
		f := runtest.New(t)
		f.Stub("kubectl", "--context", "c", "get", "namespace", "shop", "-o", "json").Stdout(tc.ns)
		if tc.others != "" || tc.want == "" {
			f.Stub("kubectl", "--context", "c", "-n", "shop", "get", foreignKinds, "-l", "app.kubernetes.io/managed-by!=cupaas", "-o", "name").Stdout(tc.others)
		}
		a := New(kubectl.Client{Runner: f, Context: "c"}, "shop", cluster0())
		got, err := a.namespaceForeign(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("namespaceForeign(%s, %q) = %q, want %q", tc.ns, tc.others, got, tc.want)
		}
	}
}

// A stream that fails before printing anything (the container was not
// ready for kubectl yet) is tried again at the next poll, with the same
// tail.
func TestFollowLogsRetriesAnEmptyFailure(t *testing.T) {
	f := runtest.New(t)
	f.StubPattern(`get pods`).Times(0).Stdout(podList(t, appPod("shop-1-aaaaa", "a", 0, true)))
	logs := []string{"kubectl", "--context", "c", "-n", "shop", "logs", "shop-1-aaaaa", "-c", "app", "--timestamps", "-f", "--tail=3"}
	f.Stub(logs...).Stderr("Error from server (BadRequest): container \"app\" in pod \"shop-1-aaaaa\" is waiting to start: ContainerCreating\n").Exit(1)
	got := make(chan string, 1)
	f.Stub(logs...).Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
		fmt.Fprint(cmd.Stdout, "2026-12-02T10:00:00.000000000Z up\n")
		<-ctx.Done()
		return nil, ctx.Err()
	})
	a := New(kubectl.Client{Runner: f, Context: "c"}, "shop", cluster0())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- a.FollowLogs(ctx, LogOptions{Tail: 3, Poll: 10 * time.Millisecond}, func(l LogLine) { got <- l.Text }, func(string) {})
	}()
	select {
	case l := <-got:
		if l != "up" {
			t.Errorf("line %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream was not tried again")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
