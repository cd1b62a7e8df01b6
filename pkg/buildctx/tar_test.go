package buildctx

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestTarHoldsExactlyTheHashedFiles(t *testing.T) {
	dir := tree(t, map[string]string{
		"app.py": "print(1)", "lib/x.py": "x", ".cupaas.env": "SECRET=1", ".cupaas/credentials.json": "{}",
		".cupaas.yml": "runtime: x", "node_modules/m.js": "", ".dockerignore": "node_modules\n", "Dockerfile": "FROM mine",
		// A nested app's secrets, git's data and a killed write's
		// leftover never go to docker either.
		"svc/.cupaas.env": "TOKEN=s3cret", "svc/.cupaas/credentials.json": "{}", "svc/.cupaas.yml": "name: svc",
		".git/config": "url = https://token@x", "svc/.git": "gitdir: x", "..cupaas.env.tmp-123": "SECRET=1",
	})
	if err := os.Chmod(filepath.Join(dir, "app.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "app.py", filepath.Join(dir, "link.py"))
	var buf bytes.Buffer
	sent, err := Tar(&buf, dir, ".cupaas/build/Dockerfile", []byte("FROM generated"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := Hash(context.Background(), dir, []byte("FROM generated")); sent != want {
		t.Fatalf("Tar's hash %s, Hash %s", sent, want)
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
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
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
		"svc/": "dir", "svc/.cupaas.yml": "644 name: svc",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tar:\n%v\nwant\n%v", got, want)
	}
}

func TestTarDockerfileWinsOverAContextFile(t *testing.T) {
	dir := tree(t, map[string]string{"Dockerfile": "FROM old", "app.py": ""})
	var buf bytes.Buffer
	if _, err := Tar(&buf, dir, "Dockerfile", []byte("FROM new")); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		names = append(names, h.Name+"="+string(data))
	}
	if want := []string{"app.py=", "Dockerfile=FROM new"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("tar entries %q, want %q", names, want)
	}
}

// The hash Tar returns is of what it sent: a file saved after Hash shows.
func TestTarHashShowsAChangeSinceHash(t *testing.T) {
	dir := tree(t, map[string]string{"app.py": "print(1)", "Dockerfile": "FROM mine"})
	before, err := Hash(context.Background(), dir, []byte("FROM gen"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte("print(2)"), 0o644); err != nil {
		t.Fatal(err)
	}
	sent, err := Tar(io.Discard, dir, "Dockerfile", []byte("FROM gen"))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := Hash(context.Background(), dir, []byte("FROM gen"))
	if sent == before || sent != after {
		t.Fatalf("before %s, sent %s, after %s", before, sent, after)
	}
	// The context's own Dockerfile is replaced in the tar, but still counts.
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM other"), 0o644)
	sent2, _ := Tar(io.Discard, dir, "Dockerfile", []byte("FROM gen"))
	if sent2 == sent {
		t.Fatal("a change of the replaced Dockerfile is not in the hash")
	}
}
