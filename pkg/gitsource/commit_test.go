package gitsource_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/gitsource"
)

// gitRun runs the real git in dir.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("these tests need the git program: %v", err)
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeFile(t *testing.T, dir, name, content string, perm os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

// commitRepo makes a repository with files of every kind the hash covers,
// and commits them.
func commitRepo(t *testing.T) (string, string) {
	dir := t.TempDir()
	gitRun(t, dir, "init", "-q", "-b", "main")
	writeFile(t, dir, "app.py", "print('hi')\n", 0o644)
	writeFile(t, dir, "run.sh", "#!/bin/sh\n", 0o755)
	writeFile(t, dir, "lib/a/b.txt", "b\n", 0o644)
	writeFile(t, dir, "logs/x.log", "x\n", 0o644)
	writeFile(t, dir, "sub/.cupaas.env", "NESTED=1\n", 0o644)
	writeFile(t, dir, ".cupaas.yml", "name: x\n", 0o644)
	writeFile(t, dir, ".dockerignore", "logs\n!logs/keep.log\n", 0o644)
	writeFile(t, dir, "logs/keep.log", "k\n", 0o644)
	if err := os.Symlink("app.py", filepath.Join(dir, "link.py")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "one")
	return dir, gitRun(t, dir, "rev-parse", "HEAD")
}

func TestCommitHashesLikeACleanCheckout(t *testing.T) {
	dir, head := commitRepo(t)
	// Untracked and modified files are in the work tree, not the commit.
	writeFile(t, dir, "secret.pem", "KEY\n", 0o644)
	writeFile(t, dir, "app.py", "changed\n", 0o644)

	c, err := gitsource.ResolveCommit(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash != head {
		t.Fatalf("commit %s, want %s", c.Hash, head)
	}
	dockerfile := []byte("FROM scratch\n")
	fromCommit, err := buildctx.InspectTree(context.Background(), c, dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	gitRun(t, filepath.Dir(clone), "clone", "-q", dir, clone)
	fromCheckout, err := buildctx.Inspect(context.Background(), clone, dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if fromCommit.Hash != fromCheckout.Hash {
		t.Fatalf("commit hash %s, clean checkout %s", fromCommit.Hash, fromCheckout.Hash)
	}
	fromWorkTree, err := buildctx.Inspect(context.Background(), dir, dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if fromWorkTree.Hash == fromCommit.Hash {
		t.Fatal("the changed work tree hashes like the commit")
	}

	var buf bytes.Buffer
	sent, err := buildctx.TarTree(context.Background(), &buf, c, "Dockerfile", dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if sent != fromCommit.Hash {
		t.Fatalf("TarTree hash %s, InspectTree %s", sent, fromCommit.Hash)
	}
	var names []string
	contents := map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		data, _ := io.ReadAll(tr)
		contents[hdr.Name] = string(data)
		if hdr.Name == "run.sh" && hdr.Mode != 0o755 {
			t.Errorf("run.sh mode %o, want 755", hdr.Mode)
		}
		if hdr.Name == "link.py" && (hdr.Typeflag != tar.TypeSymlink || hdr.Linkname != "app.py") {
			t.Errorf("link.py: type %c target %q", hdr.Typeflag, hdr.Linkname)
		}
	}
	want := []string{".dockerignore", "app.py", "lib/", "lib/a/", "lib/a/b.txt", "link.py", "logs/", "logs/keep.log", "run.sh", "Dockerfile"}
	if !slices.Equal(names, want) {
		t.Fatalf("tar holds %q, want %q", names, want)
	}
	if contents["app.py"] != "print('hi')\n" {
		t.Fatalf("app.py sent as %q, want the committed content", contents["app.py"])
	}
}

func TestResolveCommitErrors(t *testing.T) {
	dir, _ := commitRepo(t)
	if _, err := gitsource.ResolveCommit(dir, "nope"); err == nil || !strings.Contains(err.Error(), `no commit "nope"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := gitsource.ResolveCommit(t.TempDir(), "HEAD"); err == nil || !strings.Contains(err.Error(), "not in a git repository") {
		t.Fatalf("err = %v", err)
	}
}

// A commit whose objects are only in another object directory (as in
// git's quarantine during pre-receive) is read from there.
func TestPushedCommitFromQuarantine(t *testing.T) {
	dir, head := commitRepo(t)
	bare := filepath.Join(t.TempDir(), "bare.git")
	gitRun(t, filepath.Dir(bare), "init", "-q", "--bare", bare)
	if _, err := gitsource.PushedCommit(bare, head, nil); err == nil {
		t.Fatal("the bare repository has no objects yet, but the commit was found")
	}
	c, err := gitsource.PushedCommit(bare, head, []string{filepath.Join(dir, ".git", "objects")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.ReadFile("app.py", 100)
	if err != nil || string(data) != "print('hi')\n" {
		t.Fatalf("app.py = %q, %v", data, err)
	}
}
