package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/internal/faketool"
	"github.com/cupaas/cupaas/pkg/cmd/completion"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

var update = flag.Bool("update", false, "rewrite golden files and generated completions")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cupaas":   func() { os.Exit(Main()) },
		"docker":   func() { os.Exit(faketool.Main("docker")) },
		"kubectl":  func() { os.Exit(faketool.Main("kubectl")) },
		"minikube": func() { os.Exit(faketool.Main("minikube")) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("FAKE_LOG", filepath.Join(env.WorkDir, "calls.log"))
			env.Setenv("FAKE_RULES", filepath.Join(env.WorkDir, "fake.rules"))
			env.Setenv("FAKE_STDIN", filepath.Join(env.WorkDir, "stdin.log"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"without": cmdWithout,
		},
	})
}

// cmdWithout (`without TOOL...`) leaves only the other fake tools and
// cupaas on PATH, to test what happens when a tool is not installed.
func cmdWithout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: without TOOL...")
	}
	fakes := filepath.SplitList(ts.Getenv("PATH"))[0]
	bin := ts.MkAbs("without-bin")
	ts.Check(os.MkdirAll(bin, 0o755))
	entries, err := os.ReadDir(fakes)
	ts.Check(err)
	skip := map[string]bool{}
	for _, a := range args {
		skip[a] = true
	}
	for _, e := range entries {
		if !skip[e.Name()] {
			ts.Check(os.Symlink(filepath.Join(fakes, e.Name()), filepath.Join(bin, e.Name())))
		}
	}
	ts.Setenv("PATH", bin)
}

func testRoot(t *testing.T) *cobra.Command {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	return NewRootCmd(&cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }})
}

// TestCompletionsUpToDate fails when completions/ differs from what the
// commands generate; `go generate ./...` (or -update) rewrites it.
func TestCompletionsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "completions")
	root := testRoot(t)
	if *update {
		if err := completion.WriteScripts(root, dir); err != nil {
			t.Fatal(err)
		}
	}
	scripts, err := completion.Scripts(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != 4 {
		t.Fatalf("want 4 scripts, got %d", len(scripts))
	}
	for name, want := range scripts {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v; run `go generate ./...`", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("completions/%s is out of date; run `go generate ./...`", name)
		}
	}
}

// TestEveryCommandHasAnExample keeps --help useful.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Example == "" {
			t.Errorf("%s has no Example in its --help", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%s has no Short description", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(testRoot(t))
}
