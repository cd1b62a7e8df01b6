package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// ComponentRun is the component label of the one-off pods of `cupaas run`.
const ComponentRun = "run"

// Deployment reads the app's Deployment as the cluster holds it. It holds
// references to the app's Secrets, never their values.
func (a *App) Deployment(ctx context.Context) (*appsv1.Deployment, error) {
	out, err := a.Kube.Run(ctx, "-n", a.Namespace, "get", "deployment", a.Name, "-o", "json")
	if err != nil {
		if kubectl.IsNotFound(err) {
			return nil, fmt.Errorf("app %s has no Deployment %s on context %s: run `cupaas deploy` first", a.Name, a.Name, a.Kube.Context)
		}
		return nil, err
	}
	var d appsv1.Deployment
	if err := json.Unmarshal(out, &d); err != nil {
		return nil, fmt.Errorf("cannot read deployment %s: %v", a.Name, err)
	}
	return &d, nil
}

// OneOffName is a new name for a one-off pod: <app>-run-<5 random
// characters>.
func (a *App) OneOffName() string {
	const letters = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	prefix := a.Name
	if len(prefix) > 63-len("-run-xxxxx") {
		prefix = prefix[:63-len("-run-xxxxx")]
	}
	return prefix + "-run-" + string(b)
}

// OneOffPod is the pod that runs argv once with the app's image, settings,
// secrets and service addresses: the app container of dep with its env
// and envFrom as they are (the Secrets stay references), its security
// settings and resources, and argv as its command. It is labelled as the
// app's component run, so that status and destroy know it.
func OneOffPod(dep *appsv1.Deployment, app, name string, argv []string, tty bool) (*corev1.Pod, error) {
	spec := dep.Spec.Template.Spec
	var src *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == render.ComponentApp {
			src = &spec.Containers[i]
		}
	}
	if src == nil {
		if len(spec.Containers) == 0 {
			return nil, fmt.Errorf("deployment %s has no container", dep.Name)
		}
		src = &spec.Containers[0]
	}
	c := corev1.Container{
		Name:            name,
		Image:           src.Image,
		ImagePullPolicy: src.ImagePullPolicy,
		Command:         argv,
		WorkingDir:      src.WorkingDir,
		Env:             src.Env,
		EnvFrom:         src.EnvFrom,
		Resources:       src.Resources,
		VolumeMounts:    src.VolumeMounts,
		SecurityContext: src.SecurityContext,
		Stdin:           true,
		StdinOnce:       true,
		TTY:             tty,
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: render.Labels(app, app, ComponentRun),
		},
		Spec: corev1.PodSpec{
			Containers:                   []corev1.Container{c},
			RestartPolicy:                corev1.RestartPolicyNever,
			Volumes:                      spec.Volumes,
			SecurityContext:              spec.SecurityContext,
			AutomountServiceAccountToken: spec.AutomountServiceAccountToken,
			EnableServiceLinks:           spec.EnableServiceLinks,
			ImagePullSecrets:             spec.ImagePullSecrets,
			NodeSelector:                 spec.NodeSelector,
			Tolerations:                  spec.Tolerations,
		},
	}, nil
}

// RunArgs run pod with `kubectl run`, attached: its exit code is kubectl's.
// The pod is given whole as --overrides (a merge patch over what kubectl
// run makes), so nothing but references to Secrets is in the argv.
func (a *App) RunArgs(pod *corev1.Pod, tty bool, startTimeout time.Duration) ([]string, error) {
	overrides, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	args := []string{"-n", a.Namespace, "run", pod.Name, "--image=" + pod.Spec.Containers[0].Image,
		"--restart=Never", "--quiet", "-i", "--pod-running-timeout=" + startTimeout.String(), "--overrides=" + string(overrides)}
	if tty {
		args = append(args, "-t")
	}
	return args, nil
}

// DeletePodArgs delete a pod without waiting for it to end.
func (a *App) DeletePodArgs(name string) []string {
	return []string{"-n", a.Namespace, "delete", "pod", name, "--ignore-not-found", "--wait=false"}
}

// OneOffState is how a one-off pod's container ended, or why it did not
// start.
type OneOffState struct {
	// Running is set while the container runs.
	Running bool
	// Terminated is set when the container ran and ended, with its
	// ExitCode.
	Terminated bool
	ExitCode   int
	// Waiting is why the container has not started ("ErrImageNeverPull:
	// ..."), when it has not.
	Waiting string
	// fatal is a waiting reason that does not heal by waiting.
	fatal bool
}

// OneOffState reads the state of the one-off pod name's container.
func (a *App) OneOffState(ctx context.Context, name string) (OneOffState, error) {
	out, err := a.quiet(ctx, "-n", a.Namespace, "get", "pod", name, "-o", "json")
	if err != nil {
		return OneOffState{}, err
	}
	var pod corev1.Pod
	if err := json.Unmarshal(out, &pod); err != nil {
		return OneOffState{}, err
	}
	for _, cs := range pod.Status.ContainerStatuses {
		switch {
		case cs.State.Terminated != nil:
			return OneOffState{Terminated: true, ExitCode: int(cs.State.Terminated.ExitCode)}, nil
		case cs.State.Running != nil:
			return OneOffState{Running: true}, nil
		case cs.State.Waiting != nil:
			w := cs.State.Waiting.Reason
			if m := cs.State.Waiting.Message; m != "" {
				w += ": " + m
			}
			return OneOffState{Waiting: w, fatal: fatalWaiting[cs.State.Waiting.Reason] && !TransientWaiting(cs.State.Waiting)}, nil
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue && c.Message != "" {
			return OneOffState{Waiting: "Unschedulable: " + c.Message, fatal: strings.Contains(c.Message, "Insufficient")}, nil
		}
	}
	return OneOffState{}, nil
}

// CreateOneOff creates pod (given on stdin: its spec holds references to
// Secrets only, but stays out of argv all the same).
func (a *App) CreateOneOff(ctx context.Context, pod *corev1.Pod) error {
	data, err := json.Marshal(pod)
	if err != nil {
		return err
	}
	_, err = a.Kube.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "create", "-f", "-"), Stdin: bytes.NewReader(data)})
	return err
}

// WaitOneOffStarted waits until the container of the one-off pod name runs
// or has ended, checking every poll for at most timeout. A container that
// cannot start (its image cannot be had, it cannot be scheduled) ends the
// wait with the reason.
func (a *App) WaitOneOffStarted(ctx context.Context, name string, timeout, poll time.Duration) (OneOffState, error) {
	deadline := a.now().Add(timeout)
	for {
		st, err := a.OneOffState(ctx, name)
		switch {
		case ctx.Err() != nil:
			return st, ctx.Err()
		case err == nil && (st.Running || st.Terminated):
			return st, nil
		case err == nil && st.fatal:
			return st, fmt.Errorf("pod %s did not start: container is waiting (%s)", name, st.Waiting)
		case !a.now().Before(deadline):
			why := "it is still being created"
			if st.Waiting != "" {
				why = "its container is waiting: " + st.Waiting
			} else if err != nil {
				why = firstLine(err)
			}
			return st, fmt.Errorf("pod %s did not start in %s (%s); give it longer with --timeout", name, timeout, why)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// WaitOneOffEnded waits until the container of the one-off pod name has
// ended, for at most timeout, and returns its state.
func (a *App) WaitOneOffEnded(ctx context.Context, name string, timeout, poll time.Duration) (OneOffState, error) {
	deadline := a.now().Add(timeout)
	for {
		st, err := a.OneOffState(ctx, name)
		if err == nil && st.Terminated {
			return st, nil
		}
		if !a.now().Before(deadline) {
			if err == nil {
				err = fmt.Errorf("the container of pod %s has not ended after %s", name, timeout)
			}
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// OneOffLogsArgs follow the output of the one-off pod name from its first
// line (stdout and stderr, as the container runtime keeps them).
func (a *App) OneOffLogsArgs(name string) []string {
	return []string{"-n", a.Namespace, "logs", "-f", name, "-c", name}
}

// AttachArgs attach to the one-off pod name's standard input.
func (a *App) AttachArgs(name string) []string {
	return []string{"-n", a.Namespace, "attach", name, "-c", name, "-i", "--quiet"}
}
