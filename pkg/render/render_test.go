package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<test name>/<name>.golden, or rewrites
// it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	test := t.Name()
	if i := strings.IndexByte(test, '/'); i >= 0 {
		test = test[:i]
	}
	path := filepath.Join("testdata", test, name+".golden")
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
		t.Fatalf("%v (run `go test ./pkg/render -update` to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// parse reads a .cupaas.yml from text, failing the test on problems.
func parse(t testing.TB, text string) *config.Config {
	t.Helper()
	c, err := config.Parse(".cupaas.yml", []byte(text))
	if err != nil {
		t.Fatalf("config does not parse: %v\n%s", err, text)
	}
	return c
}

// fixedCredentials are the credentials tests render with.
func fixedCredentials() map[string]credentials.Service {
	return map[string]credentials.Service{
		"mongodb":    {Username: "app", Password: "MongoPass123"},
		"postgresql": {Username: "app", Password: "PgPass123"},
		"redis":      {Username: "app", Password: "RedisPass123"},
		"mysql":      {Username: "app", Password: "MysqlPass123"},
	}
}
