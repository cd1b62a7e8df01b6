package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// Workload is a Deployment or StatefulSet as it was rendered: its pod
// template tells the pods of this rollout from older ones.
type Workload struct {
	// KindName is kind/name, such as deployment/tasks.
	KindName string
	// Component is the value of the component label of its pods.
	Component string
	// IsApp is true for the app's own Deployment.
	IsApp bool
	// images are the rendered containers' images by name: a pod that
	// differs is from an earlier rollout.
	images map[string]string
	// Hash is the rendered config hash of the pod template.
	Hash string
}

// NewWorkload describes kindName, whose pods have the component label
// component and the pod template tmpl.
func NewWorkload(kindName, component string, isApp bool, tmpl corev1.PodTemplateSpec) Workload {
	t := Workload{KindName: kindName, Component: component, IsApp: isApp, images: map[string]string{}, Hash: tmpl.Annotations[render.AnnotationConfigHash]}
	for _, c := range tmpl.Spec.Containers {
		t.images[c.Name] = c.Image
	}
	return t
}

// Current reports whether pod runs the pod template that was applied.
// Pods of an earlier rollout (an old ReplicaSet that crash-loops while the
// fixed version starts) must not fail this deploy.
func (t Workload) Current(pod corev1.Pod) bool {
	if t.Hash != "" && pod.Annotations[render.AnnotationConfigHash] != t.Hash {
		return false
	}
	for _, c := range pod.Spec.Containers {
		if img, ok := t.images[c.Name]; ok && img != c.Image {
			return false
		}
	}
	return true
}

// unschedulableGrace is how long a pod may stay unschedulable before the
// deploy gives up on it: locally, missing CPU or storage does not appear
// by itself.
const unschedulableGrace = 30 * time.Second

// RolloutOptions bound and pace WaitRollout.
type RolloutOptions struct {
	// Timeout bounds the rollout.
	Timeout time.Duration
	// PollInterval is how often the pods are inspected; 0 means 2 s.
	PollInterval time.Duration
	// Start is when the rollout began: a pod unschedulable since before
	// gets the grace period from then. Zero means now.
	Start time.Time
}

func (o *RolloutOptions) defaults(a *App) {
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Start.IsZero() {
		o.Start = a.now()
	}
}

// WaitRollout runs `kubectl rollout status` for t while it inspects the pods:
// a pod in a state that will not heal (CrashLoopBackOff, an image that
// cannot be had, OOMKilled, unschedulable) ends the wait with a diagnosis.
func (a *App) WaitRollout(ctx context.Context, t Workload, o RolloutOptions) error {
	o.defaults(a)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := a.Kube.Run(rctx, kubectl.RolloutStatusArgs(a.Namespace, t.KindName, o.Timeout)...)
		done <- err
	}()
	tick := time.NewTicker(o.PollInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			pods, _ := a.Pods(ctx, t.Component)
			if d := a.Diagnose(ctx, t, pods, true, o.Start); d != nil {
				return d
			}
			var details []string
			var re *run.Error
			if errors.As(err, &re) {
				details = re.Lines()
			}
			return &Diagnosis{Err: fmt.Errorf("%s did not become ready in %s", t.KindName, o.Timeout), Details: details}
		case <-tick.C:
			pods, err := a.Pods(ctx, t.Component)
			if err != nil {
				continue // the rollout status call reports lasting trouble
			}
			if d := a.Diagnose(ctx, t, pods, false, o.Start); d != nil {
				cancel()
				<-done
				return d
			}
		}
	}
}

// fatalWaiting are container waiting reasons that do not heal by waiting.
var fatalWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ErrImageNeverPull": true, "ImagePullBackOff": true, "ErrImagePull": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "InvalidImageName": true, "RunContainerError": true,
}

// TransientWaiting reports a waiting state whose reason is usually fatal
// but whose message says the kubelet only could not do it yet: right
// after a namespace is made, "failed to sync configmap cache: timed out
// waiting for the condition" heals by itself within seconds.
func TransientWaiting(w *corev1.ContainerStateWaiting) bool {
	return w.Reason == "CreateContainerConfigError" &&
		(strings.Contains(w.Message, "failed to sync") || strings.Contains(w.Message, "timed out waiting for the condition"))
}

// Diagnosis explains why a workload does not roll out: the cause, with
// what shows it (the container's log, the pod's events) and what to do.
type Diagnosis struct {
	Err     error
	Details []string
}

func (d *Diagnosis) Error() string { return d.Err.Error() }
func (d *Diagnosis) Unwrap() error { return d.Err }

// Lines are the lines printed under the error.
func (d *Diagnosis) Lines() []string { return d.Details }

// Diagnose explains why the pods of t are not ready. Unless final (the
// rollout has ended), only states that will not heal are reported; a pod
// unschedulable for unschedulableGrace since start (or since it became so)
// is such a state.
func (a *App) Diagnose(ctx context.Context, t Workload, pods []corev1.Pod, final bool, start time.Time) *Diagnosis {
	sort.Slice(pods, func(i, j int) bool { return pods[i].CreationTimestamp.After(pods[j].CreationTimestamp.Time) })
	var cur []corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp == nil && t.Current(pod) {
			cur = append(cur, pod)
		}
	}
	pods = cur
	for _, pod := range pods {
		for _, cs := range pod.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] && (final || !TransientWaiting(w)) {
				return a.explainWaiting(ctx, pod, cs)
			}
			if term := cs.LastTerminationState.Terminated; term != nil && term.Reason == "OOMKilled" {
				return a.explainWaiting(ctx, pod, cs)
			}
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				since := c.LastTransitionTime.Time
				if start.After(since) {
					since = start // it may have become schedulable since then
				}
				if final || a.now().Sub(since) > unschedulableGrace {
					return a.explainUnschedulable(ctx, pod, c.Message)
				}
			}
		}
	}
	if !final {
		return nil
	}
	for _, pod := range pods {
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.State.Running != nil && !cs.Ready {
				return a.explainNotReady(ctx, t, pod, cs)
			}
		}
	}
	return nil
}

func (a *App) explainWaiting(ctx context.Context, pod corev1.Pod, cs corev1.ContainerStatus) *Diagnosis {
	reason, msg := "", ""
	if w := cs.State.Waiting; w != nil {
		reason, msg = w.Reason, w.Message
	}
	term := cs.LastTerminationState.Terminated
	var err error
	var details []string
	switch {
	case term != nil && term.Reason == "OOMKilled":
		limit := "its memory limit"
		for _, c := range pod.Spec.Containers {
			if c.Name == cs.Name {
				if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
					limit = "its memory limit of " + q.String()
				}
			}
		}
		err = fmt.Errorf("pod %s: container %s ran out of memory (OOMKilled, %s): raise resources.memory in .cupaas.yml", pod.Name, cs.Name, limit)
		details = a.Logs(ctx, pod, cs.Name, true)
	case reason == "CrashLoopBackOff":
		code := ""
		if term != nil {
			code = fmt.Sprintf(" with exit code %d", term.ExitCode)
		}
		err = fmt.Errorf("pod %s is in CrashLoopBackOff: container %s exits%s right after it starts (%d restarts)", pod.Name, cs.Name, code, cs.RestartCount)
		details = a.Logs(ctx, pod, cs.Name, true)
		if term != nil && strings.TrimSpace(term.Message) != "" {
			details = append(details, "Termination message:", "  "+strings.TrimSpace(term.Message))
		}
		details = append(details, "Fix the error in the log above, then run `cupaas deploy` again.")
	case reason == "ErrImageNeverPull":
		err = fmt.Errorf("pod %s: image %s is not on the cluster's node (ErrImageNeverPull): %s", pod.Name, cs.Image, a.Hints.ImageNotOnNode)
	case reason == "ImagePullBackOff" || reason == "ErrImagePull":
		err = fmt.Errorf("pod %s: the cluster cannot pull image %s (%s): check that the version in .cupaas.yml exists and that the cluster can reach the registry", pod.Name, cs.Image, reason)
	default:
		err = fmt.Errorf("pod %s: container %s cannot start (%s): %s", pod.Name, cs.Name, reason, msg)
	}
	details = append(details, a.Events(ctx, pod)...)
	return &Diagnosis{Err: err, Details: details}
}

func (a *App) explainUnschedulable(ctx context.Context, pod corev1.Pod, msg string) *Diagnosis {
	err := fmt.Errorf("pod %s is Pending: %s", pod.Name, unschedulableCause(msg, a.Hints))
	return &Diagnosis{Err: err, Details: a.Events(ctx, pod)}
}

// unschedulableCause says why the scheduler cannot place a pod, from its
// message, with what to do (Diagnose and Status say the same).
func unschedulableCause(msg string, hints cluster.Hints) string {
	msg = strings.TrimSpace(msg)
	switch {
	case strings.Contains(msg, "PersistentVolumeClaim"):
		return "its PersistentVolumeClaim is not bound; " + hints.NoStorage
	case strings.Contains(msg, "Insufficient"):
		return "the node lacks resources for it (" + msg + "); lower resources: in .cupaas.yml, or " + hints.MoreResources
	}
	return "it cannot be scheduled: " + msg
}

func (a *App) explainNotReady(ctx context.Context, t Workload, pod corev1.Pod, cs corev1.ContainerStatus) *Diagnosis {
	probe := "the TCP check"
	port := 0
	for _, c := range pod.Spec.Containers {
		if c.Name != cs.Name {
			continue
		}
		for _, cp := range c.Ports {
			if port == 0 {
				port = int(cp.ContainerPort)
			}
		}
		if rp := c.ReadinessProbe; rp != nil && rp.HTTPGet != nil {
			probe = "GET " + rp.HTTPGet.Path
		}
	}
	err := fmt.Errorf("pod %s runs but never becomes ready: %s on port %d fails", pod.Name, probe, port)
	var details []string
	if t.IsApp && port > 0 {
		details = append(details, a.listenCheck(ctx, pod, cs.Name, port)...)
	}
	details = append(details, a.Logs(ctx, pod, cs.Name, false)...)
	details = append(details, a.Events(ctx, pod)...)
	return &Diagnosis{Err: err, Details: details}
}

// listenCheck reads the container's listening sockets to tell the commonest
// cause: the app listens on 127.0.0.1, or on another port than $PORT.
func (a *App) listenCheck(ctx context.Context, pod corev1.Pod, container string, port int) []string {
	out, err := a.quiet(ctx, "-n", a.Namespace, "exec", pod.Name, "-c", container, "--", "cat", "/proc/net/tcp", "/proc/net/tcp6")
	if err != nil && len(out) == 0 {
		return nil
	}
	socks := listening(out)
	var onPort, other []string
	for _, s := range socks {
		if s.port == port {
			onPort = append(onPort, s.addr)
		} else {
			other = append(other, s.addr+":"+strconv.Itoa(s.port))
		}
	}
	for _, a := range onPort {
		if a == "0.0.0.0" || a == "::" {
			return []string{fmt.Sprintf("The app listens on %s:%d as it should, so the check itself fails: see the log below.", a, port)}
		}
	}
	switch {
	case len(onPort) > 0:
		return []string{fmt.Sprintf("The app listens on %s:%d only, which cannot be reached from outside the pod: make it listen on 0.0.0.0:$PORT (Flask: app.run(host=\"0.0.0.0\", port=int(os.environ[\"PORT\"]))).", onPort[0], port)}
	case len(other) > 0:
		return []string{fmt.Sprintf("The app listens on %s, not on port %d: read the port from the PORT environment variable, or set `port:` in .cupaas.yml to the port it uses.", strings.Join(other, ", "), port)}
	}
	return []string{fmt.Sprintf("Nothing listens on port %d in the container: the app must listen on 0.0.0.0:$PORT.", port)}
}

type socket struct {
	addr string
	port int
}

// listening parses /proc/net/tcp{,6} and returns the listening sockets.
func listening(procNet []byte) []socket {
	var out []socket
	for _, line := range strings.Split(string(procNet), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" { // 0A: TCP_LISTEN
			continue
		}
		host, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseInt(portHex, 16, 32)
		if err != nil {
			continue
		}
		out = append(out, socket{addr: hexAddr(host), port: int(port)})
	}
	return out
}

func hexAddr(h string) string {
	switch len(h) {
	case 8: // IPv4, little-endian
		b := make([]string, 4)
		for i := 0; i < 4; i++ {
			v, _ := strconv.ParseUint(h[6-2*i:8-2*i], 16, 8)
			b[i] = strconv.FormatUint(v, 10)
		}
		return strings.Join(b, ".")
	case 32:
		switch h {
		case "00000000000000000000000000000000":
			return "::"
		case "00000000000000000000000001000000":
			return "::1"
		}
		return "[" + h + "]"
	}
	return h
}

// Logs returns the last 20 lines of a container's log (of its previous run
// after a crash), with a heading, for a diagnosis.
func (a *App) Logs(ctx context.Context, pod corev1.Pod, container string, previous bool) []string {
	args := []string{"-n", a.Namespace, "logs", pod.Name, "-c", container, "--tail", "20"}
	if previous {
		args = append(args, "--previous")
	}
	out, err := a.quiet(ctx, args...)
	var re *run.Error
	if err != nil && errors.As(err, &re) && previous {
		// No previous run yet: show the current one.
		out, err = a.quiet(ctx, args[:len(args)-1]...)
	}
	if err != nil || len(strings.TrimSpace(string(out))) == 0 {
		return []string{"(the container printed no log)"}
	}
	head := "Last 20 lines of its log:"
	if previous {
		head = "Last 20 lines of its log (the run that failed):"
	}
	lines := []string{head}
	for _, l := range run.Tail(out, 20) {
		lines = append(lines, "  "+l)
	}
	return lines
}

// Events returns the pod's last 5 events, with a heading, for a diagnosis.
func (a *App) Events(ctx context.Context, pod corev1.Pod) []string {
	out, err := a.quiet(ctx, "-n", a.Namespace, "get", "events", "--field-selector", "involvedObject.name="+pod.Name, "-o", "json")
	if err != nil {
		return nil
	}
	var list corev1.EventList
	if json.Unmarshal(out, &list) != nil || len(list.Items) == 0 {
		return nil
	}
	sort.SliceStable(list.Items, func(i, j int) bool {
		return eventTime(list.Items[i]).Before(eventTime(list.Items[j]))
	})
	items := list.Items
	if len(items) > 5 {
		items = items[len(items)-5:]
	}
	lines := []string{"Recent events:"}
	for _, e := range items {
		lines = append(lines, fmt.Sprintf("  %s %s: %s", e.Type, e.Reason, strings.TrimSpace(e.Message)))
	}
	return lines
}

// eventTime is when an event last happened: the scheduler's events have
// only eventTime, the kubelet's lastTimestamp.
func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}
