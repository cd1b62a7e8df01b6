package env

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// secretBits are the parts of the test arguments below that are values:
// no error may show them.
var secretBits = []string{"Pa55", "postgres:", "c2VjcmV0", "s3cr3t", "Sup3r", "AKIAIOSFODNN7", "hunter"}

func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, s := range secretBits {
		if strings.Contains(all, s) {
			t.Errorf("%q is shown:\n%s", s, all)
		}
	}
}

func TestParseSetArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []pair // nil: an error
		err  []string
	}{
		{
			name: "pairs, empty, stdin and file",
			args: []string{"API_KEY=s3cr3t=x", "EMPTY=", "DEBUG=1", "CERT=@cert.pem", "IN=-", "lower_case=v"},
			want: []pair{
				{key: "API_KEY", value: "s3cr3t=x", from: "argument 1"},
				{key: "EMPTY", value: "", from: "argument 2"},
				{key: "DEBUG", value: "1", from: "argument 3"},
				{key: "CERT", value: "cert.pem", from: "argument 4", source: fromFile},
				{key: "IN", from: "argument 5", source: fromStdin},
				{key: "lower_case", value: "v", from: "argument 6"},
			},
		},
		{
			name: "a space after = before a URL",
			args: []string{"DATABASE_URL=", "postgres://app:Pa55@db/x?sslmode=disable"},
			err:  []string{"argument 1 (DATABASE_URL=) ends with `=` and is followed by another argument: did you put a space after `=`? Write `DATABASE_URL=VALUE` as one argument", "argument 2 is not shown", "; nothing was stored"},
		},
		{
			name: "a space instead of =",
			args: []string{"DATABASE_URL postgres://app:Pa55@db/x?sslmode=disable"},
			err:  []string{"argument 1 is not KEY=VALUE: what comes before its first '=' is not a variable name", "it has a space"},
		},
		{
			name: "a base64 value after KEY= is not a variable of its own",
			args: []string{"PASSWORD=", "c2VjcmV0="},
			err:  []string{"argument 1 (PASSWORD=) ends with `=` and is followed by another argument: did you put a space after `=`?"},
		},
		{
			name: "a value that looks like a name after KEY=",
			args: []string{"AWS_ACCESS_KEY_ID=", "AKIAIOSFODNN7EXAMPLE"},
			err:  []string{"argument 1 (AWS_ACCESS_KEY_ID=) ends with `=`", "argument 2 is not shown"},
		},
		{
			name: "KEY= then another variable with the usual name is fine",
			args: []string{"EMPTY=", "DEBUG=1"},
			want: []pair{{key: "EMPTY", from: "argument 1"}, {key: "DEBUG", value: "1", from: "argument 2"}},
		},
		{
			// Found by FuzzSetArgs: an empty argument was taken for `KEY=`,
			// and a name in the place of a value was shown.
			name: "an empty argument is not KEY=",
			args: []string{"", "a00=", ""},
			err:  []string{"argument 1 is not KEY=VALUE (it is not shown", "argument 2 (a00=) ends with `=`"},
		},
		{
			name: "a pair where a value would be is not shown as a name",
			args: []string{"A=", "hunter2=", "x"},
			err:  []string{"argument 1 (A=) ends with `=`", "argument 2 ends with `=` and is followed by another argument"},
		},
		{
			name: "an argument that is not KEY=VALUE, by position",
			args: []string{"A=1", "s3cr3t-value"},
			err:  []string{"argument 2 is not KEY=VALUE (it is not shown, since it may be a secret)"},
		},
		{
			name: "a name without = is shown",
			args: []string{"NOEQUALS"},
			err:  []string{"argument 1 (NOEQUALS) is not KEY=VALUE: write the name and the value as one argument, `cupaas env set NOEQUALS=VALUE`"},
		},
		{
			name: "a name then a value: both refused, only the name shown",
			args: []string{"API_KEY", "s3cr3t"},
			err:  []string{"nothing was stored:\n  argument 1 (API_KEY) is not KEY=VALUE", "\n  argument 2 is not KEY=VALUE (it is not shown"},
		},
		{
			name: "an argument that looks like a flag",
			args: []string{"API_KEY", "--s3cr3t"},
			err:  []string{"argument 2 starts with '-' and is neither a flag of env set nor KEY=VALUE (it is not shown"},
		},
		{
			name: "a flag-like name with a value",
			args: []string{"-s3cr3t=x"},
			err:  []string{"argument 1 starts with '-'"},
		},
		{
			name: "an invalid name is not shown",
			args: []string{"GOOD=1", "1hunter2=x"},
			err:  []string{"argument 2 is not KEY=VALUE: what comes before its first '=' is not a variable name"},
		},
		{
			name: "a key given twice",
			args: []string{"A=1", "A=2"},
			err:  []string{"A is given twice (arguments 1 and 2); nothing was stored"},
		},
		{
			name: "two values from standard input",
			args: []string{"A=-", "B=-"},
			err:  []string{"only one value can come from standard input (KEY=-), and arguments 1 and 2 both read it"},
		},
		{
			name: "@ alone",
			args: []string{"K=@"},
			err:  []string{"argument 1 (K): the value starts with @, which reads a file, and no file name follows; to store a value that starts with @, give it on standard input: `cupaas env set K=-`"},
		},
		{
			name: "nothing",
			args: nil,
			err:  []string{"expected at least one KEY=VALUE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSetArgs(tt.args)
			if tt.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			var fe *cmdutil.FlagError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a usage error", err, err)
			}
			for _, w := range tt.err {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not have %q:\n%s", w, err)
				}
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestReadValuesNeverNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("PEM"), 0o600)
	os.Mkdir(filepath.Join(dir, "Sup3rDir"), 0o700)
	ios, _, _, _ := iostreams.Test()
	got, err := readValues(ios, []pair{{key: "CERT", value: "cert.pem", from: "argument 1", source: fromFile}}, dir)
	if err != nil || len(got) != 1 || got[0].value != "PEM" || got[0].source != literal {
		t.Fatalf("got %+v, %v", got, err)
	}
	for name, want := range map[string]string{
		"Sup3r!":   "argument 2 (DB_PASSWORD): the value starts with @, which reads a file; that file does not exist (its name is not shown, since it may be the value itself); to store a value that starts with @, give it on standard input: `cupaas env set DB_PASSWORD=-`; nothing was stored",
		"Sup3rDir": "argument 2 (DB_PASSWORD): the value starts with @, which reads a file; that file is not a regular file (a directory)",
	} {
		_, err := readValues(ios, []pair{{key: "A", value: "1"}, {key: "DB_PASSWORD", value: name, from: "argument 2", source: fromFile}}, dir)
		var ue *cmdutil.UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
		assertNoSecret(t, err.Error())
	}
}

// splitFlags sets the command's flags, its own and inherited ones, in
// every pflag form, and leaves everything else in order.
func TestSplitFlags(t *testing.T) {
	root := &cobra.Command{Use: "cupaas"}
	var chdir string
	root.PersistentFlags().StringVarP(&chdir, "chdir", "C", "", "")
	env := &cobra.Command{Use: "env"}
	set := &cobra.Command{Use: "set", Run: func(*cobra.Command, []string) {}}
	var noApply bool
	var wait time.Duration
	set.Flags().BoolVar(&noApply, "no-apply", false, "")
	set.Flags().DurationVar(&wait, "wait", 10*time.Second, "")
	set.InitDefaultHelpFlag()
	root.AddCommand(env)
	env.AddCommand(set)

	rest, err := splitFlags(set, []string{"A=1", "--no-apply", "-C", "dir", "-x", "--wait", "3s", "PW=", "--bogus", "--", "--wait=1s", "-"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"A=1", "-x", "PW=", "--bogus", "--wait=1s", "-"}; !slices.Equal(rest, want) {
		t.Fatalf("rest = %q, want %q", rest, want)
	}
	if !noApply || chdir != "dir" || wait != 3*time.Second {
		t.Fatalf("no-apply %v, chdir %q, wait %v", noApply, chdir, wait)
	}
	for _, args := range [][]string{{"-Cother"}, {"-C=other"}, {"--chdir=other"}, {"--chdir", "other"}} {
		chdir = ""
		if rest, err := splitFlags(set, args); err != nil || len(rest) != 0 || chdir != "other" {
			t.Errorf("%q: rest %q, chdir %q, %v", args, rest, chdir, err)
		}
	}
	if rest, err := splitFlags(set, []string{"--wait=5m", "--no-apply=false"}); err != nil || len(rest) != 0 || wait != 5*time.Minute || noApply {
		t.Errorf("= forms: rest %q, wait %v, no-apply %v, %v", rest, wait, noApply, err)
	}
	// -hs3cr3t is not -h: it stays an argument, to be refused unseen.
	if rest, err := splitFlags(set, []string{"-hs3cr3t"}); err != nil || !slices.Equal(rest, []string{"-hs3cr3t"}) {
		t.Errorf("-hs3cr3t: rest %q, %v", rest, err)
	}
	if _, err := splitFlags(set, []string{"-h"}); err != nil {
		t.Fatal(err)
	}
	if help, _ := set.Flags().GetBool("help"); !help {
		t.Error("-h did not set help")
	}
	// A bad value of a flag is not shown: it may be a pair that followed
	// the flag by mistake.
	for _, args := range [][]string{{"--wait", "A=s3cr3t"}, {"--wait=s3cr3t"}, {"--no-apply=s3cr3t"}} {
		_, err := splitFlags(set, args)
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "the value given is not a valid") {
			t.Errorf("%q: err = %v", args, err)
		}
		assertNoSecret(t, err.Error())
	}
	if _, err := splitFlags(set, []string{"A=1", "--wait"}); err == nil || !strings.Contains(err.Error(), "--wait needs a value") {
		t.Errorf("--wait at the end: %v", err)
	}
}

// quietFlagErrors rewrites every pflag error that would show an argument.
func TestQuietFlagErrors(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.Duration("timeout", 0, "")
	c := &cobra.Command{Use: "get"}
	for _, args := range [][]string{{"-s3cr3t"}, {"--s3cr3t"}, {"--timeout", "s3cr3t"}, {"---s3cr3t"}} {
		err := fs.Parse(args)
		if err == nil {
			t.Fatalf("%q parsed", args)
		}
		got := quietFlagErrors(c, err)
		var fe *cmdutil.FlagError
		if !errors.As(got, &fe) || !strings.Contains(got.Error(), "See 'get --help'.") {
			t.Errorf("%q: %v", args, got)
		}
		assertNoSecret(t, got.Error())
	}
}

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
			assertNoSecret(t, stdout, stderr, err.Error())
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
		assertNoSecret(t, stdout, stderr, err.Error())
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
	assertNoSecret(t, stderr, err.Error())
}
