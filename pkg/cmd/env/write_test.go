package env

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/run/runtest"
	"github.com/cupaas/cupaas/pkg/state"
)

// Copies of .cupaas.env that a killed write left, in the app directory
// (older cupaas) or in .cupaas/, are removed by the next write; other
// files are not touched.
func TestWriteRemovesLeftoverCopies(t *testing.T) {
	dir := app(t)
	os.Mkdir(filepath.Join(dir, ".cupaas"), 0o700)
	old := time.Now().Add(-time.Hour)
	left := []string{"..cupaas.env.tmp-123", ".cupaas/..cupaas.env.tmp-456", ".cupaas/..cupaas.env.tmp-789"}
	for i, name := range left {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("SECRET=hunter2\n"), 0o600)
		if i < 2 {
			os.Chtimes(p, old, old)
		}
	}
	os.WriteFile(filepath.Join(dir, ".other.tmp-1"), []byte("x"), 0o644)
	_, stderr, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range left {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".other.tmp-1")); err != nil {
		t.Errorf("an unrelated file was removed: %v", err)
	}
	if !strings.Contains(stderr, "Removed 3 temporary copies of .cupaas.env left by an interrupted write") {
		t.Errorf("stderr:\n%s", stderr)
	}
	// .cupaas/ keeps itself out of git, whoever created it.
	if data, err := os.ReadFile(filepath.Join(dir, ".cupaas", ".gitignore")); err != nil || !strings.Contains(string(data), "\n*\n") {
		t.Errorf(".cupaas/.gitignore: %q, %v", data, err)
	}
}

// A symbolic link .cupaas.env stays a link: the file it points to is
// written, inside the app or outside it, existing or not.
func TestSetWritesThroughASymlink(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name   string
		link   string // what .cupaas.env points to
		target string // the file that must be written, relative to the app
		before string
	}{
		{"relative, inside the app", "secrets/app.env", "secrets/app.env", "OLD=1\n"},
		{"absolute, outside the app", filepath.Join(outside, "app.env"), filepath.Join(outside, "app.env"), "OLD=1\n"},
		{"dangling", "secrets/new.env", "secrets/new.env", ""},
		{"a link to a link", "secrets/link.env", "secrets/app.env", "OLD=1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := app(t)
			os.Mkdir(filepath.Join(dir, "secrets"), 0o700)
			target := tt.target
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			os.Remove(target)
			if tt.before != "" {
				os.WriteFile(target, []byte(tt.before), 0o600)
			}
			os.Symlink("app.env", filepath.Join(dir, "secrets", "link.env"))
			link := filepath.Join(dir, ".cupaas.env")
			if err := os.Symlink(tt.link, link); err != nil {
				t.Fatal(err)
			}
			if _, _, err := runEnv(t, dir, runtest.New(t), "", "set", "A=1"); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf(".cupaas.env is no longer a link: %v, %v", fi.Mode(), err)
			}
			data, err := os.ReadFile(target)
			if err != nil || string(data) != tt.before+"A=1\n" {
				t.Fatalf("%s = %q, %v", target, data, err)
			}
			if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v", fi.Mode().Perm())
			}
		})
	}
}

// Ctrl-C while the change is applied: the error says that the value is
// stored, that the cluster may not have it, and how to apply it (exit
// 130), not only "interrupted".
func TestInterruptAfterStoreSaysWhatToDo(t *testing.T) {
	for _, at := range []string{"get deployment/app", "apply --server-side", "rollout status"} {
		t.Run(at, func(t *testing.T) {
			dir := app(t)
			if err := home.Of(dir).SaveState(state.State{App: "app", Namespace: "app", Context: "minikube", Tag: "0123456789ab", Image: "cupaas/app:0123456789ab"}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := runtest.New(t)
			interrupt := func(ctx context.Context, _ run.Cmd) ([]byte, error) {
				cancel()
				return nil, ctx.Err()
			}
			switch at {
			case "get deployment/app":
				f.StubPattern(`get deployment/app`).Do(interrupt)
			case "apply --server-side":
				stubRunningImage(f, "cupaas/app:0123456789ab")
				f.StubPattern(`apply --server-side`).Do(interrupt)
			default:
				stubRunningImage(f, "cupaas/app:0123456789ab")
				stubReleases(f) // the interrupted change is recorded as failed
				f.StubPattern(`apply --server-side`)
				f.StubPattern(`patch deployment/app`)
				f.StubPattern(`rollout status`).Do(interrupt)
			}
			ios, _, _, _ := iostreams.Test()
			t.Chdir(dir)
			cmd := NewCmdEnv(&cmdutil.Factory{IOStreams: ios, Runner: f})
			cmd.SetArgs([]string{"set", "TOKEN=hunter2"})
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.ExecuteContext(ctx)
			want := "interrupted: the change (set TOKEN) is stored in .cupaas.env, but was not applied to the cluster, or not fully; run `cupaas deploy` to apply it (or `cupaas env set` again)"
			if cmdutil.ExitCode(err, false) != 130 || err.Error() != want {
				t.Fatalf("err = %v (%T), want exit 130 with %q", err, err, want)
			}
			if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "TOKEN=hunter2\n" {
				t.Fatalf("not stored: %q", data)
			}
		})
	}
}
