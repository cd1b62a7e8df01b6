// Package golden compares test output with files under testdata, and
// rewrites them when the test binary runs with -update:
//
//	go test ./pkg/render -update
//
// Only test binaries import it, so only they have the flag.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and generated files instead of comparing")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// Path is testdata/<top-level test name>/<name>.golden.
func Path(t testing.TB, name string) string {
	test, _, _ := strings.Cut(t.Name(), "/")
	return filepath.Join("testdata", test, name+".golden")
}

// Check compares got with the golden file name of the running test, byte
// for byte (never normalised: that would hide indentation bugs), or
// rewrites it with -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(t, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test` of this package with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (check it, then run `go test` of this package with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
