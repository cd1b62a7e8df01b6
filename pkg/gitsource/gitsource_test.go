package gitsource

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sig is a fixed author and committer, so commits are reproducible.
func sig() *object.Signature {
	return &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0).UTC()}
}

// newRepo makes a repository whose one commit holds app.py, sub/x.txt and
// a .gitignore listing node_modules/.
func newRepo(t *testing.T) (string, *git.Repository, plumbing.Hash) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "app.py", "print(1)\n")
	write(t, dir, "sub/x.txt", "x\n")
	write(t, dir, ".gitignore", "node_modules/\n")
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("first", &git.CommitOptions{Author: sig(), Committer: sig()})
	if err != nil {
		t.Fatal(err)
	}
	return dir, repo, h
}

func worktree(t *testing.T, repo *git.Repository) *git.Worktree {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

func TestReadStates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string, repo *git.Repository)
		sub    string // read from this subdirectory
		dirty  bool
	}{
		{name: "clean", change: func(*testing.T, string, *git.Repository) {}},
		{name: "clean from a subdirectory", change: func(*testing.T, string, *git.Repository) {}, sub: "sub"},
		{name: "modified", dirty: true, change: func(t *testing.T, dir string, _ *git.Repository) {
			write(t, dir, "app.py", "print(2)\n")
		}},
		{name: "modified, seen from a subdirectory", dirty: true, sub: "sub", change: func(t *testing.T, dir string, _ *git.Repository) {
			write(t, dir, "app.py", "print(2)\n")
		}},
		{name: "deleted", dirty: true, change: func(t *testing.T, dir string, _ *git.Repository) {
			if err := os.Remove(filepath.Join(dir, "sub", "x.txt")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "deletion staged", dirty: true, change: func(t *testing.T, _ string, repo *git.Repository) {
			if _, err := worktree(t, repo).Remove("app.py"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "new file staged", dirty: true, change: func(t *testing.T, dir string, repo *git.Repository) {
			write(t, dir, "new.py", "x\n")
			if _, err := worktree(t, repo).Add("new.py"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "change staged", dirty: true, change: func(t *testing.T, dir string, repo *git.Repository) {
			write(t, dir, "app.py", "print(3)\n")
			if _, err := worktree(t, repo).Add("app.py"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mode change", dirty: true, change: func(t *testing.T, dir string, _ *git.Repository) {
			if err := os.Chmod(filepath.Join(dir, "app.py"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "untracked files only", change: func(t *testing.T, dir string, _ *git.Repository) {
			write(t, dir, "notes.txt", "untracked\n")
			write(t, dir, "newdir/deep/y.txt", "untracked\n")
		}},
		{name: "ignored files only", change: func(t *testing.T, dir string, _ *git.Repository) {
			write(t, dir, "node_modules/m/index.js", "x\n")
		}},
		{name: "mtime only", change: func(t *testing.T, dir string, _ *git.Repository) {
			when := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(dir, "app.py"), when, when); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, repo, commit := newRepo(t)
			tc.change(t, dir, repo)
			info, err := Read(filepath.Join(dir, tc.sub))
			if err != nil {
				t.Fatal(err)
			}
			want := Info{IsRepo: true, Commit: commit.String(), Short: commit.String()[:12], Dirty: tc.dirty, Branch: "master"}
			if info != want {
				t.Fatalf("Read:\n got %+v\nwant %+v", info, want)
			}
			rev := commit.String()
			if tc.dirty {
				rev += "-dirty"
			}
			if info.Revision() != rev {
				t.Errorf("Revision() = %q, want %q", info.Revision(), rev)
			}
		})
	}
}

func TestReadRemote(t *testing.T) {
	dir, repo, _ := newRepo(t)
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "upstream", URLs: []string{"https://example.com/other/wrong.git"}}); err != nil {
		t.Fatal(err)
	}
	info, err := Read(dir)
	if err != nil || info.Remote != "" || info.RepoName != "" {
		t.Fatalf("without origin: %+v, %v", info, err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"git@github.com:acme/My_Shop.git", "https://mirror.example.com/x/mirror.git"}}); err != nil {
		t.Fatal(err)
	}
	info, err = Read(filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Remote != "git@github.com:acme/My_Shop.git" || info.RepoName != "My_Shop" {
		t.Fatalf("with origin: %+v", info)
	}
}

func TestReadDetachedHead(t *testing.T) {
	dir, repo, first := newRepo(t)
	write(t, dir, "app.py", "print(2)\n")
	wt := worktree(t, repo)
	if _, err := wt.Add("app.py"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("second", &git.CommitOptions{Author: sig(), Committer: sig()}); err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: first}); err != nil {
		t.Fatal(err)
	}
	info, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{IsRepo: true, Commit: first.String(), Short: first.String()[:12]}
	if info != want {
		t.Fatalf("Read:\n got %+v\nwant %+v", info, want)
	}
}

func TestReadNoCommits(t *testing.T) {
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "app.py", "print(1)\n")
	info, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{IsRepo: true, Branch: "master"}); info != want {
		t.Fatalf("Read:\n got %+v\nwant %+v", info, want)
	}
	if info.Revision() != "" {
		t.Errorf("Revision() = %q, want \"\"", info.Revision())
	}
}

func TestReadNotARepo(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "app.py", "print(1)\n")
	info, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info != (Info{}) || info.Revision() != "" {
		t.Fatalf("Read = %+v, want the zero Info", info)
	}
}

func TestReadMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	_, err := Read(missing)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v, want one naming %s", err, missing)
	}
}

// TestReadLinkedWorktree lays out what `git worktree add ../wt` makes (a
// .git file pointing into the main repository's .git/worktrees/, which
// holds HEAD and the index, and a commondir file for everything else).
func TestReadLinkedWorktree(t *testing.T) {
	main, _, commit := newRepo(t)
	wtDir := filepath.Join(t.TempDir(), "wt")
	admin := filepath.Join(main, ".git", "worktrees", "wt")
	write(t, admin, "HEAD", "ref: refs/heads/feature\n")
	write(t, admin, "commondir", "../..\n")
	write(t, admin, "gitdir", filepath.Join(wtDir, ".git")+"\n")
	index, err := os.ReadFile(filepath.Join(main, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, admin, "index", string(index))
	write(t, main, ".git/refs/heads/feature", commit.String()+"\n")
	write(t, wtDir, ".git", "gitdir: "+admin+"\n")
	write(t, wtDir, "app.py", "print(1)\n")
	write(t, wtDir, "sub/x.txt", "x\n")
	write(t, wtDir, ".gitignore", "node_modules/\n")

	info, err := Read(filepath.Join(wtDir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	want := Info{IsRepo: true, Commit: commit.String(), Short: commit.String()[:12], Branch: "feature"}
	if info != want {
		t.Fatalf("clean:\n got %+v\nwant %+v", info, want)
	}
	write(t, wtDir, "app.py", "print(2)\n")
	if info, err = Read(wtDir); err != nil || !info.Dirty {
		t.Fatalf("modified: %+v, %v", info, err)
	}
}

func TestRepoName(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://github.com/acme/tasks.git", "tasks"},
		{"https://github.com/acme/tasks", "tasks"},
		{"https://github.com/acme/tasks/", "tasks"},
		{"https://github.com/acme/tasks.git/", "tasks"},
		{"https://user:token@gitlab.com/group/sub/tasks.git", "tasks"},
		{"http://host:8080/tasks.git", "tasks"},
		{"ssh://git@host:2222/acme/tasks.git", "tasks"},
		{"git://host/acme/tasks", "tasks"},
		{"git@github.com:acme/tasks.git", "tasks"},
		{"git@github.com:tasks.git", "tasks"},
		{"host:tasks", "tasks"},
		{"/srv/git/tasks.git", "tasks"},
		{"../tasks", "tasks"},
		{"tasks.git", "tasks"},
		{"file:///srv/git/tasks", "tasks"},
		{`C:\repos\tasks.git`, "tasks"},
		{"C:/repos/tasks", "tasks"},
		{"  https://github.com/acme/tasks.git\n", "tasks"},
		{"https://github.com", ""},
		{"https://github.com/", ""},
		{"git@github.com:", ""},
		{".git", ""},
		{"/", ""},
		{"", ""},
	} {
		if got := RepoName(tc.url); got != tc.want {
			t.Errorf("RepoName(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestReadNotADirectory(t *testing.T) {
	dir, _, _ := newRepo(t)
	file := filepath.Join(dir, "app.py")
	_, err := Read(file)
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v, want one naming %s", err, file)
	}
}

// BenchmarkRead20k reads a clean repository of 20,000 committed files
// (200 dirs × 100) next to a git-ignored node_modules of 20,000 more:
// go-git's status walks both.
func BenchmarkRead20k(b *testing.B) {
	dir := b.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	data := strings.Repeat("x", 2048)
	for _, top := range []string{"src", "node_modules"} {
		for d := range 200 {
			sub := filepath.Join(dir, top, fmt.Sprintf("d%03d", d))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			for f := range 100 {
				if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.js", f)), []byte(data[:1024+f*10]), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("node_modules/\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		b.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := wt.Commit("all", &git.CommitOptions{Author: sig(), Committer: sig()}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		info, err := Read(dir)
		if err != nil || info.Commit == "" || info.Dirty {
			b.Fatalf("Read = %+v, %v", info, err)
		}
	}
}

// A URL with a password is refused without showing it: the mirror's
// config and every message would otherwise hold it.
func TestMirrorRefusesAPassword(t *testing.T) {
	_, err := MirrorOf(t.TempDir(), "https://alice:s3cr3tTOKEN@example.invalid/me/app.git")
	var re *RefError
	if !errors.As(err, &re) || strings.Contains(err.Error(), "s3cr3tTOKEN") || !strings.Contains(err.Error(), "holds a password") {
		t.Fatalf("err = %v", err)
	}
	if _, err := MirrorOf(t.TempDir(), "https://alice@example.invalid/me/app.git"); err != nil {
		t.Fatalf("a user name without a password: %v", err)
	}
}
