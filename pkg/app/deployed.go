package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
)

// NotDeployedError is an app that has no namespace on the context.
type NotDeployedError struct{ App, Context string }

func (e *NotDeployedError) Error() string {
	return fmt.Sprintf("app %s is not deployed on context %s (it has no namespace %s): deploy it with `cupaas deploy`, or name another app with --app or another context with --context", e.App, e.Context, e.App)
}

// UnreachableError is a cluster that does not answer.
type UnreachableError struct {
	Context string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the cluster of context %s does not answer (%s): check it with `cupaas doctor`", e.Context, firstLine(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Lines are the failed command's output and command line.
func (e *UnreachableError) Lines() []string {
	var re *run.Error
	if errors.As(e.Err, &re) {
		return re.Lines()
	}
	return nil
}

// RequireDeployed checks that the app's namespace exists: a
// *NotDeployedError when it does not, an *UnreachableError when the
// cluster does not answer.
func (a *App) RequireDeployed(ctx context.Context) error {
	out, err := a.quiet(ctx, a.NamespaceArgs()...)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil && (kubectl.IsUnreachable(err) || isNoContext(err)):
		return &UnreachableError{Context: a.Kube.Context, Err: err}
	case err != nil:
		return err
	case strings.TrimSpace(string(out)) == "":
		return &NotDeployedError{App: a.Name, Context: a.Kube.Context}
	}
	return nil
}

// isNoContext reports whether kubectl failed because the context is not in
// the kubeconfig.
func isNoContext(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, l := range re.Tail(3) {
		if strings.Contains(l, "context was not found") || strings.Contains(l, "does not exist") && strings.Contains(l, "context") {
			return true
		}
	}
	return false
}
