package cmdutil

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cupaas/cupaas/pkg/cluster"
)

// AppURL is the URL of the target app, whose Service has node port
// nodePort: the URL its last deploy from this directory recorded, when
// that deploy went to the same context and the URL still names that port;
// else the one the cluster gives now (minikube service --url). The latter
// may come with a tunnel (minikube's docker driver on macOS and Windows):
// the URL works while it runs, and the caller stops it.
func (t *Target) AppURL(ctx context.Context, nodePort int32) (string, *cluster.Tunnel, error) {
	if nodePort == 0 {
		return "", nil, fmt.Errorf("app %s has no NodePort Service on context %s: run `cupaas deploy` again", t.Name, t.Context)
	}
	if st := t.State; st != nil && st.URL != "" && st.Context == t.Context && st.Namespace == t.Namespace {
		if u, err := url.Parse(st.URL); err == nil && u.Port() == strconv.Itoa(int(nodePort)) {
			return st.URL, nil, nil
		}
	}
	return t.Cluster.URL(ctx, cluster.Exec{Runner: t.Kube.Runner}, t.Namespace, t.Name)
}
