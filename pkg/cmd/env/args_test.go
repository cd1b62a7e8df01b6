package env

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/internal/leakcheck"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// Each leak of the issue, through the command: refused by position,
// exit 2, nothing stored, the value nowhere in the output.
func TestSetRefusesWithoutShowingTheValue(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"DATABASE_URL=", "postgres://app:Pa55@db/x?sslmode=disable"}, "did you put a space after `=`?"},
		{[]string{"DATABASE_URL postgres://app:Pa55@db/x?sslmode=disable"}, "argument 1 is not KEY=VALUE"},
		{[]string{"PASSWORD=", "c2VjcmV0="}, "did you put a space after `=`?"},
		{[]string{"API_KEY", "--s3cr3t"}, "argument 2 starts with '-' and is neither a flag of env set nor KEY=VALUE"},
		{[]string{"PW", "-s3cr3t"}, "argument 2 starts with '-'"},
		{[]string{"GOOD=1", "-hs3cr3t"}, "argument 2 starts with '-'"},
		{[]string{"DB_PASSWORD=@Sup3r!"}, "argument 1 (DB_PASSWORD): the value starts with @, which reads a file; that file does not exist"},
		{[]string{"A=1", "--wait", "B=s3cr3t"}, "--wait: the value given is not a valid duration (it is not shown)"},
		{[]string{"GOOD=1", "--", "--s3cr3t"}, "argument 2 starts with '-'"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := app(t)
			stdout, stderr, err := runEnv(t, dir, runtest.New(t), "", append([]string{"set"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var fe *cmdutil.FlagError
			var ue *cmdutil.UsageError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Errorf("err is %T, want a usage error (exit 2)", err)
			}
			leakcheck.None(t, stdout, stderr, err.Error())
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("something was written: %v", entries)
			}
		})
	}
}

// The flags of env set still work around the pairs, and -- ends them.
func TestSetFlagsStillWork(t *testing.T) {
	dir := app(t)
	_, stderr, err := runEnv(t, dir, runtest.New(t), "", "set", "--wait", "1s", "EMPTY=", "DEBUG=1", "--no-apply", "--timeout=1m")
	if err != nil || !strings.Contains(stderr, "Stored; it applies on the next `cupaas deploy`") {
		t.Fatalf("err %v, stderr:\n%s", err, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "EMPTY=\nDEBUG=1\n" {
		t.Fatalf(".cupaas.env = %q", data)
	}
	stdout, _, err := runEnv(t, dir, runtest.New(t), "", "set", "--help")
	if err != nil || !strings.Contains(stdout, "--no-apply") || !strings.Contains(stdout, "Usage:") {
		t.Fatalf("help: %v\n%s", err, stdout)
	}
	_, _, err = runEnv(t, dir, runtest.New(t), "", "set", "--no-apply")
	if err == nil || !strings.Contains(err.Error(), "expected at least one KEY=VALUE") {
		t.Fatalf("no pairs: %v", err)
	}
}

// get and unset name an argument only when it looks like a name.
func TestGetAndUnsetDoNotShowValues(t *testing.T) {
	dir := app(t)
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("A=1\n"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "s3cr3t"}, "argument 1 (not shown, since it may be a value) is not set in .cupaas.env"},
		{[]string{"get", "s3cr3t=x"}, "argument 1 is not a variable name"},
		{[]string{"get", "-s3cr3t"}, "an argument that starts with '-' is not a flag of env get (it is not shown"},
		{[]string{"unset", "A", "hunter2"}, "argument 2 (not shown, since it may be a value) not set in .cupaas.env; nothing was removed"},
		{[]string{"unset", "NOPE", "hunter2!"}, "argument 2 is not a variable name"},
		{[]string{"unset", "A", "-s3cr3t"}, "an argument that starts with '-' is not a flag of env unset"},
		{[]string{"unset", "A", "--timeout", "s3cr3t"}, "--timeout: the value given is not a valid duration (it is not shown)"},
		{[]string{"import", "API_KEY=s3cr3t"}, "argument 1 is not a file that can be read (does not exist; it is not shown"},
	}
	for _, tt := range tests {
		stdout, stderr, err := runEnv(t, dir, runtest.New(t), "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
			continue
		}
		leakcheck.None(t, stdout, stderr, err.Error())
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "A=1\n" {
		t.Fatalf(".cupaas.env changed: %q", data)
	}
	// A missing name of the usual shape is named, as before.
	_, _, err := runEnv(t, dir, runtest.New(t), "", "get", "NOPE")
	if err == nil || err.Error() != "NOPE is not set in .cupaas.env" {
		t.Fatalf("err = %v", err)
	}
}

// import names a bad entry by FILE:LINE, never by its value.
func TestImportProblemsByLine(t *testing.T) {
	dir := app(t)
	os.WriteFile(filepath.Join(dir, "prod.env"), []byte("# c\nA=1\nPORT=hunter2\nB=\"x\\u0000\"\n"), 0o600)
	_, stderr, err := runEnv(t, dir, runtest.New(t), "", "import", filepath.Join(dir, "prod.env"))
	want := filepath.Join(dir, "prod.env") + ":3: PORT cannot be set"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	leakcheck.None(t, stderr, err.Error())
}
