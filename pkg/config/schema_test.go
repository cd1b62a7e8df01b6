package config

// The JSON Schema of .cupaas.yml (pkg/config/schema) is written by hand for
// editors; these tests keep it in step with this package, so that the two
// cannot drift:
//
//   - its keys, languages, services, patterns and examples are compared
//     with this package's own lists and regular expressions;
//   - every config that Parse accepts (the examples, the configs of the CLI
//     scripts, the fuzz corpus, the cases below) must pass the schema;
//   - every config that Parse refuses for a structural reason (an unknown
//     key, a wrong type, a value outside a fixed set) must fail it;
//   - its descriptions are the words of the README's reference.
//
// The schema may be looser than Parse where JSON Schema cannot say a rule
// (a name too long once sanitised, two SQL databases): an editor then
// leaves that to `cupaas validate`. It must never be stricter.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/cupaas/cupaas/pkg/config/schema"
)

// compiledSchema compiles the embedded schema with a validator of draft
// 2020-12 (which also checks the schema against the draft's meta-schema).
func compiledSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON()))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", schema.File, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("cupaas.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("cupaas.schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", schema.File, err)
	}
	return sch
}

// rawSchema is the schema as a generic JSON value, for looking inside.
func rawSchema(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(schema.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks the raw schema along keys ("properties", "name", ...) and list
// indexes ("anyOf", "0").
func at(t testing.TB, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		ok := false
		switch x := v.(type) {
		case map[string]any:
			v, ok = x[k]
		case []any:
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < len(x) {
				v, ok = x[i], true
			}
		}
		if !ok {
			t.Fatalf("schema: no %s", strings.Join(keys, "."))
		}
	}
	return v
}

func atString(t testing.TB, v any, keys ...string) string {
	t.Helper()
	s, ok := at(t, v, keys...).(string)
	if !ok {
		t.Fatalf("schema: %s is not a string", strings.Join(keys, "."))
	}
	return s
}

func keysOf(t testing.TB, v any, keys ...string) []string {
	t.Helper()
	m, ok := at(t, v, keys...).(map[string]any)
	if !ok {
		t.Fatalf("schema: %s is not an object", strings.Join(keys, "."))
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func stringsOf(t testing.TB, v any, keys ...string) []string {
	t.Helper()
	list, ok := at(t, v, keys...).([]any)
	if !ok {
		t.Fatalf("schema: %s is not a list", strings.Join(keys, "."))
	}
	var out []string
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			t.Fatalf("schema: %s has a value that is not a string", strings.Join(keys, "."))
		}
		out = append(out, s)
	}
	return out
}

// yamlValue turns YAML into the JSON value an editor's YAML language server
// validates: mappings with string keys, lists, and scalars by their YAML
// 1.2 type (`7.10` is a number, `"7.10"` a string). What JSON cannot hold
// (an alias, a duplicate or non-scalar key) is an error: an editor reports
// those as YAML errors before any schema.
func yamlValue(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return nodeValue(doc.Content[0])
}

func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
				return nil, fmt.Errorf("line %d: a key that JSON cannot hold", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := []any{}
		for _, item := range n.Content {
			v, err := nodeValue(item)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!int", "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				// Too big for a float64 is still a number to an editor.
				if f, err = strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err != nil {
					return nil, fmt.Errorf("line %d: number %s: %v", n.Line, n.Value, err)
				}
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return n.Value, nil // .inf and .nan have no JSON form
			}
			if n.Tag == "!!int" {
				var i int64
				if n.Decode(&i) == nil {
					return i, nil
				}
			}
			return f, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: a YAML alias", n.Line)
}

// schemaCheck validates a config's text with the schema; nil means valid.
func schemaCheck(sch *jsonschema.Schema, data []byte) error {
	v, err := yamlValue(data)
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// structuralRes match the problems of Parse that are about the shape of
// the file: an unknown key, a wrong type, a value outside a fixed set or
// pattern. The schema must refuse every config with one of them.
var structuralRes = []*regexp.Regexp{
	regexp.MustCompile(`^unknown key `),
	regexp.MustCompile(`^duplicate key `),
	regexp.MustCompile(`keys must be plain names`),
	regexp.MustCompile(`^(name|runtime|healthcheck|dockerfile|domain|ingressClass) must be a string such as `),
	regexp.MustCompile(`^domain must be a host name such as `),
	regexp.MustCompile(`^ingressClass must be the name of an IngressClass`),
	regexp.MustCompile(`^ingressClass goes with domain`),
	regexp.MustCompile(`^entrypoint must be a list such as `),
	regexp.MustCompile(`^entrypoint items must be strings`),
	regexp.MustCompile(`^(port|replicas|autoscale\.\w+.*) must be a whole number from \d+ to \d+, not `),
	regexp.MustCompile(`^(port|replicas|autoscale\.\w+.*) must be from \d+ to \d+, got`),
	regexp.MustCompile(`^(autoscale|resources|env) must be a mapping such as `),
	regexp.MustCompile(`^autoscale needs max`),
	regexp.MustCompile(`^resources\.\w+ must be a quantity such as `),
	regexp.MustCompile(`^resources\.\w+ ".*" is not a positive Kubernetes quantity`),
	regexp.MustCompile(`^services must be a list such as `),
	regexp.MustCompile(`^a service must be a name such as `),
	regexp.MustCompile(`^each service is one .name: version. pair`),
	regexp.MustCompile(`^the version of .* must be a plain value`),
	regexp.MustCompile(`^unknown service `),
	regexp.MustCompile(`^malformed .* version `),
	regexp.MustCompile(`^unsupported runtime language `),
	regexp.MustCompile(`^runtime ".*" needs a version`),
	regexp.MustCompile(`^env key ".*" is not a valid variable name`),
	regexp.MustCompile(`^env value of \w+ must be a plain value`),
	regexp.MustCompile(`^healthcheck must be an HTTP path`),
	regexp.MustCompile(`^PORT cannot be set in env`),
	regexp.MustCompile(`^runtime is required`),
	regexp.MustCompile(`^entrypoint is required for `),
	regexp.MustCompile(`^port is required with dockerfile`),
	regexp.MustCompile(`^replicas and autoscale are both set`),
	regexp.MustCompile(`^entrypoint has no effect with dockerfile`),
	regexp.MustCompile(`^is empty; describe the app`),
	regexp.MustCompile(`^must be a mapping of settings`),
}

// structuralProblem returns the first problem of err that the schema must
// also find, or "".
func structuralProblem(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	for _, p := range e.Problems {
		for _, re := range structuralRes {
			if re.MatchString(p.Msg) && !wholeFloat(p.Msg) {
				return p.String()
			}
		}
	}
	return ""
}

// wholeFloat reports a whole number written as a float (`port: 8e3`,
// `port: 080`): Parse wants an integer literal, but in JSON, and so to an
// editor, 8000.0 is the integer 8000.
func wholeFloat(msg string) bool {
	m := regexp.MustCompile(`must be a whole number .*, not a number \((.*)\)$`).FindStringSubmatch(msg)
	if m == nil {
		return false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(m[1], "_", ""), 64)
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// corpusConfig is one config of the test suite.
type corpusConfig struct {
	where string
	data  []byte
}

// corpus gathers the configs of the repository: the examples', every YAML
// file of the CLI scripts, the fuzz corpus of FuzzParse and the cases of
// this file.
func corpus(t testing.TB) []corpusConfig {
	t.Helper()
	var out []corpusConfig
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", FileName))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, p := range examples {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusConfig{p, data})
	}
	scripts, err := filepath.Glob(filepath.Join("..", "cli", "testdata", "script", "*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no CLI scripts found: %v", err)
	}
	for _, p := range scripts {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".yml") || strings.HasSuffix(f.Name, ".yaml") {
				out = append(out, corpusConfig{p + ":" + f.Name, f.Data})
			}
		}
	}
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz corpus file of []byte", p)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[1]), "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, corpusConfig{p, []byte(s)})
	}
	for _, src := range validConfigs {
		out = append(out, corpusConfig{"validConfigs", []byte(src)})
	}
	for _, tc := range structuralCases {
		out = append(out, corpusConfig{"structuralCases " + tc.name, []byte(tc.src)})
	}
	return out
}

// validConfigs are valid in every form the reference allows.
var validConfigs = []string{
	"name: tasks\nruntime: python:3.8.6\nentrypoint: [python, app.py]\nport: 5000\nhealthcheck: /health\nautoscale: {min: 1, max: 5, cpu: 80}\nresources: {cpu: 250m, memory: 256Mi}\nservices:\n  - mongodb: 6.0.2\n  - redis\nenv:\n  LOG_LEVEL: info\n  DEBUG: false\n  RETRIES: 3\n  EMPTY:\n",
	"runtime: node:20\n",
	"runtime: go:1.22\nport: \"9000\"\nreplicas: \"3\"\n",
	"runtime: go:1.22\nport: 0x1F90\n",
	"dockerfile: Dockerfile\nport: 7000\n",
	"dockerfile: docker/Dockerfile.prod\nruntime: python:3.12\nport: 8000\n",
	"runtime: python:3.11\nentrypoint: gunicorn -b \"0.0.0.0:8000\" 'app:create_app()'\n",
	"runtime: python:3.11\nentrypoint: [python, 3, true]\n",
	"runtime: \" python:3.11 \"\nentrypoint: [python, app.py]\n",
	"runtime: python:8.0-alpine\nentrypoint: [python, app.py]\n",
	"runtime: go:1.22\nservices:\n  - mongodb: 7.10\n  - postgres\n  - redis: 7\n",
	"runtime: go:1.22\nservices: {mongodb: 7.10, postgres: ~, redis: 7}\n",
	"runtime: go:1.22\nservices:\n  mongodb: 7.10\n  postgresql:\n  redis: \"7\"\n",
	"runtime: go:1.22\nservices: [mongodb:7.10, postgresql, {redis: 7}, \" mysql : 8.0 \"]\n",
	"runtime: go:1.22\nservices: [redis:, {mongodb: \"\"}]\n",
	"runtime: go:1.22\nservices: []\n",
	"runtime: go:1.22\nservices:\nenv:\n",
	"runtime: go:1.22\nservices: [mysql: 1e3, redis: 007]\n",
	"runtime: go:1.22\nname: My_App.v2\n",
	"runtime: go:1.22\nname: 2048\n",
	"runtime: go:1.22\nname: true\n",
	"runtime: go:1.22\nname: kube\n",
	"runtime: go:1.22\nname: kube-!!\n",
	"runtime: go:1.22\nname: defaults\n",
	"runtime: go:1.22\nresources: {cpu: 0.5, memory: 1Gi}\n",
	"runtime: go:1.22\nresources: {cpu: 2, memory: 1e9}\n",
	"runtime: go:1.22\nresources: {cpu: \"+1.5\", memory: 1.G}\n",
	"runtime: go:1.22\nresources: {cpu: 100u, memory: 128974848e-3}\n",
	"runtime: go:1.22\nresources: {}\n",
	"runtime: go:1.22\nautoscale: {max: 3}\n",
	"runtime: go:1.22\nautoscale: {min: \"2\", max: 100, cpu: 1}\n",
	"runtime: go:1.22\nenv: {B: 2024-01-01, C: .inf, D: ~, _x: \"\", e1: 1.5}\n",
	"runtime: go:1.22\nhealthcheck: /healthz?full=1\n",
	"runtime: go:1.22\ndockerfile: 7\nport: 1\n",
}

// structuralCases are refused by Parse for the shape of the file; the
// schema must refuse them too, with a message that names the key
// (mentions).
var structuralCases = []struct {
	name, src string
	mentions  []string
}{
	{"misspelt key", "runtime: go:1.22\nentrypiont: [x]\n", []string{"entrypiont"}},
	{"misspelt key in autoscale", "runtime: go:1.22\nautoscale: {max: 2, mx: 3}\n", []string{"autoscale", "mx"}},
	{"misspelt key in resources", "runtime: go:1.22\nresources: {memroy: 1Gi}\n", []string{"resources", "memroy"}},
	{"wrong type: port", "runtime: go:1.22\nport: http\n", []string{"port"}},
	{"wrong type: port list", "runtime: go:1.22\nport: [80]\n", []string{"port"}},
	{"wrong type: port float", "runtime: go:1.22\nport: 80.5\n", []string{"port"}},
	{"wrong type: replicas", "runtime: go:1.22\nreplicas: two\n", []string{"replicas"}},
	{"wrong type: runtime", "runtime: [python]\n", []string{"runtime"}},
	{"wrong type: name", "runtime: go:1.22\nname:\n", []string{"name"}},
	{"wrong type: entrypoint", "runtime: python:3.11\nentrypoint:\n", []string{"entrypoint"}},
	{"wrong type: entrypoint item", "runtime: python:3.11\nentrypoint: [python, [a]]\n", []string{"entrypoint"}},
	{"wrong type: autoscale", "runtime: go:1.22\nautoscale: 3\n", []string{"autoscale"}},
	{"wrong type: resources", "runtime: go:1.22\nresources: 1Gi\n", []string{"resources"}},
	{"wrong type: env", "runtime: go:1.22\nenv: [A=1]\n", []string{"env"}},
	{"wrong type: env value", "runtime: go:1.22\nenv:\n  A: [1, 2]\n", []string{"env", "A"}},
	{"wrong type: services", "runtime: go:1.22\nservices: redis\n", []string{"services"}},
	{"wrong type: service version", "runtime: go:1.22\nservices: {redis: true}\n", []string{"services", "redis"}},
	{"wrong type: healthcheck", "runtime: go:1.22\nhealthcheck: health\n", []string{"healthcheck"}},
	{"wrong type: dockerfile", "dockerfile: [Dockerfile]\nport: 80\n", []string{"dockerfile"}},
	{"wrong type: the file", "- runtime: go:1.22\n", nil},
	{"empty file", "# nothing\n", nil},
	{"unknown service", "runtime: go:1.22\nservices: [mongo, cassandra]\n", []string{"services", "mongo"}},
	{"unknown service in a map", "runtime: go:1.22\nservices: {reddis: 7}\n", []string{"services", "reddis"}},
	{"unknown service with version", "runtime: go:1.22\nservices:\n  - cassandra: 4\n", []string{"services", "cassandra"}},
	{"service with two keys", "runtime: go:1.22\nservices:\n  - {redis: 7, mysql: 8}\n", []string{"services"}},
	{"bad service version", "runtime: go:1.22\nservices:\n  - redis: 7;rm\n", []string{"services"}},
	{"service version latest", "runtime: go:1.22\nservices: [redis:latest]\n", []string{"services"}},
	{"unsupported runtime", "runtime: pyhton:3.11\n", []string{"runtime"}},
	{"runtime without version", "runtime: python\nentrypoint: [python, app.py]\n", []string{"runtime"}},
	{"runtime latest", "runtime: node:latest\n", []string{"runtime"}},
	{"runtime version injection", "runtime: \"python:3.11; rm -rf /\"\nentrypoint: [python, app.py]\n", []string{"runtime"}},
	{"env key", "runtime: go:1.22\nenv:\n  my-key: y\n", []string{"env", "my-key"}},
	{"PORT in env", "runtime: go:1.22\nenv:\n  PORT: 9000\n", []string{"env", "PORT"}},
	{"port out of range", "runtime: go:1.22\nport: 70000\n", []string{"port"}},
	{"quoted port out of range", "runtime: go:1.22\nport: \"70000\"\n", []string{"port"}},
	{"quoted port not a number", "runtime: go:1.22\nport: \"80.0\"\n", []string{"port"}},
	{"replicas out of range", "runtime: go:1.22\nreplicas: 0\n", []string{"replicas"}},
	{"autoscale cpu out of range", "runtime: go:1.22\nautoscale: {max: 2, cpu: 101}\n", []string{"autoscale", "cpu"}},
	{"autoscale without max", "runtime: go:1.22\nautoscale: {min: 2}\n", []string{"autoscale", "max"}},
	{"bad quantity", "runtime: go:1.22\nresources: {memory: 256MB}\n", []string{"resources", "memory"}},
	{"zero quantity", "runtime: go:1.22\nresources: {cpu: 0m}\n", []string{"resources", "cpu"}},
	{"negative quantity", "runtime: go:1.22\nresources: {cpu: -1}\n", []string{"resources", "cpu"}},
	{"runtime required", "port: 80\n", []string{"runtime", "dockerfile"}},
	{"python needs an entrypoint", "runtime: python:3.11\n", []string{"entrypoint"}},
	{"dockerfile needs a port", "dockerfile: Dockerfile\n", []string{"port"}},
	{"entrypoint with dockerfile", "dockerfile: Dockerfile\nport: 80\nentrypoint: [x]\n", []string{"entrypoint"}},
	{"replicas with autoscale", "runtime: go:1.22\nreplicas: 2\nautoscale: {max: 3}\n", []string{"replicas"}},
	{"duplicate key", "runtime: go:1.22\nport: 1\nport: 2\n", []string{"port"}},
}

func TestSchemaAcceptsValidConfigs(t *testing.T) {
	sch := compiledSchema(t)
	valid := 0
	for _, c := range corpus(t) {
		if _, err := Parse(FileName, c.data); err != nil {
			continue
		}
		valid++
		if err := schemaCheck(sch, c.data); err != nil {
			t.Errorf("%s: valid for cupaas, refused by the schema:\n%s\n%v", c.where, c.data, err)
		}
	}
	if valid < len(validConfigs)+10 {
		t.Errorf("only %d valid configs found in the test suite", valid)
	}
}

func TestSchemaRefusesStructuralProblems(t *testing.T) {
	sch := compiledSchema(t)
	for _, tc := range structuralCases {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := Parse(FileName, []byte(tc.src))
			if perr == nil {
				t.Fatalf("Parse accepts %q", tc.src)
			}
			if structuralProblem(perr) == "" {
				t.Fatalf("Parse's problem is not recognised as structural (update structuralRes): %v", perr)
			}
			err := schemaCheck(sch, []byte(tc.src))
			if err == nil {
				t.Fatalf("the schema accepts %q, which Parse refuses: %v", tc.src, perr)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("the schema's message does not name %q:\n%v", m, err)
				}
			}
		})
	}
	// And every config of the test suite with such a problem.
	for _, c := range corpus(t) {
		_, perr := Parse(FileName, c.data)
		if p := structuralProblem(perr); p != "" && schemaCheck(sch, c.data) == nil {
			t.Errorf("%s: the schema accepts a config that Parse refuses (%s):\n%s", c.where, p, c.data)
		}
	}
}

// FuzzSchema checks, on any input, that the schema accepts what Parse
// accepts and refuses what Parse refuses for a structural reason.
// Seeds: the test suite's configs.
func FuzzSchema(f *testing.F) {
	for _, c := range corpus(f) {
		f.Add(c.data)
	}
	sch := compiledSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, perr := Parse(FileName, data)
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return
		}
		err := schemaCheck(sch, data)
		if perr == nil && err != nil {
			t.Fatalf("valid for cupaas, refused by the schema:\n%s\n%v", data, err)
		}
		if p := structuralProblem(perr); p != "" && err == nil {
			t.Fatalf("the schema accepts a config that Parse refuses (%s):\n%s", p, data)
		}
	})
}

// TestSchemaFollowsConfigRules compares the schema's lists and patterns
// with this package's: a runtime, service, key or rule added to one and
// not to the other fails here.
func TestSchemaFollowsConfigRules(t *testing.T) {
	raw := rawSchema(t)
	if got := atString(t, raw, "$schema"); got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %s, want draft 2020-12", got)
	}
	// Keys.
	if got, want := keysOf(t, raw, "properties"), slices.Sorted(slices.Values(topKeys)); !slices.Equal(got, want) {
		t.Errorf("schema keys %v, config keys %v", got, want)
	}
	if at(t, raw, "additionalProperties") != false {
		t.Error("the schema must refuse unknown keys")
	}
	version := strings.TrimSuffix(strings.TrimPrefix(versionRe().String(), "^"), "$")

	// Runtimes: the languages, their default versions as examples, and
	// which of them need an entrypoint.
	langs := Languages()
	if got, want := atString(t, raw, "properties", "runtime", "pattern"), `^\s*(`+strings.Join(langs, "|")+`):`+version+`\s*$`; got != want {
		t.Errorf("runtime pattern\n got  %s\n want %s", got, want)
	}
	var examples, needEntrypoint []string
	for _, l := range langs {
		examples = append(examples, l+":"+languages[l].DefaultVersion)
		if !languages[l].EntrypointOptional {
			needEntrypoint = append(needEntrypoint, l)
		}
	}
	if got := stringsOf(t, raw, "properties", "runtime", "examples"); !sameSet(got, examples) {
		t.Errorf("runtime examples %v, want %v", got, examples)
	}
	msg := atString(t, raw, "properties", "runtime", "patternErrorMessage")
	for _, l := range langs {
		if !strings.Contains(msg, l) {
			t.Errorf("runtime patternErrorMessage does not name %s: %s", l, msg)
		}
	}
	sch := compiledSchema(t)
	for _, l := range langs {
		src := "runtime: " + l + ":" + languages[l].DefaultVersion + "\n"
		err := schemaCheck(sch, []byte(src))
		if _, perr := Parse(FileName, []byte(src)); (perr == nil) != (err == nil) {
			t.Errorf("%q: Parse says %v, the schema says %v", src, perr, err)
		}
		if slices.Contains(needEntrypoint, l) && err == nil {
			t.Errorf("%q: the schema does not require an entrypoint for %s", src, l)
		}
	}

	// Services: every spelling, in the list form (enum and pattern) and
	// the map form, with its image, default version and variables.
	spellings := serviceSpellings()
	if got := stringsOf(t, raw, "$defs", "serviceItem", "anyOf", "0", "enum"); !slices.Equal(sorted(got), spellings) {
		t.Errorf("service enum %v, want %v", got, spellings)
	}
	if got := keysOf(t, raw, "properties", "services", "properties"); !slices.Equal(got, spellings) {
		t.Errorf("services map keys %v, want %v", got, spellings)
	}
	if got := keysOf(t, raw, "$defs", "serviceItem", "anyOf", "2", "properties"); !slices.Equal(got, spellings) {
		t.Errorf("service item keys %v, want %v", got, spellings)
	}
	if got, want := atString(t, raw, "$defs", "serviceItem", "anyOf", "1", "pattern"), `^\s*(`+strings.Join(spellings, "|")+`)\s*(:\s*(`+version+`)?\s*)?$`; got != want {
		t.Errorf("service item pattern\n got  %s\n want %s", got, want)
	}
	if got, want := atString(t, raw, "$defs", "serviceVersion", "anyOf", "2", "pattern"), `^(`+version+`)?$`; got != want {
		t.Errorf("service version pattern\n got  %s\n want %s", got, want)
	}
	for _, name := range spellings {
		spec, _ := LookupService(name)
		d := atString(t, raw, "properties", "services", "properties", name, "description")
		for _, want := range append([]string{"image " + spec.Image + ",", "default version " + spec.DefaultVersion + ";"}, spec.EnvNames...) {
			if !strings.Contains(d, want) {
				t.Errorf("description of service %s does not say %q: %s", name, want, d)
			}
		}
	}

	// env keys, and the python entrypoint rule.
	if got := keysOf(t, raw, "properties", "env", "patternProperties"); !slices.Equal(got, []string{envKeyRe().String()}) {
		t.Errorf("env key patterns %v, want %s", got, envKeyRe().String())
	}
	if got, want := atString(t, raw, "allOf", "2", "if", "properties", "runtime", "pattern"), `^\s*(`+strings.Join(needEntrypoint, "|")+`):`; got != want {
		t.Errorf("entrypoint rule pattern %s, want %s", got, want)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

func sameSet(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

// TestSchemaDescriptionsAreTheReadme: each key's description is its
// comment in the README's example and its row of the reference table.
func TestSchemaDescriptionsAreTheReadme(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "## `.cupaas.yml` reference")
	if start < 0 {
		t.Fatal("README has no .cupaas.yml reference")
	}
	ref := readme[start:]
	raw := rawSchema(t)
	for _, key := range topKeys {
		row := regexp.MustCompile("(?m)^\\| `" + key + "` \\| (.*) \\|$").FindStringSubmatch(ref)
		comment := regexp.MustCompile(`(?m)^` + key + `:.*?# (.*)$`).FindStringSubmatch(ref)
		if row == nil || comment == nil {
			t.Errorf("README reference: no example comment or table row for %s", key)
			continue
		}
		want := comment[1] + "\n\n" + row[1]
		if got := atString(t, raw, "properties", key, "description"); got != want {
			t.Errorf("description of %s differs from the README:\n got  %q\n want %q", key, got, want)
		}
	}
}

// TestSchemaNamePattern: a name passes the schema's pattern exactly when
// it keeps a letter or digit once sanitised, checked rune by rune.
func TestSchemaNamePattern(t *testing.T) {
	re := regexp.MustCompile(atString(t, rawSchema(t), "properties", "name", "pattern"))
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if got, want := re.MatchString(s), SanitizeName(s) != ""; got != want {
			t.Errorf("name %q (%U): schema pattern %v, sanitised %q", s, r, got, SanitizeName(s))
		}
	}
}

// TestSchemaQuantity: the schema's quantity accepts what Kubernetes parses
// as a positive quantity, and refuses the rest.
func TestSchemaQuantity(t *testing.T) {
	sch := compiledSchema(t)
	// Every printable ASCII character as a suffix, and the longer ones.
	suffixes := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "ki", "KiB", "MB", "mi", "e3", "E3", "e-3", "e+3", "E-2", "e+", "e1.5", "kk", "Ki ", "ee3"}
	for c := ' '; c <= '~'; c++ {
		suffixes = append(suffixes, string(c))
	}
	var n int
	for _, sign := range []string{"", "+", "-"} {
		for _, num := range []string{"0", "00", "1", "012", "1.", "1.5", "0.5", ".5", ".", "0.0", ".0", "", "1.2.3", "x"} {
			for _, suf := range suffixes {
				s := sign + num + suf
				qty, err := resource.ParseQuantity(s)
				want := err == nil && qty.Sign() > 0
				got := sch.Validate(map[string]any{"runtime": "go:1.22", "resources": map[string]any{"memory": s}}) == nil
				if got != want {
					t.Errorf("quantity %q: Kubernetes %v, schema %v", s, want, got)
				}
				n++
			}
		}
	}
	if n < 4000 {
		t.Fatalf("only %d quantities tried", n)
	}
}

// TestExamplesNameTheSchema: each example's first line points the editor at
// the schema in this repository, by a path that leads to it.
func TestExamplesNameTheSchema(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", FileName))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, p := range examples {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		rel, ok := strings.CutPrefix(first, "# yaml-language-server: $schema=")
		if !ok {
			t.Errorf("%s: first line %q does not name the schema", p, first)
			continue
		}
		got, err := os.ReadFile(filepath.Join(filepath.Dir(p), filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(got, schema.JSON()) {
			t.Errorf("%s: %s does not lead to %s (%v)", p, rel, schema.File, err)
		}
	}
}

// TestSchemaQuotedNumbers: a quoted number (`port: "8080"`) passes the
// schema exactly when Parse takes it, for every count of the file.
func TestSchemaQuotedNumbers(t *testing.T) {
	raw := rawSchema(t)
	for _, tc := range []struct {
		path   []string
		lo, hi int
	}{
		{[]string{"properties", "port"}, 1, 65535},
		{[]string{"properties", "replicas"}, 1, 100},
		{[]string{"properties", "autoscale", "properties", "min"}, 1, 100},
		{[]string{"properties", "autoscale", "properties", "max"}, 1, 100},
		{[]string{"properties", "autoscale", "properties", "cpu"}, 1, 100},
	} {
		what := strings.Join(tc.path, ".")
		if got := at(t, raw, append(tc.path, "anyOf", "0", "minimum")...); got != float64(tc.lo) {
			t.Errorf("%s minimum %v, want %d", what, got, tc.lo)
		}
		if got := at(t, raw, append(tc.path, "anyOf", "0", "maximum")...); got != float64(tc.hi) {
			t.Errorf("%s maximum %v, want %d", what, got, tc.hi)
		}
		re := regexp.MustCompile(atString(t, raw, append(tc.path, "anyOf", "1", "pattern")...))
		var numbers []int
		for n := -3; n <= tc.hi+200; n++ {
			numbers = append(numbers, n)
		}
		numbers = append(numbers, tc.hi*10-1, tc.hi*10, tc.hi*10+5, 99999, 655350, 1<<31, 1<<62)
		for _, n := range numbers {
			for _, s := range []string{strconv.Itoa(n), "+" + strconv.Itoa(n), "00" + strconv.Itoa(n), " " + strconv.Itoa(n)} {
				p := &parser{ps: &problems{file: FileName}}
				_, ok := p.intIn(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, what, tc.lo, tc.hi)
				if re.MatchString(s) != ok {
					t.Fatalf("%s %q: schema %v, Parse %v", what, s, re.MatchString(s), ok)
				}
			}
		}
	}
}
