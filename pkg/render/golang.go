package render

import (
	"fmt"

	"github.com/cupaas/cupaas/pkg/config"
)

// golang builds `runtime: go:<version>` apps with golang:<version> into a
// static binary on distroless.
type golang struct{}

// golangData is the data of templates/go/Dockerfile.tmpl.
type golangData struct {
	Version    string
	Port       int
	Entrypoint string
}

func (golang) Name() string { return "go" }

func (golang) Data(c *config.Config, files ProjectFiles) (any, error) {
	if !files.HasGoMod {
		return nil, fmt.Errorf("runtime go needs a go.mod in the app directory; create one with `go mod init <module path>`")
	}
	argv := c.Entrypoint
	if len(argv) == 0 {
		argv = []string{"/app"}
	}
	ep, err := execForm(argv)
	if err != nil {
		return nil, err
	}
	return golangData{Version: c.Runtime.Version, Port: c.Port, Entrypoint: ep}, nil
}
