package app

import (
	"context"
	"strings"
)

// RequireDeployed checks that the app's namespace exists: a
// *NotDeployedError when it does not. A failed kubectl call is returned as
// it is, for the command to explain (cmdutil.ClusterError).
func (a *App) RequireDeployed(ctx context.Context) error {
	out, err := a.quiet(ctx, a.NamespaceArgs()...)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return err
	case strings.TrimSpace(string(out)) == "":
		return &NotDeployedError{App: a.Name, Context: a.Kube.Context}
	}
	return nil
}
