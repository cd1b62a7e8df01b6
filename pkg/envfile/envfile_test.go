package envfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joho/godotenv"

	"github.com/cupaas/cupaas/pkg/lock"
)

var hostile = []string{
	"", "plain", "two words", " leading", "trailing ", "\ttab", "line1\nline2", "crlf\r\nline",
	"lone\rcr", `double "quotes"`, `"starts`, "single 'quotes'", "'starts", "ends'", `both ' and "x`,
	"a=b=c", "#hash", "value # not a comment", "$HOME", "${HOME}", "$", "cost $5", `back\slash`,
	`ends\`, `\n literal`, `\\`, `\$HOME`, "ünïcødé ✓", "emoji 🚀", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	"export X=1", "x\n# not a comment\ny", `"`, `'`, `it's "quoted"x`,
}

func roundTrip(t *testing.T, value string) {
	t.Helper()
	f, _ := Parse(nil)
	if err := f.Set("KEY", value); err != nil {
		t.Fatalf("Set(%q): %v", value, err)
	}
	data := f.Bytes()
	g, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%q): %v", data, err)
	}
	if got, ok := g.Get("KEY"); !ok || got != value {
		t.Fatalf("value %q written as %q read back as %q (%v)", value, data, got, ok)
	}
	// godotenv itself, on the whole file, agrees.
	m, err := godotenv.Unmarshal(string(data))
	if err != nil || m["KEY"] != value {
		t.Fatalf("godotenv reads %q as %q, %v", data, m["KEY"], err)
	}
}

func TestRoundTripHostileValues(t *testing.T) {
	for _, v := range hostile {
		roundTrip(t, v)
	}
}

func TestRoundTripMiB(t *testing.T) {
	roundTrip(t, strings.Repeat("a$'\"\\\n", 1<<20/6))
	roundTrip(t, strings.Repeat("x", 1<<20))
}

func TestUnrepresentable(t *testing.T) {
	for _, v := range []string{"it's \"x\"", "it's\\", "a\rb\"", "nul\x00byte", "\xff"} {
		if err := CheckValue(v); err == nil {
			t.Errorf("CheckValue(%q) = nil", v)
		}
		f, _ := Parse(nil)
		if err := f.Set("K", v); err == nil {
			t.Errorf("Set(%q) stored an unrepresentable value", v)
		}
		if _, ok := f.Get("K"); ok {
			t.Errorf("Set(%q) failed but the value is there", v)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if CheckValue(value) != nil {
			return
		}
		roundTrip(t, value)
	})
}

func TestKeepsCommentsAndUnknownLines(t *testing.T) {
	src := "# secrets for tasks\n\nexport API_KEY=abc # inline\ngarbage line without equals\nMULTI=\"a\nb\"\n  SPACED = ' x '\nDUP=1\nDUP=2\nBROKEN='unterminated\nLAST=z"
	f, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"API_KEY": "abc", "MULTI": "a\nb", "SPACED": " x ", "DUP": "2", "LAST": "z"}
	if !reflect.DeepEqual(f.Map(), want) {
		t.Fatalf("values %q\nwant    %q", f.Map(), want)
	}
	if got := f.Keys(); !reflect.DeepEqual(got, []string{"API_KEY", "MULTI", "SPACED", "DUP", "LAST"}) {
		t.Fatalf("keys %q", got)
	}
	if string(f.Bytes()) != src {
		t.Fatalf("unchanged file rewritten:\n%q", f.Bytes())
	}
	f.Set("DUP", "3")
	f.Set("NEW", "new value")
	f.Unset("MULTI")
	wantText := "# secrets for tasks\n\nexport API_KEY=abc # inline\ngarbage line without equals\n  SPACED = ' x '\nDUP=1\nDUP=3\nBROKEN='unterminated\nLAST=z\nNEW='new value'\n"
	if string(f.Bytes()) != wantText {
		t.Fatalf("after edits:\n%q\nwant\n%q", f.Bytes(), wantText)
	}
	g, _ := Parse(f.Bytes())
	if v, _ := g.Get("DUP"); v != "3" {
		t.Fatalf("DUP = %q", v)
	}
	if _, ok := g.Get("MULTI"); ok {
		t.Fatal("MULTI still there")
	}
}

func TestUnsetUnknown(t *testing.T) {
	f, _ := Parse([]byte("A=1\n"))
	if f.Unset("B") {
		t.Fatal("Unset of a missing key reported true")
	}
	if !f.Unset("A") || len(f.Keys()) != 0 {
		t.Fatal("Unset A")
	}
}

func TestWriteMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), Name)
	f, _ := Load(p)
	f.Set("A", "1")
	if err := f.Write(p); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
}

func TestInterruptedWriteLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, Name)
	os.WriteFile(p, []byte("A=old\n"), 0o600)
	// Make the rename fail: the temporary file is written, then cannot
	// replace the target because the directory turned read-only.
	if os.Getuid() == 0 {
		// root ignores directory permissions: replace the target with a
		// non-empty directory instead, which rename cannot overwrite.
		q := filepath.Join(dir, "sub")
		os.MkdirAll(filepath.Join(q, Name, "x"), 0o700)
		if err := WriteAtomic(filepath.Join(q, Name), []byte("A=new\n"), Mode); err == nil {
			t.Fatal("rename over a directory succeeded")
		}
		entries, _ := os.ReadDir(q)
		if len(entries) != 1 {
			t.Fatalf("temporary file left behind: %v", entries)
		}
		return
	}
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if err := WriteAtomic(p, []byte("A=new\n"), Mode); err == nil {
		t.Fatal("write into a read-only dir succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "A=old\n" {
		t.Fatalf("old file changed: %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), Name)
	os.WriteFile(p, []byte("A=\xff\n"), 0o600)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
	if f, err := Load(filepath.Join(t.TempDir(), "missing")); err != nil || len(f.Keys()) != 0 {
		t.Fatalf("missing file: %v", err)
	}
}

// TestConcurrentWritersLoseNothing runs 20 writers that each take the app
// lock, load, set their own key and write.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, Name)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := lock.Acquire(context.Background(), dir, "env set", 30*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer l.Release()
			f, err := Load(p)
			if err != nil {
				errs <- err
				return
			}
			f.Set(fmt.Sprintf("KEY_%d", i), fmt.Sprintf("value %d", i))
			errs <- f.Write(p)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Keys()); n != 20 {
		t.Fatalf("%d keys survived, want 20: %q", n, f.Keys())
	}
}
