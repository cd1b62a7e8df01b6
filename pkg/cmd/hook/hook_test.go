package hook

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/remote"
)

func gitRun(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// setup makes an app repository with 50 committed files and its bare
// repository (empty: the commit's objects stay in the app's object
// directory, as they are in git's quarantine during a push). It returns
// the bare repository, the object directory and the commit.
func setup(tb testing.TB) (app, bare, objects, head string) {
	dir := tb.TempDir()
	tb.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	app = filepath.Join(dir, "app")
	if err := os.MkdirAll(filepath.Join(app, "src"), 0o755); err != nil {
		tb.Fatal(err)
	}
	gitRun(tb, app, "init", "-q", "-b", "main")
	files := map[string]string{".cupaas.yml": "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\n", "requirements.txt": "flask\n"}
	for i := range 50 {
		files[filepath.Join("src", strings.Repeat("f", 1+i%5)+string(rune('a'+i%26))+".py")] = strings.Repeat("x = 1\n", 50+i)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	gitRun(tb, app, "add", "-A")
	gitRun(tb, app, "commit", "-q", "-m", "one")
	head = gitRun(tb, app, "rev-parse", "HEAD")
	res, err := remote.Setup(remote.Options{AppDir: app, App: "app", Context: "minikube", Exe: "/usr/local/bin/cupaas"})
	if err != nil {
		tb.Fatal(err)
	}
	return app, res.Repo, filepath.Join(app, ".git", "objects"), head
}

func TestReadPush(t *testing.T) {
	_, bare, objects, head := setup(t)
	zero := strings.Repeat("0", 40)
	p, err := readPush(bare, strings.NewReader(zero+" "+head+" refs/heads/main\n"), []string{objects})
	if err != nil {
		t.Fatal(err)
	}
	if p.commit.Hash != head || p.rec.App != "app" || p.rec.Branch != "main" {
		t.Fatalf("push = %+v, commit %s", p.rec, p.commit.Hash)
	}
	// Without the quarantine directory the commit is not there.
	if _, err := readPush(bare, strings.NewReader(zero+" "+head+" refs/heads/main\n"), nil); err == nil {
		t.Fatal("read a commit the bare repository does not have")
	}
	// Another branch is a user mistake that names the command to use.
	_, err = readPush(bare, strings.NewReader(zero+" "+head+" refs/heads/feature\n"), []string{objects})
	var usage *cmdutil.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "`git push cupaas feature:main`") {
		t.Fatalf("err = %v", err)
	}
	_, err = readPush(bare, strings.NewReader(head+" "+zero+" refs/heads/main\n"), []string{objects})
	if err == nil || !strings.Contains(err.Error(), "deleting branch main is refused") {
		t.Fatalf("err = %v", err)
	}
	if _, err := readPush(bare, strings.NewReader("garbage\n"), nil); err == nil || !strings.Contains(err.Error(), "unexpected input from git") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkHookOverhead is what the hook does before and after the deploy
// that `cupaas deploy --ref` does not: read the record and the updates,
// open the commit through the quarantine directory, take and free the app
// lock, check the branch did not move, record the deploy. Compare with
// BenchmarkRefResolve, what --ref does instead.
func BenchmarkHookOverhead(b *testing.B) {
	app, bare, objects, head := setup(b)
	line := strings.Repeat("0", 40) + " " + head + " refs/heads/main\n"
	h := home.Of(app)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		p, err := readPush(bare, strings.NewReader(line), []string{objects})
		if err != nil {
			b.Fatal(err)
		}
		lk, err := h.Lock(ctx, "push", 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := remote.CheckUnmoved(ctx, bare, p.update); err != nil {
			b.Fatal(err)
		}
		if err := remote.RecordDeployed(bare, remote.Update{Old: head, New: head, Ref: p.update.Ref}); err != nil {
			b.Fatal(err)
		}
		lk.Release()
	}
}

// BenchmarkRefResolve is what `cupaas deploy --ref main` does to find the
// commit.
func BenchmarkRefResolve(b *testing.B) {
	app, _, _, head := setup(b)
	b.ResetTimer()
	for range b.N {
		c, err := gitsource.ResolveCommit(app, "main")
		if err != nil || c.Hash != head {
			b.Fatal(c, err)
		}
	}
}
