package credentials

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var passwordRe = regexp.MustCompile(`^[A-Za-z0-9]{24}$`)

func TestEnsureGeneratesAndKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	first, err := Ensure(dir, []string{"mongodb", "redis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("got %d services, want 2: %v", len(first), first)
	}
	for name, s := range first {
		if s.Username != "app" {
			t.Errorf("%s username = %q, want app", name, s.Username)
		}
		if !passwordRe.MatchString(s.Password) {
			t.Errorf("%s password %q is not 24 characters of [A-Za-z0-9]", name, s.Password)
		}
	}
	if first["mongodb"].Password == first["redis"].Password {
		t.Errorf("two services got the same password")
	}

	// A second call, with a new service, keeps the old ones.
	second, err := Ensure(dir, []string{"redis", "postgresql", "mongodb"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mongodb", "redis"} {
		if second[name] != first[name] {
			t.Errorf("%s changed: %v -> %v", name, first[name], second[name])
		}
	}
	if !passwordRe.MatchString(second["postgresql"].Password) {
		t.Errorf("postgresql not generated: %v", second["postgresql"])
	}

	// Asking for fewer services returns only those, and the file keeps all.
	third, err := Ensure(dir, []string{"redis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(third) != 1 || third["redis"] != first["redis"] {
		t.Errorf("Ensure(redis) = %v", third)
	}
	all, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all["postgresql"] != second["postgresql"] {
		t.Errorf("Load = %v, want the three services", all)
	}
}

func TestEnsurePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	if _, err := Ensure(dir, []string{"mysql"}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, want 0700", dst.Mode().Perm())
	}
	ignore, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ignore), "\n*\n") {
		t.Errorf(".gitignore does not ignore everything: %q", ignore)
	}
}

func TestEnsureWritesOnlyOnChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	if _, err := Ensure(dir, []string{"redis"}, nil); err != nil {
		t.Fatal(err)
	}
	// Reformat the file by hand: a rewrite would undo the change.
	path := Path(dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	marked := strings.Replace(string(data), "{", "{ ", 1)
	if err := os.WriteFile(path, []byte(marked), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir, []string{"redis"}, nil); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != marked {
		t.Errorf("file was rewritten although nothing changed")
	}
}

func TestEnsureOverrideWins(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	if _, err := Ensure(dir, []string{"postgresql", "redis"}, nil); err != nil {
		t.Fatal(err)
	}
	fromCluster := Service{Username: "app", Password: "FromTheCluster"}
	got, err := Ensure(dir, []string{"postgresql", "redis"}, map[string]Service{"postgresql": fromCluster})
	if err != nil {
		t.Fatal(err)
	}
	if got["postgresql"] != fromCluster {
		t.Errorf("postgresql = %v, want the override %v", got["postgresql"], fromCluster)
	}
	// The override is stored: the next call without it returns it too.
	again, err := Ensure(dir, []string{"postgresql"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again["postgresql"] != fromCluster {
		t.Errorf("override not stored: %v", again["postgresql"])
	}
}

func TestLoadCorrupt(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "{not json", "corrupt"},
		{"truncated", `{"version": 1, "services": {"mongodb": {"username": "app", "pass`, "corrupt"},
		{"unknown field", `{"version": 1, "services": {}, "extra": 1}`, "unknown field"},
		{"wrong version", `{"version": 2, "services": {}}`, "version 2"},
		{"no password", `{"version": 1, "services": {"redis": {"username": "app", "password": ""}}}`, `"redis" has no password`},
		{"trailing data", `{"version": 1, "services": {}} {}`, "extra data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".cupaas")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(Path(dir), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded on a corrupt file")
			}
			msg := err.Error()
			for _, want := range []string{Path(dir), tt.want, "delete it", "kubectl delete namespace"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			// Ensure refuses too, and leaves the file alone.
			if _, err := Ensure(dir, []string{"redis"}, nil); err == nil {
				t.Error("Ensure succeeded on a corrupt file")
			}
			after, _ := os.ReadFile(Path(dir))
			if string(after) != tt.content {
				t.Errorf("Ensure changed the corrupt file to %q", after)
			}
		})
	}
}

func TestEnsureConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	const n = 8
	results := make(chan map[string]Service, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			got, err := Ensure(dir, []string{"mongodb"}, nil)
			errs <- err
			results <- got
		}()
	}
	var first Service
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		got := (<-results)["mongodb"]
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("concurrent Ensure calls returned different credentials: %v and %v", first, got)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	got, err := Load(filepath.Join(t.TempDir(), ".cupaas"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("Load of an empty dir = %v", got)
	}
}

func TestEnsureNothingToDo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cupaas")
	got, err := Ensure(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("got %v", got)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("an app without services got a %s directory (err %v)", dir, err)
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < 200; i++ {
		pw, err := Generate(PasswordLength)
		if err != nil {
			t.Fatal(err)
		}
		if !passwordRe.MatchString(pw) {
			t.Fatalf("password %q is not 24 characters of [A-Za-z0-9]", pw)
		}
		if seen[pw] {
			t.Fatalf("password %q generated twice", pw)
		}
		seen[pw] = true
		for _, r := range pw {
			counts[r]++
		}
	}
	// 4800 characters over 62 symbols: every symbol shows up.
	if len(counts) != len(alphabet) {
		t.Errorf("only %d of %d symbols used", len(counts), len(alphabet))
	}
}
