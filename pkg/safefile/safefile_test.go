package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFileRegular(t *testing.T) {
	p := write(t, "a.txt", "hello\n")
	for _, limit := range []int64{6, 7, 1 << 20} {
		data, err := ReadFile(p, limit)
		if err != nil || string(data) != "hello\n" {
			t.Errorf("limit %d: %q, %v", limit, data, err)
		}
	}
	data, err := ReadFile(write(t, "empty", ""), 0)
	if err != nil || len(data) != 0 {
		t.Errorf("empty file: %q, %v", data, err)
	}
}

func TestReadFileMissingKeepsNotExist(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none")
	_, err := ReadFile(p, 10)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadFileOverLimit(t *testing.T) {
	p := write(t, "a.txt", "hello\n")
	_, err := ReadFile(p, 5)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != 6 || tl.Limit != 5 {
		t.Fatalf("err = %#v", err)
	}
	if want := p + " is 6 bytes, over the limit of 5 bytes for this file"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
}

// TestSparseFileRefusedBeforeReading: a 1 GiB file (sparse, so the test
// costs nothing) is refused with its real size, which only fstat can know:
// reading would have stopped at the limit.
func TestSparseFileRefusedBeforeReading(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadFile(p, 1<<20)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != 1<<30 {
		t.Fatalf("err = %v", err)
	}
	if want := p + " is 1 GiB, over the limit of 1 MiB for this file"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	head, err := ReadHead(p, 4)
	if err != nil || string(head) != "\x00\x00\x00\x00" {
		t.Fatalf("ReadHead: %q, %v", head, err)
	}
}

func TestReadHead(t *testing.T) {
	p := write(t, "a.txt", "0123456789")
	for limit, want := range map[int64]string{0: "", 4: "0123", 10: "0123456789", 100: "0123456789"} {
		if got, err := ReadHead(p, limit); err != nil || string(got) != want {
			t.Errorf("ReadHead(%d) = %q, %v; want %q", limit, got, err, want)
		}
	}
}

func TestDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	for name, read := range map[string]func() ([]byte, error){
		"ReadFile": func() ([]byte, error) { return ReadFile(dir, 10) },
		"ReadHead": func() ([]byte, error) { return ReadHead(dir, 10) },
	} {
		_, err := read()
		var nr *NotRegularError
		if !errors.As(err, &nr) || err.Error() != dir+" is not a regular file (a directory)" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestReadAtMostStopsAtTheLimit: a file that is longer than fstat said
// (it grew, or it is a file of /proc) is read no further than the limit.
func TestReadAtMostStopsAtTheLimit(t *testing.T) {
	r := strings.NewReader(strings.Repeat("x", 100))
	data, err := readAtMost(r, 0, 11)
	if err != nil || len(data) != 11 {
		t.Fatalf("%d bytes, %v", len(data), err)
	}
	data, err = readAtMost(strings.NewReader("abc"), 3, 11)
	if err != nil || string(data) != "abc" {
		t.Fatalf("%q, %v", data, err)
	}
}

func TestDirFS(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("A"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	fsys := DirFS(dir)
	data, err := fs.ReadFile(fsys, "a.txt")
	if err != nil || string(data) != "A" {
		t.Fatalf("ReadFile: %q, %v", data, err)
	}
	if st, err := fs.Stat(fsys, "sub"); err != nil || !st.IsDir() {
		t.Fatalf("Stat(sub): %v", err)
	}
	var nr *NotRegularError
	if _, err := fsys.Open("sub"); !errors.As(err, &nr) || nr.Path != filepath.Join(dir, "sub") {
		t.Fatalf("Open(sub): %v", err)
	}
	for _, bad := range []string{"../a.txt", "/a.txt", "sub/../a.txt"} {
		if _, err := fsys.Open(bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q): %v", bad, err)
		}
		if _, err := fsys.Stat(bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Stat(%q): %v", bad, err)
		}
	}
	if _, err := fsys.Open("none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(none): %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "0 bytes",
		1:             "1 byte",
		1023:          "1023 bytes",
		1 << 10:       "1 KiB",
		1536:          "1.5 KiB (1536 bytes)",
		4 << 20:       "4 MiB",
		1<<20 + 1:     "1.0 MiB (1048577 bytes)",
		1 << 30:       "1 GiB",
		3 << 40:       "3 TiB",
		(1 << 50) * 2: "2048 TiB",
	} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
