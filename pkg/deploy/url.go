package deploy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/run"
)

// 10. Verify: the URL answers (the health check path when set), tried
// until opts.VerifyTimeout.
func verify(ctx context.Context, opts Options, a *app.App, url, healthcheck string) (result, error) {
	target := strings.TrimRight(url, "/") + "/"
	if healthcheck != "" {
		target = strings.TrimRight(url, "/") + healthcheck
	}
	deadline := time.Now().Add(opts.VerifyTimeout)
	// A new NodePort answers as soon as kube-proxy has programmed it:
	// tried often at first, then once a second.
	pause := 200 * time.Millisecond
	var lastErr error
	for attempt := 0; ; attempt++ {
		start := time.Now()
		status, err := get(ctx, opts.HTTPClient, target)
		took := time.Since(start)
		if err == nil && (status < 400 || (healthcheck == "" && status < 500)) {
			return result{detail: fmt.Sprintf("GET %s: HTTP %d in %s", target, status, took.Round(time.Millisecond))}, nil
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
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
	details := []string{}
	out, err := opts.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "logs", "deployment/"+a.Name, "--tail", "20")})
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		details = append(details, "Last 20 lines of the app's log:")
		for _, l := range run.Tail(out, 20) {
			details = append(details, "  "+l)
		}
	}
	return result{}, &app.Diagnosis{Err: fmt.Errorf("the app does not answer at %s after %s: %v", target, opts.VerifyTimeout, lastErr), Details: details}
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
