// Package config reads, validates and models `.cupaas.yml`, the file that
// describes an app to cupaas.
//
// The file is decoded through yaml.Node so that every problem carries the
// line and column it was found at, and versions are kept exactly as written
// (`mongodb: 7.10` stays "7.10"). Everything else in cupaas reads the typed
// Config that Load returns, never raw YAML.
package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cupaas/cupaas/pkg/gitsource"
)

// SchemaVersion is the version of the `.cupaas.yml` format this package reads.
const SchemaVersion = 1

// FileName is the name of the app's config file; AltFileName is also accepted.
const (
	FileName    = ".cupaas.yml"
	AltFileName = ".cupaas.yaml"
)

// MaxFileSize bounds the size of `.cupaas.yml`; a larger file is refused
// before it is read.
const MaxFileSize = 1 << 20

// MaxDockerfileSize bounds the size of the app's own Dockerfile.
const MaxDockerfileSize = 1 << 20

// MaxManifestSize bounds the size of package.json, which Load reads for
// the default node entrypoint.
const MaxManifestSize = 4 << 20

// MaxNameLength is the longest app name cupaas accepts. Kubernetes allows 63
// characters in a label, but derived object names such as
// `<name>-postgresql-0` must fit too.
const MaxNameLength = 40

// Config is a parsed and validated `.cupaas.yml`.
type Config struct {
	// File is the path the config was read from, as shown in messages.
	File string `json:"file"`
	// Dir is the app's directory.
	Dir string `json:"dir"`
	// Name is the app name as a DNS-1123 label; it also names the namespace.
	Name string `json:"name"`
	// NameSource says where Name came from: "file", "git remote origin" or "directory".
	NameSource string `json:"nameSource"`
	// Runtime is the language and version; nil when Dockerfile is set without one.
	Runtime *Runtime `json:"runtime,omitempty"`
	// Entrypoint is the exec-form command; nil means the runtime's default
	// (for go: the built binary).
	Entrypoint []string `json:"entrypoint,omitempty"`
	// Port is the port the app listens on; the app gets it as PORT.
	Port int `json:"port"`
	// Healthcheck is an HTTP path for the probes; "" means a TCP check on Port.
	Healthcheck string `json:"healthcheck,omitempty"`
	// Replicas is the number of pods when Autoscale is nil.
	Replicas int `json:"replicas"`
	// Autoscale, when set, becomes a HorizontalPodAutoscaler.
	Autoscale *Autoscale `json:"autoscale,omitempty"`
	// Resources are the container's requests.
	Resources Resources `json:"resources"`
	// Services are the backing services, in file order.
	Services []Service `json:"services,omitempty"`
	// Env are the plain settings from `env:`, in file order.
	Env []EnvVar `json:"env,omitempty"`
	// Dockerfile, when set, is the app's own Dockerfile (relative to Dir).
	Dockerfile string `json:"dockerfile,omitempty"`
	// Domain, when set, is the host name of an Ingress for the app's
	// Service; IngressClass names its class ("" means the cluster's
	// default).
	Domain       string `json:"domain,omitempty"`
	IngressClass string `json:"ingressClass,omitempty"`
	// Release is the command of the release phase: run once per deploy,
	// as a Job with the new image and the app's settings, before the
	// app's pods roll (migrations). nil means none.
	Release []string `json:"release,omitempty"`
	// History is how many releases are kept; 0 means the default.
	History int `json:"history,omitempty"`
	// Raw is the file's content as read.
	Raw []byte `json:"-"`

	// pos records where each top-level key was found, for checks made by Load.
	pos map[string]position
	// commit, when set, is the git commit the config was read from: its
	// files, not the directory's, are checked.
	commit *gitsource.Commit
}

type position struct{ line, col int }

// Runtime is a language and its version, written `<language>:<version>`.
type Runtime struct {
	Language string `json:"language"`
	Version  string `json:"version"`
}

// String returns the `<language>:<version>` form.
func (r Runtime) String() string { return r.Language + ":" + r.Version }

// Autoscale bounds a HorizontalPodAutoscaler.
type Autoscale struct {
	Min int `json:"min"`
	Max int `json:"max"`
	// CPU is the target average CPU utilisation in percent.
	CPU int `json:"cpu"`
}

// Resources are container resource requests, as Kubernetes quantities
// ("" when not set).
type Resources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// Service is one backing service of the app.
type Service struct {
	// Name is the canonical catalogue name (postgres becomes postgresql).
	Name string `json:"name"`
	// Version is the image tag, exactly as written.
	Version string `json:"version"`
	// Line and Col locate the service in the file.
	Line int `json:"-"`
	Col  int `json:"-"`
}

// Spec returns the catalogue entry of the service.
func (s Service) Spec() ServiceSpec { return serviceCatalogue[s.Name] }

// EnvVar is one plain setting.
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// EnvValue returns the value of key in `env:`, and whether it is set.
func (c *Config) EnvValue(key string) (string, bool) {
	for _, e := range c.Env {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

// InjectedEnv returns the names cupaas injects into the app for its
// services, mapped to the service that sets each one, plus PORT.
func (c *Config) InjectedEnv() map[string]string {
	out := map[string]string{"PORT": "port"}
	for _, s := range c.Services {
		for _, n := range s.Spec().EnvNames {
			out[n] = s.Name
		}
	}
	return out
}

// Summary is a one-line description of the config, for `cupaas validate`.
func (c *Config) Summary() string {
	var parts []string
	parts = append(parts, c.Name)
	if c.Runtime != nil {
		parts = append(parts, c.Runtime.String())
	}
	if c.Dockerfile != "" {
		parts = append(parts, "dockerfile "+c.Dockerfile)
	}
	parts = append(parts, fmt.Sprintf("port %d", c.Port))
	if c.Autoscale != nil {
		parts = append(parts, fmt.Sprintf("autoscale %d-%d", c.Autoscale.Min, c.Autoscale.Max))
	} else {
		parts = append(parts, plural(c.Replicas, "replica"))
	}
	if len(c.Services) > 0 {
		var svc []string
		for _, s := range c.Services {
			svc = append(svc, s.Name+":"+s.Version)
		}
		parts = append(parts, "services "+strings.Join(svc, ", "))
	}
	if len(c.Env) > 0 {
		parts = append(parts, plural(len(c.Env), "env var"))
	}
	return strings.Join(parts, " · ")
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Language describes a supported runtime language.
type Language struct {
	Name string
	// DefaultPort is the port apps of this language usually listen on.
	DefaultPort int
	// DefaultVersion is what `cupaas init` writes when nothing says otherwise.
	DefaultVersion string
	// EntrypointOptional says the runtime can start the app without an
	// entrypoint (node: `npm start`; go: the built binary).
	EntrypointOptional bool
}

var languages = map[string]Language{
	"python": {Name: "python", DefaultPort: 5000, DefaultVersion: "3.11"},
	"node":   {Name: "node", DefaultPort: 3000, DefaultVersion: "20", EntrypointOptional: true},
	"go":     {Name: "go", DefaultPort: 8080, DefaultVersion: "1.22", EntrypointOptional: true},
}

// LookupLanguage returns the language named name.
func LookupLanguage(name string) (Language, bool) {
	l, ok := languages[name]
	return l, ok
}

// Languages returns the supported language names, sorted.
func Languages() []string { return slices.Sorted(maps.Keys(languages)) }

// ServiceSpec is a catalogue entry: a backing service cupaas can run.
type ServiceSpec struct {
	Name string
	// Aliases are other accepted spellings (postgres for postgresql).
	Aliases []string
	// DefaultVersion is used when the file gives no version.
	DefaultVersion string
	// Image is the image repository; the tag is the version.
	Image string
	// Port is the port the service listens on.
	Port int
	// EnvNames are the variables injected into the app. They are a contract
	// with app authors: see the README.
	EnvNames []string
}

var serviceCatalogue = map[string]ServiceSpec{
	"mongodb": {
		Name: "mongodb", DefaultVersion: "6", Image: "mongo", Port: 27017,
		EnvNames: []string{"MONGODB_URI", "MONGO_URL"},
	},
	"postgresql": {
		Name: "postgresql", Aliases: []string{"postgres"}, DefaultVersion: "15", Image: "postgres", Port: 5432,
		EnvNames: []string{"DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"},
	},
	"redis": {
		Name: "redis", DefaultVersion: "7", Image: "redis", Port: 6379,
		EnvNames: []string{"REDIS_URL"},
	},
	"mysql": {
		Name: "mysql", DefaultVersion: "8.0", Image: "mysql", Port: 3306,
		EnvNames: []string{"DATABASE_URL", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE"},
	},
}

// LookupService returns the catalogue entry for name or one of its aliases.
func LookupService(name string) (ServiceSpec, bool) {
	if s, ok := serviceCatalogue[name]; ok {
		return s, true
	}
	for _, s := range serviceCatalogue {
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return ServiceSpec{}, false
}

// ServiceNames returns the canonical service names, sorted.
func ServiceNames() []string { return slices.Sorted(maps.Keys(serviceCatalogue)) }

// serviceSpellings returns every accepted service spelling, for suggestions.
func serviceSpellings() []string {
	var out []string
	for _, s := range serviceCatalogue {
		out = append(out, s.Name)
		out = append(out, s.Aliases...)
	}
	sort.Strings(out)
	return out
}

// service returns the service named name, or nil.
// ServiceNames are the names of the backing services, in config order.
func (c *Config) ServiceNames() []string {
	names := make([]string, len(c.Services))
	for i, s := range c.Services {
		names[i] = s.Name
	}
	return names
}

func (c *Config) service(name string) *Service {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i]
		}
	}
	return nil
}
