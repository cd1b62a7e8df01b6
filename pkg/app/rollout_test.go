package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// The pods in testdata/pods are `kubectl get pods -o json` documents as a
// v1.32 cluster (minikube, docker driver) prints them for the app tasks;
// testdata/events holds the matching `kubectl get events -o json`.

// The rendered pod template of the current rollout of tasks.
const (
	curHash  = "4e7b1c9a0d3f5a62"
	curImage = "cupaas/tasks:3f2a9c1b7e4d"
)

// kc is the start of every kubectl argv the app runs.
var kc = []string{"kubectl", "--context", "minikube", "-n", "tasks"}

func kube(args ...string) []string { return append(append([]string{}, kc...), args...) }

var hints = cluster.For("minikube").Hints()

func newApp(f *runtest.Fake) *App {
	return New(kubectl.Client{Runner: f, Context: "minikube"}, "tasks", hints)
}

func template(hash, container, image string) corev1.PodTemplateSpec {
	var tmpl corev1.PodTemplateSpec
	if hash != "" {
		tmpl.Annotations = map[string]string{render.AnnotationConfigHash: hash}
	}
	tmpl.Spec.Containers = []corev1.Container{{Name: container, Image: image}}
	return tmpl
}

// appWorkload is the app's Deployment as deploy renders it.
func appWorkload(hash, image string) Workload {
	return NewWorkload("deployment/tasks", render.ComponentApp, true, template(hash, render.AppContainer, image))
}

// postgresWorkload is the postgresql StatefulSet: its pod template has no
// config hash.
func postgresWorkload(image string) Workload {
	return NewWorkload("statefulset/tasks-postgresql", "postgresql", false, template("", "postgresql", image))
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// stubPods serves testdata/pods/file to the pod listing of component.
func stubPods(t *testing.T, f *runtest.Fake, component, file string) *runtest.Stub {
	return f.Stub(kube("get", "pods", "-l", "app.kubernetes.io/instance=tasks,app.kubernetes.io/managed-by=cupaas,app.kubernetes.io/component="+component, "-o", "json")...).
		Stdout(readTestdata(t, filepath.Join("pods", file)))
}

func stubEvents(t *testing.T, f *runtest.Fake, pod, file string) {
	f.Stub(kube("get", "events", "--field-selector", "involvedObject.name="+pod, "-o", "json")...).
		Stdout(readTestdata(t, filepath.Join("events", file)))
}

func stubLogs(f *runtest.Fake, pod, container string, previous bool, log string) {
	args := []string{"logs", pod, "-c", container, "--tail", "20"}
	if previous {
		args = append(args, "--previous")
	}
	f.Stub(kube(args...)...).Stdout(log)
}

func stubListening(f *runtest.Fake, pod string) *runtest.Stub {
	return f.Stub(kube("exec", pod, "-c", "app", "--", "cat", "/proc/net/tcp", "/proc/net/tcp6")...)
}

// loadPods lists the pods of component through App.Pods, as WaitRollout
// does.
func loadPods(t *testing.T, a *App, component string) []corev1.Pod {
	t.Helper()
	pods, err := a.Pods(context.Background(), component)
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

func wantDetails(t *testing.T, d *Diagnosis, want []string) {
	t.Helper()
	if !reflect.DeepEqual(d.Details, want) {
		t.Errorf("details:\n%s\nwant:\n%s", strings.Join(d.Details, "\n"), strings.Join(want, "\n"))
	}
}

func wantError(t *testing.T, d *Diagnosis, want string) {
	t.Helper()
	if d == nil {
		t.Fatalf("no diagnosis, want %q", want)
	}
	if d.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", d.Error(), want)
	}
}

const (
	crashPod = "tasks-7c9d8b6f4d-x2v9q"
	// crashLog is what `kubectl logs --previous` prints for it.
	crashLog = `Traceback (most recent call last):
  File "/app/app.py", line 4, in <module>
    from settings import DATABASE_URL
  File "/app/settings.py", line 3, in <module>
    DATABASE_URL = os.environ["DATABASE_URL"]
                   ~~~~~~~~~~^^^^^^^^^^^^^^^^
  File "<frozen os>", line 679, in __getitem__
KeyError: 'DATABASE_URL'
`
	crashError = "pod tasks-7c9d8b6f4d-x2v9q is in CrashLoopBackOff: container app exits with exit code 1 right after it starts (3 restarts)"
)

var crashDetails = []string{
	"Last 20 lines of its log (the run that failed):",
	"  Traceback (most recent call last):",
	`    File "/app/app.py", line 4, in <module>`,
	"      from settings import DATABASE_URL",
	`    File "/app/settings.py", line 3, in <module>`,
	`      DATABASE_URL = os.environ["DATABASE_URL"]`,
	"                     ~~~~~~~~~~^^^^^^^^^^^^^^^^",
	`    File "<frozen os>", line 679, in __getitem__`,
	"  KeyError: 'DATABASE_URL'",
	"Termination message:",
	"  settings: DATABASE_URL is not set",
	"Fix the error in the log above, then run `cupaas deploy` again.",
	"Recent events:",
	"  Normal Scheduled: Successfully assigned tasks/tasks-7c9d8b6f4d-x2v9q to minikube",
	`  Normal Pulled: Container image "cupaas/tasks:3f2a9c1b7e4d" already present on machine`,
	"  Normal Created: Created container: app",
	"  Normal Started: Started container app",
	"  Warning BackOff: Back-off restarting failed container app in pod tasks-7c9d8b6f4d-x2v9q_tasks(0c5e7a21-3f9b-4d82-a6e4-91b7c2d05f38)",
}

func stubCrashLoop(t *testing.T, f *runtest.Fake) {
	stubPods(t, f, "app", "crashloop.json")
	stubLogs(f, crashPod, "app", true, crashLog)
	stubEvents(t, f, crashPod, "crashloop.json")
}

func TestDiagnoseCrashLoopBackOff(t *testing.T) {
	f := runtest.New(t)
	stubCrashLoop(t, f)
	a := newApp(f)
	d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), loadPods(t, a, "app"), false, time.Now())
	wantError(t, d, crashError)
	wantDetails(t, d, crashDetails)
}

func TestDiagnoseOOMKilled(t *testing.T) {
	const pod = "tasks-5d8f7b9c6e-k4m2p"
	f := runtest.New(t)
	stubPods(t, f, "app", "oomkilled.json")
	stubLogs(f, pod, "app", true, "INFO:tasks:loading the index\nINFO:tasks:indexed 100000 of 2400000 rows\nINFO:tasks:indexed 200000 of 2400000 rows\n")
	stubEvents(t, f, pod, "oomkilled.json")
	a := newApp(f)
	d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), loadPods(t, a, "app"), false, time.Now())
	wantError(t, d, "pod tasks-5d8f7b9c6e-k4m2p: container app ran out of memory (OOMKilled, its memory limit of 128Mi): raise resources.memory in .cupaas.yml")
	wantDetails(t, d, []string{
		"Last 20 lines of its log (the run that failed):",
		"  INFO:tasks:loading the index",
		"  INFO:tasks:indexed 100000 of 2400000 rows",
		"  INFO:tasks:indexed 200000 of 2400000 rows",
		"Recent events:",
		"  Normal Scheduled: Successfully assigned tasks/tasks-5d8f7b9c6e-k4m2p to minikube",
		`  Normal Pulled: Container image "cupaas/tasks:3f2a9c1b7e4d" already present on machine`,
		"  Normal Created: Created container: app",
		"  Normal Started: Started container app",
		"  Warning BackOff: Back-off restarting failed container app in pod tasks-5d8f7b9c6e-k4m2p_tasks(7f3a9e10-62c4-4b8d-b1e5-0a9c3d7f2e46)",
	})
}

func TestDiagnoseImagePullBackOff(t *testing.T) {
	const pod = "tasks-postgresql-0"
	f := runtest.New(t)
	stubPods(t, f, "postgresql", "imagepullbackoff.json")
	stubEvents(t, f, pod, "imagepullbackoff.json") // no log: the container never ran
	a := newApp(f)
	d := a.Diagnose(context.Background(), postgresWorkload("postgres:99"), loadPods(t, a, "postgresql"), false, time.Now())
	wantError(t, d, "pod tasks-postgresql-0: the cluster cannot pull image postgres:99 (ImagePullBackOff): check that the version in .cupaas.yml exists and that the cluster can reach the registry")
	// Six events: the last five by time are shown, the scheduler's
	// (which has no lastTimestamp) is the oldest.
	wantDetails(t, d, []string{
		"Recent events:",
		`  Normal Pulling: Pulling image "postgres:99"`,
		`  Warning Failed: Failed to pull image "postgres:99": Error response from daemon: manifest for postgres:99 not found: manifest unknown: manifest unknown`,
		"  Warning Failed: Error: ErrImagePull",
		`  Normal BackOff: Back-off pulling image "postgres:99"`,
		"  Warning Failed: Error: ImagePullBackOff",
	})
}

func TestDiagnoseErrImageNeverPull(t *testing.T) {
	const pod = "tasks-6b4c9d8e7f-r7w5t"
	f := runtest.New(t)
	stubPods(t, f, "app", "errimageneverpull.json")
	stubEvents(t, f, pod, "errimageneverpull.json")
	a := newApp(f)
	d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), loadPods(t, a, "app"), false, time.Now())
	if hints.ImageNotOnNode == "" {
		t.Fatal("minikube has no ImageNotOnNode hint")
	}
	wantError(t, d, "pod tasks-6b4c9d8e7f-r7w5t: image cupaas/tasks:3f2a9c1b7e4d is not on the cluster's node (ErrImageNeverPull): "+hints.ImageNotOnNode)
	wantDetails(t, d, []string{
		"Recent events:",
		"  Normal Scheduled: Successfully assigned tasks/tasks-6b4c9d8e7f-r7w5t to minikube",
		`  Warning ErrImageNeverPull: Container image "cupaas/tasks:3f2a9c1b7e4d" is not present with pull policy of Never`,
		"  Warning Failed: Error: ErrImageNeverPull",
	})
}

// The postgresql pod has been unschedulable since 10:55:40 (its condition's
// lastTransitionTime): its claim is not bound.
func TestDiagnoseUnschedulableClaim(t *testing.T) {
	at := func(hms string) time.Time {
		tm, err := time.Parse(time.RFC3339, "2025-03-14T"+hms+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	if hints.NoStorage == "" {
		t.Fatal("minikube has no NoStorage hint")
	}
	const pod = "tasks-postgresql-0"
	for _, tc := range []struct {
		name       string
		start, now string
		final      bool
		reported   bool
	}{
		{"within the grace of its transition", "10:55:38", "10:55:50", false, false},
		{"past the grace of its transition", "10:55:38", "10:56:11", false, true},
		{"rollout ended", "10:55:38", "10:55:50", true, true},
		// Unschedulable before this rollout began: the grace counts from
		// the start, since it may have become schedulable meanwhile.
		{"started recently", "10:58:00", "10:58:20", false, false},
		{"past the grace of the start", "10:58:00", "10:58:31", false, true},
		{"started recently, rollout ended", "10:58:00", "10:58:05", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := runtest.New(t)
			stubPods(t, f, "postgresql", "unschedulable_pvc.json")
			if tc.reported {
				stubEvents(t, f, pod, "unschedulable_pvc.json")
			}
			a := newApp(f)
			a.Now = func() time.Time { return at(tc.now) }
			d := a.Diagnose(context.Background(), postgresWorkload("postgres:17"), loadPods(t, a, "postgresql"), tc.final, at(tc.start))
			if !tc.reported {
				if d != nil {
					t.Fatalf("reported within the grace: %v", d)
				}
				return
			}
			wantError(t, d, "pod tasks-postgresql-0 is Pending: its PersistentVolumeClaim is not bound; "+hints.NoStorage)
			wantDetails(t, d, []string{
				"Recent events:",
				"  Warning FailedScheduling: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
			})
		})
	}
}

const (
	notReadyPod   = "tasks-84f6d7c5b9-hq8zn"
	notReadyError = "pod tasks-84f6d7c5b9-hq8zn runs but never becomes ready: GET /healthz on port 8000 fails"
	procNetHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	procNet6Empty = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	flaskLog      = ` * Serving Flask app 'app'
 * Debug mode: off
WARNING: This is a development server. Do not use it in a production deployment. Use a production WSGI server instead.
 * Running on http://127.0.0.1:8000
Press CTRL+C to quit
`
)

var notReadyEvents = []string{
	"Recent events:",
	"  Normal Scheduled: Successfully assigned tasks/tasks-84f6d7c5b9-hq8zn to minikube",
	`  Normal Pulled: Container image "cupaas/tasks:3f2a9c1b7e4d" already present on machine`,
	"  Normal Created: Created container: app",
	"  Normal Started: Started container app",
	`  Warning Unhealthy: Readiness probe failed: Get "http://10.244.0.14:8000/healthz": dial tcp 10.244.0.14:8000: connect: connection refused`,
}

var flaskDetails = []string{
	"Last 20 lines of its log:",
	"   * Serving Flask app 'app'",
	"   * Debug mode: off",
	"  WARNING: This is a development server. Do not use it in a production deployment. Use a production WSGI server instead.",
	"   * Running on http://127.0.0.1:8000",
	"  Press CTRL+C to quit",
}

// procLine is one line of /proc/net/tcp: local and remote address in hex,
// and the state (0A listens, 01 is established, 06 time-wait).
func procLine(sl int, local, remote, state string) string {
	return fmt.Sprintf("  %2d: %s %s %s 00000000:00000000 00:00000000 00000000 10001        0 %d 1 0000000000000000 100 0 0 10 0\n", sl, local, remote, state, 731200+sl)
}

// The app's container runs but GET /healthz never succeeds; the rollout
// has ended (final), so the diagnosis reads its listening sockets.
func TestDiagnoseNotReady(t *testing.T) {
	for _, tc := range []struct {
		name string
		// procNet is what cat prints on stdout; catErr on stderr, with exit 1.
		procNet, catErr string
		listen          []string
	}{
		{
			name:    "listens on 127.0.0.1",
			procNet: procNetHeader + procLine(0, "0100007F:1F40", "00000000:0000", "0A") + procNet6Empty,
			listen:  []string{`The app listens on 127.0.0.1:8000 only, which cannot be reached from outside the pod: make it listen on 0.0.0.0:$PORT (Flask: app.run(host="0.0.0.0", port=int(os.environ["PORT"]))).`},
		},
		{
			name:    "listens on another port",
			procNet: procNetHeader + procLine(0, "00000000:1388", "00000000:0000", "0A") + procLine(1, "0100007F:1388", "0100007F:B7A2", "06") + procNet6Empty,
			listen:  []string{"The app listens on 0.0.0.0:5000, not on port 8000: read the port from the PORT environment variable, or set `port:` in .cupaas.yml to the port it uses."},
		},
		{
			name:    "listens on 0.0.0.0:8000",
			procNet: procNetHeader + procLine(0, "00000000:1F40", "00000000:0000", "0A") + procNet6Empty,
			listen:  []string{"The app listens on 0.0.0.0:8000 as it should, so the check itself fails: see the log below."},
		},
		{
			name:    "listens on nothing",
			procNet: procNetHeader + procLine(0, "0E00F40A:9C4E", "0A0060AC:01BB", "01") + procNet6Empty,
			listen:  []string{"Nothing listens on port 8000 in the container: the app must listen on 0.0.0.0:$PORT."},
		},
		{
			// IPv6 disabled in the pod: cat prints tcp and fails on tcp6.
			name:    "no /proc/net/tcp6",
			procNet: procNetHeader + procLine(0, "0100007F:1F40", "00000000:0000", "0A"),
			catErr:  "cat: /proc/net/tcp6: No such file or directory\ncommand terminated with exit code 1\n",
			listen:  []string{`The app listens on 127.0.0.1:8000 only, which cannot be reached from outside the pod: make it listen on 0.0.0.0:$PORT (Flask: app.run(host="0.0.0.0", port=int(os.environ["PORT"]))).`},
		},
		{
			// An image without cat: nothing to say about the sockets.
			name:   "no cat in the image",
			catErr: "error: Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"3c1d\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"cat\": executable file not found in $PATH: unknown\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := runtest.New(t)
			stubPods(t, f, "app", "not_ready.json")
			s := stubListening(f, notReadyPod).Stdout(tc.procNet)
			if tc.catErr != "" {
				s.Stderr(tc.catErr).Exit(1)
			}
			stubLogs(f, notReadyPod, "app", false, flaskLog)
			stubEvents(t, f, notReadyPod, "not_ready.json")
			a := newApp(f)
			d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), loadPods(t, a, "app"), true, time.Now())
			wantError(t, d, notReadyError)
			want := append(append(append([]string{}, tc.listen...), flaskDetails...), notReadyEvents...)
			wantDetails(t, d, want)
		})
	}
}

// Until the rollout ends, a pod that runs and is not ready yet is not a
// failure: it may still be starting.
func TestDiagnoseNotReadyWaits(t *testing.T) {
	f := runtest.New(t)
	stubPods(t, f, "app", "not_ready.json")
	a := newApp(f)
	if d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), loadPods(t, a, "app"), false, time.Now()); d != nil {
		t.Fatalf("diagnosed before the rollout ended: %v", d)
	}
}

// A pod of an older rollout crash-loops (one has another config hash, one
// another image) while the current one runs: this rollout is fine.
func TestDiagnoseIgnoresOlderRollouts(t *testing.T) {
	f := runtest.New(t)
	stubPods(t, f, "app", "old_rollout.json")
	a := newApp(f)
	pods := loadPods(t, a, "app")
	if len(pods) != 3 {
		t.Fatalf("%d pods", len(pods))
	}
	for _, final := range []bool{false, true} {
		if d := a.Diagnose(context.Background(), appWorkload(curHash, curImage), pods, final, time.Now()); d != nil {
			t.Errorf("final=%v: an older rollout fails this one: %v", final, d)
		}
	}
	if lines := f.Lines(); len(lines) != 1 {
		t.Errorf("the old pods were looked into: %q", lines)
	}

	// The old pods would be diagnosed if they were current: each is told
	// apart by one thing only.
	for _, tc := range []struct {
		name        string
		hash, image string
		pod         string
	}{
		{"another config hash", "a91d02c7e5b84f13", curImage, "tasks-7c9d8b6f4d-x2v9q"},
		{"another image", curHash, "cupaas/tasks:0b7e6d5c4a39", "tasks-59c7e8f6a4-m3n8d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := runtest.New(t)
			f.StubPattern(`^kubectl --context minikube -n tasks logs ` + tc.pod + ` -c app --tail 20 --previous$`).Stdout(crashLog)
			f.StubPattern(`^kubectl --context minikube -n tasks get events --field-selector involvedObject.name=` + tc.pod + ` -o json$`).Stdout(`{"items":[]}`)
			a := newApp(f)
			d := a.Diagnose(context.Background(), appWorkload(tc.hash, tc.image), pods, false, time.Now())
			if d == nil || !strings.HasPrefix(d.Error(), "pod "+tc.pod+" is in CrashLoopBackOff") {
				t.Fatalf("diagnosis %v, want pod %s in CrashLoopBackOff", d, tc.pod)
			}
		})
	}
}

var rolloutArgv = kube("rollout", "status", "deployment/tasks", "--timeout", "5m0s")

// rollout status blocks until it is cancelled; the first poll of the pods
// finds the crash loop and ends the wait.
func TestWaitRolloutCrashLoop(t *testing.T) {
	f := runtest.New(t)
	ended := make(chan error, 1)
	f.Stub(rolloutArgv...).Do(func(ctx context.Context, cmd run.Cmd) ([]byte, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, fmt.Errorf("kubectl rollout status: %w", ctx.Err())
	})
	stubCrashLoop(t, f) // one poll only: a second would be an unexpected command
	a := newApp(f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	begin := time.Now()
	err := a.WaitRollout(ctx, appWorkload(curHash, curImage), RolloutOptions{Timeout: 5 * time.Minute, PollInterval: 5 * time.Millisecond})
	var d *Diagnosis
	if !errors.As(err, &d) {
		t.Fatalf("WaitRollout = %v, want a diagnosis", err)
	}
	wantError(t, d, crashError)
	wantDetails(t, d, crashDetails)
	if elapsed := time.Since(begin); elapsed > 5*time.Second {
		t.Errorf("the diagnosis took %s", elapsed)
	}
	select {
	case e := <-ended:
		if !errors.Is(e, context.Canceled) {
			t.Errorf("rollout status ended by %v, want it cancelled", e)
		}
	default:
		t.Error("WaitRollout returned while rollout status still ran")
	}
}

// rollout status times out: the pods are diagnosed as final, which reports
// a pod that runs but is not ready.
func TestWaitRolloutTimeoutNotReady(t *testing.T) {
	f := runtest.New(t)
	f.Stub(rolloutArgv...).Stdout("Waiting for deployment \"tasks\" rollout to finish: 0 of 1 updated replicas are available...\n").
		Stderr("error: timed out waiting for the condition\n").Exit(1)
	stubPods(t, f, "app", "not_ready.json")
	stubListening(f, notReadyPod).Stdout(procNetHeader + procLine(0, "0100007F:1F40", "00000000:0000", "0A") + procNet6Empty)
	stubLogs(f, notReadyPod, "app", false, flaskLog)
	stubEvents(t, f, notReadyPod, "not_ready.json")
	a := newApp(f)
	err := a.WaitRollout(context.Background(), appWorkload(curHash, curImage), RolloutOptions{Timeout: 5 * time.Minute, PollInterval: time.Hour})
	var d *Diagnosis
	if !errors.As(err, &d) {
		t.Fatalf("WaitRollout = %v, want a diagnosis", err)
	}
	wantError(t, d, notReadyError)
	if len(d.Details) == 0 || !strings.HasPrefix(d.Details[0], "The app listens on 127.0.0.1:8000 only") {
		t.Errorf("details %q", d.Details)
	}
}

// rollout status times out and the pods show nothing to explain: the
// error is the timeout, with kubectl's output.
func TestWaitRolloutTimeoutUnexplained(t *testing.T) {
	f := runtest.New(t)
	f.Stub(rolloutArgv...).Stderr("error: timed out waiting for the condition\n").Exit(1)
	stubPods(t, f, "app", "old_rollout.json")
	a := newApp(f)
	err := a.WaitRollout(context.Background(), appWorkload(curHash, curImage), RolloutOptions{Timeout: 5 * time.Minute, PollInterval: time.Hour})
	var d *Diagnosis
	if !errors.As(err, &d) {
		t.Fatalf("WaitRollout = %v, want a diagnosis", err)
	}
	wantError(t, d, "deployment/tasks did not become ready in 5m0s")
	wantDetails(t, d, []string{
		"Last lines of its output:",
		"  error: timed out waiting for the condition",
		"The command was:",
		"  kubectl --context minikube -n tasks rollout status deployment/tasks --timeout 5m0s",
	})
}

func TestWaitRolloutDone(t *testing.T) {
	f := runtest.New(t)
	f.Stub(rolloutArgv...).Stdout("deployment \"tasks\" successfully rolled out\n")
	a := newApp(f)
	if err := a.WaitRollout(context.Background(), appWorkload(curHash, curImage), RolloutOptions{Timeout: 5 * time.Minute, PollInterval: time.Hour}); err != nil {
		t.Fatal(err)
	}
}

// Events are ordered by when they last happened: the scheduler's events
// carry only eventTime, and must not always come first.
func TestEventsOrder(t *testing.T) {
	f := runtest.New(t)
	f.Stub(kube("get", "events", "--field-selector", "involvedObject.name=tasks-1", "-o", "json")...).Stdout(`{"items":[
	 {"type":"Normal","reason":"Pulled","message":"pulled","lastTimestamp":"2026-12-01T10:00:05Z"},
	 {"type":"Warning","reason":"FailedScheduling","message":"later","eventTime":"2026-12-01T10:00:09.000000Z"},
	 {"type":"Normal","reason":"Created","message":"created","lastTimestamp":"2026-12-01T10:00:07Z"}]}`)
	var pod corev1.Pod
	pod.Name = "tasks-1"
	got := newApp(f).Events(context.Background(), pod)
	want := []string{"Recent events:", "  Normal Pulled: pulled", "  Normal Created: created", "  Warning FailedScheduling: later"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %q", got)
	}
}

// CreateContainerConfigError because the kubelet has not synced the
// ConfigMap yet (seen for real right after a namespace is made) heals by
// itself: not reported while the rollout runs, reported once it has
// ended. A missing Secret key does not heal: reported at once.
func TestDiagnoseCreateContainerConfigError(t *testing.T) {
	const pod = "tasks-6b4c9d8e7f-r7w5t"
	f := runtest.New(t)
	stubPods(t, f, "app", "configmap_cache.json").Times(2)
	stubPods(t, f, "app", "missing_key.json")
	stubEvents(t, f, pod, "errimageneverpull.json")
	stubEvents(t, f, pod, "errimageneverpull.json")
	a := newApp(f)
	w := appWorkload(curHash, curImage)
	if d := a.Diagnose(context.Background(), w, loadPods(t, a, "app"), false, time.Now()); d != nil {
		t.Fatalf("cache not synced yet, reported while rolling out: %v", d)
	}
	d := a.Diagnose(context.Background(), w, loadPods(t, a, "app"), true, time.Now())
	wantError(t, d, "pod tasks-6b4c9d8e7f-r7w5t: container app cannot start (CreateContainerConfigError): failed to sync configmap cache: timed out waiting for the condition")
	d = a.Diagnose(context.Background(), w, loadPods(t, a, "app"), false, time.Now())
	wantError(t, d, "pod tasks-6b4c9d8e7f-r7w5t: container app cannot start (CreateContainerConfigError): couldn't find key API_KEY in Secret tasks/tasks-env")
}
