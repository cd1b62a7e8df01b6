package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func flags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("context", "minikube", "")
	fs.Duration("timeout", 5*time.Minute, "")
	return fs
}

func withFile(t *testing.T, content string) func(string) string {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		os.MkdirAll(filepath.Join(dir, "cupaas"), 0o755)
		os.WriteFile(filepath.Join(dir, "cupaas", "config.yaml"), []byte(content), 0o644)
	}
	return func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return dir
		}
		return ""
	}
}

func TestPrecedence(t *testing.T) {
	getenv := withFile(t, "context: from-file\ntimeout: 7m\n")
	s, err := Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	fs := flags()
	if got := s.String(fs, "context"); got != "from-file" {
		t.Errorf("file: %q", got)
	}
	t.Setenv("CUPAAS_CONTEXT", "from-env")
	if got := s.String(fs, "context"); got != "from-env" {
		t.Errorf("env over file: %q", got)
	}
	fs.Set("context", "from-flag")
	if got := s.String(fs, "context"); got != "from-flag" {
		t.Errorf("flag over env: %q", got)
	}
	if d, err := s.Duration(fs, "timeout"); err != nil || d != 7*time.Minute {
		t.Errorf("timeout %v %v", d, err)
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	s, err := Load(withFile(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(flags(), "context"); got != "minikube" {
		t.Errorf("default: %q", got)
	}
	var none *Settings
	if got := none.String(flags(), "context"); got != "minikube" {
		t.Errorf("nil settings: %q", got)
	}
}

func TestBadFiles(t *testing.T) {
	for content, want := range map[string]string{
		"contxt: x\n":  `unknown setting "contxt"`,
		"context: [\n": "cannot read the cupaas settings file",
	} {
		_, err := Load(withFile(t, content))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "config.yaml") {
			t.Errorf("%q: err = %v", content, err)
		}
	}
}

func TestBadDurationNamesItsSource(t *testing.T) {
	s, _ := Load(withFile(t, ""))
	t.Setenv("CUPAAS_TIMEOUT", "soon")
	_, err := s.Duration(flags(), "timeout")
	if err == nil || !strings.Contains(err.Error(), `invalid timeout "soon" (from CUPAAS_TIMEOUT)`) {
		t.Fatalf("err = %v", err)
	}
}

func TestPath(t *testing.T) {
	env := map[string]string{"CUPAAS_CONFIG": "/etc/cupaas.yaml", "HOME": "/home/u"}
	if p := Path(func(k string) string { return env[k] }); p != "/etc/cupaas.yaml" {
		t.Errorf("CUPAAS_CONFIG: %s", p)
	}
	delete(env, "CUPAAS_CONFIG")
	if p := Path(func(k string) string { return env[k] }); p != "/home/u/.config/cupaas/config.yaml" {
		t.Errorf("HOME: %s", p)
	}
}
