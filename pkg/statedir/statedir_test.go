package statedir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnsure(t *testing.T) {
	app := t.TempDir()
	dir, err := Ensure(filepath.Join(app, ".cupaas"))
	if err != nil || dir != filepath.Join(app, ".cupaas") {
		t.Fatalf("Ensure = %q, %v", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("stat: %v, %v", st, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || string(data) != "# cupaas's local state, including database passwords: never commit it.\n*\n" {
		t.Fatalf(".gitignore = %q, %v", data, err)
	}
	// An existing .gitignore is the user's: kept as it is.
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*\n!keep\n"), 0o644)
	if _, err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(data) != "*\n!keep\n" {
		t.Fatalf(".gitignore rewritten: %q", data)
	}
	// A file in the way is an error, not a panic.
	app2 := t.TempDir()
	os.WriteFile(filepath.Join(app2, ".cupaas"), nil, 0o644)
	if _, err := Ensure(filepath.Join(app2, ".cupaas")); err == nil {
		t.Fatal("no error with a file named .cupaas")
	}
}
