package shared

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/internal/leakcheck"
	"github.com/cupaas/cupaas/pkg/cmdutil"
)

// QuietFlagErrors rewrites every pflag error that would show an argument.
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
		got := QuietFlagErrors(c, err)
		var fe *cmdutil.FlagError
		if !errors.As(got, &fe) || !strings.Contains(got.Error(), "See 'get --help'.") {
			t.Errorf("%q: %v", args, got)
		}
		leakcheck.None(t, got.Error())
	}
}

func TestMask(t *testing.T) {
	for v, want := range map[string]string{"": "••••", "short": "••••", "12345678": "••••", "s3cr3tvalue": "s3cr…", "ünïcödé-long": "ünïc…"} {
		if got := Mask(v); got != want {
			t.Errorf("Mask(%q) = %q, want %q", v, got, want)
		}
	}
}

// ConventionalKey is the pattern ^[A-Z_][A-Z0-9_]*$, written without a
// package-level regexp.
func TestConventionalKey(t *testing.T) {
	re := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	for _, s := range []string{"", "A", "_", "API_KEY", "A1", "1A", "a", "Api", "A-B", "A B", "A=", "A\n", "É", "AÉ", "__9", "9", "A\x00"} {
		if got, want := ConventionalKey(s), re.MatchString(s); got != want {
			t.Errorf("ConventionalKey(%q) = %v, want %v", s, got, want)
		}
	}
}
