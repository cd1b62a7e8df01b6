package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kballard/go-shellquote"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// The release phase: `release:` of .cupaas.yml runs once per deploy as a
// Kubernetes Job, with the new image and the app container's settings,
// secrets and service URLs (the same env and envFrom), after the services
// are ready and before the app's Deployment is applied. Its output is shown
// live; when it fails the deploy stops with its log, and the old pods keep
// serving, since their Deployment was not touched.

// ComponentRelease is the component label of the release phase's Job.
const ComponentRelease = "release"

// releaseJobTTL is how long a finished release Job (and its pod, with the
// log) stays for inspection.
const releaseJobTTL = 3600

// ReleaseFailure is a release command that did not succeed: why, and the
// last lines of its log.
type ReleaseFailure struct {
	Err error
	Log []string
	Job string
	NS  string
	Ctx string
}

func (f *ReleaseFailure) Error() string { return f.Err.Error() }
func (f *ReleaseFailure) Unwrap() error { return f.Err }

// Lines are the log's last lines and where to read all of it.
func (f *ReleaseFailure) Lines() []string {
	var lines []string
	if len(f.Log) > 0 {
		if len(f.Log) == 1 {
			lines = append(lines, "Last line of its log:")
		} else {
			lines = append(lines, fmt.Sprintf("Last %d lines of its log:", len(f.Log)))
		}
		for _, l := range f.Log {
			lines = append(lines, "  "+l)
		}
	}
	lines = append(lines, "The app's pods were not changed: the release before keeps serving.")
	lines = append(lines, fmt.Sprintf("The whole log: kubectl --context %s -n %s logs job/%s", f.Ctx, f.NS, f.Job))
	return lines
}

// releaseJobName names the Job of release version (the tag when the
// release is not numbered).
func releaseJobName(app string, version int, tag string) string {
	if version > 0 {
		return fmt.Sprintf("%s-release-v%d", app, version)
	}
	return app + "-release-" + tag
}

// ReleaseJob is the Job that runs command with the app container of the
// rendered Deployment: its image, env, envFrom, resources and security
// context; no ports and no probes; never restarted.
func ReleaseJob(objects []runtime.Object, name string, command []string, deadline time.Duration) (*batchv1.Job, error) {
	var dep *appsv1.Deployment
	for _, o := range objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			dep = d
		}
	}
	if dep == nil {
		return nil, errors.New("internal error: the app's Deployment was not rendered")
	}
	app := dep.Name
	tmpl := dep.Spec.Template.DeepCopy()
	tmpl.Labels = render.Labels(app, app, ComponentRelease)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	for i := range tmpl.Spec.Containers {
		c := &tmpl.Spec.Containers[i]
		if c.Name != render.AppContainer {
			continue
		}
		c.Command = append([]string{}, command...)
		c.Args = nil
		c.Ports = nil
		c.ReadinessProbe, c.LivenessProbe, c.StartupProbe = nil, nil, nil
	}
	secs := int64(deadline / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: dep.Namespace, Labels: render.Labels(app, app, ComponentRelease),
			Annotations: dep.Annotations,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptrTo(int32(0)),
			ActiveDeadlineSeconds:   &secs,
			TTLSecondsAfterFinished: ptrTo(int32(releaseJobTTL)),
			Template:                *tmpl,
		},
	}, nil
}

func ptrTo[T any](v T) *T { return &v }

// beforeApp are the objects the release Job needs before it runs: all but
// the app's Deployment and its autoscaler (which would roll or scale the
// app's pods).
func beforeApp(objects []runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, o := range objects {
		switch o.(type) {
		case *appsv1.Deployment, *autoscalingv2.HorizontalPodAutoscaler:
			continue
		}
		out = append(out, o)
	}
	return out
}

// releasePhase applies what the Job needs when the services' apply has
// not (the app's ConfigMap and Secret of an app without services), runs
// the Job with its
// output streamed under the step, and waits for its end.
func releasePhase(ctx context.Context, s stepIO, a *app.App, b *bundle.Bundle, name string, opts Options, live io.Writer) (result, error) {
	job, err := ReleaseJob(b.Objects, name, b.Config.Release, opts.Timeout)
	if err != nil {
		return result{}, err
	}
	if job.Namespace == "" {
		job.Namespace = a.Namespace
	}
	// With services, Apply services and Roll out services have applied
	// everything but the Deployment and waited for the services.
	applied := len(serviceObjects(b.Objects)) > 0
	if s.DryRun() {
		if !applied {
			s.plan(a.Kube.Argv(kubectl.ApplyArgs...), "the app's ConfigMap and Secret, without its Deployment")
		}
		s.plan(a.Kube.Argv(kubectl.ApplyArgs...), "the release Job "+name)
		s.plan(a.Kube.Argv("-n", a.Namespace, "logs", "-f", "job/"+name), "its output, live")
		return result{}, nil
	}
	if !applied {
		manifest, err := render.Encode(beforeApp(b.Objects), false)
		if err != nil {
			return result{}, err
		}
		if _, err := s.Retry(ctx, "kubectl apply", func() ([]byte, error) {
			return s.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv(kubectl.ApplyArgs...), Stdin: bytes.NewReader(manifest)})
		}); err != nil {
			return result{}, err
		}
	}
	if err := waitServicesRouted(ctx, s, a, opts); err != nil {
		return result{}, err
	}
	jobManifest, err := render.Encode([]runtime.Object{job}, false)
	if err != nil {
		return result{}, err
	}
	if _, err := s.Retry(ctx, "kubectl apply", func() ([]byte, error) {
		return s.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv(kubectl.ApplyArgs...), Stdin: bytes.NewReader(jobManifest)})
	}); err != nil {
		return result{}, err
	}
	started := opts.Now()
	if err := runReleaseJob(ctx, a, name, opts, live); err != nil {
		return result{}, err
	}
	return result{detail: fmt.Sprintf("%s succeeded in %.1fs", shortCommand(b.Config.Release), opts.Now().Sub(started).Seconds())}, nil
}

// shortCommand is argv as a command line of at most 40 characters.
func shortCommand(argv []string) string {
	s := shellquote.Join(argv...)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return s
}

// serviceRouteGrace is how old a Service must be before the release Job
// uses it: a new Service's address is routed by kube-proxy a moment after
// it is created (1.5 s measured on the test bed, under load more), and
// meanwhile a connection to it goes wherever the node's default route
// leads. The app's own pods are retried by their readiness probe; a release
// command that cannot connect fails the deploy.
const serviceRouteGrace = 5 * time.Second

// waitServicesRouted waits until the app's newest Service is
// serviceRouteGrace old: on a first deploy, or after a service was added.
func waitServicesRouted(ctx context.Context, s stepIO, a *app.App, opts Options) error {
	// A listing that fails or cannot be read only skips the wait: the
	// Job's apply that follows reports a cluster that does not answer.
	out, err := s.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "get", "services", "-l", a.Selector(""), "-o", "json")})
	if err != nil {
		return ctx.Err()
	}
	var list corev1.ServiceList
	if json.Unmarshal(out, &list) != nil {
		return nil
	}
	var newest time.Time
	for _, svc := range list.Items {
		if svc.CreationTimestamp.After(newest) {
			newest = svc.CreationTimestamp.Time
		}
	}
	wait := newest.Add(serviceRouteGrace).Sub(opts.Now())
	if newest.IsZero() || wait <= 0 {
		return nil
	}
	wait = min(wait, serviceRouteGrace)
	s.Log(fmt.Sprintf("the services are new: waiting %s for the cluster to route their addresses", wait.Round(100*time.Millisecond)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

// runReleaseJob waits for the pod of Job name, streams its log to live
// while it runs, and returns nil when it succeeded, else a *ReleaseFailure
// with the log's last lines.
func runReleaseJob(ctx context.Context, a *app.App, name string, opts Options, live io.Writer) error {
	deadline := opts.Now().Add(opts.Timeout)
	tail := &tailBuffer{max: 20}
	var out io.Writer = tail
	if live != nil {
		out = io.MultiWriter(live, tail)
	}
	var logsDone chan struct{}
	fail := func(err error) error {
		if logsDone != nil {
			select {
			case <-logsDone:
			case <-time.After(5 * time.Second):
			}
		}
		return &ReleaseFailure{Err: err, Log: tail.lines(), Job: name, NS: a.Namespace, Ctx: a.Kube.Context}
	}
	for {
		pod, err := jobPod(ctx, a, name)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if pod != nil {
			var cs *corev1.ContainerStatus
			for i := range pod.Status.ContainerStatuses {
				if pod.Status.ContainerStatuses[i].Name == render.AppContainer {
					cs = &pod.Status.ContainerStatuses[i]
				}
			}
			started := cs != nil && (cs.State.Running != nil || cs.State.Terminated != nil)
			if started && logsDone == nil {
				logsDone = make(chan struct{})
				r := a.Quiet
				if r == nil {
					r = a.Kube.Runner
				}
				go func(pod string) {
					defer close(logsDone)
					r.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "logs", "-f", "pod/"+pod, "-c", render.AppContainer), Stdout: out, Stderr: out})
				}(pod.Name)
			}
			// A config the kubelet could not sync yet heals by itself
			// (seen on a first deploy): only a lasting one stops it,
			// through --timeout.
			if cs != nil && cs.State.Waiting != nil && stuck(cs.State.Waiting.Reason) && !app.TransientWaiting(cs.State.Waiting) {
				return fail(fmt.Errorf("the release command cannot start: %s: %s", cs.State.Waiting.Reason, cs.State.Waiting.Message))
			}
			switch pod.Status.Phase {
			case corev1.PodSucceeded:
				if logsDone != nil {
					select {
					case <-logsDone:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			case corev1.PodFailed:
				why := "the release command failed"
				if cs != nil && cs.State.Terminated != nil {
					t := cs.State.Terminated
					why = fmt.Sprintf("the release command exited with code %d", t.ExitCode)
					if t.Reason != "" && t.Reason != "Error" {
						why += " (" + t.Reason + ")"
					}
				} else if pod.Status.Reason != "" {
					why += ": " + pod.Status.Reason
				}
				return fail(errors.New(why))
			}
		}
		if opts.Now().After(deadline) {
			return fail(fmt.Errorf("the release command did not finish in %s", opts.Timeout))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.PollInterval):
		}
	}
}

// stuck are the waiting reasons of a container that will not start by
// itself.
func stuck(reason string) bool {
	switch reason {
	case "ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
		return true
	}
	return false
}

// jobPod is the newest pod of Job name, or nil while there is none.
func jobPod(ctx context.Context, a *app.App, name string) (*corev1.Pod, error) {
	r := a.Quiet
	if r == nil {
		r = a.Kube.Runner
	}
	out, err := r.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "get", "pods", "-l", "job-name="+name, "-o", "json")})
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, err
	}
	var newest *corev1.Pod
	for i := range list.Items {
		p := &list.Items[i]
		if newest == nil || p.CreationTimestamp.After(newest.CreationTimestamp.Time) {
			newest = p
		}
	}
	return newest, nil
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu   sync.Mutex
	max  int
	buf  []string
	part string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.part + string(p)
	parts := strings.Split(s, "\n")
	t.part = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		t.buf = append(t.buf, strings.TrimSuffix(l, "\r"))
		if len(t.buf) > t.max {
			t.buf = t.buf[1:]
		}
	}
	return len(p), nil
}

func (t *tailBuffer) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string{}, t.buf...)
	if t.part != "" {
		out = append(out, t.part)
		if len(out) > t.max {
			out = out[1:]
		}
	}
	return out
}

// logLines shows each line written to it under the running step (nothing
// when quiet).
type logLines struct {
	log   func(string)
	quiet bool
	mu    sync.Mutex
	part  []byte
}

func (w *logLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		if !w.quiet {
			w.log(string(bytes.TrimSuffix(w.part[:i], []byte("\r"))))
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// flush shows a last line without a newline.
func (w *logLines) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.part) > 0 && !w.quiet {
		w.log(string(w.part))
	}
	w.part = nil
}
