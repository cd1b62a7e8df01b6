// Package home owns the local files of one app: its settings and secrets
// (.cupaas.env), and cupaas' own directory (.cupaas/) with the service
// credentials, the record of the last deploy, the lock and the generated
// build files. It is the one place that knows where they are, so that what
// is built (a working tree, or a git commit read from a bare repository)
// and where the app's files are kept can be two different places.
package home

import (
	"context"
	"path/filepath"
	"time"

	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/state"
	"github.com/cupaas/cupaas/pkg/statedir"
)

// DirName is the name of cupaas' own directory in an app directory. It
// never belongs to an image's build context, nor to git.
const DirName = ".cupaas"

// BuildDirName is where, inside the home, deploy writes the generated
// Dockerfile and kubernetes.yaml; relative to the app directory it is
// .cupaas/build.
const BuildDirName = "build"

// Home is where one app's local files live.
type Home struct {
	// AppDir holds .cupaas.yml and .cupaas.env.
	AppDir string
	// Dir is cupaas' own directory of the app.
	Dir string
}

// Of returns the home of the app in appDir: its files beside .cupaas.yml,
// cupaas' own in appDir/.cupaas.
func Of(appDir string) Home {
	if appDir == "" {
		appDir = "."
	}
	return Home{AppDir: appDir, Dir: filepath.Join(appDir, DirName)}
}

// EnvFile is the path of the app's settings and secrets.
func (h Home) EnvFile() string { return filepath.Join(h.AppDir, envfile.Name) }

// BuildDir is where the generated Dockerfile and manifests are written.
func (h Home) BuildDir() string { return filepath.Join(h.Dir, BuildDirName) }

// StatePath is the record of the last successful deploy.
func (h Home) StatePath() string { return state.Path(h.Dir) }

// State returns the last successful deploy, or nil when there was none.
func (h Home) State() (*state.State, error) { return state.Load(h.Dir) }

// SaveState records a successful deploy.
func (h Home) SaveState(s state.State) error { return state.Save(h.Dir, s) }

// Credentials returns the services' credentials, generating missing ones
// (see credentials.Ensure).
func (h Home) Credentials(services []string, override map[string]credentials.Service) (map[string]credentials.Service, error) {
	return credentials.Ensure(h.Dir, services, override)
}

// StoredCredentials returns the credentials kept so far, without creating
// any.
func (h Home) StoredCredentials() (map[string]credentials.Service, error) {
	return credentials.Load(h.Dir)
}

// EnsureDir creates the home's directory, private to its owner and kept
// out of git, and returns it.
func (h Home) EnsureDir() (string, error) { return statedir.Ensure(h.Dir) }

// Lock takes the app's lock for command (see lock.Acquire).
func (h Home) Lock(ctx context.Context, command string, wait time.Duration) (*lock.Lock, error) {
	// The directory gets its .gitignore first: the build files written
	// under the lock hold the secrets.
	if _, err := h.EnsureDir(); err != nil {
		return nil, err
	}
	return lock.Acquire(ctx, h.Dir, command, wait)
}
