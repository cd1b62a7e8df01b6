package buildctx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cupaas/cupaas/internal/golden"
)

// tree writes files (slash path -> content, mode 0644) into a new directory.
func tree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, dir, name, content, 0o644)
	}
	return dir
}

// writeFile writes one file with exactly perm, whatever the umask.
func writeFile(t testing.TB, dir, name, content string, perm os.FileMode) {
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

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func paths(t *testing.T, dir string) []string {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestFilesIgnoreRules(t *testing.T) {
	base := map[string]string{
		"app.py": "", "README.md": "", "lib/a.py": "", "lib/b.pyc": "", "lib/c.py": "",
		"docs/x.md": "", "docs/keep.md": "", "docs/sub/y.md": "",
		"node_modules/m/index.js": "", "node_modules/m/keep.js": "",
		"web/node_modules/n.js": "", "web/app.js": "",
		"deep/x/y/z.pyc": "", "deep/x/y/z.py": "",
	}
	all := []string{
		"README.md", "app.py", "deep/x/y/z.py", "deep/x/y/z.pyc", "docs/keep.md", "docs/sub/y.md", "docs/x.md",
		"lib/a.py", "lib/b.pyc", "lib/c.py", "node_modules/m/index.js", "node_modules/m/keep.js", "web/app.js", "web/node_modules/n.js",
	}
	without := func(drop ...string) []string {
		out := []string{".dockerignore"}
		for _, p := range all {
			keep := true
			for _, d := range drop {
				if p == d || strings.HasPrefix(p, d+"/") {
					keep = false
				}
			}
			if keep {
				out = append(out, p)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, ignore string // ignore "" means no .dockerignore at all
		want         []string
	}{
		{"no .dockerignore", "", all},
		{"only comments and blank lines", "# nothing\n\n   \n", without()},
		{"directory by name", "node_modules\n", without("node_modules")},
		{"directory with trailing slash", "docs/\n", without("docs")},
		{"leading slash and ./ are the root", "/docs\n./lib/b.pyc\n", without("docs", "lib/b.pyc")},
		{"* does not cross /", "*.md\n", without("README.md")},
		{"* within a level", "docs/*.md\n", without("docs/keep.md", "docs/x.md")},
		{"? is one character", "lib/?.py\n", without("lib/a.py", "lib/c.py")},
		{"character class", "lib/[ab].py*\n", without("lib/a.py", "lib/b.pyc")},
		{"** at any depth", "**/*.pyc\n", without("lib/b.pyc", "deep/x/y/z.pyc")},
		{"**/dir matches at the root and deeper", "**/node_modules\n", without("node_modules", "web/node_modules")},
		{"** in the middle", "deep/**/z.py\n", without("deep/x/y/z.py")},
		{"dir/** is everything below", "docs/**\n", without("docs")},
		{"negation", "docs\n!docs/keep.md\n", without("docs/x.md", "docs/sub")},
		{"negation deep below an excluded dir", "deep\n!deep/x/y/z.py\n", without("deep/x/y/z.pyc")},
		{"negation with ** below an excluded dir", "node_modules\n!**/keep.js\n", without("node_modules/m/index.js")},
		{"negation with * below an excluded dir", "node_modules\n!node_modules/*/keep.js\n", without("node_modules/m/index.js")},
		{"negation elsewhere leaves the excluded dir out", "node_modules\n!docs/keep.md\n", without("node_modules")},
		{"the last matching line wins", "docs\n!docs/keep.md\ndocs/keep.md\n", without("docs")},
		{"negation of a whole dir", "*\n!lib\n", []string{".dockerignore", "lib/a.py", "lib/b.pyc", "lib/c.py"}},
		{"everything but one file", "*\n!app.py\n", []string{".dockerignore", "app.py"}},
		{"** alone", "**\n", []string{".dockerignore"}},
		{".dockerignore is always sent", ".dockerignore\n", without()},
		{"comment lines only start with #", "#docs\n lib\n", without("lib")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			if tc.ignore != "" {
				files[".dockerignore"] = tc.ignore
			}
			if got := paths(t, tree(t, files)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFilesForcedExcludes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"without .dockerignore", map[string]string{
			"app.py": "", ".cupaas.yml": "", ".cupaas.yaml": "", ".cupaas.env": "SECRET=1", ".cupaas/build/Dockerfile": "", ".cupaas/state.json": "",
		}, []string{"app.py"}},
		{"even when .dockerignore asks for them", map[string]string{
			"app.py": "", ".cupaas.yml": "", ".cupaas.env": "SECRET=1", ".cupaas/credentials.json": "",
			".dockerignore": "*\n!app.py\n!.cupaas.env\n!.cupaas.yml\n!.cupaas\n!.cupaas/**\n",
		}, []string{".dockerignore", "app.py"}},
		{"only these names", map[string]string{
			".cupaas.yml.bak": "", ".cupaas.env.example": "", ".cupaasrc": "", ".gitignore": "", ".github/workflows/ci.yml": "", ".git.bak": "",
			".cupaas.env.tmp-1": "", "..cupaas.envx": "", ".Dockerfile.tmp-1": "",
		}, []string{"..cupaas.envx", ".Dockerfile.tmp-1", ".cupaas.env.example", ".cupaas.yml.bak", ".cupaasrc", ".git.bak", ".github/workflows/ci.yml", ".gitignore"}},
		// A nested app's secrets and state are as secret as the root's;
		// its .cupaas.yml is a file of the app like any other.
		{"a nested app, at any depth", map[string]string{
			"app.py": "", "svc/.cupaas.yml": "name: svc", "svc/.cupaas.yaml": "", "svc/.cupaas.env": "TOKEN=s3cret", "svc/.cupaas/credentials.json": "{}",
			"svc/app.py": "", "a/b/c/.cupaas.env": "X=1", "a/b/c/.cupaas/state.json": "", "d/.cupaas": "a file",
		}, []string{"app.py", "svc/.cupaas.yaml", "svc/.cupaas.yml", "svc/app.py"}},
		{"git's data at any depth, directory or file", map[string]string{
			"app.py": "", ".git/config": "[remote]\nurl = https://token@x", ".git/index": "", "vendor/lib/.git": "gitdir: ../../.git/modules/lib",
			"vendor/lib/x.go": "", "sub/.git/HEAD": "",
		}, []string{"app.py", "vendor/lib/x.go"}},
		{"leftover temporary files of cupaas' files, at any depth", map[string]string{
			"app.py": "", "..cupaas.env.tmp-123": "TOKEN=s3cret", "svc/..cupaas.env.tmp-9": "", "..cupaas.yml.tmp-1": "", "..cupaas.yaml.tmp-2": "",
			"svc/..cupaas.yml.tmp-3": "",
		}, []string{"app.py"}},
		{"even when .dockerignore asks for them, at any depth", map[string]string{
			"app.py": "", "svc/.cupaas.env": "X=1", ".git/config": "", "..cupaas.env.tmp-1": "",
			".dockerignore": "*\n!app.py\n!svc/.cupaas.env\n!**/.cupaas.env\n!.git\n!.git/**\n!..cupaas.env.tmp-1\n",
		}, []string{".dockerignore", "app.py"}},
		{".cupaas as a file", map[string]string{".cupaas": "x", "a": ""}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := paths(t, tree(t, tc.files)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFilesKindsAndOrder(t *testing.T) {
	dir := tree(t, map[string]string{"a.txt": "12345", "a/b": "", "a-b": "", "ab": ""})
	if err := os.Chmod(filepath.Join(dir, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "a.txt", filepath.Join(dir, "link"))
	symlink(t, "a", filepath.Join(dir, "dirlink")) // not followed
	if err := os.MkdirAll(filepath.Join(dir, "empty", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Path: "a-b", Mode: 0o644},
		{Path: "a.txt", Mode: 0o644, Size: 5},
		{Path: "a/b", Mode: 0o644},
		{Path: "ab", Mode: 0o755},
		{Path: "dirlink", Mode: os.ModeSymlink | 0o777, Size: 1},
		{Path: "link", Mode: os.ModeSymlink | 0o777, Size: 5},
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files:\n got %+v\nwant %+v", files, want)
	}
}

func TestMayMatchBelow(t *testing.T) {
	for _, tc := range []struct {
		pattern, dir string
		want         bool
	}{
		{"node_modules/m/keep.js", "node_modules", true},
		{"node_modules/m/keep.js", "node_modules/m", true},
		{"node_modules/m/keep.js", "node_modules/other", false},
		{"node_modules/m/keep.js", "vendor", false},
		{"node_modules", "node_modules", false}, // the dir itself: already in its match state
		{"docs", "node_modules", false},
		{"*/keep.js", "node_modules", true},
		{"*/keep.js", "node_modules/m", false},
		{"node_?odules/x", "node_modules", true},
		{"**/keep.js", "node_modules/m", true},
		{"node_modules/**", "node_modules", true},
		{"nod**", "node_modules", true},
		{"[n]ode_modules/x", "node_modules", true}, // classes: not decided here
		{`node\_modules/x`, "node_modules", true},  // escapes: not decided here
		{"a/b/c", "a/x", false},
	} {
		got := mayMatchBelow(strings.Split(tc.pattern, "/"), strings.Split(tc.dir, "/"))
		if got != tc.want {
			t.Errorf("mayMatchBelow(%q, %q) = %v, want %v", tc.pattern, tc.dir, got, tc.want)
		}
	}
}

// TestExcludedDirIsNotWalked puts a directory that no walk can enter
// (its path is longer than the system allows) under node_modules: the
// walk fails exactly when the rules make it go in.
func TestExcludedDirIsNotWalked(t *testing.T) {
	dir := tree(t, map[string]string{"src/keep.js": "", "node_modules/m/keep.js": ""})
	t.Chdir(filepath.Join(dir, "node_modules"))
	long := strings.Repeat("d", 250)
	for range 20 { // 20 × 251 bytes > PATH_MAX (4096 on Linux, 1024 on macOS)
		if err := os.Mkdir(long, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chdir(long); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ignore string
		walked bool
	}{
		{"", true},
		{"node_modules\n", false},
		{"node_modules/\n!src/keep.js\n", false},
		{"node_modules\n!node_modules/m/keep.js\n", false}, // only node_modules/m is walked
		{"node_modules\n!**/keep.js\n", true},
		{"node_modules\n!node_modules\n", true},
	} {
		if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(tc.ignore), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Hash(context.Background(), dir, nil)
		if tc.walked && (err == nil || !strings.Contains(err.Error(), "file name too long")) {
			t.Errorf(".dockerignore %q: err = %v, want the walk to fail in node_modules", tc.ignore, err)
		}
		if !tc.walked && err != nil {
			t.Errorf(".dockerignore %q: %v", tc.ignore, err)
		}
		if tc.ignore == "node_modules\n!node_modules/m/keep.js\n" {
			if got, want := paths(t, dir), []string{".dockerignore", "node_modules/m/keep.js", "src/keep.js"}; !reflect.DeepEqual(got, want) {
				t.Errorf("files = %q, want %q", got, want)
			}
		}
	}
}

func TestBadDockerignore(t *testing.T) {
	for _, tc := range []struct {
		ignore, want string
		line         int
	}{
		{"# comment\nnode_modules\n[\n", `.dockerignore:3: invalid pattern "[": syntax error in pattern; fix or remove the line`, 3},
		{"a\n\n!\n", `.dockerignore:3: invalid pattern "!": illegal exclusion pattern: "!"; fix or remove the line`, 3},
		{"x\n!lib/[z-a].py\n", `.dockerignore:2: invalid pattern "!lib/[z-a].py": syntax error in pattern; fix or remove the line`, 2},
		// text/scanner, which patternmatcher uses, printed these to
		// stderr (unnamed, several times) and went on.
		{"node_modules\n\xff\xfe bad\n*.pyc\n", `.dockerignore:2: invalid pattern "\xff\xfe bad": not valid UTF-8 text (save the file as UTF-8); fix or remove the line`, 2},
		{"a\x00b\n", `.dockerignore:1: invalid pattern "a\x00b": holds a NUL byte; fix or remove the line`, 1},
		{"!x\xc3\n", `.dockerignore:1: invalid pattern "!x\xc3": not valid UTF-8 text (save the file as UTF-8); fix or remove the line`, 1},
	} {
		dir := tree(t, map[string]string{"a": "", ".dockerignore": tc.ignore})
		for name, f := range map[string]func() error{
			"Hash":        func() error { _, err := Hash(context.Background(), dir, nil); return err },
			"Files":       func() error { _, err := Files(dir); return err },
			"CheckIgnore": func() error { return CheckIgnore(dir) },
		} {
			var err error
			stderr := captureStderr(t, func() { err = f() })
			want := filepath.Join(dir, tc.want)
			var ie *IgnoreError
			if err == nil || err.Error() != want || !errors.As(err, &ie) || ie.Line != tc.line || ie.File != filepath.Join(dir, ".dockerignore") {
				t.Errorf("%s with %q: err = %#v, want an *IgnoreError %q", name, tc.ignore, err, want)
			} else if len(ie.Lines) < tc.line || !utf8.ValidString(ie.Lines[tc.line-1]) {
				t.Errorf("%s with %q: Lines = %q, want the file's lines in valid UTF-8", name, tc.ignore, ie.Lines)
			}
			if stderr != "" {
				t.Errorf("%s with %q printed %q", name, tc.ignore, stderr)
			}
		}
	}
	// A comment may hold anything: docker never reads it as a pattern.
	dir := tree(t, map[string]string{"a": "", ".dockerignore": "# caf\xe9\nb\n"})
	if err := CheckIgnore(dir); err != nil {
		t.Errorf("a Latin-1 comment: %v", err)
	}
}

// captureStderr returns what f writes to os.Stderr.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	f()
	os.Stderr = old
	w.Close()
	out := <-done
	r.Close()
	return string(out)
}

func TestMissingContext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	_, err := Hash(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want one naming %s", err, dir)
	}
}

// TestVanishedFile covers a file that goes away between the walk and its
// hashing: the error names it and says what to do.
func TestVanishedFile(t *testing.T) {
	dir := tree(t, map[string]string{"a": "1"})
	_, err := digestAll(context.Background(), dir, []entry{{rel: "a"}, {rel: "lib/gone.py"}})
	if err == nil || !strings.Contains(err.Error(), "cannot read lib/gone.py of the build context") ||
		!strings.Contains(err.Error(), "no such file") || !strings.Contains(err.Error(), "add it to .dockerignore") {
		t.Fatalf("err = %v", err)
	}
}

func hashOf(t *testing.T, dir, dockerfile string) string {
	t.Helper()
	h, err := Hash(context.Background(), dir, []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashSensitivity(t *testing.T) {
	files := map[string]string{
		"app.py": "print(1)", "lib/x.py": "x", "lib/y.py": "y", ".dockerignore": "ignored/\n**/*.log\n",
		"ignored/big.bin": "1", "debug.log": "1",
	}
	const dockerfile = "FROM python"
	base := hashOf(t, tree(t, files), dockerfile)
	if len(base) != 64 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("Hash = %q, want 64 hex digits", base)
	}
	tag, err := Tag(context.Background(), tree(t, files), []byte(dockerfile))
	if err != nil || tag != base[:12] {
		t.Fatalf("Tag = %q, %v; want %q", tag, err, base[:12])
	}
	write := func(name, content string, perm os.FileMode) func(*testing.T, string) {
		return func(t *testing.T, d string) { writeFile(t, d, name, content, perm) }
	}
	for _, tc := range []struct {
		name       string
		change     func(t *testing.T, dir string)
		dockerfile string
		same       bool
	}{
		{name: "a second tree with the same content", same: true},
		{name: "new mtimes", same: true, change: func(t *testing.T, d string) {
			old := time.Unix(1, 0)
			for _, f := range []string{"app.py", "lib/x.py", ".dockerignore"} {
				if err := os.Chtimes(filepath.Join(d, f), old, old); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{name: "a file under an ignored directory", same: true, change: write("ignored/big.bin", "2", 0o644)},
		{name: "a new file under an ignored directory", same: true, change: write("ignored/deep/new.bin", "2", 0o644)},
		{name: "an ignored file", same: true, change: write("lib/trace.log", "x", 0o644)},
		{name: "the config", same: true, change: write(".cupaas.yml", "replicas: 3\n", 0o644)},
		{name: "the config as .yaml", same: true, change: write(".cupaas.yaml", "replicas: 3\n", 0o644)},
		{name: "the secrets", same: true, change: write(".cupaas.env", "PASSWORD=x\n", 0o600)},
		{name: "cupaas' state", same: true, change: write(".cupaas/build/kubernetes.yaml", "kind: x\n", 0o644)},
		{name: "an empty directory", same: true, change: func(t *testing.T, d string) {
			if err := os.MkdirAll(filepath.Join(d, "empty", "deeper"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "the Dockerfile", dockerfile: "FROM python:3.12"},
		{name: "a content change", change: write("app.py", "print(2)", 0o644)},
		{name: "a content change of the same size", change: write("lib/x.py", "z", 0o644)},
		{name: "chmod +x", change: func(t *testing.T, d string) {
			if err := os.Chmod(filepath.Join(d, "app.py"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "chmod g+w", change: func(t *testing.T, d string) {
			if err := os.Chmod(filepath.Join(d, "app.py"), 0o664); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a rename", change: func(t *testing.T, d string) {
			if err := os.Rename(filepath.Join(d, "lib/x.py"), filepath.Join(d, "lib/z.py")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a move to another dir", change: func(t *testing.T, d string) {
			writeFile(t, d, "lib2/x.py", "x", 0o644)
			if err := os.Remove(filepath.Join(d, "lib/x.py")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a new empty file", change: write("new.py", "", 0o644)},
		{name: "a deleted file", change: func(t *testing.T, d string) {
			if err := os.Remove(filepath.Join(d, "lib/y.py")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a symlink", change: func(t *testing.T, d string) { symlink(t, "app.py", filepath.Join(d, "link.py")) }},
		{name: "a file replaced by a symlink to the same content", change: func(t *testing.T, d string) {
			writeFile(t, d, "print(1)", "print(1)", 0o644) // the link target string equals the old content
			if err := os.Remove(filepath.Join(d, "app.py")); err != nil {
				t.Fatal(err)
			}
			symlink(t, "print(1)", filepath.Join(d, "app.py"))
		}},
		{name: "content moved between files", change: func(t *testing.T, d string) {
			writeFile(t, d, "lib/x.py", "xy", 0o644)
			writeFile(t, d, "lib/y.py", "", 0o644)
		}},
		{name: "a change in .dockerignore", change: write(".dockerignore", "ignored/\n**/*.log\n# note\n", 0o644)},
		{name: "a file no longer ignored", change: write(".dockerignore", "**/*.log\n", 0o644)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tree(t, files)
			if tc.change != nil {
				tc.change(t, d)
			}
			df := dockerfile
			if tc.dockerfile != "" {
				df = tc.dockerfile
			}
			got := hashOf(t, d, df)
			if tc.same && got != base {
				t.Errorf("the hash changed")
			}
			if !tc.same && got == base {
				t.Errorf("the hash did not change")
			}
		})
	}
}

// TestHashNoConcatenationCollisions checks that records do not run into
// each other: these trees hold the same bytes in the same order.
func TestHashNoConcatenationCollisions(t *testing.T) {
	trees := []map[string]string{
		{"ab": "c"},
		{"a": "bc"},
		{"a": "b", "c": ""},
		{"a/b": "c"},
	}
	seen := map[string]int{}
	for i, files := range trees {
		h := hashOf(t, tree(t, files), "")
		if j, ok := seen[h]; ok {
			t.Errorf("trees %d and %d have the same hash", j, i)
		}
		seen[h] = i
	}
	// The Dockerfile is length-prefixed: its bytes cannot pass for a file.
	if hashOf(t, tree(t, map[string]string{"a": ""}), "FROM x") == hashOf(t, tree(t, map[string]string{"a": ""}), "FROM x\x00") {
		t.Error("a NUL at the end of the Dockerfile does not change the hash")
	}
}

// TestHashParallelDeterminism hashes a tree bigger than the worker count
// many times.
func TestHashParallelDeterminism(t *testing.T) {
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("d%d/f%03d", i%7, i)] = strings.Repeat(string(rune('a'+i%26)), i*37)
	}
	dir := tree(t, files)
	first := hashOf(t, dir, "FROM x")
	for range 20 {
		if h := hashOf(t, dir, "FROM x"); h != first {
			t.Fatalf("hash %s, then %s", first, h)
		}
	}
}

// goldenTree is a fixed tree with every kind of entry.
func goldenTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		name, content string
		perm          os.FileMode
	}{
		{".dockerignore", "# build junk\nnode_modules\n**/*.pyc\n", 0o644},
		{".cupaas.env", "SECRET=1\n", 0o600},
		{".cupaas.yml", "name: x\n", 0o644},
		{".cupaas/build/Dockerfile", "FROM x\n", 0o644},
		{"..cupaas.env.tmp-123", "SECRET=1\n", 0o600},
		{".git/config", "[remote \"origin\"]\n\turl = https://user:token@example.com/x.git\n", 0o644},
		{".git/index", "DIRC", 0o644},
		{"lib/.cupaas.env", "SECRET=2\n", 0o600},
		{"lib/.cupaas/credentials.json", "{}\n", 0o600},
		{"app.py", "print(1)\n", 0o644},
		{"bin/run", "#!/bin/sh\necho hi\n", 0o755},
		{"lib/a.py", "a = 1\n", 0o644},
		{"lib/a.pyc", "junk", 0o644},
		{"a.txt", "a\n", 0o600},
		{"a/b.txt", "b\n", 0o644},
		{"a-c/d.txt", "d\n", 0o644},
		{"empty", "", 0o644},
		{"node_modules/m/index.js", "module.exports = 1\n", 0o644},
	} {
		writeFile(t, dir, f.name, f.content, f.perm)
	}
	symlink(t, "app.py", filepath.Join(dir, "link.py"))
	symlink(t, "../nowhere", filepath.Join(dir, "lib", "dangling"))
	return dir
}

// TestHashGolden pins the hash format: a change to it changes every image
// tag, so every app rebuilds once. Rewrite with `go test ./pkg/buildctx -update`.
func TestHashGolden(t *testing.T) {
	dir := goldenTree(t)
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := Hash(context.Background(), dir, []byte("FROM python:3.12\nCOPY . .\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "%s\n", f.Path)
	}
	fmt.Fprintf(&b, "hash %s\n", hash)
	golden.Check(t, "hash", b.Bytes())
}

// genTree writes dirs × perDir files of 1-4 KiB under root.
func genTree(b *testing.B, root string, dirs, perDir int) {
	b.Helper()
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("pkg%03d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range perDir {
			size := 1024 + (d*perDir+f)%3072
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.py", f)), data[:size], 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkHash20k hashes a 20,000-file tree (200 dirs × 100 files of
// 1-4 KiB, 50 MB).
func BenchmarkHash20k(b *testing.B) {
	root := b.TempDir()
	genTree(b, root, 200, 100)
	for b.Loop() {
		if _, err := Hash(context.Background(), root, []byte("FROM x")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHash20kWithIgnoredTree adds a node_modules of 20,000 more files,
// listed in .dockerignore: it is skipped without being read.
func BenchmarkHash20kWithIgnoredTree(b *testing.B) {
	root := b.TempDir()
	genTree(b, root, 200, 100)
	genTree(b, filepath.Join(root, "node_modules"), 200, 100)
	if err := os.WriteFile(filepath.Join(root, ".dockerignore"), []byte("node_modules\n.git\n**/*.pyc\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Hash(context.Background(), root, []byte("FROM x")); err != nil {
			b.Fatal(err)
		}
	}
}
