package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
)

// IsNamespaceTerminating reports whether err is kubectl refusing to create
// objects in a namespace that is being deleted.
func IsNamespaceTerminating(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	return strings.Contains(string(re.Output), "because it is being terminated")
}

// NamespaceArgs print the app's namespace by name, and nothing when it
// does not exist.
func (a *App) NamespaceArgs() []string {
	return []string{"get", "namespace", a.Namespace, "--ignore-not-found", "-o", "name"}
}

// DeletingArgs print when the app's namespace started to be deleted, and
// nothing when it does not exist or is not being deleted.
func (a *App) DeletingArgs() []string {
	return []string{"get", "namespace", a.Namespace, "--ignore-not-found", "-o", "jsonpath={.metadata.deletionTimestamp}"}
}

// NamespaceDeleting reports whether the app's namespace is being deleted:
// whatever is applied to it now is deleted with it, even objects that
// already exist (an apply only updates them, so it does not fail).
func (a *App) NamespaceDeleting(ctx context.Context) (bool, error) {
	out, err := a.Kube.Run(ctx, a.DeletingArgs()...)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) != "", nil
}

// WaitNamespaceGone waits until the app's namespace no longer exists,
// checking every poll, for at most timeout. A namespace being deleted
// takes its objects with it first; a new deploy into it can only start
// once it is gone.
func (a *App) WaitNamespaceGone(ctx context.Context, timeout, poll time.Duration) error {
	deadline := a.now().Add(timeout)
	for {
		out, err := a.quiet(ctx, a.NamespaceArgs()...)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(out)) == "" {
			return nil
		}
		if !a.now().Before(deadline) {
			return fmt.Errorf("namespace %s is still being deleted after %s: see what holds it with `kubectl --context %s get namespace %s -o yaml` (its finalizers and status conditions), then run `cupaas deploy` again", a.Namespace, timeout, a.Kube.Context, a.Namespace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
