package render

import (
	"fmt"

	"github.com/cupaas/cupaas/pkg/config"
)

// python builds `runtime: python:<version>` apps on python:<version>-slim.
type python struct{}

// pythonData is the data of templates/python/Dockerfile.tmpl.
type pythonData struct {
	Version      string
	Port         int
	Entrypoint   string
	Requirements bool // pip install -r requirements.txt before copying the code
	Pyproject    bool // pip install . after copying the code
}

func (python) Name() string { return "python" }

func (python) Data(c *config.Config, files ProjectFiles) (any, error) {
	if len(c.Entrypoint) == 0 {
		return nil, fmt.Errorf("%s: entrypoint is required for python, such as [python, app.py]", c.File)
	}
	ep, err := execForm(c.Entrypoint)
	if err != nil {
		return nil, err
	}
	return pythonData{
		Version:      c.Runtime.Version,
		Port:         c.Port,
		Entrypoint:   ep,
		Requirements: files.HasRequirements,
		Pyproject:    files.HasPyproject && !files.HasRequirements,
	}, nil
}
