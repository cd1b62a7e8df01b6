// Package state records the last successful deploy of an app in
// state.json in the app's home (see pkg/home): which cluster context and namespace it went
// to, and which image runs. `cupaas env set` uses it to apply a change at
// once, to the same place, without rebuilding.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// State is the last successful deploy.
type State struct {
	App       string `json:"app"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
	// Cluster is the kind of cluster deployed to (minikube, kind,
	// registry, ...), and Registry where the image was pushed, if anywhere.
	Cluster    string    `json:"cluster,omitempty"`
	Registry   string    `json:"registry,omitempty"`
	Image      string    `json:"image"`
	Tag        string    `json:"tag"`
	Commit     string    `json:"commit,omitempty"`
	URL        string    `json:"url,omitempty"`
	DeployedAt time.Time `json:"deployedAt"`
	// ConfigFile and Config are the name and content of the deployed
	// .cupaas.yml: `cupaas env set` applies a new value with the config
	// that runs, not with edits that were not deployed yet.
	ConfigFile string `json:"configFile,omitempty"`
	// ConfigHash is the config hash of the app's pod template that runs.
	ConfigHash string `json:"configHash,omitempty"`
	// ManifestsHash is a hash of the applied objects but the app image's
	// name (see deploy): the same hash and tag make a no-change deploy.
	ManifestsHash string `json:"manifestsHash,omitempty"`
	// ServicesHash is a hash of the objects applied before the image
	// (deploy's services.yaml): the same hash skips their apply.
	ServicesHash string `json:"servicesHash,omitempty"`
	Config       string `json:"config,omitempty"`
}

// MaxFileSize bounds the size of state.json: it holds a copy of
// .cupaas.yml (1 MiB at most), which JSON may escape to a few times its
// size. A larger file is refused before it is read.
const MaxFileSize = 8 << 20

// Path is where the state is kept in dir, the app's home.
func Path(dir string) string { return filepath.Join(dir, "state.json") }

// Load returns the last deploy, or nil when the app was never deployed.
func Load(dir string) (*State, error) {
	p := Path(dir)
	data, err := safefile.ReadFile(p, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if safefile.Refused(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s is corrupt (%v); delete it, and the next `cupaas deploy` writes it again", p, err)
	}
	return &s, nil
}

// Save records s atomically.
func Save(dir string, s State) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(Path(dir), append(data, '\n'), 0o600)
}
