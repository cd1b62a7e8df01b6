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
	"", "plain", "two words", " leading", "trailing ", "\ttab", "a\tb", "line1\nline2", "crlf\r\nline",
	"lone\rcr", "ends with cr\r", "\n", "\r\n", "\n\n", "trailing newline\n",
	`double "quotes"`, `"starts`, `ends"`, `"`, `""`, "single 'quotes'", "'starts", "ends'", `'`, `''`,
	`both ' and "x`, `it's "quoted"`, `it's "quoted"x`,
	"a=b=c", "=", "KEY=value", "export X=1", "#hash", "value # not a comment", "value #", "a\t#b", "x\n# not a comment\ny",
	"$HOME", "${HOME}", "$", "$$", "cost $5", "$(echo hi)", `\$HOME`, `\${X}`, "$HOME\n", `a$`,
	`back\slash`, `ends\`, `C:\path\`, `\`, `\\`, `\n literal`, `\r`, `\"`, `\'`, `\"x"`,
	"ünïcødé ✓", "emoji 🚀👩‍💻", "\u00a0nbsp\u00a0", "nel\u0085", "\v\f", "zero\u200bwidth",
	"-----BEGIN CERTIFICATE-----\nMIIB+j/\n-----END CERTIFICATE-----\n",
	`{"json": "value", "n": 1}`, "postgres://user:p@ss@host:5432/db?sslmode=disable",
}

// roundTrip checks that value, stored with Set, reads back as itself
// through Parse and through godotenv itself.
func roundTrip(t *testing.T, value string) {
	t.Helper()
	var f File
	if err := f.Set("KEY", value); err != nil {
		t.Fatalf("Set(%q): %v", value, err)
	}
	if got, ok := f.Get("KEY"); !ok || got != value {
		t.Fatalf("Get after Set(%q) = %q, %v", value, got, ok)
	}
	data := f.Bytes()
	g, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%q): %v", data, err)
	}
	if got, ok := g.Get("KEY"); !ok || got != value {
		t.Fatalf("value %q written as %q read back as %q (%v)", value, data, got, ok)
	}
	if !reflect.DeepEqual(g.Keys(), []string{"KEY"}) {
		t.Fatalf("value %q written as %q gives keys %q", value, data, g.Keys())
	}
	m, err := godotenv.Unmarshal(string(data))
	if err != nil || len(m) != 1 || m["KEY"] != value {
		t.Fatalf("godotenv reads %q as %q, %v", data, m, err)
	}
}

// everyEncoding checks that each way encodings offers reads back as value,
// alone and between other entries.
func everyEncoding(t *testing.T, value string) {
	t.Helper()
	encs, err := encodings(value)
	if err != nil {
		return
	}
	for _, e := range encs {
		for _, doc := range []string{"KEY=" + e, "A=1\nKEY=" + e + "\nB=2\n", "KEY=" + e + "\r\n"} {
			m, err := godotenv.Unmarshal(doc)
			if err != nil || m["KEY"] != value {
				t.Fatalf("value %q encoded as %q: godotenv reads %q as %q, %v", value, e, doc, m["KEY"], err)
			}
			f, err := Parse([]byte(doc))
			if got, _ := f.Get("KEY"); err != nil || got != value {
				t.Fatalf("value %q encoded as %q: Parse reads %q as %q, %v", value, e, doc, got, err)
			}
		}
	}
}

func TestRoundTripHostileValues(t *testing.T) {
	for _, v := range hostile {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			roundTrip(t, v)
			everyEncoding(t, v)
		})
	}
}

func TestRoundTripMiB(t *testing.T) {
	for _, v := range []string{
		strings.Repeat("x", 1<<20),
		strings.Repeat("a $'\"\\\n#\t", 1<<20/9),
		strings.Repeat("line with $HOME and \"quotes\"\n", 1<<20/28),
	} {
		roundTrip(t, v)
	}
}

func TestWrittenForm(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", "KEY=\n"},
		{"abc123", "KEY=abc123\n"},
		{"postgres://u:p@h:5432/db?x=1&y=2", "KEY=postgres://u:p@h:5432/db?x=1&y=2\n"},
		{"two words", "KEY='two words'\n"},
		{"$HOME", "KEY='$HOME'\n"},
		{"a\nb", "KEY='a\nb'\n"},
		{"it's", "KEY=\"it's\"\n"},
		{"it's $5\nok", "KEY=\"it's \\$5\\nok\"\n"},
		{"cr\r", "KEY=\"cr\\r\"\n"},
		{`ends\`, "KEY=ends\\\n"},
		{`it's "x"`, "KEY=it's \"x\"\n"},
		{`it's $"`, "KEY=it's \\$\"\n"},
	} {
		var f File
		if err := f.Set("KEY", tc.value); err != nil {
			t.Fatalf("Set(%q): %v", tc.value, err)
		}
		if got := string(f.Bytes()); got != tc.want {
			t.Errorf("Set(%q) wrote %q, want %q", tc.value, got, tc.want)
		}
	}
}

func TestUnrepresentable(t *testing.T) {
	for _, tc := range []struct{ value, msg string }{
		{"nul\x00byte", "NUL byte"},
		{"\xff", "not valid UTF-8"},
		{"line\nends\\", "ends with a backslash"},
		{" leading blank\\", "ends with a backslash"},
		{`"quoted\`, "ends with a backslash"},
		{"a #b\\", "ends with a backslash"},
		{`'it's "x"`, "ends with a double quote"},
		{"it's\n\"x\"", "ends with a double quote"},
		{" it's \"x\"", "ends with a double quote"},
		{"crlf\r\n\"", "ends with a double quote"},
		{`'\`, "ends with a backslash"},
	} {
		err := CheckValue(tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("CheckValue(%q) = %v, want it to mention %q", tc.value, err, tc.msg)
		}
		f, _ := Parse([]byte("# keep\nKEY=old\n"))
		if err := f.Set("KEY", tc.value); err == nil || !strings.Contains(err.Error(), "KEY") {
			t.Errorf("Set(%q) = %v, want an error naming the key", tc.value, err)
		}
		if v, _ := f.Get("KEY"); v != "old" || string(f.Bytes()) != "# keep\nKEY=old\n" {
			t.Errorf("failed Set(%q) changed the file to %q", tc.value, f.Bytes())
		}
	}
}

func TestInvalidKey(t *testing.T) {
	for _, k := range []string{"", "1A", "A-B", "A.B", "A B", "É", "A=B", "export A"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
		var f File
		if err := f.Set(k, "v"); err == nil {
			t.Errorf("Set(%q) accepted an invalid key", k)
		}
	}
	for _, k := range []string{"A", "_", "a_b", "A1", "_1"} {
		if !ValidKey(k) {
			t.Errorf("ValidKey(%q) = false", k)
		}
	}
}

// FuzzRoundTrip: every value CheckValue accepts reads back as itself, in
// every encoding offered; a value it refuses is refused by Set too.
func FuzzRoundTrip(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if CheckValue(value) != nil {
			var g File
			if g.Set("KEY", value) == nil {
				t.Fatalf("Set(%q) accepted a value CheckValue refuses", value)
			}
			return
		}
		roundTrip(t, value)
		everyEncoding(t, value)
	})
}

// FuzzEdit: any UTF-8 document is kept verbatim; after Set or Unset the
// File still describes exactly what its bytes mean.
func FuzzEdit(f *testing.F) {
	f.Add(sample, "new value")
	f.Add("X='abc\nKEY=1\n", "x' # y")
	f.Add("X='a\nA='b'\nY=c'\n", "v")
	f.Add("A=1\r\nB=\"x\r\ny\"\r\n", "$z\n")
	f.Add("KEY=1 # c\nKEY=2 #c\n", "a b")
	f.Add("\ufeffKEY=1\n", "")
	f.Fuzz(func(t *testing.T, doc, value string) {
		g, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		if string(g.Bytes()) != doc {
			t.Fatalf("Parse(%q).Bytes() = %q", doc, g.Bytes())
		}
		same(t, g)
		before := string(g.Bytes())
		if err := g.Set("KEY", value); err != nil {
			if string(g.Bytes()) != before {
				t.Fatalf("failed Set changed %q to %q", before, g.Bytes())
			}
		} else {
			if v, _ := g.Get("KEY"); v != value {
				t.Fatalf("Set(%q) on %q: Get = %q", value, doc, v)
			}
			same(t, g)
		}
		g.Unset("KEY")
		if _, ok := g.Get("KEY"); ok {
			t.Fatalf("KEY still set after Unset in %q", g.Bytes())
		}
		same(t, g)
	})
}

// same checks that f describes exactly what its bytes mean.
func same(t *testing.T, f *File) {
	t.Helper()
	g, err := Parse(f.Bytes())
	if err != nil {
		t.Fatalf("Parse(%q): %v", f.Bytes(), err)
	}
	if !reflect.DeepEqual(f.Map(), g.Map()) || !reflect.DeepEqual(f.Keys(), g.Keys()) {
		t.Fatalf("File %q / %q does not match its text %q, which reads as %q / %q", f.Keys(), f.Map(), f.Bytes(), g.Keys(), g.Map())
	}
}

const sample = "# secrets for tasks\n" +
	"\n" +
	"export API_KEY=abc # inline comment\n" +
	"garbage line without equals\n" +
	"MULTI=\"a\n" +
	"b\"\n" +
	"  SPACED = ' x '   # spaced\n" +
	"YAML: style\n" +
	"DUP=1\n" +
	"REF=${DUP}-$API_KEY\n" +
	"DUP=2\n" +
	"BROKEN='unterminated\n" +
	"LAST=z"

func TestParseSample(t *testing.T) {
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"API_KEY": "abc", "MULTI": "a\nb", "SPACED": " x ", "YAML": "style", "DUP": "2", "REF": "1-abc", "LAST": "z"}
	if !reflect.DeepEqual(f.Map(), want) {
		t.Fatalf("values %q\nwant    %q", f.Map(), want)
	}
	if got := f.Keys(); !reflect.DeepEqual(got, []string{"API_KEY", "MULTI", "SPACED", "YAML", "DUP", "REF", "LAST"}) {
		t.Fatalf("keys %q", got)
	}
	if got := f.BadLines(); !reflect.DeepEqual(got, []int{4, 12}) {
		t.Fatalf("BadLines = %v, want [4 12]", got)
	}
	if string(f.Bytes()) != sample {
		t.Fatalf("unchanged file rewritten:\n%q", f.Bytes())
	}
}

func TestEditsKeepEverythingElse(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *File) error
		want string
	}{
		{"set an exported entry keeps export and comment", func(f *File) error { return f.Set("API_KEY", "new key") },
			strings.Replace(sample, "export API_KEY=abc # inline", "export API_KEY='new key' # inline", 1)},
		{"set a multi-line entry", func(f *File) error { return f.Set("MULTI", "one line") },
			strings.Replace(sample, "MULTI=\"a\nb\"\n", "MULTI='one line'\n", 1)},
		{"set keeps indentation and spacing", func(f *File) error { return f.Set("SPACED", "y") },
			strings.Replace(sample, "' x '", "y", 1)},
		{"set a yaml-style entry", func(f *File) error { return f.Set("YAML", "$x") },
			strings.Replace(sample, "YAML: style", "YAML: '$x'", 1)},
		{"set a duplicate changes the last one", func(f *File) error { return f.Set("DUP", "3") },
			strings.Replace(sample, "DUP=2", "DUP=3", 1)},
		{"set the last line without newline", func(f *File) error { return f.Set("LAST", "y") },
			strings.Replace(sample, "LAST=z", "LAST=y", 1)},
		{"set a new key adds a newline first", func(f *File) error { return f.Set("NEW", "v") },
			sample + "\nNEW=v\n"},
		{"unset removes all duplicates", func(f *File) error { f.Unset("DUP"); return nil },
			strings.Replace(strings.Replace(sample, "DUP=1\n", "", 1), "DUP=2\n", "", 1)},
		{"unset a multi-line entry", func(f *File) error { f.Unset("MULTI"); return nil },
			strings.Replace(sample, "MULTI=\"a\nb\"\n", "", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(sample))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.edit(f); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
			same(t, f)
		})
	}
}

// A value whose unquoted form would swallow the comment after it falls
// back to a form that keeps it, or to a bare entry.
func TestSetNextToComments(t *testing.T) {
	for _, tc := range []struct{ doc, value, want string }{
		{"K='x'# c\n", "v", "K='v'# c\n"},
		{"K='x'# c\n", "ends\\", "K=ends\\\n"},
		{"K=x # c\n", "it's \"y\"", "K=it's \"y\" # c\n"},
		{"K=x # a # b\n", "v", "K=v # b\n"},
	} {
		f, _ := Parse([]byte(tc.doc))
		if err := f.Set("K", tc.value); err != nil {
			t.Fatal(err)
		}
		if got := string(f.Bytes()); got != tc.want {
			t.Errorf("Set(K, %q) on %q = %q, want %q", tc.value, tc.doc, got, tc.want)
		}
		same(t, f)
	}
}

func TestExportAndSeparators(t *testing.T) {
	f, err := Parse([]byte("export A=1\nexport\tB = 2\n  export C='3'\nexport=4\nD:5\nexportE=6\nexport F\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "2", "C": "3", "export": "4", "D": "5", "exportE": "6"}
	if !reflect.DeepEqual(f.Map(), want) {
		t.Fatalf("got %q, want %q", f.Map(), want)
	}
	if got := f.BadLines(); !reflect.DeepEqual(got, []int{7}) {
		t.Fatalf("BadLines = %v", got)
	}
}

func TestCRLF(t *testing.T) {
	doc := "A=1\r\nB=\"x\r\ny\"\r\n"
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("A"); v != "1" {
		t.Fatalf("A = %q", v)
	}
	if v, _ := f.Get("B"); v != "x\ny" {
		t.Fatalf("B = %q", v)
	}
	f.Set("A", "2")
	f.Set("C", "3")
	if got, want := string(f.Bytes()), "A=2\r\nB=\"x\r\ny\"\r\nC=3\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestByteOrderMark(t *testing.T) {
	doc := "\ufeffA=1\nB=2\n"
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Map(), map[string]string{"A": "1", "B": "2"}) || len(f.BadLines()) != 0 {
		t.Fatalf("map %q, bad lines %v", f.Map(), f.BadLines())
	}
	f.Set("A", "3")
	if got := string(f.Bytes()); got != "\ufeffA=3\nB=2\n" {
		t.Fatalf("got %q", got)
	}
	same(t, f)
}

func TestUnsetUnknown(t *testing.T) {
	f, _ := Parse([]byte("A=1\n"))
	if f.Unset("B") {
		t.Fatal("Unset of a missing key reported true")
	}
	if !f.Unset("A") || len(f.Keys()) != 0 || len(f.Bytes()) != 0 {
		t.Fatalf("after Unset(A): %q %q", f.Keys(), f.Bytes())
	}
}

func TestZeroFile(t *testing.T) {
	var f File
	if _, ok := f.Get("A"); ok || len(f.Keys()) != 0 || len(f.Map()) != 0 || len(f.Bytes()) != 0 || f.Unset("A") {
		t.Fatal("zero File is not empty")
	}
	if err := f.Set("A", "1"); err != nil || string(f.Bytes()) != "A=1\n" {
		t.Fatalf("Set on zero File: %q, %v", f.Bytes(), err)
	}
}

// A line with an unclosed quote reads up to the next such quote; a Set
// whose entry would close it is refused rather than change the file.
func TestSetRefusesToCloseABrokenQuote(t *testing.T) {
	doc := "X='abc\nKEY=1\n"
	f, _ := Parse([]byte(doc))
	err := f.Set("KEY", "x' # y")
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v (file %q)", err, f.Bytes())
	}
	if string(f.Bytes()) != doc {
		t.Fatalf("file changed: %q", f.Bytes())
	}
	// A value whose quotes do not close it is fine.
	if err := f.Set("KEY", "it's"); err != nil {
		t.Fatal(err)
	}
	same(t, f)
}

// Removing an entry whose quote closed a broken line changes how that line
// reads; the File follows what its text now means.
func TestUnsetNextToABrokenQuote(t *testing.T) {
	f, _ := Parse([]byte("X='a\nA='b'\nY=c'\n"))
	if !reflect.DeepEqual(f.Keys(), []string{"A", "Y"}) {
		t.Fatalf("keys %q", f.Keys())
	}
	f.Unset("A")
	if string(f.Bytes()) != "X='a\nY=c'\n" {
		t.Fatalf("text %q", f.Bytes())
	}
	same(t, f)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, Name)
	os.WriteFile(p, []byte("A=1\nB=2\nC=\xff\n"), 0o600)
	if _, err := Load(p); err == nil || err.Error() != p+":3: not valid UTF-8 text; save the file as UTF-8" {
		t.Fatalf("err = %v", err)
	}
	f, err := Load(filepath.Join(dir, "missing"))
	if err != nil || len(f.Keys()) != 0 {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || err.Error() != dir+": is not a regular file (a directory); it must be a dotenv file" {
		t.Fatalf("directory: %v", err)
	}
}

func TestWriteNewFileMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), Name)
	f, _ := Load(p)
	f.Set("A", "1")
	if err := f.Write(p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode().Perm(), err)
	}
	if got, _ := os.ReadFile(p); string(got) != "A=1\n" {
		t.Fatalf("content %q", got)
	}
	// An existing file with looser permissions is tightened.
	os.Chmod(p, 0o644)
	if err := WriteAtomic(p, []byte("A=2\n"), Mode); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after rewrite %v", st.Mode().Perm())
	}
}

// The rename that publishes the new file fails (the target is a
// directory, which rename(2) never replaces with a file, whoever runs the
// test): the target is untouched and no temporary file is left behind.
func TestInterruptedWrite(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []string // files inside the target directory
	}{
		{"empty directory", nil},
		{"directory with a file", []string{"keep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, Name)
			os.Mkdir(p, 0o700)
			for _, c := range tc.content {
				os.WriteFile(filepath.Join(p, c), []byte("old"), 0o600)
			}
			err := WriteAtomic(p, []byte("A=new\n"), Mode)
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != Name || !entries[0].IsDir() {
				t.Fatalf("directory now holds %v", entries)
			}
			inside, _ := os.ReadDir(p)
			if len(inside) != len(tc.content) {
				t.Fatalf("target changed: %v", inside)
			}
			for _, c := range tc.content {
				if got, _ := os.ReadFile(filepath.Join(p, c)); string(got) != "old" {
					t.Fatalf("%s changed: %q", c, got)
				}
			}
		})
	}
}

// TestConcurrentWritersLoseNothing runs 20 writers that each take the app
// lock, load, set their own key and write.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, Name)
	os.WriteFile(p, []byte("# shared\n"), 0o600)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				l, err := lock.Acquire(context.Background(), dir, "env", 30*time.Second)
				if err != nil {
					return err
				}
				defer l.Release()
				f, err := Load(p)
				if err != nil {
					return err
				}
				if err := f.Set(fmt.Sprintf("KEY_%d", i), fmt.Sprintf("value %d", i)); err != nil {
					return err
				}
				return f.Write(p)
			}()
		}()
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
	if len(f.Keys()) != n {
		t.Fatalf("%d keys survived, want %d: %q", len(f.Keys()), n, f.Keys())
	}
	for i := range n {
		if v, _ := f.Get(fmt.Sprintf("KEY_%d", i)); v != fmt.Sprintf("value %d", i) {
			t.Errorf("KEY_%d = %q", i, v)
		}
	}
	if !strings.HasPrefix(string(f.Bytes()), "# shared\n") {
		t.Fatalf("comment lost: %q", f.Bytes())
	}
}

func TestLine(t *testing.T) {
	f, err := Parse([]byte("# c\nA=1\nB=\"x\ny\"\nA=2\n\nC=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]int{"A": 5, "B": 3, "C": 7, "D": 0} {
		if got := f.Line(k); got != want {
			t.Errorf("Line(%s) = %d, want %d", k, got, want)
		}
	}
}

// WriteVia leaves nothing next to the target, on success and when the
// write fails (the target is a directory).
func TestWriteVia(t *testing.T) {
	app := t.TempDir()
	tmpDir := filepath.Join(app, ".cupaas")
	os.Mkdir(tmpDir, 0o700)
	p := filepath.Join(app, Name)
	f := &File{}
	f.Set("A", "s3cr3t")
	if err := f.WriteVia(p, tmpDir); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "A=s3cr3t\n" {
		t.Fatalf("content %q", got)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != Mode {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	os.Remove(p)
	os.Mkdir(p, 0o700)
	if err := f.WriteVia(p, tmpDir); err == nil {
		t.Fatal("no error writing over a directory")
	}
	for _, d := range []string{app, tmpDir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != Name && e.Name() != ".cupaas" {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}
