package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
)

// ClusterError explains a failed kubectl call of a command that reads the
// cluster: kubectl missing says how to install it; a context that does not
// exist is a usage error that says how to list them; a cluster that does
// not answer names the context and what to do, from the cluster's own
// check (such as "minikube is not running: start it with `minikube
// start`"). Any other error is returned as it is.
func ClusterError(ctx context.Context, cl cluster.Cluster, runner run.Runner, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	var re *run.Error
	switch {
	case errors.Is(err, exec.ErrNotFound):
		for _, t := range cl.Tools() {
			if t.Name == "kubectl" {
				return fmt.Errorf("kubectl not found on PATH: %s", t.Install)
			}
		}
		return err
	case contextMissing(err):
		return &UsageError{Err: fmt.Errorf("kube context %q does not exist: `kubectl config get-contexts` lists them; name one with --context", cl.Context())}
	case kubectl.IsUnreachable(err):
		what := "kubectl cannot reach it"
		var details []string
		// A context of no known kind has no check of its own (its Check
		// refuses deploys, which says nothing about reachability).
		if _, unknown := cl.(*cluster.Unknown); unknown {
			what += "; check that it runs (`kubectl --context " + cl.Context() + " cluster-info`, `cupaas doctor`)"
		} else if cerr := cl.Check(ctx, cluster.Exec{Runner: runner}); cerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			what = cerr.Error()
		} else {
			what += "; check that it runs (`kubectl --context " + cl.Context() + " cluster-info`)"
		}
		if errors.As(err, &re) {
			details = append(details, "kubectl said: "+cluster.FirstLine(err))
		}
		return &cluster.Error{Err: fmt.Errorf("the cluster of context %s does not answer: %s", cl.Context(), what), Details: details}
	}
	return err
}

// contextMissing reports whether kubectl refused an unknown context.
func contextMissing(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, line := range re.Tail(5) {
		// kubectl says either, by version and by where the context is
		// missing from.
		if strings.Contains(line, "context") && (strings.Contains(line, "does not exist") || strings.Contains(line, "context was not found")) {
			return true
		}
	}
	return false
}

// ClusterError is ClusterError for the target's cluster.
func (t *Target) ClusterError(ctx context.Context, err error) error {
	return ClusterError(ctx, t.Cluster, t.Kube.Runner, err)
}

// RequireDeployed checks that the app is on the target's context (see
// Explain).
func (t *Target) RequireDeployed(ctx context.Context) error {
	return t.Explain(ctx, t.App.RequireDeployed(ctx))
}

// Explain is the error of a read of the app as the user is told it: an
// *app.NotDeployedError (Here when run in the app's directory) when the
// app is not on the context, a ClusterError when the cluster cannot tell;
// nil for nil.
func (t *Target) Explain(ctx context.Context, err error) error {
	var nd *app.NotDeployedError
	if errors.As(err, &nd) {
		nd.Here = t.Config != nil
		return nd
	}
	return t.ClusterError(ctx, err)
}
