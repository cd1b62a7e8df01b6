package set

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/internal/leakcheck"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

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
			leakcheck.None(t, err.Error())
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
		leakcheck.None(t, err.Error())
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
		leakcheck.None(t, err.Error())
	}
	if _, err := splitFlags(set, []string{"A=1", "--wait"}); err == nil || !strings.Contains(err.Error(), "--wait needs a value") {
		t.Errorf("--wait at the end: %v", err)
	}
}
