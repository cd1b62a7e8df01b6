package render

import (
	"github.com/cupaas/cupaas/pkg/config"
)

// node builds `runtime: node:<version>` apps on node:<version>-slim.
type node struct{}

// nodeData is the data of templates/node/Dockerfile.tmpl.
type nodeData struct {
	Version     string
	Port        int
	Entrypoint  string
	PackageJSON bool // install dependencies before copying the code
	PackageLock bool // npm ci instead of npm install
}

func (node) Name() string { return "node" }

func (node) Data(c *config.Config, files ProjectFiles) (any, error) {
	argv := c.Entrypoint
	if len(argv) == 0 {
		// config.Load resolves the entrypoint from package.json; this is
		// the same default for a config built without it.
		argv = []string{"npm", "start"}
	}
	ep, err := execForm(argv)
	if err != nil {
		return nil, err
	}
	return nodeData{
		Version:     c.Runtime.Version,
		Port:        c.Port,
		Entrypoint:  ep,
		PackageJSON: files.HasPackageJSON,
		PackageLock: files.HasPackageJSON && files.HasPackageLock,
	}, nil
}
