package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// LogOptions choose what ReadLogs and FollowLogs print.
type LogOptions struct {
	// Component selects one component's pods (a service, or "app"); ""
	// means every pod of the app.
	Component string
	// Since limits the logs to the last Since; 0 means no limit.
	Since time.Duration
	// Tail is how many lines of each container's log are shown at first;
	// negative means all.
	Tail int
	// Previous reads the previous run of each container (after a crash).
	Previous bool
	// Poll is how often FollowLogs looks for new pods; 0 means 1.5 s.
	Poll time.Duration
}

// LogLine is one line of a container's log.
type LogLine struct {
	// Pod and Container say where it comes from; Component is the pod's
	// component label.
	Pod, Container, Component string
	// Short is the pod's short name (ShortPodName).
	Short string
	// Text is the line, without its line break.
	Text string
}

// LogEmitter receives whole lines, one call at a time.
type LogEmitter func(LogLine)

// ShortPodName is a short name for a pod of app that stays the same for
// the pod's life: its component, then what tells its pods apart (the
// random suffix of a Deployment's pod, the ordinal of a StatefulSet's):
// counter-7b54b69c95-2ccjw is app/2ccjw, counter-redis-0 is redis/0.
func ShortPodName(app string, pod corev1.Pod) string {
	comp := pod.Labels[render.LabelComponent]
	if comp == "" {
		comp = "pod"
	}
	name := pod.Name
	if i := strings.LastIndexByte(name, '-'); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	return comp + "/" + name
}

// logArgs are the arguments of `kubectl logs` for one container.
func (a *App) logArgs(pod, container string, follow bool, since time.Duration, tail int, previous bool) []string {
	args := []string{"-n", a.Namespace, "logs", pod, "-c", container, "--timestamps"}
	if follow {
		args = append(args, "-f")
	}
	if since > 0 {
		args = append(args, "--since="+since.String())
	}
	if tail >= 0 {
		args = append(args, "--tail="+strconv.Itoa(tail))
	}
	if previous {
		args = append(args, "--previous")
	}
	return args
}

// started reports whether a container has run, so that it has a log.
func started(cs corev1.ContainerStatus, previous bool) bool {
	if previous {
		return cs.LastTerminationState.Terminated != nil
	}
	return cs.State.Running != nil || cs.State.Terminated != nil
}

// sortPods orders pods by component (the app first), then by name.
func sortPods(pods []corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		ci, cj := pods[i].Labels[render.LabelComponent], pods[j].Labels[render.LabelComponent]
		if (ci == render.ComponentApp) != (cj == render.ComponentApp) {
			return ci == render.ComponentApp
		}
		if ci != cj {
			return ci < cj
		}
		return pods[i].Name < pods[j].Name
	})
}

// ReadLogs prints the logs of the app's pods, merged in time order. A
// container that has no log yet (or no previous run, with Previous) is
// skipped and said through note.
func (a *App) ReadLogs(ctx context.Context, o LogOptions, emit LogEmitter, note func(string)) error {
	pods, err := a.Pods(ctx, o.Component)
	if err != nil {
		return err
	}
	sortPods(pods)
	type stamped struct {
		at   string
		line LogLine
	}
	var all []stamped
	for _, pod := range pods {
		short := ShortPodName(a.Name, pod)
		for _, cs := range pod.Status.ContainerStatuses {
			if !started(cs, o.Previous) {
				what := "has not started yet"
				if o.Previous {
					what = "has no previous run"
				}
				note(fmt.Sprintf("%s: container %s %s", short, cs.Name, what))
				continue
			}
			out, err := a.quiet(ctx, a.logArgs(pod.Name, cs.Name, false, o.Since, o.Tail, o.Previous)...)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				note(fmt.Sprintf("%s: cannot read the log of container %s: %s", short, cs.Name, firstLine(err)))
				continue
			}
			for _, l := range strings.Split(string(out), "\n") {
				if l = strings.TrimRight(l, "\r"); l == "" {
					continue
				}
				at, text := splitTimestamp(l)
				all = append(all, stamped{at, LogLine{Pod: pod.Name, Container: cs.Name, Component: pod.Labels[render.LabelComponent], Short: short, Text: text}})
			}
		}
	}
	// RFC 3339 timestamps with nanoseconds in UTC sort as strings.
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	for _, s := range all {
		emit(s.line)
	}
	return nil
}

// splitTimestamp cuts the timestamp `kubectl logs --timestamps` puts
// before each line.
func splitTimestamp(l string) (at, text string) {
	at, text, ok := strings.Cut(l, " ")
	if !ok || len(at) < 20 || at[4] != '-' || at[10] != 'T' {
		return "", l
	}
	return at, text
}

func firstLine(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		if t := re.Tail(1); len(t) > 0 {
			return strings.TrimSpace(t[0])
		}
	}
	return err.Error()
}

// FollowLogs prints the logs of the app's pods as they are written, until
// ctx is done. It looks for pods every Poll: a container that starts later
// (a new pod of a rollout, a restart) is followed from its first line, and
// the stream of a container that ends stops by itself and is not started
// again. Tail and Since apply to the containers running at the start. A
// pod list that fails is said through note and tried again.
func (a *App) FollowLogs(ctx context.Context, o LogOptions, emit LogEmitter, note func(string)) error {
	poll := o.Poll
	if poll == 0 {
		poll = 1500 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	// seen holds every container run ever streamed (pod uid, container,
	// restart count); running the ones whose stream goes on, by pod uid.
	seen := map[string]bool{}
	// failed counts the streams that failed before printing anything
	// (the container was not ready for kubectl yet): they are tried again
	// at the next polls, a few times.
	failed := map[string]int{}
	initial := map[string]bool{}
	running := map[string]map[string]context.CancelFunc{}
	first, failing := true, false
	for {
		pods, err := a.Pods(ctx, o.Component)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && first:
			return err
		case err != nil:
			if !failing {
				note("cannot list the pods (" + firstLine(err) + "); trying again")
			}
			failing = true
		default:
			if failing {
				note("listing the pods works again")
			}
			failing = false
			if first && len(pods) == 0 {
				note("no pods yet: waiting for them")
			}
			sortPods(pods)
			present := map[string]bool{}
			for _, pod := range pods {
				uid := string(pod.UID)
				present[uid] = true
				for _, cs := range pod.Status.ContainerStatuses {
					key := uid + "/" + cs.Name + "/" + strconv.Itoa(int(cs.RestartCount))
					mu.Lock()
					skip := seen[key] || !started(cs, false)
					if !skip {
						seen[key] = true
						if first {
							initial[key] = true
						}
					}
					// Tail and Since are for the containers running at
					// the start (also when their stream is tried again).
					since, tail := time.Duration(0), -1
					if initial[key] {
						since, tail = o.Since, o.Tail
					}
					mu.Unlock()
					if skip {
						continue
					}
					sctx, scancel := context.WithCancel(ctx)
					mu.Lock()
					if running[uid] == nil {
						running[uid] = map[string]context.CancelFunc{}
					}
					running[uid][key] = scancel
					mu.Unlock()
					line := LogLine{Pod: pod.Name, Container: cs.Name, Component: pod.Labels[render.LabelComponent], Short: ShortPodName(a.Name, pod)}
					args := a.logArgs(pod.Name, cs.Name, true, since, tail, false)
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer scancel()
						printed, err := a.stream(sctx, args, line, emit)
						mu.Lock()
						delete(running[uid], key)
						if err != nil && !printed && sctx.Err() == nil && failed[key] < maxStreamRetries {
							failed[key]++
							delete(seen, key)
						}
						mu.Unlock()
					}()
				}
			}
			// A pod that is gone takes its streams with it.
			mu.Lock()
			for uid, streams := range running {
				if !present[uid] {
					for _, c := range streams {
						c()
					}
					delete(running, uid)
				}
			}
			mu.Unlock()
			first = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// maxStreamRetries is how many times a container's stream that failed
// before printing anything is started again.
const maxStreamRetries = 5

// stream runs one `kubectl logs -f` and emits its lines. It ends when the
// container ends, the pod is gone, or ctx is done; a failure (the pod was
// deleted meanwhile) ends it quietly: the next poll tells what is left. It
// reports whether a line was emitted, and kubectl's error.
func (a *App) stream(ctx context.Context, args []string, line LogLine, emit LogEmitter) (bool, error) {
	printed := false
	w := &lineWriter{emit: func(text string) {
		printed = true
		l := line
		_, l.Text = splitTimestamp(text)
		emit(l)
	}}
	r := a.Quiet
	if r == nil {
		r = a.Kube.Runner
	}
	_, err := r.Run(ctx, run.Cmd{Argv: a.Kube.Argv(args...), Stdout: w, Stream: true})
	w.flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	return printed, err
}

// lineWriter cuts what is written into lines.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

// maxLine bounds a line kept while its end has not come: a longer one is
// emitted in pieces.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxLine {
				w.emit(string(w.buf))
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		w.emit(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}
