package set_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/cli"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// FuzzSetArgs runs `cupaas env set --no-apply ARGS...` through the whole
// command line (cli.Execute: flag parsing, the command, the printing of
// the error), into a temporary app, and checks that no output ever shows
// the value part of an argument:
//
//   - of an argument with a '=', what follows its first '=' (and, when
//     that starts with @, what follows the @: the file name may be the
//     password);
//   - of an argument without '=', the whole argument when it is not a
//     valid variable name, or when it follows an argument that ends with
//     '=' (`KEY= value`: it is where the value would be).
//
// Flags of env set (--wait, -h, ...) are not values. Parts shorter than 4
// bytes, or with no letter or digit, are not checked: they occur in any
// message.
//
// A part may also occur in the command's fixed text ("stored", "argument");
// that is no leak. So the command runs twice: as given, and with every
// value part's letters and digits rotated (which keeps names names, and
// '=', '@' and '-' where they were). A part shown more often in the first
// run than in the second comes from the argument.
func FuzzSetArgs(f *testing.F) {
	// The seeds are the leaks of the hardening issue, and the other shapes of
	// arguments env set reads. A fuzz input is the arguments joined by NUL,
	// which no argument can hold.
	seeds := [][]string{
		{"DATABASE_URL=", "postgres://app:Pa55@db/x?sslmode=disable"},
		{"DATABASE_URL postgres://app:Pa55@db/x?sslmode=disable"},
		{"PASSWORD=", "c2VjcmV0="},
		{"API_KEY", "--s3cr3t"},
		{"DB_PASSWORD=@Sup3r!"},
		{"A=1", "s3cr3t-value"},
		{"AWS_ACCESS_KEY_ID=", "AKIAIOSFODNN7EXAMPLE"},
		{"PW", "-s3cr3t"},
		{"--wait", "A=s3cr3t"},
		{"--no-apply=s3cr3t"},
		{"-hs3cr3t"},
		{"--", "-s3cr3t"},
		{"-x=s3cr3tval"},
		{"1BAD=hunter22"},
		{"A=1", "A=s3cr3t2"},
		{"A=-", "B=-"},
		{"PORT=s3cr3t99"},
		{"Q='it's \"x\"'"},
		{"K=@"},
		{"K=@."},
		{"CERT=@cert.pem", "EMPTY=", "DEBUG=1"},
		{"API_KEY=s3cr3tvalue", "DEBUG=1", "EMPTY="},
		{"IN=-", "--timeout", "1m"},
		{"-h"},
	}
	for _, s := range seeds {
		f.Add(strings.Join(s, "\x00"))
	}
	wd, err := os.Getwd()
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		for _, a := range args {
			// -C moves the whole process and names a directory the user
			// chose to show; a file outside the app (/dev/stdin, /proc)
			// is no file of this test.
			if strings.HasPrefix(a, "-C") || strings.HasPrefix(a, "--chdir") {
				t.Skip("-C")
			}
			if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(v, "@") && strings.ContainsAny(v, `/\`) {
				t.Skip("a file outside the app")
			}
		}
		out := runSet(t, wd, dir, args)
		rotated := runSet(t, wd, dir, rotateValues(args))
		for _, s := range valueParts(args) {
			if strings.Count(out, s) > strings.Count(rotated, s) {
				t.Fatalf("the output shows %q, from the arguments %q:\n%s", s, args, out)
			}
		}
	})
}

// runSet runs env set in a fresh app in dir, and returns everything it
// printed (the error included).
func runSet(t *testing.T, wd, dir string, args []string) string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte("name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\nservices: [redis]\n"), 0o644)
	// The files a value may name with @, under their names and under
	// their rotated names, so that both runs read one.
	for _, name := range []string{"cert.pem", "preg.crz", ".phcnnf.lzy"} {
		os.WriteFile(filepath.Join(dir, name), []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o644)
	}
	ios, stdin, stdout, stderr := iostreams.Test()
	stdin.WriteString("value-from-stdin\n")
	fac := &cmdutil.Factory{IOStreams: ios, Runner: runtest.New(t), Getenv: func(string) string { return "" }}
	code := cli.Execute(context.Background(), fac, append([]string{"-C", dir, "env", "set", "--no-apply"}, args...))
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	if code != 0 && code != 1 && code != 2 {
		t.Fatalf("exit code %d for %q:\n%s", code, args, stderr)
	}
	// The timings of the progress lines differ between two runs.
	durations := regexp.MustCompile(`[0-9]+\.[0-9]+s\b`)
	return durations.ReplaceAllString(stdout.String()+stderr.String(), "0.0s")
}

// flagToken reports whether splitFlags takes a as a flag of env set, and
// the type of its value: "bool", "duration" or "" for none.
func flagToken(a string) (ok bool, typ string) {
	name, _, _ := strings.Cut(a, "=")
	switch name {
	case "--no-apply", "--help", "-h":
		return true, "bool"
	case "--wait", "--timeout":
		return true, "duration"
	}
	return false, ""
}

// valid reports whether v is a valid value of a flag of type typ.
func valid(typ, v string) bool {
	if typ == "bool" {
		_, err := strconv.ParseBool(v)
		return err == nil
	}
	_, err := time.ParseDuration(v)
	return err == nil
}

// endsWithEmptyValue reports whether a is `KEY=`: its only '=' ends it.
func endsWithEmptyValue(a string) bool { return a != "" && strings.IndexByte(a, '=') == len(a)-1 }

// argKind is what an argument of env set is, for the fuzz checks.
type argKind struct {
	flag      string // the type of a flag's value, when the argument is a flag
	flagValue string // the type, when the argument is the value of the flag before it
	// wholeIsValue: the whole argument may be a value (not only what
	// follows its first '='): it has no valid name before its '=', or it
	// sits where the value of a `KEY=` before it would be.
	wholeIsValue bool
}

func classify(args []string) []argKind {
	conventionalKey := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	kinds := make([]argKind, len(args))
	flags := true
	for i, a := range args {
		if i > 0 && kinds[i-1].flag == "duration" && !strings.Contains(args[i-1], "=") {
			kinds[i].flagValue = "duration"
			continue
		}
		if flags && a == "--" {
			flags = false
			continue
		}
		if isFlag, typ := flagToken(a); flags && isFlag {
			kinds[i].flag = typ
			continue
		}
		name, _, hasEq := strings.Cut(a, "=")
		afterEmpty := i > 0 && endsWithEmptyValue(args[i-1])
		switch {
		case hasEq:
			kinds[i].wholeIsValue = !envfile.ValidKey(name) || afterEmpty && !conventionalKey.MatchString(name)
		default:
			kinds[i].wholeIsValue = !envfile.ValidKey(a) || afterEmpty
		}
	}
	return kinds
}

// valueParts are the parts of args no output may show (see FuzzSetArgs).
func valueParts(args []string) []string {
	var parts []string
	add := func(s string) {
		if len(s) >= 4 && strings.IndexFunc(s, isAlnum) >= 0 {
			parts = append(parts, s)
		}
	}
	for i, k := range classify(args) {
		a := args[i]
		if k.flag != "" && !strings.Contains(a, "=") {
			continue
		}
		name, v, hasEq := strings.Cut(a, "=")
		if hasEq {
			add(v)
			if strings.HasPrefix(v, "@") {
				add(v[1:])
			}
		}
		if k.wholeIsValue || k.flagValue != "" && !envfile.ValidKey(a) {
			add(a)
			if hasEq {
				add(name)
			}
		}
	}
	return parts
}

// rotateValues returns args with the letters and digits of their value
// parts rotated (ROT13, and ROT5 for digits), where that keeps the
// command on the same path: flag names are kept, a flag's value is
// rotated only when it stays valid or invalid, and an argument is kept
// when its rotation would be a flag (-u is not a flag, -h is).
func rotateValues(args []string) []string {
	out := make([]string, len(args))
	for i, k := range classify(args) {
		a := args[i]
		name, v, hasEq := strings.Cut(a, "=")
		switch {
		case k.flagValue != "":
			out[i] = a
			if r := strings.Map(rot, a); valid(k.flagValue, a) == valid(k.flagValue, r) {
				out[i] = r
			}
		case k.flag != "":
			out[i] = a
			if r := strings.Map(rot, v); hasEq && valid(k.flag, v) == valid(k.flag, r) {
				out[i] = name + "=" + r
			}
		case k.wholeIsValue:
			out[i] = strings.Map(rot, a)
		case hasEq:
			out[i] = name + "=" + strings.Map(rot, v)
		default:
			out[i] = a // a variable name
		}
		if r, _ := flagToken(out[i]); k.flag == "" && out[i] != a && (r || out[i] == "--" || strings.HasPrefix(out[i], "-C") || strings.HasPrefix(out[i], "--chdir")) {
			out[i] = a
		}
	}
	return out
}

func rot(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z':
		return 'a' + (r-'a'+13)%26
	case 'A' <= r && r <= 'Z':
		return 'A' + (r-'A'+13)%26
	case '0' <= r && r <= '9':
		return '0' + (r-'0'+5)%10
	}
	return r
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
