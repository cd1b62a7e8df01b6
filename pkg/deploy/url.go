package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// urlWait bounds how long `minikube service --url` may take to print a URL.
const urlWait = 2 * time.Minute

// Tunnel is a `minikube service --url` that keeps running after printing
// the URL: with the docker driver on macOS and Windows it holds a tunnel
// open, and the URL works only while it runs.
type Tunnel struct {
	cancel context.CancelFunc
	done   chan error
}

// Wait blocks until the tunnel ends or ctx is done, then stops it.
func (t *Tunnel) Wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-t.done:
	}
	t.Stop()
}

func (t *Tunnel) Stop() {
	t.cancel()
	select {
	case <-t.done:
	case <-time.After(5 * time.Second):
	}
}

// urlWriter passes on the first http(s) line written to it.
type urlWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
	ch   chan string
}

func (w *urlWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if w.sent {
		return len(b), nil
	}
	for _, line := range strings.Split(w.buf.String(), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
			w.sent = true
			w.ch <- line
			break
		}
	}
	return len(b), nil
}

// serviceURL runs `minikube service --url`, reading the URL as soon as it
// is printed. When the command keeps running afterwards, it is a tunnel.
func (p *pipeline) serviceURL(ctx context.Context, argv []string) (string, *Tunnel, error) {
	var lastErr error
	for try := 1; try <= 3; try++ {
		url, tun, err := p.serviceURLOnce(ctx, argv)
		if err == nil || ctx.Err() != nil || !transient(err) || try == 3 {
			return url, tun, err
		}
		lastErr = err
		p.step.Warn(fmt.Sprintf("minikube service failed (%s); retrying (try %d of 3)", firstLine(err), try+1))
		select {
		case <-ctx.Done():
			return "", nil, ctx.Err()
		case <-time.After(p.opts.RetryDelay):
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

func (p *pipeline) serviceURLOnce(ctx context.Context, argv []string) (string, *Tunnel, error) {
	tctx, cancel := context.WithCancel(ctx)
	w := &urlWriter{ch: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		_, err := p.runCmd(tctx, run.Cmd{Argv: argv, Stdout: w})
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
			return url, &Tunnel{cancel: cancel, done: done}, nil
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
		return "", nil, fmt.Errorf("`%s` printed no URL; is the service %s of type NodePort?", run.CommandLine(argv), p.cfg.Name)
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

// 10. Verify: the URL answers (the health check path when set).
func (p *pipeline) verify(ctx context.Context) (result, error) {
	target := strings.TrimRight(p.url, "/") + "/"
	if p.cfg.Healthcheck != "" {
		target = strings.TrimRight(p.url, "/") + p.cfg.Healthcheck
	}
	deadline := time.Now().Add(p.opts.VerifyTimeout)
	var lastErr error
	for attempt := 0; ; attempt++ {
		start := time.Now()
		status, err := p.get(ctx, target)
		took := time.Since(start)
		if err == nil && (status < 400 || (p.cfg.Healthcheck == "" && status < 500)) {
			detail := fmt.Sprintf("GET %s: HTTP %d in %s", target, status, took.Round(time.Millisecond))
			if err := p.saveState(); err != nil {
				p.step.Warn(err.Error())
			}
			return result{detail: detail}, nil
		}
		if err == nil {
			lastErr = fmt.Errorf("GET %s answered HTTP %d", target, status)
		} else {
			lastErr = err
		}
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return result{}, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	details := []string{}
	out, err := p.opts.Runner.Run(ctx, run.Cmd{Argv: p.kc.Argv("-n", p.ns(), "logs", "deployment/"+p.cfg.Name, "--tail", "20")})
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		details = append(details, "Last 20 lines of the app's log:")
		for _, l := range run.Tail(out, 20) {
			details = append(details, "  "+l)
		}
	}
	return result{}, &StepError{Err: fmt.Errorf("the app does not answer at %s after %s: %v", target, p.opts.VerifyTimeout, lastErr), Details: details}
}

func (p *pipeline) get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// saveState records the deploy for `cupaas env set` and the next deploy.
func (p *pipeline) saveState() error {
	hash := ""
	for _, t := range p.rolloutTargets() {
		if t.app {
			hash = t.hash
		}
	}
	return state.Save(p.opts.Dir, state.State{
		App: p.cfg.Name, Namespace: p.ns(), Context: p.opts.Context, Image: p.b.Image, Tag: p.b.Tag,
		Commit: p.b.Git.Revision(), URL: p.url, DeployedAt: p.opts.Now().UTC(),
		ConfigFile: filepath.Base(p.b.Config.File), Config: string(p.b.Config.Raw), ConfigHash: hash,
	})
}
