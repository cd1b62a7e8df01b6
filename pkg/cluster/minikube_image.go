package cluster

import (
	"context"

	"github.com/cupaas/cupaas/pkg/run"
)

// RemoveImage removes image from the node (`minikube image rm`): what
// `cupaas doctor` loads to check that loading works, it removes again.
func (m *Minikube) RemoveImage(ctx context.Context, ex Exec, image string) error {
	_, err := ex.Runner.Run(ctx, run.Cmd{Argv: m.argv("image", "rm", image)})
	return err
}
