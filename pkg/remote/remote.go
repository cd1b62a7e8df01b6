// Package remote sets up deploy-by-push without a server: a bare git
// repository per app and kube context in the user's data directory, whose
// pre-receive hook runs `cupaas hook pre-receive`, and a git remote (named
// "cupaas" by default) of the app's repository that points to it. The bare
// repository's git config records where the app's working tree is
// (cupaas.worktree): the hook deploys with that tree's settings, secrets,
// credentials, state and lock, and the pushed commit's files.
package remote

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cupaas/cupaas/pkg/atomicfile"
)

// DefaultName is the name of the git remote.
const DefaultName = "cupaas"

// DefaultBranch is the branch that deploys, unless the repository has no
// such branch and another one is checked out.
const DefaultBranch = "main"

// Keys of the bare repository's git config, in section "cupaas".
const (
	section     = "cupaas"
	keyWorktree = "worktree"
	keyApp      = "app"
	keyContext  = "context"
	keyBranch   = "branch"
)

// DataDir is the user's data directory: $XDG_DATA_HOME, else
// ~/.local/share on Linux and BSDs, ~/Library/Application Support on macOS,
// %LocalAppData% on Windows.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the data directory: %w; set XDG_DATA_HOME", err)
		}
		return filepath.Join(home, "Library", "Application Support"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", fmt.Errorf("cannot find the data directory (no home directory); set XDG_DATA_HOME")
	}
	return filepath.Join(home, ".local", "share"), nil
}

// RepoPath is where the bare repository of the app in the kube context
// lives: <data dir>/cupaas/repos/<context>/<app>.git.
func RepoPath(kubeContext, app string) (string, error) {
	d, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "cupaas", "repos", safeSegment(kubeContext), app+".git"), nil
}

// safeSegment makes a kube context name a single path segment.
func safeSegment(s string) string {
	s = strings.NewReplacer("/", "_", `\`, "_", ":", "_").Replace(s)
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// Record is what the bare repository's config says about the app.
type Record struct {
	// Worktree is the absolute path of the app directory whose
	// .cupaas.env and .cupaas/ the pushed deploys use.
	Worktree string
	App      string
	Context  string
	// Branch is the branch whose pushes deploy.
	Branch string
}

// ReadRecord reads the record of the bare repository at gitDir.
func ReadRecord(gitDir string) (Record, error) {
	repo, err := git.PlainOpen(gitDir)
	if err != nil {
		return Record{}, fmt.Errorf("cannot read the git repository %s: %w", gitDir, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return Record{}, fmt.Errorf("cannot read the config of %s: %w", gitDir, err)
	}
	s := cfg.Raw.Section(section)
	r := Record{Worktree: s.Option(keyWorktree), App: s.Option(keyApp), Context: s.Option(keyContext), Branch: s.Option(keyBranch)}
	if r.Worktree == "" || r.App == "" || r.Context == "" || r.Branch == "" {
		return r, fmt.Errorf("%s was not set up by `cupaas remote` (its git config has no complete [cupaas] section); run `cupaas remote` in the app directory", gitDir)
	}
	return r, nil
}

// Options set up a remote.
type Options struct {
	// AppDir is the app directory, inside a git working tree.
	AppDir string
	// App and Context name the app and the kube context.
	App, Context string
	// Name is the git remote's name; "" means DefaultName.
	Name string
	// Branch is the deploy branch; "" keeps the recorded one, else
	// DefaultBranch, else the checked-out branch.
	Branch string
	// Exe is the absolute path of the cupaas program the hook runs.
	Exe string
}

// Result is what Setup did.
type Result struct {
	// Repo is the bare repository's path.
	Repo string
	// Name is the git remote's name.
	Name string
	// Record is the bare repository's record after Setup.
	Record Record
	// Created is true when the bare repository is new; AddedRemote when
	// the remote is; HookRepaired when an existing hook was rewritten.
	Created, AddedRemote, HookRepaired bool
	// OtherWorktree is set when the record names another working tree
	// that still exists (a second clone of the app): its settings and
	// secrets are the ones pushed deploys use.
	OtherWorktree string
}

// Setup creates or repairs the bare repository and its hook, and adds the
// git remote to the app's repository. Running it again is safe: it
// rewrites a missing or stale hook.
func Setup(opts Options) (Result, error) {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	appDir, err := filepath.Abs(opts.AppDir)
	if err != nil {
		return Result{}, err
	}
	appRepo, err := openApp(appDir)
	if err != nil {
		return Result{}, err
	}
	bare, err := RepoPath(opts.Context, opts.App)
	if err != nil {
		return Result{}, err
	}
	res := Result{Repo: bare, Name: opts.Name}
	// The remote first: a clash is found before anything is written.
	rem, err := appRepo.Remote(opts.Name)
	switch {
	case errors.Is(err, git.ErrRemoteNotFound):
		res.AddedRemote = true
	case err != nil:
		return res, fmt.Errorf("cannot read git remote %q: %w", opts.Name, err)
	case len(rem.Config().URLs) != 1 || !samePath(rem.Config().URLs[0], bare):
		return res, fmt.Errorf("git remote %q already exists and points to %s, not to cupaas' repository %s; choose another name with `cupaas remote --name NAME`, or remove it with `git remote remove %s`", opts.Name, strings.Join(rem.Config().URLs, ", "), bare, opts.Name)
	}

	repo, err := git.PlainOpen(bare)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(filepath.Dir(bare), 0o700); err != nil {
			return res, fmt.Errorf("cannot create %s: %w", filepath.Dir(bare), err)
		}
		repo, err = git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(DefaultBranch)}})
		res.Created = true
	}
	if err != nil {
		return res, fmt.Errorf("cannot open the git repository %s: %w", bare, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return res, fmt.Errorf("cannot read the config of %s: %w", bare, err)
	}
	s := cfg.Raw.Section(section)
	worktree := appDir
	if old := s.Option(keyWorktree); old != "" && !samePath(old, appDir) {
		if st, err := os.Stat(old); err == nil && st.IsDir() {
			// A second clone: the first one's settings and secrets stay
			// the app's.
			worktree, res.OtherWorktree = old, old
		}
	}
	branch := opts.Branch
	if branch == "" {
		branch = s.Option(keyBranch)
	}
	if branch == "" {
		branch = defaultBranch(appRepo)
	}
	if err := checkBranchName(branch); err != nil {
		return res, err
	}
	s.SetOption(keyWorktree, worktree)
	s.SetOption(keyApp, opts.App)
	s.SetOption(keyContext, opts.Context)
	s.SetOption(keyBranch, branch)
	if err := repo.SetConfig(cfg); err != nil {
		return res, fmt.Errorf("cannot write the config of %s: %w", bare, err)
	}
	res.Record = Record{Worktree: worktree, App: opts.App, Context: opts.Context, Branch: branch}
	if res.HookRepaired, err = writeHook(bare, opts.Exe); err != nil {
		return res, err
	}
	if res.Created {
		res.HookRepaired = false
	}
	if res.AddedRemote {
		if _, err := appRepo.CreateRemote(&gitconfig.RemoteConfig{Name: opts.Name, URLs: []string{bare}}); err != nil {
			return res, fmt.Errorf("cannot add git remote %q: %w", opts.Name, err)
		}
	}
	return res, nil
}

// Remove deletes the git remote and, when it was set up from this working
// tree, the bare repository. It returns the bare repository's path, and
// whether it was deleted.
func Remove(appDir, kubeContext, app, name string) (string, bool, error) {
	if name == "" {
		name = DefaultName
	}
	abs, err := filepath.Abs(appDir)
	if err != nil {
		return "", false, err
	}
	appRepo, err := openApp(abs)
	if err != nil {
		return "", false, err
	}
	bare, err := RepoPath(kubeContext, app)
	if err != nil {
		return "", false, err
	}
	rem, err := appRepo.Remote(name)
	if errors.Is(err, git.ErrRemoteNotFound) {
		return bare, false, fmt.Errorf("this repository has no git remote %q; nothing to remove (name it with --name)", name)
	}
	if err != nil {
		return bare, false, fmt.Errorf("cannot read git remote %q: %w", name, err)
	}
	if len(rem.Config().URLs) != 1 || !samePath(rem.Config().URLs[0], bare) {
		return bare, false, fmt.Errorf("git remote %q points to %s, not to cupaas' repository %s; left as it is", name, strings.Join(rem.Config().URLs, ", "), bare)
	}
	if err := appRepo.DeleteRemote(name); err != nil {
		return bare, false, fmt.Errorf("cannot remove git remote %q: %w", name, err)
	}
	rec, err := ReadRecord(bare)
	if err != nil || !samePath(rec.Worktree, abs) {
		return bare, false, nil // used by another clone, or not ours
	}
	if err := os.RemoveAll(bare); err != nil {
		return bare, false, fmt.Errorf("cannot delete %s: %w", bare, err)
	}
	return bare, true, nil
}

func openApp(appDir string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(appDir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s is not in a git repository; run `git init` and commit first, or deploy the working tree with `cupaas deploy`", appDir)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the git repository at %s: %w", appDir, err)
	}
	return repo, nil
}

// defaultBranch is "main" when the repository has it or has no branch
// checked out, else the checked-out branch.
func defaultBranch(repo *git.Repository) string {
	if _, err := repo.Reference(plumbing.NewBranchReferenceName(DefaultBranch), false); err == nil {
		return DefaultBranch
	}
	if ref, err := repo.Storer.Reference(plumbing.HEAD); err == nil && ref.Type() == plumbing.SymbolicReference && ref.Target().IsBranch() {
		return ref.Target().Short()
	}
	return DefaultBranch
}

func checkBranchName(b string) error {
	if b == "" || strings.HasPrefix(b, "-") || strings.HasPrefix(b, "refs/") || strings.ContainsAny(b, " ~^:?*[\\") || strings.Contains(b, "..") {
		return fmt.Errorf("%q is not a branch name; use the short name, such as --branch main", b)
	}
	return nil
}

func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ea, err1 := filepath.EvalSymlinks(a)
	eb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ea == eb
}

// Hook is the content of the pre-receive hook that runs exe.
func Hook(exe string) string {
	return "#!/bin/sh\n# Written by `cupaas remote`; run it again to repair this hook.\nexec " + shellQuote(exe) + " hook pre-receive \"$@\"\n"
}

// shellQuote quotes s as one word for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeHook writes the hook unless it is already the right one; it reports
// whether an existing different hook was replaced.
func writeHook(bare, exe string) (bool, error) {
	p := filepath.Join(bare, "hooks", "pre-receive")
	want := Hook(exe)
	old, err := os.ReadFile(p)
	existed := err == nil
	if existed && string(old) == want {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o100 != 0 {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, fmt.Errorf("cannot create %s: %w", filepath.Dir(p), err)
	}
	if err := atomicfile.Write(p, []byte(want), 0o755); err != nil {
		return false, fmt.Errorf("cannot write the hook %s: %w", p, err)
	}
	return existed, nil
}
