package set

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// The arguments of `cupaas env set`, and how they are reported. A mistyped
// command has the secret where a name or a flag is expected: `KEY value`,
// `KEY= value` (a space after the =), `KEY -value`. So an argument that is
// wrong is named by its position ("argument 2"), and is shown only when it
// has the shape of a variable name in capitals (API_KEY) and is not where
// a value would be: right after an argument that ends with `=`.

// valueSource is where set takes a value from.
type valueSource int

const (
	literal   valueSource = iota // KEY=VALUE
	fromStdin                    // KEY=-
	fromFile                     // KEY=@FILE: value holds FILE
)

// pair is one variable to store.
type pair struct {
	key, value string
	// from says where the pair was given, for messages: "argument 2"
	// (set) or "FILE:LINE" (import); "" when unknown.
	from   string
	source valueSource
}

// label names the pair in a message: where it was given and its key.
func (p pair) label() string {
	if p.from == "" {
		return p.key
	}
	return p.from + " (" + p.key + ")"
}

// parseSetArgs reads the KEY=VALUE arguments of `env set` (its flags
// already taken out), numbered from 1. Nothing is read yet: a KEY=-
// or KEY=@FILE pair says so in its source. Every argument is checked; the
// error lists every bad one, and never shows one that may be a value.
func parseSetArgs(args []string) ([]pair, error) {
	if len(args) == 0 {
		return nil, cmdutil.FlagErrorf("cupaas env set: expected at least one KEY=VALUE; see `cupaas env set --help`")
	}
	var (
		pairs    []pair
		problems []string
		stdinArg int
	)
	seen := map[string]int{}
	// valuePos[i]: argument i sits where the value of a `KEY=` before it
	// would be; it is never shown, not even as the name of a pair.
	valuePos := make([]bool, len(args))
	for i, a := range args {
		n := i + 1
		if i > 0 && endsWithEmptyValue(args[i-1]) && !looksLikePair(a) {
			valuePos[i] = true
			problems = append(problems, spaceAfterEquals(n-1, args[i-1], !valuePos[i-1], n))
			continue
		}
		key, value, ok := strings.Cut(a, "=")
		switch {
		case strings.HasPrefix(a, "-") && a != "-":
			problems = append(problems, fmt.Sprintf("argument %d starts with '-' and is neither a flag of env set nor KEY=VALUE (it is not shown, since it may be a value)", n))
			continue
		case !ok && shared.ConventionalKey(a):
			problems = append(problems, fmt.Sprintf("argument %d (%s) is not KEY=VALUE: write the name and the value as one argument, `cupaas env set %s=VALUE` (%s= sets an empty value)", n, a, a, a))
			continue
		case !ok:
			problems = append(problems, fmt.Sprintf("argument %d is not KEY=VALUE (it is not shown, since it may be a secret): write each name and value as one argument, `cupaas env set KEY=VALUE`", n))
			continue
		case !envfile.ValidKey(key):
			hint := ""
			if strings.ContainsAny(key, " \t") {
				hint = " (it has a space: write KEY=VALUE, with no space between the name and the value)"
			}
			problems = append(problems, fmt.Sprintf("argument %d is not KEY=VALUE: what comes before its first '=' is not a variable name (letters, digits and '_', not starting with a digit); it is not shown, since it may be a value%s", n, hint))
			continue
		}
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("%s is given twice (arguments %d and %d)", key, first, n))
			continue
		}
		seen[key] = n
		p := pair{key: key, value: value, from: fmt.Sprintf("argument %d", n)}
		switch {
		case value == "-":
			if stdinArg > 0 {
				problems = append(problems, fmt.Sprintf("only one value can come from standard input (KEY=-), and arguments %d and %d both read it", stdinArg, n))
				continue
			}
			stdinArg = n
			p.source, p.value = fromStdin, ""
		case strings.HasPrefix(value, "@"):
			if value == "@" {
				problems = append(problems, fmt.Sprintf("argument %d (%s): the value starts with @, which reads a file, and no file name follows; %s", n, key, atHint(key)))
				continue
			}
			p.source, p.value = fromFile, value[1:]
		}
		pairs = append(pairs, p)
	}
	switch len(problems) {
	case 0:
		return pairs, nil
	case 1:
		return nil, cmdutil.FlagErrorf("%s; nothing was stored", problems[0])
	}
	return nil, cmdutil.FlagErrorf("nothing was stored:\n  %s", strings.Join(problems, "\n  "))
}

// endsWithEmptyValue reports whether arg is `KEY=`: its only '=' ends it.
func endsWithEmptyValue(arg string) bool {
	return arg != "" && strings.IndexByte(arg, '=') == len(arg)-1
}

// looksLikePair reports whether an argument that follows one ending with
// `=` is a variable of its own rather than the value of that one (a space
// typed after the `=`): a pair whose name has the usual shape, as in
// `cupaas env set EMPTY= DEBUG=1`. Anything else (`x?sslmode=disable`, a
// base64 `c2VjcmV0=`, a word) is taken for the value.
func looksLikePair(arg string) bool {
	key, _, ok := strings.Cut(arg, "=")
	return ok && shared.ConventionalKey(key)
}

// spaceAfterEquals reports argument next, which follows argument prev
// (ending with `=`) and looks like its value. The name of prev is shown
// when it is one and mayShow (prev is not itself where a value would be).
func spaceAfterEquals(prev int, prevArg string, mayShow bool, next int) string {
	key := strings.TrimSuffix(prevArg, "=")
	write := "KEY=VALUE"
	name := fmt.Sprintf("argument %d", prev)
	if mayShow && envfile.ValidKey(key) {
		write = key + "=VALUE"
		name = fmt.Sprintf("argument %d (%s=)", prev, key)
	}
	return fmt.Sprintf("%s ends with `=` and is followed by another argument: did you put a space after `=`? Write `%s` as one argument, quoted if the value has spaces (argument %d is not shown, since it may be the value; if it really is another variable, give it to its own `cupaas env set`)", name, write, next)
}

// atHint says how to store a value that starts with @.
func atHint(key string) string {
	return fmt.Sprintf("to store a value that starts with @, give it on standard input: `cupaas env set %s=-`", key)
}

// readValues reads the values of KEY=- (standard input) and KEY=@FILE
// (a file, relative to dir) pairs. A file is never named in an error: its
// name is the text after the @, and the @ may have been the first
// character of a password.
func readValues(ios *iostreams.IOStreams, pairs []pair, dir string) ([]pair, error) {
	out := make([]pair, len(pairs))
	for i, p := range pairs {
		switch p.source {
		case fromStdin:
			if ios.IsStdinTTY() {
				fmt.Fprintf(ios.ErrOut, "Type the value of %s, then Ctrl-D on a line of its own:\n", p.key)
			}
			data, err := shared.ReadBounded(ios.In, shared.MaxSecretSize)
			if err != nil {
				return nil, fmt.Errorf("cannot read the value of %s from standard input: %w; nothing was stored", p.key, err)
			}
			if len(data) > shared.MaxSecretSize {
				return nil, tooLarge(p.key, "standard input")
			}
			p.value = string(data)
		case fromFile:
			path := p.value
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			data, err := safefile.ReadFile(path, shared.MaxSecretSize)
			var tl *safefile.TooLargeError
			switch {
			case errors.As(err, &tl):
				return nil, tooLarge(p.key, "the file named after its @")
			case err != nil:
				return nil, &cmdutil.UsageError{Err: fmt.Errorf("%s: the value starts with @, which reads a file; %s (its name is not shown, since it may be the value itself); %s; nothing was stored", p.label(), shared.FileProblem(err), atHint(p.key))}
			}
			p.value = string(data)
		}
		p.source = literal
		out[i] = p
	}
	return out, nil
}

// ownFlags makes cmd parse its own flags, with splitFlags instead of
// pflag, whose errors print the argument they stumble on ("unknown
// shorthand flag: 's' in -s3cr3t"). The returned slice receives the
// other arguments, before cmd's RunE runs. The parent's persistent pre-run
// (the root's --chdir) runs once the flags are set.
func ownFlags(cmd *cobra.Command) *[]string {
	rest := new([]string)
	cmd.DisableFlagParsing = true
	cmd.Args = cobra.ArbitraryArgs // checked by the command on rest
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		r, err := splitFlags(c, args)
		if err != nil {
			return err
		}
		if help, _ := c.Flags().GetBool("help"); help {
			return pflag.ErrHelp
		}
		*rest = r
		// Cobra runs only the nearest persistent pre-run, this one: run the
		// parent's now that the flags it reads are set.
		for p := c.Parent(); p != nil; p = p.Parent() {
			if p.PersistentPreRunE != nil {
				return p.PersistentPreRunE(c, r)
			}
			if p.PersistentPreRun != nil {
				p.PersistentPreRun(c, r)
				return nil
			}
		}
		return nil
	}
	return rest
}

// splitFlags sets the flags of cmd (its own and those it inherits) found
// in args, and returns the other arguments in order. `--` ends the flags.
// An argument that starts with '-' but is no flag of cmd stays among the
// others, for the command to refuse by position; a flag's bad value is not
// shown either.
func splitFlags(cmd *cobra.Command, args []string) ([]string, error) {
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	lookupShort := func(s string) *pflag.Flag {
		if f := cmd.Flags().ShorthandLookup(s); f != nil {
			return f
		}
		return cmd.InheritedFlags().ShorthandLookup(s)
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		var (
			f        *pflag.Flag
			value    string
			hasValue bool
		)
		if strings.HasPrefix(a, "--") {
			var name string
			name, value, hasValue = strings.Cut(a[2:], "=")
			f = lookup(name)
		} else if f = lookupShort(a[1:2]); f != nil && len(a) > 2 {
			// -Cdir and -C=dir; a bool shorthand takes only -h=true.
			switch {
			case a[2] == '=':
				value, hasValue = a[3:], true
			case f.NoOptDefVal == "":
				value, hasValue = a[2:], true
			default:
				f = nil
			}
		}
		if f == nil {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			switch {
			case f.NoOptDefVal != "":
				value = f.NoOptDefVal
			case i+1 < len(args):
				i++
				value = args[i]
			default:
				return nil, cmdutil.FlagErrorf("--%s needs a value\nSee '%s --help'.", f.Name, cmd.CommandPath())
			}
		}
		if err := f.Value.Set(value); err != nil {
			if errors.Is(err, cmdutil.ErrNegativeDuration) {
				return nil, cmdutil.FlagErrorf("--%s: %v\nSee '%s --help'.", f.Name, err, cmd.CommandPath())
			}
			return nil, cmdutil.FlagErrorf("--%s: the value given is not a valid %s (it is not shown)\nSee '%s --help'.", f.Name, f.Value.Type(), cmd.CommandPath())
		}
		f.Changed = true
	}
	return rest, nil
}
