// Package detect inspects a project directory and guesses what `cupaas init`
// should write to `.cupaas.yml`: the language and its version, how to start
// the app, the port it listens on, its health check path and the backing
// services its dependencies point to.
//
// Detection reads only a fixed list of files in the top directory
// (requirements.txt, pyproject.toml, Pipfile, setup.py, .python-version,
// runtime.txt, package.json, go.mod, Procfile, Dockerfile) and the one entry
// file the start command names (app.py, server.js, main.go, ...). It never
// walks the tree, so node_modules, .venv, vendor and the like are never read.
// Every value comes with the reason it was chosen, for `cupaas init` to show.
package detect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cupaas/cupaas/pkg/safefile"
)

// Languages, as written in the runtime field of `.cupaas.yml`.
const (
	Python = "python"
	Node   = "node"
	Go     = "go"
)

// Defaults used when the project says nothing more specific.
const (
	defaultPythonVersion = "3.11"
	defaultNodeVersion   = "20"
	defaultGoVersion     = "1.22"
	defaultPythonPort    = 5000
	defaultNodePort      = 3000
	defaultGoPort        = 8080
	djangoPort           = 8000
)

// maxManifestSize bounds the size of a manifest (package.json, go.mod, ...);
// a larger one is refused rather than read.
const maxManifestSize = 4 << 20

// maxScanSize bounds how much of an entry file or Dockerfile is searched for
// a port or a health route; the rest is ignored.
const maxScanSize = 256 << 10

// Finding is one detected value and why.
type Finding struct {
	// Value is the detected value; "" when nothing was detected.
	Value string `json:"value,omitempty"`
	// Reason says where Value came from, e.g. "engines.node in package.json",
	// "found app.py", "Procfile web: line", "go directive in go.mod" or
	// "default for python".
	Reason string `json:"reason,omitempty"`
}

// ServiceFinding is one backing service inferred from the dependencies.
type ServiceFinding struct {
	// Name is the catalogue name: mongodb, redis, postgresql or mysql.
	Name string `json:"name"`
	// Reason names the dependency and the file it was found in.
	Reason string `json:"reason"`
}

// Result is everything Detect found in a project directory.
type Result struct {
	// Name is the directory's base name, or the repository name of the git
	// remote "origin" when there is one. It is raw: callers sanitise it.
	Name Finding `json:"name"`
	// Language is "python", "node", "go", or "" when unknown.
	Language string `json:"language,omitempty"`
	// Runtime is "<language>:<version>", e.g. "python:3.11"; empty when no
	// language was found (for instance when there is only a Dockerfile).
	Runtime Finding `json:"runtime"`
	// Entrypoint is the start command in shell-word form, e.g.
	// "python app.py" or "gunicorn app:app"; empty when the runtime starts
	// the app by itself (go: the built binary; node: `npm start` when
	// package.json has scripts.start, else `node <main>` when it sets main)
	// or when nothing was found (see Notes).
	Entrypoint Finding `json:"entrypoint"`
	// EntrypointArgv is Entrypoint as a list, nil when Entrypoint is empty.
	EntrypointArgv []string `json:"entrypointArgv,omitempty"`
	// Port is the port the app listens on: found in the Procfile or the
	// entry file, else the language's default (python 5000, node 3000, go
	// 8080). For a project with only a Dockerfile it comes from EXPOSE.
	Port Finding `json:"port"`
	// Healthcheck is "/health" (or "/healthz", "/healthcheck") when the entry
	// file mentions that route; empty otherwise.
	Healthcheck Finding `json:"healthcheck"`
	// Dockerfile is "Dockerfile" when the project has its own Dockerfile.
	Dockerfile Finding `json:"dockerfile"`
	// Release is the proposed command of the release phase (migrations),
	// in shell-word form; ReleaseArgv the list. Empty when none was found.
	Release     Finding  `json:"release"`
	ReleaseArgv []string `json:"releaseArgv,omitempty"`
	// Services are the backing services inferred from the dependencies of
	// Language, each once, in the order they are first found (files in the
	// order requirements.txt, pyproject.toml, Pipfile, setup.py; package.json
	// dependencies by name; go.mod requirements in file order).
	Services []ServiceFinding `json:"services,omitempty"`
	// Notes are hints for the user, e.g. what to set by hand.
	Notes []string `json:"notes,omitempty"`
}

// Detect inspects dir and reports what it finds. It returns an error when dir
// is not a readable directory or when a manifest it needs is malformed or
// unreadable; the error names the file, and the line and column when known.
func Detect(dir string) (*Result, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot detect the project: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("cannot detect the project: %s is not a directory", dir)
	}
	// safefile.DirFS opens regular files only, without blocking: a named
	// pipe called package.json is refused, not waited on.
	r, err := detectFS(safefile.DirFS(dir), dir)
	if err != nil {
		return nil, err
	}
	r.Name = detectName(dir, &r.Notes)
	return r, nil
}

// project gives the language detectors access to the directory's files.
type project struct {
	fsys fs.FS
	dir  string // shown in messages
}

// path returns name joined to the directory, for messages.
func (p project) path(name string) string { return filepath.Join(p.dir, name) }

// exists reports whether name exists, whatever its type.
func (p project) exists(name string) bool {
	_, err := fs.Stat(p.fsys, name)
	return err == nil
}

// isFile reports whether name exists and is a regular file.
func (p project) isFile(name string) bool {
	st, err := fs.Stat(p.fsys, name)
	return err == nil && st.Mode().IsRegular()
}

// read returns the content of a manifest, refusing files larger than
// maxManifestSize before reading them.
func (p project) read(name string) ([]byte, error) {
	return p.readLimited(name, maxManifestSize, true)
}

// readHead returns at most maxScanSize bytes of name, for searching.
func (p project) readHead(name string) ([]byte, error) {
	return p.readLimited(name, maxScanSize, false)
}

// readLimited reads at most limit bytes of the regular file name; with
// whole, a larger file is an error (found with Stat before reading).
func (p project) readLimited(name string, limit int64, whole bool) ([]byte, error) {
	f, err := p.fsys.Open(name)
	if err != nil {
		return nil, p.readError(name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, p.readError(name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, &safefile.NotRegularError{Path: p.path(name), Kind: safefile.Kind(st.Mode())}
	}
	if whole && st.Size() > limit {
		return nil, &safefile.TooLargeError{Path: p.path(name), Size: st.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, p.readError(name, err)
	}
	if int64(len(data)) > limit {
		if whole {
			return nil, &safefile.TooLargeError{Path: p.path(name), Size: -1, Limit: limit}
		}
		data = data[:limit]
	}
	return data, nil
}

// readError names the file in err, unless err already does.
func (p project) readError(name string, err error) error {
	if safefile.Refused(err) {
		return err
	}
	return fmt.Errorf("reading %s: %w", p.path(name), unwrapPathError(err))
}

// unwrapPathError drops the *fs.PathError wrapper, whose path is relative
// to the fs.FS and would repeat the file name in messages.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// detectFS does all detection except the name, reading only through fsys.
// dir is used in messages.
func detectFS(fsys fs.FS, dir string) (*Result, error) {
	p := project{fsys: fsys, dir: dir}
	r := &Result{}

	if p.isFile("Dockerfile") {
		r.Dockerfile = Finding{Value: "Dockerfile", Reason: "found Dockerfile"}
	}

	langs := languagesFound(p)
	if len(langs) > 1 {
		r.Notes = append(r.Notes, multiLanguageNote(langs))
	}
	var err error
	switch {
	case len(langs) == 0:
		// Nothing to detect but a Dockerfile, perhaps.
	case langs[0].name == Python:
		err = detectPython(p, r)
	case langs[0].name == Node:
		err = detectNode(p, r)
	case langs[0].name == Go:
		err = detectGo(p, r)
	}
	if err != nil {
		return nil, err
	}
	detectRelease(p, r)

	if r.Language != "" && r.Dockerfile.Value != "" {
		r.Notes = append(r.Notes, "found a Dockerfile too: cupaas generates its own from runtime:; to build yours instead, set dockerfile: Dockerfile in .cupaas.yml and remove entrypoint:")
	}
	if r.Language == "" {
		if r.Dockerfile.Value != "" {
			if err := portFromDockerfile(p, r); err != nil {
				return nil, err
			}
			r.Notes = append(r.Notes, "found only a Dockerfile: cupaas will build it as is")
		} else {
			r.Notes = append(r.Notes, "no requirements.txt, pyproject.toml, Pipfile, setup.py, package.json, go.mod or Dockerfile found: set runtime: in .cupaas.yml")
		}
	}
	return r, nil
}

// marker is one language found in the top directory and the file that
// shows it.
type marker struct {
	name string
	file string
}

// languagesFound lists the languages whose marker files are in the top
// directory, in priority order: python, node, go.
func languagesFound(p project) []marker {
	var out []marker
	for _, f := range pythonMarkers {
		if p.exists(f) {
			out = append(out, marker{Python, f})
			break
		}
	}
	if p.exists("package.json") {
		out = append(out, marker{Node, "package.json"})
	}
	if p.exists("go.mod") {
		out = append(out, marker{Go, "go.mod"})
	}
	return out
}

func multiLanguageNote(langs []marker) string {
	s := fmt.Sprintf("found markers of several languages; using %s (%s), the first of python, node, go. Also found:", langs[0].name, langs[0].file)
	for i, m := range langs[1:] {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %s (%s)", m.file, m.name)
	}
	return s + ". Set runtime: in .cupaas.yml to choose another"
}

// setPort sets r.Port to a found port, or to def with the language default
// reason when found is zero.
func setPort(r *Result, found int, reason string, def int) {
	if found != 0 {
		r.Port = Finding{Value: strconv.Itoa(found), Reason: reason}
		return
	}
	r.Port = Finding{Value: strconv.Itoa(def), Reason: "default for " + r.Language}
}

// addService appends a service unless it is already listed.
func addService(r *Result, name, reason string) {
	for _, s := range r.Services {
		if s.Name == name {
			return
		}
	}
	r.Services = append(r.Services, ServiceFinding{Name: name, Reason: reason})
}
