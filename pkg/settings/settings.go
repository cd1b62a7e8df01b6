// Package settings reads the user-level defaults of cupaas: command-line
// flags win over CUPAAS_* environment variables, which win over the user's
// config file (~/.config/cupaas/config.yaml, or $XDG_CONFIG_HOME/cupaas,
// or the file named by CUPAAS_CONFIG). It never reads `.cupaas.yml`.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/cupaas/cupaas/pkg/safefile"
)

// Keys are the settings a user may set in the config file or as CUPAAS_*
// variables (a '-' becomes '_': CUPAAS_CONTEXT, CUPAAS_TIMEOUT).
var Keys = []string{"context", "timeout", "wait", "cluster", "registry", "history"}

// Settings are the user-level defaults.
type Settings struct {
	v    *viper.Viper
	path string
}

// Path returns the config file location, whether or not it exists.
func Path(getenv func(string) string) string {
	if p := getenv("CUPAAS_CONFIG"); p != "" {
		return p
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "cupaas", "config.yaml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "cupaas", "config.yaml")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "cupaas", "config.yaml")
	}
	return ""
}

// MaxFileSize bounds the size of the settings file; a larger one is refused
// before it is read.
const MaxFileSize = 1 << 20

// Load reads the config file and binds CUPAAS_* environment variables. A
// missing file is fine at the default location, and an error when
// CUPAAS_CONFIG names it. The file must be a regular file of at most
// MaxFileSize bytes (a named pipe or a device is refused without blocking).
func Load(getenv func(string) string) (*Settings, error) {
	v := viper.New()
	v.SetEnvPrefix("CUPAAS")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	s := &Settings{v: v, path: Path(getenv)}
	if s.path == "" {
		return s, nil
	}
	data, err := safefile.ReadFile(s.path, MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) && getenv("CUPAAS_CONFIG") != "":
		return nil, fmt.Errorf("the settings file %s named by CUPAAS_CONFIG does not exist; create it, or unset CUPAAS_CONFIG", s.path)
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("cannot read the cupaas settings file: %v; fix it, or point CUPAAS_CONFIG at another file", err)
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("cannot read the cupaas settings file %s: %v; fix it, or point CUPAAS_CONFIG at another file", s.path, err)
	}
	for _, k := range v.AllKeys() {
		if !known(k) {
			return nil, fmt.Errorf("%s: unknown setting %q (known: %s)", s.path, k, strings.Join(Keys, ", "))
		}
	}
	return s, nil
}

// Lazy returns a function that loads the settings the first time it is
// called and returns the same result, or the same error, after that: a
// command that reads no setting never reads the file, and a broken file
// stops only the commands that need it.
func Lazy(getenv func(string) string) func() (*Settings, error) {
	return sync.OnceValues(func() (*Settings, error) { return Load(getenv) })
}

func known(k string) bool {
	for _, x := range Keys {
		if x == k {
			return true
		}
	}
	return false
}

// String returns the value of the flag named key: the flag when it was
// given, else CUPAAS_<KEY>, else the config file, else the flag's default.
func (s *Settings) String(flags *pflag.FlagSet, key string) string {
	f := flags.Lookup(key)
	if f != nil && f.Changed {
		return f.Value.String()
	}
	if s != nil && s.v.IsSet(key) {
		return s.v.GetString(key)
	}
	if f != nil {
		return f.Value.String()
	}
	return ""
}

// Duration is String for a duration flag; a malformed or negative value
// names where it came from.
func (s *Settings) Duration(flags *pflag.FlagSet, key string) (time.Duration, error) {
	raw := s.String(flags, key)
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q (from %s): use a duration such as 5m or 90s", key, raw, s.source(flags, key))
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid %s %q (from %s): a duration cannot be negative; use a value such as 5m or 90s", key, raw, s.source(flags, key))
	}
	return d, nil
}

func (s *Settings) source(flags *pflag.FlagSet, key string) string {
	if f := flags.Lookup(key); f != nil && f.Changed {
		return "--" + key
	}
	// An empty variable counts as unset, as it does for viper.
	env := "CUPAAS_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
	if v, ok := os.LookupEnv(env); ok && v != "" {
		return env
	}
	if s != nil && s.v.InConfig(key) {
		return s.path
	}
	return "the default"
}

// History is the setting history: how many releases of an app to keep
// when its .cupaas.yml says nothing; 0 when it is not set. A value that is
// not a whole number from 1 to 1000 names where it came from.
func (s *Settings) History(flags *pflag.FlagSet) (int, error) {
	raw := s.String(flags, "history")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("invalid history %q (from %s): use a whole number of releases to keep, from 1 to 1000", raw, s.source(flags, "history"))
	}
	return n, nil
}
