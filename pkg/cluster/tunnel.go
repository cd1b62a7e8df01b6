package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
)

// urlWait bounds how long a URL command may take to print a URL.
const urlWait = 2 * time.Minute

// Tunnel is a URL command that keeps running after printing the URL (such
// as `minikube service --url` with the docker driver on macOS and Windows):
// the URL works only while it runs.
type Tunnel struct {
	// What names the process for the user ("minikube tunnel", "kubectl
	// port-forward"), and Command is how to run it again by hand.
	What, Command string

	cancel context.CancelFunc
	// ended is closed when the process has ended.
	ended chan struct{}
}

// newTunnel holds the running command whose result arrives on done.
func newTunnel(cancel context.CancelFunc, done <-chan error) *Tunnel {
	t := &Tunnel{cancel: cancel, ended: make(chan struct{})}
	go func() {
		<-done
		close(t.ended)
	}()
	return t
}

// Wait blocks until the tunnel ends or ctx is done, then stops it. It
// reports whether the tunnel ended by itself (the URL works no more).
func (t *Tunnel) Wait(ctx context.Context) (endedByItself bool) {
	select {
	case <-ctx.Done():
	case <-t.ended:
		endedByItself = true
	}
	t.Stop()
	return endedByItself
}

// Stop ends the tunnel's process, waiting for it at most 5 s.
func (t *Tunnel) Stop() {
	t.cancel()
	select {
	case <-t.ended:
	case <-time.After(5 * time.Second):
	}
}

// urlWriter passes on the first URL that pick finds in a line written to
// it.
type urlWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
	ch   chan string
	pick func(line string) (string, bool)
}

// httpLine is a line that is a URL.
func httpLine(line string) (string, bool) {
	if strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
		return line, true
	}
	return "", false
}

func (w *urlWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if w.sent {
		return len(b), nil
	}
	for _, line := range strings.Split(w.buf.String(), "\n") {
		if url, ok := w.pick(strings.TrimSpace(line)); ok {
			w.sent = true
			w.ch <- url
			break
		}
	}
	return len(b), nil
}

// serviceURL runs argv, which prints the URL of service svc, reading the
// URL as soon as it is printed. When the command keeps running afterwards,
// it is a tunnel. A transient failure is retried twice.
func serviceURL(ctx context.Context, ex Exec, argv []string, what, svc string) (string, *Tunnel, error) {
	delay := ex.RetryDelay
	if delay == 0 {
		delay = time.Second
	}
	var lastErr error
	for try := 1; try <= 3; try++ {
		url, tun, err := runURL(ctx, ex, argv, svc, httpLine)
		if err == nil || ctx.Err() != nil || !transient(err) || try == 3 {
			return url, tun, err
		}
		lastErr = err
		ex.warn(fmt.Sprintf("%s failed (%s); retrying (try %d of 3)", what, FirstLine(err), try+1))
		select {
		case <-ctx.Done():
			return "", nil, ctx.Err()
		case <-time.After(delay):
		}
	}
	return "", nil, lastErr
}

func transient(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	out := string(re.Output)
	return strings.Contains(out, "SVC_NOT_FOUND") || strings.Contains(out, "connection refused") || strings.Contains(out, "timeout")
}

// runURL runs argv, which prints a URL that pick finds in a line of its
// output; when it keeps running afterwards, it is returned as a tunnel.
func runURL(ctx context.Context, ex Exec, argv []string, svc string, pick func(string) (string, bool)) (string, *Tunnel, error) {
	tctx, cancel := context.WithCancel(ctx)
	w := &urlWriter{ch: make(chan string, 1), pick: pick}
	done := make(chan error, 1)
	go func() {
		_, err := ex.Runner.Run(tctx, run.Cmd{Argv: argv, Stdout: w})
		done <- err
	}()
	select {
	case url := <-w.ch:
		// A plain `--url` exits right after printing; a tunnel does not.
		select {
		case err := <-done:
			cancel()
			if err != nil {
				return "", nil, err
			}
			return url, nil, nil
		case <-time.After(2 * time.Second):
			return url, newTunnel(cancel, done), nil
		}
	case err := <-done:
		cancel()
		if err != nil {
			return "", nil, err
		}
		select {
		case url := <-w.ch:
			return url, nil, nil
		default:
		}
		return "", nil, fmt.Errorf("`%s` printed no URL; is the service %s of type NodePort?", run.CommandLine(argv), svc)
	case <-time.After(urlWait):
		cancel()
		<-done
		return "", nil, fmt.Errorf("`%s` printed no URL in %s", run.CommandLine(argv), urlWait)
	case <-ctx.Done():
		cancel()
		<-done
		return "", nil, ctx.Err()
	}
}
