package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// NotFoundError is returned by Find and Load when the app directory has no
// config file.
type NotFoundError struct{ Dir string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s in %s; run `cupaas init` to create one", FileName, displayDir(e.Dir))
}

// nameOfDir is what a message calls the directory whose name is used:
// "the current directory" or "directory DIR".
func nameOfDir(dir string) string {
	if dir == "" || dir == "." {
		return "the current directory"
	}
	return "directory " + dir
}

func displayDir(dir string) string {
	if dir == "" || dir == "." {
		return "the current directory"
	}
	return dir
}

// Find returns the path of the config file in dir: `.cupaas.yml`, or
// `.cupaas.yaml` when only that exists. Both together are a *Error that
// names them.
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
	ps := &problems{file: found[0]}
	ps.add(0, 0, "both %s and %s exist in %s; keep one of them", found[0], found[1], displayDir(dir))
	return "", ps.err(nil)
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

// readLimited reads the config file: a regular file of at most MaxFileSize
// bytes. A file that is not one is a problem of the file (exit code 2,
// listed by validate), found without reading it.
func readLimited(path string) ([]byte, error) {
	data, err := safefile.ReadFile(path, MaxFileSize)
	if err == nil {
		return data, nil
	}
	ps := &problems{file: path}
	var tooLarge *safefile.TooLargeError
	var notRegular *safefile.NotRegularError
	switch {
	case errors.As(err, &tooLarge):
		ps.add(0, 0, "%s; a .cupaas.yml is a few hundred bytes: is this the right file?", tooLarge.Reason())
	case errors.As(err, &notRegular):
		ps.add(0, 0, "%s; it must be a file of YAML", notRegular.Reason())
	default:
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return nil, ps.err(nil)
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
			ps.add(0, 0, "cannot make an app name from the name of %s; add `name: myapp`", nameOfDir(c.Dir))
		}
	}
	if c.Dockerfile != "" && c.commit != nil {
		c.checkCommitDockerfile(ps)
		return
	}
	if c.Dockerfile != "" {
		l, col := c.at("dockerfile")
		real, err := buildctx.ResolveDockerfile(c.Dir, c.Dockerfile)
		var pathErr *fs.PathError // missing, unreadable: not found
		if err != nil && !errors.As(err, &pathErr) {
			ps.add(l, col, "dockerfile %s %v; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`", c.Dockerfile, err)
			return
		}
		var st os.FileInfo
		if err == nil {
			st, err = os.Stat(real)
		}
		switch {
		case err != nil || st.IsDir():
			ps.add(l, col, "dockerfile %s not found in %s; check the path or remove dockerfile: to let cupaas generate one", c.Dockerfile, displayDir(c.Dir))
		case !st.Mode().IsRegular():
			ps.add(l, col, "dockerfile %s", (&safefile.NotRegularError{Path: c.Dockerfile, Kind: safefile.Kind(st.Mode())}).Error())
		case st.Size() > MaxDockerfileSize:
			ps.add(l, col, "dockerfile %s", (&safefile.TooLargeError{Path: c.Dockerfile, Size: st.Size(), Limit: MaxDockerfileSize}).Error())
		}
		return
	}
	if c.Runtime != nil && c.Runtime.Language == "node" && c.Entrypoint == nil {
		var argv []string
		var err error
		if c.commit != nil {
			data, rerr := c.commit.ReadFile("package.json", MaxManifestSize)
			if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				rerr = fmt.Errorf("cannot read %s: %w", c.commit.Describe("package.json"), rerr)
			}
			argv, err = nodeEntrypoint(c.commit.Describe("package.json"), c.commit.Describe(""), data, rerr)
		} else {
			argv, err = NodeEntrypoint(c.Dir)
		}
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
	data, err := safefile.ReadFile(p, MaxManifestSize)
	return nodeEntrypoint(p, displayDir(dir), data, err)
}

// nodeEntrypoint is NodeEntrypoint of the package.json p (in where) read
// as data, err.
func nodeEntrypoint(p, where string, data []byte, err error) ([]string, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("runtime node needs a package.json in %s, or an entrypoint such as [node, server.js]", where)
	}
	if safefile.Refused(err) {
		return nil, err
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

// LoadCommit loads the config of the app in dir as the git commit c holds
// it: .cupaas.yml (or .cupaas.yaml) and the files it names (a Dockerfile,
// package.json) are read from the commit, not from the directory. The
// default name is still the directory's (its git remote origin, else its
// name).
func LoadCommit(dir string, c *gitsource.Commit) (*Config, error) {
	var found []string
	for _, name := range []string{FileName, AltFileName} {
		if info, err := c.Lstat(name); err == nil {
			if !info.Mode().IsRegular() {
				return nil, fmt.Errorf("%s is not a regular file in %s; commit the file itself", name, c.Describe(""))
			}
			found = append(found, name)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s has no %s; commit it (`git add %s && git commit`), or run `cupaas init` first", c.Describe(""), FileName, FileName)
	case 2:
		return nil, fmt.Errorf("%s has both %s and %s; keep one of them", c.Describe(""), FileName, AltFileName)
	}
	data, err := c.ReadFile(found[0], MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", c.Describe(found[0]), err)
	}
	cfg, err := Parse(c.Describe(found[0]), data)
	if err != nil {
		return nil, err
	}
	cfg.Raw = data
	cfg.Dir = dir
	cfg.commit = c
	ps := &problems{file: cfg.File}
	cfg.resolve(ps)
	if err := ps.err(splitLines(data)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkCommitDockerfile checks the app's own Dockerfile in the commit.
func (c *Config) checkCommitDockerfile(ps *problems) {
	l, col := c.at("dockerfile")
	rel := path.Clean(c.Dockerfile)
	switch {
	case buildctx.Forced(rel):
		ps.add(l, col, "dockerfile %s is one of cupaas' own files or git's data, which never reach docker", c.Dockerfile)
	case rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel):
		ps.add(l, col, "dockerfile %s is not inside the app directory", c.Dockerfile)
	default:
		info, err := c.commit.Lstat(rel)
		switch {
		case err != nil || info.IsDir():
			ps.add(l, col, "dockerfile %s not found in %s; commit it, or remove dockerfile: to let cupaas generate one", c.Dockerfile, c.commit.Describe(""))
		case !info.Mode().IsRegular():
			ps.add(l, col, "dockerfile %s is not a regular file in %s (a symbolic link?); commit the file itself", c.Dockerfile, c.commit.Describe(""))
		case info.Size() > MaxDockerfileSize:
			ps.add(l, col, "dockerfile %s", (&safefile.TooLargeError{Path: c.Dockerfile, Size: info.Size(), Limit: MaxDockerfileSize}).Error())
		}
	}
}

// Commit is the git commit the config was read from (LoadCommit); nil for
// a config read from a directory.
func (c *Config) Commit() *gitsource.Commit { return c.commit }

// CheckCommitDockerignore is CheckDockerignore of the .dockerignore of a
// commit.
func CheckCommitDockerignore(c *gitsource.Commit) error {
	err := buildctx.CheckTreeIgnore(c)
	var ie *buildctx.IgnoreError
	if errors.As(err, &ie) {
		return &Error{Problems: []Problem{{File: ie.File, Line: ie.Line, Msg: ie.Msg}}, Lines: ie.Lines}
	}
	return err
}
