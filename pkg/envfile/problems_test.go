package envfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/config"
)

func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var e *config.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *config.Error, got %T %v", err, err)
	}
	if e.Lines != nil {
		t.Fatalf("the error keeps the file's lines, which a terminal would show: %q", e.Lines)
	}
	var out []string
	for _, p := range e.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestLoadRefusesWhatCannotReachTheApp: a name with a dot, a NUL in a
// value and a variable over 128 KiB are refused by Load with their line,
// for every command alike, and never shown.
func TestLoadRefusesWhatCannotReachTheApp(t *testing.T) {
	p := filepath.Join(t.TempDir(), Name)
	big := strings.Repeat("x", config.MaxEnvEntry)
	doc := "OK=1\nA.B=3\n# comment\nN=a\x00b\nBIG=" + big + "\nDUP=\x00\nDUP=fine\n"
	os.WriteFile(p, []byte(doc), 0o600)
	_, err := Load(p)
	want := []string{
		p + `:2: "A.B" is not a valid variable name: use letters, digits and '_', not starting with a digit; rename it or delete the line`,
		p + ":4: the value of N contains a NUL byte, which no environment variable can hold; fix or delete the line",
		p + ":5: BIG is 131072 bytes long, and one environment variable can hold at most 128 KiB (131070 bytes with its name) on Linux: the app could not even start; put large content in a file of the app instead",
	}
	if got := problemStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if strings.Contains(err.Error(), "a\x00b") || strings.Contains(err.Error(), "xxxx") {
		t.Fatalf("a value is shown: %q", err)
	}
}

// TestCheck: what the app's config forbids is found with its line.
func TestCheck(t *testing.T) {
	c, err := config.Parse(".cupaas.yml", []byte("name: app\nruntime: go:1.22\nservices: [redis]\nenv: {LOG: info}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse([]byte("A=1\nPORT=80\nREDIS_URL=x\nLOG=debug\nA.B=1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{2, "PORT cannot be set: cupaas sets it from `port:` in .cupaas.yml; delete the line"},
		{3, "REDIS_URL cannot be set: cupaas sets it for the redis service; delete the line"},
		{4, "LOG is set both here and under env: in .cupaas.yml; keep one of them"},
		{5, `"A.B" is not a valid variable name: use letters, digits and '_', not starting with a digit; rename it or delete the line`},
	}
	if got := f.Check(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	var g File
	for i := 0; i < 9; i++ {
		if err := g.Set(string(rune('A'+i)), strings.Repeat("v", 120<<10)); err != nil {
			t.Fatal(err)
		}
	}
	want = []Problem{{0, "its variables take 1.1 MiB (1105929 bytes), over Kubernetes' limit of 1 MiB (1048576 bytes) for the app's Secret app-env; keep large files out of environment variables"}}
	if got := g.Check(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
