package buildctx

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func tree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func paths(t *testing.T, dir string) []string {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestIgnoreRules(t *testing.T) {
	base := map[string]string{
		"app.py": "", "lib/a.py": "", "lib/b.pyc": "", "docs/x.md": "", "docs/keep.md": "",
		"node_modules/m/index.js": "", "deep/x/y/z.pyc": "", "README.md": "",
	}
	for _, tc := range []struct {
		name, ignore string
		want         []string
	}{
		{"no dockerignore", "", []string{"README.md", "app.py", "deep/x/y/z.pyc", "docs/keep.md", "docs/x.md", "lib/a.py", "lib/b.pyc", "node_modules/m/index.js"}},
		{"dir and glob", "node_modules\n**/*.pyc\n", []string{".dockerignore", "README.md", "app.py", "docs/keep.md", "docs/x.md", "lib/a.py"}},
		{"negation", "docs\n!docs/keep.md\n", []string{".dockerignore", "README.md", "app.py", "deep/x/y/z.pyc", "docs/keep.md", "lib/a.py", "lib/b.pyc", "node_modules/m/index.js"}},
		{"comments and leading slash", "# comment\n/README.md\n\n*.md\n", []string{".dockerignore", "app.py", "deep/x/y/z.pyc", "docs/keep.md", "docs/x.md", "lib/a.py", "lib/b.pyc", "node_modules/m/index.js"}},
		{"everything but", "*\n!app.py\n", []string{"app.py"}},
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
				t.Errorf("files = %q\nwant    %q", got, tc.want)
			}
		})
	}
}

func TestForcedExcludes(t *testing.T) {
	dir := tree(t, map[string]string{
		"app.py": "", ".cupaas.yml": "", ".cupaas.yaml": "", ".cupaas.env": "SECRET=1", ".cupaas/build/Dockerfile": "",
		".cupaas.yml.bak": "", "sub/.cupaas.env": "", ".dockerignore": "!.cupaas.env\n",
	})
	want := []string{".cupaas.yml.bak", ".dockerignore", "app.py", "sub/.cupaas.env"}
	if got := paths(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func hashOf(t *testing.T, dir string, dockerfile string) string {
	t.Helper()
	h, err := Hash(dir, []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashSensitivity(t *testing.T) {
	files := map[string]string{"app.py": "print(1)", "lib/x.py": "x", ".dockerignore": "ignored/\n", "ignored/big.bin": "1"}
	dir := tree(t, files)
	base := hashOf(t, dir, "FROM python")
	if len(base) != 64 {
		t.Fatalf("hash %q", base)
	}
	tag, _ := Tag(dir, []byte("FROM python"))
	if tag != base[:12] {
		t.Fatalf("tag %q", tag)
	}
	same := func(what string, change func(dir string)) {
		d := tree(t, files)
		change(d)
		if got := hashOf(t, d, "FROM python"); got != base {
			t.Errorf("%s changed the hash", what)
		}
	}
	differ := func(what string, change func(dir string), dockerfile string) {
		d := tree(t, files)
		change(d)
		if got := hashOf(t, d, dockerfile); got == base {
			t.Errorf("%s did not change the hash", what)
		}
	}
	nothing := func(string) {}
	same("a second tree with the same content", nothing)
	same("a new mtime", func(d string) {
		os.Chtimes(filepath.Join(d, "app.py"), timeAt(1), timeAt(1))
	})
	same("a file under an ignored directory", func(d string) { os.WriteFile(filepath.Join(d, "ignored/big.bin"), []byte("2"), 0o644) })
	same("the config and secrets", func(d string) {
		os.WriteFile(filepath.Join(d, ".cupaas.yml"), []byte("replicas: 3"), 0o644)
		os.WriteFile(filepath.Join(d, ".cupaas.env"), []byte("A=1"), 0o600)
		os.MkdirAll(filepath.Join(d, ".cupaas/build"), 0o755)
		os.WriteFile(filepath.Join(d, ".cupaas/build/kubernetes.yaml"), []byte("x"), 0o644)
	})
	same("an empty directory", func(d string) { os.MkdirAll(filepath.Join(d, "empty"), 0o755) })
	differ("the Dockerfile", nothing, "FROM python:3.12")
	differ("a content change", func(d string) { os.WriteFile(filepath.Join(d, "app.py"), []byte("print(2)"), 0o644) }, "FROM python")
	differ("chmod +x", func(d string) { os.Chmod(filepath.Join(d, "app.py"), 0o755) }, "FROM python")
	differ("a rename", func(d string) { os.Rename(filepath.Join(d, "lib/x.py"), filepath.Join(d, "lib/y.py")) }, "FROM python")
	differ("a new file", func(d string) { os.WriteFile(filepath.Join(d, "new.py"), nil, 0o644) }, "FROM python")
	differ("a symlink", func(d string) { os.Symlink("app.py", filepath.Join(d, "link.py")) }, "FROM python")
	differ("moving content between files", func(d string) {
		os.WriteFile(filepath.Join(d, "app.py"), []byte("print(1)x"), 0o644)
		os.WriteFile(filepath.Join(d, "lib/x.py"), nil, 0o644)
	}, "FROM python")
}

func TestBadDockerignore(t *testing.T) {
	dir := tree(t, map[string]string{"a": "", ".dockerignore": "[\n"})
	_, err := Hash(dir, nil)
	if err == nil || !contains(err.Error(), ".dockerignore") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Getuid() == 0 {
		// root reads anything; use a dangling directory entry instead.
		dir := tree(t, map[string]string{"a": ""})
		os.Symlink("missing", filepath.Join(dir, "dangling"))
		if _, err := Hash(dir, nil); err != nil {
			t.Fatalf("a dangling symlink is hashed by its target string: %v", err)
		}
		return
	}
	dir := tree(t, map[string]string{"secret": "x"})
	os.Chmod(filepath.Join(dir, "secret"), 0)
	_, err := Hash(dir, nil)
	if err == nil || !contains(err.Error(), "secret") {
		t.Fatalf("err = %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func timeAt(sec int64) time.Time { return time.Unix(sec, 0) }

// genTree writes dirs × perDir files of 1-4 KiB.
func genTree(b *testing.B, root string, dirs, perDir int) {
	b.Helper()
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for d := 0; d < dirs; d++ {
		dir := filepath.Join(root, fmt.Sprintf("pkg%03d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := 0; f < perDir; f++ {
			size := 1024 + (d*perDir+f)%3072
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.py", f)), data[:size], 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkHash20k hashes a 20,000-file tree (200 dirs × 100 files).
func BenchmarkHash20k(b *testing.B) {
	root := b.TempDir()
	genTree(b, root, 200, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Hash(root, []byte("FROM x")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHash20kWithIgnoredTree adds a 20,000-file node_modules listed in
// .dockerignore: it is skipped without being read.
func BenchmarkHash20kWithIgnoredTree(b *testing.B) {
	root := b.TempDir()
	genTree(b, root, 200, 100)
	genTree(b, filepath.Join(root, "node_modules"), 200, 100)
	os.WriteFile(filepath.Join(root, ".dockerignore"), []byte("node_modules\n.git\n"), 0o644)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Hash(root, []byte("FROM x")); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTarHoldsExactlyTheHashedFiles(t *testing.T) {
	dir := tree(t, map[string]string{
		"app.py": "print(1)", "lib/x.py": "x", ".cupaas.env": "SECRET=1", ".cupaas/credentials.json": "{}",
		".cupaas.yml": "runtime: x", "node_modules/m.js": "", ".dockerignore": "node_modules\n", "Dockerfile": "FROM mine",
	})
	os.Chmod(filepath.Join(dir, "app.py"), 0o755)
	os.Symlink("app.py", filepath.Join(dir, "link.py"))
	var buf bytes.Buffer
	if err := Tar(&buf, dir, ".cupaas/build/Dockerfile", []byte("FROM generated")); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		switch h.Typeflag {
		case tar.TypeDir:
			got[h.Name] = "dir"
		case tar.TypeSymlink:
			got[h.Name] = "-> " + h.Linkname
		default:
			got[h.Name] = fmt.Sprintf("%o %s", h.Mode, data)
		}
	}
	want := map[string]string{
		".dockerignore": "644 node_modules\n", "Dockerfile": "644 FROM mine", "app.py": "755 print(1)", "lib/": "dir", "lib/x.py": "644 x",
		"link.py": "-> app.py", ".cupaas/": "dir", ".cupaas/build/": "dir", ".cupaas/build/Dockerfile": "644 FROM generated",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tar:\n%v\nwant\n%v", got, want)
	}
}
