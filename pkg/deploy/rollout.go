package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// unschedulableGrace is how long a pod may stay unschedulable before the
// deploy gives up on it: locally, missing CPU or storage does not appear
// by itself.
const unschedulableGrace = 30 * time.Second

// waitFor runs `kubectl rollout status` for t while it inspects the pods:
// a pod in a state that will not heal (CrashLoopBackOff, an image that
// cannot be had, OOMKilled, unschedulable) ends the wait with a diagnosis.
func (p *pipeline) waitFor(ctx context.Context, t target) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := p.runCmd(rctx, run.Cmd{Argv: p.kc.Argv(kubectl.RolloutStatusArgs(p.ns(), t.kindName, p.opts.Timeout)...)})
		done <- err
	}()
	tick := time.NewTicker(p.opts.PollInterval)
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
			pods, _ := p.pods(ctx, t)
			if d := p.diagnose(ctx, t, pods, true); d != nil {
				return d
			}
			return &StepError{Err: fmt.Errorf("%s did not become ready in %s", t.kindName, p.opts.Timeout), Details: commandDetails(err)}
		case <-tick.C:
			pods, err := p.pods(ctx, t)
			if err != nil {
				continue // the rollout status call reports lasting trouble
			}
			if d := p.diagnose(ctx, t, pods, false); d != nil {
				cancel()
				<-done
				return d
			}
		}
	}
}

func (p *pipeline) pods(ctx context.Context, t target) ([]corev1.Pod, error) {
	out, err := p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv("-n", p.ns(), "get", "pods", "-l", p.selector(t.component), "-o", "json")})
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// fatalWaiting are container waiting reasons that do not heal by waiting.
var fatalWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ErrImageNeverPull": true, "ImagePullBackOff": true, "ErrImagePull": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "InvalidImageName": true, "RunContainerError": true,
}

// diagnose explains why the pods of t are not ready. Unless final (the
// rollout has ended), only states that will not heal are reported.
func (p *pipeline) diagnose(ctx context.Context, t target, pods []corev1.Pod, final bool) *StepError {
	sort.Slice(pods, func(i, j int) bool { return pods[i].CreationTimestamp.After(pods[j].CreationTimestamp.Time) })
	var cur []corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp == nil && t.current(pod) {
			cur = append(cur, pod)
		}
	}
	pods = cur
	for _, pod := range pods {
		for _, cs := range pod.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] {
				return p.explainWaiting(ctx, pod, cs)
			}
			if term := cs.LastTerminationState.Terminated; term != nil && term.Reason == "OOMKilled" {
				return p.explainWaiting(ctx, pod, cs)
			}
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				since := c.LastTransitionTime.Time
				if p.rolloutStart.After(since) {
					since = p.rolloutStart // it may have become schedulable since then
				}
				if final || p.opts.Now().Sub(since) > unschedulableGrace {
					return p.explainUnschedulable(ctx, pod, c.Message)
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
				return p.explainNotReady(ctx, t, pod, cs)
			}
		}
	}
	return nil
}

func (p *pipeline) explainWaiting(ctx context.Context, pod corev1.Pod, cs corev1.ContainerStatus) *StepError {
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
		details = p.logs(ctx, pod, cs.Name, true)
	case reason == "CrashLoopBackOff":
		code := ""
		if term != nil {
			code = fmt.Sprintf(" with exit code %d", term.ExitCode)
		}
		err = fmt.Errorf("pod %s is in CrashLoopBackOff: container %s exits%s right after it starts (%d restarts)", pod.Name, cs.Name, code, cs.RestartCount)
		details = p.logs(ctx, pod, cs.Name, true)
		if term != nil && strings.TrimSpace(term.Message) != "" {
			details = append(details, "Termination message:", "  "+strings.TrimSpace(term.Message))
		}
		details = append(details, "Fix the error in the log above, then run `cupaas deploy` again.")
	case reason == "ErrImageNeverPull":
		err = fmt.Errorf("pod %s: image %s is not on the cluster's node (ErrImageNeverPull): loading it into minikube did not take; run `cupaas deploy --rebuild`, and check `minikube image ls`", pod.Name, cs.Image)
	case reason == "ImagePullBackOff" || reason == "ErrImagePull":
		err = fmt.Errorf("pod %s: the cluster cannot pull image %s (%s): check that the version in .cupaas.yml exists and that the cluster can reach the registry", pod.Name, cs.Image, reason)
	default:
		err = fmt.Errorf("pod %s: container %s cannot start (%s): %s", pod.Name, cs.Name, reason, msg)
	}
	details = append(details, p.events(ctx, pod)...)
	return &StepError{Err: err, Details: details}
}

func (p *pipeline) explainUnschedulable(ctx context.Context, pod corev1.Pod, msg string) *StepError {
	var err error
	switch {
	case strings.Contains(msg, "PersistentVolumeClaim"):
		err = fmt.Errorf("pod %s is Pending: its PersistentVolumeClaim is not bound; the cluster has no storage provisioner or default StorageClass (minikube: `minikube addons enable storage-provisioner` and `minikube addons enable default-storageclass`)", pod.Name)
	case strings.Contains(msg, "Insufficient"):
		err = fmt.Errorf("pod %s is Pending: the node lacks resources for it (%s); lower resources: in .cupaas.yml, or give minikube more (`minikube start --cpus 4 --memory 8g`)", pod.Name, strings.TrimSpace(msg))
	default:
		err = fmt.Errorf("pod %s is Pending: it cannot be scheduled: %s", pod.Name, strings.TrimSpace(msg))
	}
	return &StepError{Err: err, Details: p.events(ctx, pod)}
}

func (p *pipeline) explainNotReady(ctx context.Context, t target, pod corev1.Pod, cs corev1.ContainerStatus) *StepError {
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
	if t.app && port > 0 {
		details = append(details, p.listenCheck(ctx, pod, cs.Name, port)...)
	}
	details = append(details, p.logs(ctx, pod, cs.Name, false)...)
	details = append(details, p.events(ctx, pod)...)
	return &StepError{Err: err, Details: details}
}

// listenCheck reads the container's listening sockets to tell the commonest
// cause: the app listens on 127.0.0.1, or on another port than $PORT.
func (p *pipeline) listenCheck(ctx context.Context, pod corev1.Pod, container string, port int) []string {
	out, err := p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv("-n", p.ns(), "exec", pod.Name, "-c", container, "--", "cat", "/proc/net/tcp", "/proc/net/tcp6")})
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

// logs returns the last 20 lines of a container's log (of its previous run
// after a crash).
func (p *pipeline) logs(ctx context.Context, pod corev1.Pod, container string, previous bool) []string {
	args := []string{"-n", p.ns(), "logs", pod.Name, "-c", container, "--tail", "20"}
	if previous {
		args = append(args, "--previous")
	}
	out, err := p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv(args...)})
	var re *run.Error
	if err != nil && errors.As(err, &re) && previous {
		// No previous run yet: show the current one.
		out, err = p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv(args[:len(args)-1]...)})
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

// events returns the pod's recent events.
func (p *pipeline) events(ctx context.Context, pod corev1.Pod) []string {
	out, err := p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv("-n", p.ns(), "get", "events", "--field-selector", "involvedObject.name="+pod.Name, "-o", "json")})
	if err != nil {
		return nil
	}
	var list corev1.EventList
	if json.Unmarshal(out, &list) != nil || len(list.Items) == 0 {
		return nil
	}
	sort.SliceStable(list.Items, func(i, j int) bool {
		return list.Items[i].LastTimestamp.Before(&list.Items[j].LastTimestamp)
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

// RolloutOptions say which Deployment WaitRollout waits for.
type RolloutOptions struct {
	Runner  run.Runner
	Context string
	// App names the app; its namespace has the same name.
	App string
	// Deployment is the app's Deployment as rendered: its pod template
	// tells the pods of this rollout from older ones.
	Deployment *appsv1.Deployment
	Timeout    time.Duration
	// PollInterval is how often the pods are inspected; 0 means 2 s.
	PollInterval time.Duration
	// SettleDelay is the wait after the rollout (see settle); 0 means 2 s.
	SettleDelay time.Duration
}

// WaitRollout waits for the app's Deployment to roll out the way the Roll
// out step of a deploy does: a pod of this rollout in a state that will not
// heal ends the wait at once with a *StepError that names the cause and
// holds the log and events. After the rollout it waits for the Service to
// drop the replaced pods, as deploy does.
func WaitRollout(ctx context.Context, o RolloutOptions) error {
	opts := Options{Runner: o.Runner, Context: o.Context, Timeout: o.Timeout, PollInterval: o.PollInterval, SettleDelay: o.SettleDelay}
	opts.defaults()
	p := &pipeline{
		opts: opts,
		kc:   kubectl.Client{Runner: o.Runner, Context: o.Context},
		cfg:  &config.Config{Name: o.App},
	}
	p.rolloutStart = opts.Now()
	d := o.Deployment
	if err := p.waitFor(ctx, newTarget("deployment/"+d.Name, render.ComponentApp, true, d.Spec.Template)); err != nil {
		return err
	}
	return settle(ctx, opts.SettleDelay)
}

// settle gives the Service time to drop replaced pods: they leave its
// endpoints as soon as they start terminating, and kube-proxy applies such
// changes at most once a second. Without it the URL may still answer with
// the old version right after the command. Waiting for the old pods to be
// gone would take their whole grace period (30 s for an app that ignores
// SIGTERM).
func settle(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
