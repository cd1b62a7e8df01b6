package render

import (
	"testing"

	goldenfile "github.com/cupaas/cupaas/internal/golden"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
)

// golden compares got with testdata/<test name>/<name>.golden, or rewrites
// it with -update.
func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Check(t, name, got) }

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
