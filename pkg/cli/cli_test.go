package cli

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/internal/faketool"
	"github.com/cupaas/cupaas/internal/golden"
	"github.com/cupaas/cupaas/pkg/cmd/completion"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cupaas":   func() { os.Exit(Main()) },
		"docker":   func() { os.Exit(faketool.Main("docker")) },
		"kubectl":  func() { os.Exit(faketool.Main("kubectl")) },
		"minikube": func() { os.Exit(faketool.Main("minikube")) },
		"xdg-open": func() { os.Exit(faketool.Main("xdg-open")) },
		"kind":     func() { os.Exit(faketool.Main("kind")) },
		"k3d":      func() { os.Exit(faketool.Main("k3d")) },
		"fakeapp":  func() { os.Exit(faketool.App()) },
		"exitcode": func() { os.Exit(faketool.ExitCode()) },
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
			env.Setenv("FAKE_STATE", env.WorkDir)
			// A registry that answers for the tags the fake docker push
			// recorded, at $REGISTRY.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: faketool.RegistryHandler(env.WorkDir, ln.Addr().String())}
			go srv.Serve(ln)
			env.Defer(func() { srv.Close() })
			env.Setenv("REGISTRY", ln.Addr().String())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"without":  cmdWithout,
			"waitfile": cmdWaitFile,
			"mkfile":   cmdMkfile,
			"sparse":   cmdSparse,
			"sleep":    cmdSleep,
			"mksparse": cmdMksparse,
			"waitcall": cmdWaitCall,
			"cmpcalls": cmdCmpCalls,
		},
	})
}

// cmdWaitFile (`waitfile FILE`) waits up to 20 s for FILE to exist.
// cmdMkfile writes a file of SIZE bytes of 'x': mkfile NAME SIZE.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkfile NAME SIZE")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("mkfile: %v", err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), bytes.Repeat([]byte("x"), n), 0o644))
}

// cmdSparse (`sparse NAME GIB`) makes a sparse file of GIB GiB: it reads
// as zeros and takes no disk space.
func cmdSparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sparse NAME GIB")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		ts.Fatalf("sparse: %v", err)
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(f.Truncate(n << 30))
	ts.Check(f.Close())
}

// cmdSleep (`sleep DURATION`) waits.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// cmdMksparse makes a file of SIZE bytes that takes no disk space (zero
// bytes, as far as a reader can tell): mksparse NAME SIZE.
func cmdMksparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mksparse NAME SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(f.Truncate(n))
	ts.Check(f.Close())
}

func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear", args[0])
}

// cmdWaitCall (`waitcall REGEXP`) waits up to 20 s for a fake tool call
// matching REGEXP to be logged.
func cmdWaitCall(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitcall REGEXP")
	}
	re := regexp.MustCompile(args[0])
	for i := 0; i < 200; i++ {
		data, _ := os.ReadFile(ts.MkAbs("calls.log"))
		if re.Match(data) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("no call matching %q", args[0])
}

// cmdCmpCalls (`cmpcalls WANT`) checks calls.log line by line against the
// regular expressions in WANT (each must match a whole line), in order.
// Calls made side by side are written `[lane] regexp`: a run of such lines
// matches the same number of calls in which each lane's calls come in
// order, interleaved with the other lanes' in any way. A line `--` ends
// such a run (the calls after it come after all of the run's).
func cmdCmpCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: cmpcalls WANT")
	}
	got := strings.Split(strings.TrimSpace(ts.ReadFile("calls.log")), "\n")
	want := strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n")
	laneRe := regexp.MustCompile(`^\[(\w+)\] (.*)$`)
	match := func(re, line string) bool { return regexp.MustCompile("^(?:" + re + ")$").MatchString(line) }
	g := 0
	for w := 0; w < len(want); {
		if want[w] == "--" {
			w++
			continue
		}
		m := laneRe.FindStringSubmatch(want[w])
		if m == nil {
			switch {
			case g >= len(got):
				ts.Fatalf("call %d missing: want %s", g+1, want[w])
			case !match(want[w], got[g]):
				ts.Fatalf("call %d:\n got  %s\n want %s", g+1, got[g], want[w])
			}
			g, w = g+1, w+1
			continue
		}
		// A run of lane lines.
		lanes := map[string][]string{}
		n := 0
		for ; w < len(want); w++ {
			m := laneRe.FindStringSubmatch(want[w])
			if m == nil {
				break
			}
			lanes[m[1]] = append(lanes[m[1]], m[2])
			n++
		}
		for end := g + n; g < end; g++ {
			if g >= len(got) {
				ts.Fatalf("call %d missing: want one of the lanes %v", g+1, lanes)
			}
			found := false
			for name, l := range lanes {
				if len(l) > 0 && match(l[0], got[g]) {
					lanes[name] = l[1:]
					found = true
					break
				}
			}
			if !found {
				ts.Fatalf("call %d:\n got  %s\n want the next call of a lane: %v", g+1, got[g], lanes)
			}
		}
	}
	if g < len(got) {
		ts.Fatalf("unexpected call %d: %s", g+1, got[g])
	}
}

// cmdWithout (`without TOOL...`) leaves only the other fake tools and
// cupaas on PATH, to test what happens when a tool is not installed.
func cmdWithout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: without TOOL...")
	}
	fakes := ts.Getenv("FAKE_BIN")
	if fakes == "" {
		fakes = filepath.SplitList(ts.Getenv("PATH"))[0]
		ts.Setenv("FAKE_BIN", fakes)
	}
	bin := ts.MkAbs("without-bin")
	ts.Check(os.RemoveAll(bin))
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
	if golden.Update() {
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
