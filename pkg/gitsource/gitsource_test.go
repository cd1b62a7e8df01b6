package gitsource

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a repository with one commit of app.py and sub/x.txt.
func newRepo(t *testing.T) (string, *git.Repository, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "app.py", "print(1)\n")
	write(t, dir, "sub/x.txt", "x\n")
	wt, _ := repo.Worktree()
	if _, err := wt.Add("."); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("first", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, repo, h.String()
}

func TestClean(t *testing.T) {
	dir, _, commit := newRepo(t)
	info, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsRepo || info.Commit != commit || info.Short != commit[:12] || info.Dirty || info.Branch != "master" {
		t.Fatalf("info = %+v", info)
	}
	if info.Revision() != commit {
		t.Fatalf("revision = %q", info.Revision())
	}
}

func TestDirtyStates(t *testing.T) {
	for name, change := range map[string]func(t *testing.T, dir string, repo *git.Repository){
		"modified": func(t *testing.T, dir string, _ *git.Repository) { write(t, dir, "app.py", "print(2)\n") },
		"deleted":  func(t *testing.T, dir string, _ *git.Repository) { os.Remove(filepath.Join(dir, "app.py")) },
		"staged": func(t *testing.T, dir string, repo *git.Repository) {
			write(t, dir, "new.py", "x\n")
			wt, _ := repo.Worktree()
			if _, err := wt.Add("new.py"); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir, repo, commit := newRepo(t)
			change(t, dir, repo)
			info, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Dirty || info.Revision() != commit+"-dirty" {
				t.Fatalf("info = %+v", info)
			}
		})
	}
}

func TestUntrackedIsClean(t *testing.T) {
	dir, _, _ := newRepo(t)
	write(t, dir, "notes.txt", "untracked\n")
	info, err := Read(dir)
	if err != nil || info.Dirty {
		t.Fatalf("info = %+v, %v", info, err)
	}
}

func TestSubdirectoryAndRemote(t *testing.T) {
	dir, repo, commit := newRepo(t)
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"git@github.com:acme/My_Shop.git"}}); err != nil {
		t.Fatal(err)
	}
	info, err := Read(filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Commit != commit || info.Remote != "git@github.com:acme/My_Shop.git" || info.RepoName != "My_Shop" {
		t.Fatalf("info = %+v", info)
	}
}

func TestNoCommitsAndNotARepo(t *testing.T) {
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	info, err := Read(dir)
	if err != nil || !info.IsRepo || info.Commit != "" || info.Revision() != "" {
		t.Fatalf("no commits: %+v, %v", info, err)
	}
	info, err = Read(t.TempDir())
	if err != nil || info.IsRepo {
		t.Fatalf("not a repo: %+v, %v", info, err)
	}
}

func TestRepoName(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/tasks.git":  "tasks",
		"https://github.com/acme/tasks":      "tasks",
		"https://github.com/acme/tasks/":     "tasks",
		"ssh://git@host:2222/acme/tasks.git": "tasks",
		"git@github.com:acme/tasks.git":      "tasks",
		"git@github.com:tasks.git":           "tasks",
		"git@host:tasks":                     "tasks",
		"/srv/git/tasks.git":                 "tasks",
		"file:///srv/git/tasks":              "tasks",
		`C:\repos\tasks.git`:                 "tasks",
		"":                                   "",
	} {
		if got := RepoName(url); got != want {
			t.Errorf("RepoName(%q) = %q, want %q", url, got, want)
		}
	}
}
