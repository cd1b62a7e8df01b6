package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// stringFlags declares timeout as a string flag, so that a malformed value
// can come from the command line too.
func stringFlags(def string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("context", "minikube", "")
	fs.String("timeout", def, "")
	return fs
}

// TestPrecedenceTable: flag > CUPAAS_CONTEXT > config file > flag default,
// each layer on its own and under the ones above it.
func TestPrecedenceTable(t *testing.T) {
	for _, tc := range []struct {
		name, file, env, flag, want string
	}{
		{name: "default", want: "minikube"},
		{name: "file", file: "context: from-file\n", want: "from-file"},
		{name: "env", env: "from-env", want: "from-env"},
		{name: "env over file", file: "context: from-file\n", env: "from-env", want: "from-env"},
		{name: "empty env is unset", file: "context: from-file\n", env: "", want: "from-file"},
		{name: "flag over all", file: "context: from-file\n", env: "from-env", flag: "from-flag", want: "from-flag"},
		{name: "flag over default", flag: "from-flag", want: "from-flag"},
		{name: "flag set to the default value", file: "context: from-file\n", flag: "minikube", want: "minikube"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CUPAAS_CONTEXT", tc.env)
			s, err := Load(withFile(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			fs := flags()
			if tc.flag != "" {
				if err := fs.Set("context", tc.flag); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.String(fs, "context"); got != tc.want {
				t.Fatalf("context = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigOverridePath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "elsewhere.yaml")
	if err := os.WriteFile(p, []byte("context: kind-dev\nwait: 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xdg := t.TempDir() // holds a file that must be ignored
	os.MkdirAll(filepath.Join(xdg, "cupaas"), 0o755)
	os.WriteFile(filepath.Join(xdg, "cupaas", "config.yaml"), []byte("context: wrong\n"), 0o644)
	env := map[string]string{"CUPAAS_CONFIG": p, "XDG_CONFIG_HOME": xdg}
	s, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	fs := flags()
	fs.Duration("wait", 0, "")
	if got := s.String(fs, "context"); got != "kind-dev" {
		t.Errorf("context = %q", got)
	}
	if d, err := s.Duration(fs, "wait"); err != nil || d != 30*time.Second {
		t.Errorf("wait = %v, %v", d, err)
	}

	// A broken file named by CUPAAS_CONFIG is reported with its path.
	os.WriteFile(p, []byte("context: [\n"), 0o644)
	if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "CUPAAS_CONFIG") {
		t.Errorf("err = %v", err)
	}
	// A missing one is an error that names it: CUPAAS_CONFIG was set for a
	// reason, and a typo must not silently mean the defaults.
	env["CUPAAS_CONFIG"] = filepath.Join(t.TempDir(), "none.yaml")
	if _, err := Load(func(k string) string { return env[k] }); err == nil || err.Error() != "the settings file "+env["CUPAAS_CONFIG"]+" named by CUPAAS_CONFIG does not exist; create it, or unset CUPAAS_CONFIG" {
		t.Errorf("missing file: %v", err)
	}
	// At the default location, a missing file means the defaults.
	delete(env, "CUPAAS_CONFIG")
	env["XDG_CONFIG_HOME"] = t.TempDir()
	if s, err := Load(func(k string) string { return env[k] }); err != nil || s.String(flags(), "context") != "minikube" {
		t.Errorf("missing default file: %v", err)
	}
}

func TestPathXDG(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/home/u"}
	if p := Path(func(k string) string { return env[k] }); p != filepath.Join("/x", "cupaas", "config.yaml") {
		t.Errorf("XDG_CONFIG_HOME: %s", p)
	}
}

func TestFileErrorsNameTheFile(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"unknown key", "context: m\ntimeot: 5m\n", `unknown setting "timeot" (known: context, timeout, wait, cluster, registry, history)`},
		{"nested unknown key", "context:\n  name: m\n", `unknown setting "context.name"`},
		{"malformed YAML", "context: m\n  timeout: [\n", "cannot read the cupaas settings file"},
		{"not a mapping", "- context\n", "cannot read the cupaas settings file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := withFile(t, tc.content)
			_, err := Load(getenv)
			path := Path(getenv)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want %q and the path %s", err, tc.want, path)
			}
		})
	}
}

// TestBadDurationSource: the error names where the malformed value came
// from, so that the user knows what to fix.
func TestBadDurationSource(t *testing.T) {
	getenv := withFile(t, "timeout: soon\n")
	path := Path(getenv)
	for _, tc := range []struct {
		name, env, flag, def, want string
	}{
		{name: "file", def: "5m", want: `invalid timeout "soon" (from ` + path + `): use a duration such as 5m or 90s`},
		{name: "empty env var", env: "", def: "5m", want: `(from ` + path + `)`},
		{name: "env", env: "later", def: "5m", want: `invalid timeout "later" (from CUPAAS_TIMEOUT)`},
		{name: "flag", env: "later", flag: "never", def: "5m", want: `invalid timeout "never" (from --timeout)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CUPAAS_TIMEOUT", tc.env)
			s, err := Load(getenv)
			if err != nil {
				t.Fatal(err)
			}
			fs := stringFlags(tc.def)
			if tc.flag != "" {
				fs.Set("timeout", tc.flag)
			}
			if _, err := s.Duration(fs, "timeout"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBadDefaultNamesTheDefault(t *testing.T) {
	t.Setenv("CUPAAS_TIMEOUT", "")
	s, err := Load(withFile(t, "context: m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Duration(stringFlags("whenever"), "timeout"); err == nil || !strings.Contains(err.Error(), `"whenever" (from the default)`) {
		t.Fatalf("err = %v", err)
	}
	var none *Settings
	if _, err := none.Duration(stringFlags("whenever"), "timeout"); err == nil || !strings.Contains(err.Error(), "(from the default)") {
		t.Fatalf("nil settings: err = %v", err)
	}
	if d, err := none.Duration(flags(), "timeout"); err != nil || d != 5*time.Minute {
		t.Fatalf("nil settings: %v, %v", d, err)
	}
}
