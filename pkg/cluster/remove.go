package cluster

import (
	"context"

	"github.com/cupaas/cupaas/pkg/run"
)

// ImageRemover is a cluster whose nodes' copies of the app's images cupaas
// can remove, so that the images of pruned releases do not fill the node's
// disk. A kind of cluster that cannot (a registry keeps its own) does not
// implement it.
type ImageRemover interface {
	// RemoveImage removes image from the cluster's nodes; an image they
	// do not have is no error.
	RemoveImage(ctx context.Context, ex Exec, image string) error
}

// RemoveImage runs `minikube image rm IMAGE`.
func (m *Minikube) RemoveImage(ctx context.Context, ex Exec, image string) error {
	_, err := ex.Runner.Run(ctx, run.Cmd{Argv: m.argv("image", "rm", image)})
	return err
}
