package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/gitsource"
)

// NotFoundError is returned by Find and Load when the app directory has no
// config file.
type NotFoundError struct{ Dir string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s in %s; run `cupaas init` to create one", FileName, displayDir(e.Dir))
}

func displayDir(dir string) string {
	if dir == "" || dir == "." {
		return "the current directory"
	}
	return dir
}

// Find returns the path of the config file in dir: `.cupaas.yml`, or
// `.cupaas.yaml` when only that exists.
func Find(dir string) (string, error) {
	var found []string
	for _, name := range []string{FileName, AltFileName} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("cannot read %s: %w", p, err)
		}
	}
	switch len(found) {
	case 0:
		return "", &NotFoundError{Dir: dir}
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("both %s and %s exist in %s; keep one of them", FileName, AltFileName, displayDir(dir))
}

// Load finds, reads, parses and validates the config of the app in dir,
// then fills in what depends on the directory: the default name (the repo
// name of git remote "origin", else the directory name), the node
// entrypoint from package.json, and checks that a named Dockerfile exists.
// Problems are returned as *Error, all at once.
func Load(dir string) (*Config, error) {
	path, err := Find(dir)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return LoadData(dir, path, data)
}

// LoadData is Load of a config whose content is data rather than the file
// at path (such as the copy of the deployed config that state keeps); path
// names it in messages.
func LoadData(dir, path string, data []byte) (*Config, error) {
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Raw = data
	c.Dir = dir
	ps := &problems{file: path}
	c.resolve(ps)
	if err := ps.err(splitLines(data)); err != nil {
		return nil, err
	}
	return c, nil
}

func splitLines(data []byte) []string {
	var out []string
	start := 0
	for i, b := range data {
		if b == '\n' {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	return append(out, string(data[start:]))
}

// readLimited reads at most MaxFileSize+1 bytes, so that Parse can refuse a
// huge file without it ever being held in memory.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return data, nil
}

func (c *Config) at(key string) (int, int) {
	if p, ok := c.pos[key]; ok {
		return p.line, p.col
	}
	p := c.pos[""]
	return p.line, p.col
}

func (c *Config) resolve(ps *problems) {
	if c.Name == "" {
		c.Name, c.NameSource = DefaultName(c.Dir)
		if c.Name == "" {
			ps.add(0, 0, "cannot make an app name from the directory %s; add `name: myapp`", displayDir(c.Dir))
		}
	}
	if c.Dockerfile != "" {
		l, col := c.at("dockerfile")
		real, err := buildctx.ResolveDockerfile(c.Dir, c.Dockerfile)
		var pathErr *fs.PathError // missing, unreadable: not found
		if err != nil && !errors.As(err, &pathErr) {
			ps.add(l, col, "dockerfile %s %v; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`", c.Dockerfile, err)
			return
		}
		found := false
		if err == nil {
			st, err := os.Stat(real)
			found = err == nil && !st.IsDir()
		}
		if !found {
			ps.add(l, col, "dockerfile %s not found in %s; check the path or remove dockerfile: to let cupaas generate one", c.Dockerfile, displayDir(c.Dir))
		}
		return
	}
	if c.Runtime != nil && c.Runtime.Language == "node" && c.Entrypoint == nil {
		argv, err := NodeEntrypoint(c.Dir)
		if err != nil {
			l, col := c.at("runtime")
			ps.add(l, col, "%v", err)
			return
		}
		c.Entrypoint = argv
	}
}

// DefaultName returns the app name used when the config sets none: the repo
// name of git remote "origin", else the directory's name, sanitised. It
// returns "" when neither gives a usable name.
func DefaultName(dir string) (name, source string) {
	if info, err := gitsource.Read(dir); err == nil && info.RepoName != "" {
		if n := truncateLabel(SanitizeName(info.RepoName), MaxNameLength); checkName(n) == nil {
			return n, "git remote origin"
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", ""
	}
	if n := truncateLabel(SanitizeName(filepath.Base(abs)), MaxNameLength); checkName(n) == nil {
		return n, "directory"
	}
	return "", ""
}

// NodeEntrypoint returns how a node app starts when the config gives no
// entrypoint: `npm start` when package.json has a start script, else
// `node <main>`.
func NodeEntrypoint(dir string) ([]string, error) {
	p := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("runtime node needs a package.json in %s, or an entrypoint such as [node, server.js]", displayDir(dir))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, err)
	}
	var pkg struct {
		Main    string            `json:"main"`
		Scripts map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%v); fix it or set entrypoint: in .cupaas.yml", p, err)
	}
	if pkg.Scripts["start"] != "" {
		return []string{"npm", "start"}, nil
	}
	if pkg.Main != "" {
		return []string{"node", pkg.Main}, nil
	}
	return nil, fmt.Errorf("entrypoint is required: %s has no \"start\" script and no \"main\"; add one, or set entrypoint: [node, server.js]", p)
}

// CheckDockerignore reads the app's .dockerignore, if any, and returns a bad
// line of it as an *Error, like a problem of the config file: one clear
// error naming the file and the line. Other errors (an unreadable file) are
// returned as they are.
func CheckDockerignore(dir string) error {
	err := buildctx.CheckIgnore(dir)
	var ie *buildctx.IgnoreError
	if errors.As(err, &ie) {
		return &Error{Problems: []Problem{{File: ie.File, Line: ie.Line, Msg: ie.Msg}}, Lines: ie.Lines}
	}
	return err
}
