package detect

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/kballard/go-shellquote"
	"gopkg.in/yaml.v3"

	"github.com/cupaas/cupaas/pkg/config"
)

// exampleConfig is the part of an example's .cupaas.yml that detection
// should reproduce.
type exampleConfig struct {
	Runtime     string              `yaml:"runtime"`
	Entrypoint  yaml.Node           `yaml:"entrypoint"`
	Port        int                 `yaml:"port"`
	Healthcheck string              `yaml:"healthcheck"`
	Services    []map[string]string `yaml:"services"`
}

// argv returns the entrypoint as a list, from either the list or the string
// form; nil when it is not set.
func (c exampleConfig) argv(t *testing.T) []string {
	t.Helper()
	switch c.Entrypoint.Kind {
	case 0:
		return nil
	case yaml.ScalarNode:
		words, err := shellquote.Split(c.Entrypoint.Value)
		if err != nil {
			t.Fatal(err)
		}
		return words
	}
	var words []string
	if err := c.Entrypoint.Decode(&words); err != nil {
		t.Fatal(err)
	}
	return words
}

// TestDetectExamples checks that what `cupaas init` detects in each example
// matches the example's own .cupaas.yml: runtime, entrypoint, port,
// healthcheck and service names. Names and service versions are not
// detected.
func TestDetectExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("found %d examples with a %s, want at least 4", len(dirs), config.FileName)
	}
	for _, file := range dirs {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The example must be a valid config in the first place.
			if _, err := config.Parse(file, data); err != nil {
				t.Fatalf("%s is not a valid config: %v", file, err)
			}
			var want exampleConfig
			if err := yaml.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			var wantServices []string
			for _, s := range want.Services {
				for name := range s {
					wantServices = append(wantServices, name)
				}
			}

			r, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Runtime.Value != want.Runtime {
				t.Errorf("runtime: detected %q (%s), .cupaas.yml has %q", r.Runtime.Value, r.Runtime.Reason, want.Runtime)
			}
			if got, wantArgv := r.EntrypointArgv, want.argv(t); !reflect.DeepEqual(got, wantArgv) {
				t.Errorf("entrypoint: detected %q (%s), .cupaas.yml has %q", got, r.Entrypoint.Reason, wantArgv)
			}
			if r.Port.Value != strconv.Itoa(want.Port) {
				t.Errorf("port: detected %q (%s), .cupaas.yml has %d", r.Port.Value, r.Port.Reason, want.Port)
			}
			if r.Healthcheck.Value != want.Healthcheck {
				t.Errorf("healthcheck: detected %q (%s), .cupaas.yml has %q", r.Healthcheck.Value, r.Healthcheck.Reason, want.Healthcheck)
			}
			if got := serviceNames(r); !reflect.DeepEqual(got, wantServices) {
				t.Errorf("services: detected %q, .cupaas.yml has %q", got, wantServices)
			}
		})
	}
}
