package remote

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The hook runs the program by its path, even one with spaces and quotes,
// and passes git's arguments and input on.
func TestHookRunsTheProgram(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "it's a dir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "cu paas")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho \"args: $*\"\ncat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hook := filepath.Join(t.TempDir(), "pre-receive")
	if err := os.WriteFile(hook, []byte(Hook(exe)), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hook, "x y")
	cmd.Stdin = strings.NewReader("old new ref\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "args: hook pre-receive x y\nold new ref\n"; string(out) != want {
		t.Fatalf("hook printed %q, want %q", out, want)
	}
}

func TestPick(t *testing.T) {
	h1, h2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
	u, err := Pick([]Update{{Old: h1, New: h2, Ref: "refs/heads/prod"}}, "prod")
	if err != nil || u.New != h2 {
		t.Fatalf("Pick = %+v, %v", u, err)
	}
	for _, tc := range []struct {
		updates []Update
		want    string
	}{
		{[]Update{{Old: h1, New: h2, Ref: "refs/heads/main"}}, "`git push cupaas main:prod`"},
		{[]Update{{Old: h1, New: h2, Ref: "refs/tags/v1"}}, "`git push cupaas v1:prod`"},
		{[]Update{{Old: h1, New: zeroHash, Ref: "refs/heads/prod"}}, "deleting branch prod is refused"},
		{[]Update{{Old: h1, New: h2, Ref: "refs/heads/prod"}, {Old: h1, New: h2, Ref: "refs/heads/x"}}, "this push updates refs/heads/x"},
		{nil, "nothing to deploy"},
	} {
		if _, err := Pick(tc.updates, "prod"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Pick(%v) = %v, want an error with %q", tc.updates, err, tc.want)
		}
	}
}

func TestRepoPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	p, err := RepoPath("kind/dev", "app")
	if err != nil || p != "/data/cupaas/repos/kind_dev/app.git" {
		t.Fatalf("RepoPath = %q, %v", p, err)
	}
	// A relative XDG_DATA_HOME is ignored, as the XDG spec says.
	t.Setenv("XDG_DATA_HOME", "rel")
	t.Setenv("HOME", "/home/me")
	if p, err := RepoPath("minikube", "app"); err != nil || p != "/home/me/.local/share/cupaas/repos/minikube/app.git" {
		t.Fatalf("RepoPath = %q, %v", p, err)
	}
}
