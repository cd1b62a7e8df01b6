// Package leakcheck is for tests of commands that take secrets: it fails a
// test whose output shows a part of a value given in its arguments.
package leakcheck

import (
	"strings"
	"testing"
)

// Values are the value parts of the arguments the env tests give:
// passwords, keys and tokens in the shapes users paste.
func Values() []string {
	return []string{"Pa55", "postgres:", "c2VjcmV0", "s3cr3t", "Sup3r", "AKIAIOSFODNN7", "hunter"}
}

// None fails t when one of texts shows one of Values.
func None(t testing.TB, texts ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, s := range Values() {
		if strings.Contains(all, s) {
			t.Errorf("%q is shown:\n%s", s, all)
		}
	}
}
