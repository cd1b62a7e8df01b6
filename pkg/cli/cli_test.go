package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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
// such a run (the calls after it come after all of the run's). A lane
// written `[lane~]` runs in the background and is waited for only later:
// its calls may also come during the runs after its own, interleaved with
// them, up to the end of the first later run with a lane of the same name
// (before that lane's calls), or else up to the end.
func cmdCmpCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: cmpcalls WANT")
	}
	got := strings.Split(strings.TrimSpace(ts.ReadFile("calls.log")), "\n")
	want := strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n")
	if err := matchCalls(got, want); err != nil {
		ts.Fatalf("%v", err)
	}
}

// matchCalls is cmpcalls' check of the calls got against the lines of WANT.
func matchCalls(got, want []string) error {
	g := 0
	// take matches the next calls until every lane of lanes is done,
	// taking the calls of floating too where they come.
	take := func(lanes, floating map[string][]string) error {
		for ; pendingCalls(lanes); g++ {
			if g >= len(got) {
				return fmt.Errorf("call %d missing: want %s", g+1, describeLanes(lanes, floating))
			}
			if !takeCall(lanes, got[g]) && !takeCall(floating, got[g]) {
				return fmt.Errorf("call %d:\n got  %s\n want %s", g+1, got[g], describeLanes(lanes, floating))
			}
		}
		return nil
	}
	// carried are the background calls of earlier runs still to come.
	carried := map[string][]string{}
	for _, r := range callRuns(want) {
		for name, l := range carried {
			if _, ok := r.lanes[name]; ok {
				r.lanes[name] = append(l, r.lanes[name]...)
			} else {
				r.floating[name] = append(l, r.floating[name]...)
			}
		}
		if err := take(r.lanes, r.floating); err != nil {
			return err
		}
		carried = r.floating
	}
	if err := take(carried, nil); err != nil {
		return err
	}
	if g < len(got) {
		return fmt.Errorf("unexpected call %d: %s", g+1, got[g])
	}
	return nil
}

// pendingCalls reports whether a lane has calls still to come.
func pendingCalls(lanes map[string][]string) bool {
	for _, l := range lanes {
		if len(l) > 0 {
			return true
		}
	}
	return false
}

// callRun is a run of cmpcalls lines: its lanes (a plain line is a run
// of one lane of its own, named by its position) and its background lanes
// (`[lane~]`), whose calls may come during the runs after it.
type callRun struct {
	lanes, floating map[string][]string
}

// callRuns splits the lines of a cmpcalls WANT file into runs: each plain
// line is a run; a run of lane lines ends at `--` or a plain line.
func callRuns(want []string) []callRun {
	laneRe := regexp.MustCompile(`^\[(\w+)(~?)\] (.*)$`)
	var runs []callRun
	var cur *callRun
	for i, line := range want {
		m := laneRe.FindStringSubmatch(line)
		switch {
		case line == "--":
			cur = nil
		case m == nil:
			runs = append(runs, callRun{lanes: map[string][]string{fmt.Sprintf("line %d", i+1): {line}}, floating: map[string][]string{}})
			cur = nil
		default:
			if cur == nil {
				runs = append(runs, callRun{lanes: map[string][]string{}, floating: map[string][]string{}})
				cur = &runs[len(runs)-1]
			}
			if m[2] == "~" {
				cur.floating[m[1]] = append(cur.floating[m[1]], m[3])
			} else {
				cur.lanes[m[1]] = append(cur.lanes[m[1]], m[3])
			}
		}
	}
	return runs
}

// takeCall consumes the head of the lane whose next call matches line.
func takeCall(lanes map[string][]string, line string) bool {
	for name, l := range lanes {
		if len(l) > 0 && regexp.MustCompile("^(?:"+l[0]+")$").MatchString(line) {
			lanes[name] = l[1:]
			return true
		}
	}
	return false
}

// describeLanes says which calls could come next.
func describeLanes(lanes, floating map[string][]string) string {
	var next []string
	for _, m := range []map[string][]string{lanes, floating} {
		for _, l := range m {
			if len(l) > 0 {
				next = append(next, l[0])
			}
		}
	}
	sort.Strings(next)
	if len(next) == 1 {
		return next[0]
	}
	return "one of\n  " + strings.Join(next, "\n  ")
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

// TestMatchCalls holds cmpcalls to its rules: lanes interleave but keep
// their own order, `--` ends a run, and a lane `[x~]` may spill into the
// runs after its own, up to the end of a later lane of the same name.
func TestMatchCalls(t *testing.T) {
	want := []string{
		"build",
		"[a] a1",
		"[a] a2",
		"[b] b1",
		"[read~] r1",
		"[rec~] w1",
		"--",
		"apply",
		"--",
		"[roll] roll",
		"[rec] w2",
	}
	for _, tc := range []struct {
		name string
		got  []string
		err  string // a part of the error; "" when it matches
	}{
		{"in order", []string{"build", "a1", "a2", "b1", "r1", "w1", "apply", "roll", "w2"}, ""},
		{"lanes interleaved", []string{"build", "b1", "a1", "r1", "a2", "w1", "apply", "w2", "roll"}, ""},
		{"a read ahead spills into the next runs", []string{"build", "a1", "b1", "a2", "w1", "apply", "roll", "r1", "w2"}, ""},
		{"a read ahead last of all", []string{"build", "a1", "b1", "a2", "w1", "apply", "w2", "roll", "r1"}, ""},
		{"a background write before its lane's next call", []string{"build", "a1", "a2", "b1", "r1", "apply", "roll", "w1", "w2"}, ""},
		{"a lane out of its order", []string{"build", "a2", "a1", "b1", "r1", "w1", "apply", "roll", "w2"}, "call 2:\n got  a2"},
		{"a run's call after --", []string{"build", "a1", "a2", "apply", "b1", "r1", "w1", "roll", "w2"}, "call 4:\n got  apply"},
		{"a background write after its lane", []string{"build", "a1", "a2", "b1", "r1", "apply", "roll", "w2", "w1"}, "got  w2"},
		{"a read ahead missing", []string{"build", "a1", "a2", "b1", "w1", "apply", "roll", "w2"}, "call 9 missing: want r1"},
		{"a plain call missing", []string{"build", "a1", "a2", "b1", "r1", "w1", "roll", "w2"}, "call 7:\n got  roll\n want apply"},
		{"an extra call", []string{"build", "a1", "a2", "b1", "r1", "w1", "apply", "roll", "w2", "more"}, "unexpected call 10: more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := matchCalls(tc.got, want)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("want a match, got %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("want an error with %q, got a match", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("want an error with %q, got %v", tc.err, err)
			}
		})
	}
}
