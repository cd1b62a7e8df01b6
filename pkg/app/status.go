package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
)

// Status is the app as the cluster runs it now: what `cupaas status`
// shows. It is read with one kubectl call (Status).
type Status struct {
	App       string `json:"app"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
	// Healthy is true when every pod of the app and of its services is
	// ready and of the last rollout, every volume is bound, and the URL
	// (when known) answers; Problems say what is not.
	Healthy  bool     `json:"healthy"`
	Problems []string `json:"problems"`
	// Image and Commit run in the app's Deployment (Commit is the
	// cupaas.dev/commit annotation: "" when the app was deployed from a
	// directory that is not a git repository).
	Image  string `json:"image"`
	Commit string `json:"commit,omitempty"`
	// DeployedAt is when the last deploy changed the app's Deployment
	// (the time of cupaas' server-side apply), or the time the caller
	// knows better (see pkg/cmd/status).
	DeployedAt *time.Time `json:"deployedAt,omitempty"`
	// Release is the release that runs (v3), and what it was ("deploy",
	// "env set KEY", "rollback to v1"); "" when no release is recorded.
	Release     string `json:"release,omitempty"`
	ReleaseWhat string `json:"releaseWhat,omitempty"`
	// URL is the app's URL; URLCheck whether it answered just now.
	URL      string    `json:"url,omitempty"`
	URLCheck *URLCheck `json:"urlCheck,omitempty"`
	// URLTunnel is true when the URL works only while cupaas runs (a
	// tunnel of minikube's docker driver on macOS and Windows).
	URLTunnel bool `json:"urlTunnel,omitempty"`
	// Replicas, Ready and Updated count the app's pods: wanted, ready,
	// and of the last rollout.
	Replicas int32       `json:"replicas"`
	Ready    int32       `json:"ready"`
	Updated  int32       `json:"updated"`
	Pods     []PodStatus `json:"pods"`
	// Services are the backing services (redis, postgresql, ...).
	Services []ServiceStatus `json:"services"`
	// NodePort is the node port of the app's Service (0 when none): the
	// recorded URL is still right when it names this port.
	NodePort int32 `json:"-"`
}

// PodStatus is one pod, as `kubectl get pods` would show it, with the
// reason it is not ready in words.
type PodStatus struct {
	Name      string `json:"name"`
	Component string `json:"component"`
	Ready     bool   `json:"ready"`
	// ReadyContainers of Containers are ready.
	ReadyContainers int       `json:"readyContainers"`
	Containers      int       `json:"containers"`
	Restarts        int32     `json:"restarts"`
	Created         time.Time `json:"created"`
	// State is Running, Pending, Terminating, or the reason a container
	// waits or ended (CrashLoopBackOff, ImagePullBackOff, OOMKilled, ...).
	State string `json:"state"`
	// Reason says why the pod is not ready, in one line ("" when ready).
	Reason string `json:"reason,omitempty"`
	// Current is false for a pod of an earlier rollout.
	Current bool `json:"current"`
}

// ServiceStatus is one backing service: its StatefulSet's pods and its
// volumes.
type ServiceStatus struct {
	Name     string         `json:"name"`
	Image    string         `json:"image"`
	Replicas int32          `json:"replicas"`
	Ready    int32          `json:"ready"`
	Pods     []PodStatus    `json:"pods"`
	Volumes  []VolumeStatus `json:"volumes"`
}

// VolumeStatus is one PersistentVolumeClaim.
type VolumeStatus struct {
	Claim string `json:"claim"`
	// Size is the capacity when bound, else the size asked for.
	Size         string `json:"size"`
	Phase        string `json:"phase"`
	Bound        bool   `json:"bound"`
	StorageClass string `json:"storageClass,omitempty"`
}

// URLCheck is the answer of an HTTP GET of the URL.
type URLCheck struct {
	Answers bool `json:"answers"`
	// Code is the HTTP status (0 when nothing answered).
	Code int `json:"code,omitempty"`
	// Error is why nothing answered.
	Error string `json:"error,omitempty"`
	// Millis is how long the answer took.
	Millis int64 `json:"millis"`
}

// NotDeployedError is an app that has no Deployment on the context.
type NotDeployedError struct {
	App, Context string
	// Here is true when the command runs in the app's directory.
	Here bool
}

func (e *NotDeployedError) Error() string {
	if e.Here {
		return fmt.Sprintf("app %s is not deployed on context %s: run `cupaas deploy` (or name another context with --context; `cupaas apps` lists the apps there)", e.App, e.Context)
	}
	return fmt.Sprintf("no app %s on context %s: `cupaas apps --context %s` lists the apps there", e.App, e.Context, e.Context)
}

// StatusArgs read every object of the app that status shows.
func (a *App) StatusArgs() []string {
	return []string{"-n", a.Namespace, "get", "deployments,statefulsets,pods,persistentvolumeclaims,services", "-l", a.Selector(""), "-o", "json", "--show-managed-fields"}
}

// Status reads the app's Deployment, its services' StatefulSets, their
// pods, claims and Services in one kubectl call. An app with no
// Deployment is a *NotDeployedError. The URL is not set (see CheckURL).
func (a *App) Status(ctx context.Context) (*Status, error) {
	out, err := a.Kube.Run(ctx, a.StatusArgs()...)
	if err != nil {
		return nil, err
	}
	return parseStatus(out, a.Name, a.Namespace, a.Kube.Context, a.Hints, a.now())
}

// objects are the items of a kubectl list of several kinds.
type objects struct {
	deployments  []appsv1.Deployment
	statefulsets []appsv1.StatefulSet
	pods         []corev1.Pod
	claims       []corev1.PersistentVolumeClaim
	services     []corev1.Service
}

func parseObjects(out []byte) (*objects, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("cannot read kubectl's answer: %v", err)
	}
	o := &objects{}
	for _, raw := range list.Items {
		var head struct{ Kind string }
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("cannot read kubectl's answer: %v", err)
		}
		var err error
		switch head.Kind {
		case "Deployment":
			var d appsv1.Deployment
			err = json.Unmarshal(raw, &d)
			o.deployments = append(o.deployments, d)
		case "StatefulSet":
			var s appsv1.StatefulSet
			err = json.Unmarshal(raw, &s)
			o.statefulsets = append(o.statefulsets, s)
		case "Pod":
			var p corev1.Pod
			err = json.Unmarshal(raw, &p)
			o.pods = append(o.pods, p)
		case "PersistentVolumeClaim":
			var c corev1.PersistentVolumeClaim
			err = json.Unmarshal(raw, &c)
			o.claims = append(o.claims, c)
		case "Service":
			var s corev1.Service
			err = json.Unmarshal(raw, &s)
			o.services = append(o.services, s)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read kubectl's answer: %v", err)
		}
	}
	return o, nil
}

func parseStatus(out []byte, name, ns, kubeContext string, hints cluster.Hints, now time.Time) (*Status, error) {
	o, err := parseObjects(out)
	if err != nil {
		return nil, err
	}
	st := &Status{App: name, Namespace: ns, Context: kubeContext, Problems: []string{}, Pods: []PodStatus{}, Services: []ServiceStatus{}}
	var dep *appsv1.Deployment
	for i := range o.deployments {
		if o.deployments[i].Labels[render.LabelComponent] == render.ComponentApp {
			dep = &o.deployments[i]
		}
	}
	if dep == nil {
		return nil, &NotDeployedError{App: name, Context: kubeContext}
	}
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == render.AppContainer {
			st.Image = c.Image
		}
	}
	st.Commit = dep.Annotations[render.AnnotationCommit]
	if t := LastApplied(dep.ManagedFields); !t.IsZero() {
		st.DeployedAt = &t
	}
	st.Replicas = 1
	if dep.Spec.Replicas != nil {
		st.Replicas = *dep.Spec.Replicas
	}
	st.Ready, st.Updated = dep.Status.ReadyReplicas, dep.Status.UpdatedReplicas
	if dep.Status.ObservedGeneration < dep.Generation {
		st.Updated = 0 // the controller has not seen the last change yet
	}
	for _, svc := range o.services {
		if svc.Labels[render.LabelComponent] == render.ComponentApp {
			for _, p := range svc.Spec.Ports {
				if p.NodePort != 0 {
					st.NodePort = p.NodePort
				}
			}
		}
	}
	appWork := NewWorkload("deployment/"+dep.Name, render.ComponentApp, true, dep.Spec.Template)
	st.Pods = podStatuses(o.pods, render.ComponentApp, appWork, hints, now)
	if st.Ready < st.Replicas || st.Updated < st.Replicas {
		st.Problems = append(st.Problems, workloadProblem("the app", st.Replicas, st.Ready, st.Pods))
	}

	sort.Slice(o.statefulsets, func(i, j int) bool { return o.statefulsets[i].Name < o.statefulsets[j].Name })
	for _, ss := range o.statefulsets {
		comp := ss.Labels[render.LabelComponent]
		s := ServiceStatus{Name: comp, Replicas: 1, Ready: ss.Status.ReadyReplicas, Volumes: []VolumeStatus{}}
		if ss.Spec.Replicas != nil {
			s.Replicas = *ss.Spec.Replicas
		}
		if cs := ss.Spec.Template.Spec.Containers; len(cs) > 0 {
			s.Image = cs[0].Image
		}
		s.Pods = podStatuses(o.pods, comp, NewWorkload("statefulset/"+ss.Name, comp, false, ss.Spec.Template), hints, now)
		if s.Ready < s.Replicas {
			st.Problems = append(st.Problems, workloadProblem("service "+comp, s.Replicas, s.Ready, s.Pods))
		}
		for _, c := range o.claims {
			if c.Labels[render.LabelComponent] != comp {
				continue
			}
			v := volumeStatus(c)
			if !v.Bound {
				st.Problems = append(st.Problems, fmt.Sprintf("volume %s of service %s is %s, not Bound: %s", v.Claim, comp, v.Phase, hints.NoStorage))
			}
			s.Volumes = append(s.Volumes, v)
		}
		st.Services = append(st.Services, s)
	}
	return st, nil
}

// LastApplied is when cupaas' field manager last changed the object by a
// server-side apply: the time of the last deploy that changed it.
func LastApplied(fields []metav1.ManagedFieldsEntry) time.Time {
	var last time.Time
	for _, f := range fields {
		if f.Manager == kubectl.FieldManager && f.Time != nil && f.Time.After(last) {
			last = f.Time.Time
		}
	}
	return last
}

// workloadProblem says why a workload has fewer ready pods than wanted:
// the first pod's reason, else the counts.
func workloadProblem(what string, want, ready int32, pods []PodStatus) string {
	for _, p := range pods {
		if p.Current && !p.Ready && p.Reason != "" {
			return fmt.Sprintf("pod %s of %s: %s", p.Name, what, p.Reason)
		}
	}
	for _, p := range pods {
		if !p.Ready && p.Reason != "" {
			return fmt.Sprintf("pod %s of %s: %s", p.Name, what, p.Reason)
		}
	}
	if ready >= want {
		return fmt.Sprintf("%s is rolling out: %d of %d pods run the last deploy", what, readyCurrent(pods), want)
	}
	return fmt.Sprintf("%s has %d of %d pods ready", what, ready, want)
}

func readyCurrent(pods []PodStatus) int {
	n := 0
	for _, p := range pods {
		if p.Current && p.Ready {
			n++
		}
	}
	return n
}

func podStatuses(pods []corev1.Pod, component string, w Workload, hints cluster.Hints, now time.Time) []PodStatus {
	out := []PodStatus{}
	for _, pod := range pods {
		if pod.Labels[render.LabelComponent] != component {
			continue
		}
		out = append(out, podStatus(pod, w, hints, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func podStatus(pod corev1.Pod, w Workload, hints cluster.Hints, now time.Time) PodStatus {
	p := PodStatus{
		Name:       pod.Name,
		Component:  pod.Labels[render.LabelComponent],
		Containers: len(pod.Spec.Containers),
		Created:    pod.CreationTimestamp.Time,
		State:      string(pod.Status.Phase),
		Current:    w.Current(pod),
	}
	for _, cs := range pod.Status.ContainerStatuses {
		p.Restarts += cs.RestartCount
		if cs.Ready {
			p.ReadyContainers++
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			p.Ready = true
		}
	}
	if pod.DeletionTimestamp != nil {
		p.State, p.Ready = "Terminating", false
		p.Reason = "it is being stopped (an earlier rollout, or a deleted app)"
		return p
	}
	p.State, p.Reason = podReason(pod, hints, now)
	if p.State == "" {
		p.State = string(corev1.PodPending)
	}
	if p.Ready {
		p.Reason = ""
	}
	return p
}

// podReason is the state shown for a pod and, when it is not ready, why:
// the classification of Diagnose, in one line and without reading logs or
// events.
func podReason(pod corev1.Pod, hints cluster.Hints, now time.Time) (state, reason string) {
	state = string(pod.Status.Phase)
	for _, cs := range pod.Status.ContainerStatuses {
		term := cs.LastTerminationState.Terminated
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			switch {
			case w.Reason == "CrashLoopBackOff" && term != nil && term.Reason == "OOMKilled":
				return w.Reason, fmt.Sprintf("container %s runs out of memory (OOMKilled, %s): raise resources.memory in .cupaas.yml", cs.Name, restarts(cs.RestartCount))
			case w.Reason == "CrashLoopBackOff":
				code := ""
				if term != nil {
					code = fmt.Sprintf(" with code %d", term.ExitCode)
				}
				return w.Reason, fmt.Sprintf("CrashLoopBackOff: container %s exits%s right after it starts (%s); `cupaas logs --previous` shows why", cs.Name, code, restarts(cs.RestartCount))
			case w.Reason == "ErrImageNeverPull":
				return w.Reason, fmt.Sprintf("ErrImageNeverPull: image %s is not on the cluster's node; run `cupaas deploy --rebuild`", cs.Image)
			case w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull":
				return w.Reason, fmt.Sprintf("%s: the cluster cannot pull image %s", w.Reason, cs.Image)
			case w.Reason == "ContainerCreating" || w.Reason == "PodInitializing":
				return w.Reason, "it is starting"
			default:
				msg := strings.TrimSpace(w.Message)
				if msg == "" {
					return w.Reason, fmt.Sprintf("container %s waits (%s)", cs.Name, w.Reason)
				}
				return w.Reason, fmt.Sprintf("%s: %s", w.Reason, msg)
			}
		}
		if t := cs.State.Terminated; t != nil {
			return t.Reason, fmt.Sprintf("container %s ended (%s, exit code %d)", cs.Name, t.Reason, t.ExitCode)
		}
		if cs.State.Running != nil && !cs.Ready {
			if term != nil && term.Reason == "OOMKilled" {
				return "Running", fmt.Sprintf("container %s ran out of memory (OOMKilled) and restarted: raise resources.memory in .cupaas.yml", cs.Name)
			}
			started := cs.State.Running.StartedAt.Time
			if !started.IsZero() && now.Sub(started) < 30*time.Second {
				return "Running", "it started " + Age(now.Sub(started)) + " ago and is not ready yet"
			}
			return "Running", "it runs but its readiness check fails"
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return "Pending", unschedulableCause(c.Message, hints)
		}
	}
	if state == string(corev1.PodPending) {
		return state, "it is starting"
	}
	return state, "it is not ready"
}

func restarts(n int32) string {
	if n == 1 {
		return "1 restart"
	}
	return fmt.Sprintf("%d restarts", n)
}

func volumeStatus(c corev1.PersistentVolumeClaim) VolumeStatus {
	v := VolumeStatus{Claim: c.Name, Phase: string(c.Status.Phase), Bound: c.Status.Phase == corev1.ClaimBound}
	if v.Phase == "" {
		v.Phase = string(corev1.ClaimPending)
	}
	if c.DeletionTimestamp != nil {
		v.Phase, v.Bound = "Terminating", false
	}
	if q, ok := c.Status.Capacity[corev1.ResourceStorage]; ok && v.Bound {
		v.Size = q.String()
	} else if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		v.Size = q.String()
	}
	if c.Spec.StorageClassName != nil {
		v.StorageClass = *c.Spec.StorageClassName
	}
	return v
}

// Age is a duration the way kubectl shows ages: 45s, 12m, 3h, 5d.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// URLTimeout bounds CheckURL.
const URLTimeout = 2 * time.Second

// CheckURL GETs url once, within URLTimeout, without following
// redirects: any answer below 500 counts as answering (a 404 at / is an
// API's normal answer).
func CheckURL(ctx context.Context, url string) *URLCheck {
	ctx, cancel := context.WithTimeout(ctx, URLTimeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &URLCheck{Error: err.Error()}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	c := &URLCheck{Millis: time.Since(start).Milliseconds()}
	if err != nil {
		c.Error = urlError(err)
		return c
	}
	resp.Body.Close()
	c.Code = resp.StatusCode
	c.Answers = resp.StatusCode < 500
	return c
}

// urlError is the cause of a failed GET, without Go's wrapping.
func urlError(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "context deadline exceeded"), strings.Contains(msg, "Client.Timeout"):
		return fmt.Sprintf("no answer within %s", URLTimeout)
	case strings.Contains(msg, "connection refused"):
		return "connection refused"
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}
