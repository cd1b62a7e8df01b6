package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kballard/go-shellquote"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/cupaas/cupaas/pkg/buildctx"
)

// topKeys are the keys of schema version 1, in documentation order.
var topKeys = []string{"name", "runtime", "entrypoint", "port", "healthcheck", "replicas", "autoscale", "resources", "services", "env", "dockerfile", "domain", "ingressClass", "release", "history"}

var (
	versionRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`) })
	envKeyRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
	yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })
)

// ValidEnvKey reports whether key is a valid environment variable name:
// [A-Za-z_][A-Za-z0-9_]*.
func ValidEnvKey(key string) bool { return envKeyRe().MatchString(key) }

// MaxEnvEntry is the most one environment variable can take in a Linux
// process: KEY=VALUE with its terminating NUL is one execve string, at
// most 32 pages (MAX_ARG_STRLEN). A longer one makes every start of the
// container fail with "argument list too long".
const MaxEnvEntry = 32 * 4096

// CheckEnvSize reports a variable too large for a process environment.
func CheckEnvSize(key, value string) error {
	if n := len(key) + len(value) + 2; n > MaxEnvEntry {
		return fmt.Errorf("%s is %d bytes long, and one environment variable can hold at most 128 KiB (%d bytes with its name) on Linux: the app could not even start; put large content in a file of the app instead", key, len(value), MaxEnvEntry-2)
	}
	return nil
}

// ValidVersion reports whether v can be used as a runtime or service version
// (an image tag): letters, digits, '.', '_' and '-', starting with a letter
// or digit, and not "latest".
func ValidVersion(v string) bool { return versionRe().MatchString(v) && v != "latest" }

// Parse decodes and validates the contents of a config file. file is the
// name used in messages. It checks everything that can be checked from the
// text alone; Load adds what needs the app's directory (the default name, the
// node entrypoint, the Dockerfile's existence). Name is "" when the file sets
// none.
func Parse(file string, data []byte) (*Config, error) {
	ps := &problems{file: file}
	if len(data) > MaxFileSize {
		ps.add(0, 0, "is %s; a .cupaas.yml is a few hundred bytes and the limit is 1 MiB: is this the right file?", humanSize(len(data)))
		return nil, ps.err(nil)
	}
	lines := splitLines(data)
	if !precheck(ps, data, lines) {
		return nil, ps.err(lines)
	}
	root, ok := decodeRoot(ps, data, len(lines))
	if !ok {
		return nil, ps.err(lines)
	}
	c := &Config{File: file, Replicas: 1}
	p := &parser{ps: ps, c: c}
	p.top(root)
	p.crossChecks(root)
	c.pos = map[string]position{"": {root.Line, root.Column}}
	for k, n := range p.nodes {
		c.pos[k] = position{n.Line, n.Column}
	}
	if err := ps.err(lines); err != nil {
		return nil, err
	}
	return c, nil
}

func humanSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// precheck finds problems YAML would report poorly: invalid UTF-8, NUL bytes
// and tabs in indentation. It returns false when parsing should not go on.
func precheck(ps *problems, data []byte, lines []string) bool {
	if !utf8.Valid(data) {
		for i, l := range lines {
			if !utf8.ValidString(l) {
				col := 1
				for j := 0; j < len(l); {
					r, size := utf8.DecodeRuneInString(l[j:])
					if r == utf8.RuneError && size <= 1 {
						col = j + 1
						break
					}
					j += size
				}
				ps.add(i+1, col, "is not valid UTF-8 text; save the file as UTF-8")
				return false
			}
		}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := bytes.Count(data[:i], []byte("\n")) + 1
		ps.add(line, 1, "contains a NUL byte: is this a text file?")
		return false
	}
	for i, l := range lines {
		for j := 0; j < len(l); j++ {
			if l[j] == '\t' {
				ps.add(i+1, j+1, "tab character in indentation; YAML indents with spaces only")
				break
			}
			if l[j] != ' ' {
				break
			}
		}
	}
	return len(ps.list) == 0
}

// decodeRoot parses the YAML and returns the top-level mapping.
func decodeRoot(ps *problems, data []byte, lines int) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && len(doc.Content) == 0) {
		ps.add(0, 0, "is empty; describe the app in it, for example `runtime: python:3.11` (`cupaas init` writes one for you)")
		return nil, false
	}
	if err != nil {
		addYAMLError(ps, err, lines)
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			addYAMLError(ps, err, lines)
			return nil, false
		}
		ps.add(line, 1, "has more than one YAML document (a `---` separator); keep only one")
		return nil, false
	}
	root := doc.Content[0]
	if a := findAlias(root, 0); a != nil {
		ps.add(a.Line, a.Column, "YAML aliases (*%s) are not supported in .cupaas.yml; write the value out", a.Value)
		return nil, false
	}
	if root.Kind != yaml.MappingNode {
		ps.add(root.Line, root.Column, "must be a mapping of settings such as `runtime: python:3.11`, not %s", describe(root))
		return nil, false
	}
	return root, true
}

func addYAMLError(ps *problems, err error, lines int) {
	msg := err.Error()
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineRe().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		// yaml.v3 reports parser errors ("did not find expected ...") with
		// the 0-based line of the construct left open; make it 1-based.
		if strings.HasPrefix(m[2], "did not find expected") && n < lines {
			n++
		}
		ps.add(n, 0, "invalid YAML: %s", m[2])
		return
	}
	ps.add(0, 0, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// findAlias returns the first alias node in the tree. Aliases are never
// followed, so an alias bomb costs nothing.
func findAlias(n *yaml.Node, depth int) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	if depth > 100 {
		return nil
	}
	for _, c := range n.Content {
		if a := findAlias(c, depth+1); a != nil {
			return a
		}
	}
	return nil
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "an empty value"
		case "!!int":
			return "a number (" + n.Value + ")"
		case "!!float":
			return "a number (" + n.Value + ")"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		}
		return fmt.Sprintf("a string (%q)", n.Value)
	}
	return "an unsupported value"
}

type parser struct {
	ps *problems
	c  *Config
	// where settings were found, for cross checks
	nodes map[string]*yaml.Node
	// keys of env:, for cross checks
	envNodes map[string]*yaml.Node
}

// pairs walks a mapping's key/value pairs, reporting non-string and
// duplicate keys, and calls fn for the others.
func (p *parser) pairs(m *yaml.Node, what string, fn func(key string, k, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			p.ps.add(k.Line, k.Column, "%s keys must be plain names, not %s", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.ps.add(k.Line, k.Column, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		fn(k.Value, k, v)
	}
}

func (p *parser) top(root *yaml.Node) {
	p.nodes = map[string]*yaml.Node{}
	p.pairs(root, ".cupaas.yml", func(key string, k, v *yaml.Node) {
		p.nodes[key] = k
		switch key {
		case "name":
			p.name(v)
		case "runtime":
			p.runtime(v)
		case "entrypoint":
			p.entrypoint(v)
		case "port":
			if n, ok := p.intIn(v, "port", 1, 65535); ok {
				p.c.Port = n
			}
		case "healthcheck":
			p.healthcheck(v)
		case "replicas":
			if n, ok := p.intIn(v, "replicas", 1, 100); ok {
				p.c.Replicas = n
			}
		case "autoscale":
			p.autoscale(v)
		case "resources":
			p.resources(v)
		case "services":
			p.services(v)
		case "env":
			p.env(v)
		case "dockerfile":
			p.dockerfile(v)
		case "domain":
			p.domain(v)
		case "ingressClass":
			p.ingressClass(v)
		case "release":
			if argv, ok := p.command(v, "release", "runs once per deploy before the app's pods, such as [python, manage.py, migrate]"); ok {
				p.c.Release = argv
			}
		case "history":
			if n, ok := p.intIn(v, "history", 1, 1000); ok {
				p.c.History = n
			}
		default:
			p.ps.add(k.Line, k.Column, "unknown key %q%s (known keys: %s)", key, didYouMean(key, topKeys), strings.Join(topKeys, ", "))
		}
	})
}

// str returns the value of a scalar that must be a non-empty string.
func (p *parser) str(v *yaml.Node, what, example string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		p.ps.add(v.Line, v.Column, "%s must be a string such as %s, not %s", what, example, describe(v))
		return "", false
	}
	return v.Value, true
}

// intIn returns the value of a scalar that must be an integer in [lo, hi].
func (p *parser) intIn(v *yaml.Node, what string, lo, hi int) (int, bool) {
	var n int64
	ok := v.Kind == yaml.ScalarNode
	if ok {
		switch v.Tag {
		case "!!int":
			ok = v.Decode(&n) == nil
		case "!!str": // a quoted number is unambiguous
			var err error
			n, err = strconv.ParseInt(v.Value, 10, 64)
			ok = err == nil
		default:
			ok = false
		}
	}
	if !ok {
		p.ps.add(v.Line, v.Column, "%s must be a whole number from %d to %d, not %s", what, lo, hi, describe(v))
		return 0, false
	}
	if n < int64(lo) || n > int64(hi) {
		p.ps.add(v.Line, v.Column, "%s must be from %d to %d, got %d", what, lo, hi, n)
		return 0, false
	}
	return int(n), true
}

func (p *parser) name(v *yaml.Node) {
	s, ok := p.str(v, "name", "`name: tasks`")
	if !ok {
		return
	}
	n := SanitizeName(s)
	if err := checkName(n); err != nil {
		p.ps.add(v.Line, v.Column, "name %q cannot be used as an app name: %v", s, err)
		return
	}
	p.c.Name, p.c.NameSource = n, "file"
}

func (p *parser) runtime(v *yaml.Node) {
	s, ok := p.str(v, "runtime", "`runtime: python:3.11`")
	if !ok {
		return
	}
	rt, err := ParseRuntime(s)
	if err != nil {
		p.ps.add(v.Line, v.Column, "%v", err)
		return
	}
	p.c.Runtime = &rt
}

// ParseRuntime parses `<language>:<version>`.
func ParseRuntime(s string) (Runtime, error) {
	lang, version, found := strings.Cut(strings.TrimSpace(s), ":")
	l, ok := languages[lang]
	if !ok {
		return Runtime{}, fmt.Errorf("unsupported runtime language %q%s (supported: %s)", lang, didYouMean(lang, Languages()), strings.Join(Languages(), ", "))
	}
	if !found || version == "" {
		return Runtime{}, fmt.Errorf("runtime %q needs a version, as in `%s:%s`", s, lang, l.DefaultVersion)
	}
	if !ValidVersion(version) {
		return Runtime{}, fmt.Errorf("malformed runtime version %q: %s", version, versionRule(lang, l.DefaultVersion))
	}
	return Runtime{Language: lang, Version: version}, nil
}

func versionRule(name, example string) string {
	return fmt.Sprintf("a version is an image tag of letters, digits, '.', '_' and '-' (not \"latest\"), as in `%s:%s`", name, example)
}

func (p *parser) entrypoint(v *yaml.Node) {
	if argv, ok := p.command(v, "entrypoint", "the command that starts the app, such as [python, app.py]"); ok {
		p.c.Entrypoint = argv
	}
}

// command reads an exec-form command (entrypoint, release): a list of
// strings, or a string split by shell word rules. what says what it is
// for, in the message of an empty one.
func (p *parser) command(v *yaml.Node, key, what string) ([]string, bool) {
	var argv []string
	switch {
	case v.Kind == yaml.SequenceNode:
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				p.ps.add(item.Line, item.Column, "%s items must be strings, not %s", key, describe(item))
				return nil, false
			}
			argv = append(argv, item.Value)
		}
	case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
		words, err := shellquote.Split(v.Value)
		if err != nil {
			p.ps.add(v.Line, v.Column, "%s %q cannot be split into words: %v; write it as a list such as [python, app.py]", key, v.Value, err)
			return nil, false
		}
		argv = words
	default:
		p.ps.add(v.Line, v.Column, "%s must be a list such as [python, app.py] or a command string, not %s", key, describe(v))
		return nil, false
	}
	if len(argv) == 0 || strings.TrimSpace(argv[0]) == "" {
		p.ps.add(v.Line, v.Column, "%s is empty; give %s", key, what)
		return nil, false
	}
	return argv, true
}

func (p *parser) healthcheck(v *yaml.Node) {
	s, ok := p.str(v, "healthcheck", "`healthcheck: /health`")
	if !ok {
		return
	}
	if !strings.HasPrefix(s, "/") || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 || len(s) > 256 {
		p.ps.add(v.Line, v.Column, "healthcheck must be an HTTP path starting with '/' and without spaces, such as /health; got %q", s)
		return
	}
	p.c.Healthcheck = s
}

// domain is the host name of the app's Ingress: a DNS name of lower-case
// letters, digits, '-' and '.', such as app.example.test (no wildcard, no
// port, no scheme).
func (p *parser) domain(v *yaml.Node) {
	s, ok := p.str(v, "domain", "`domain: app.example.test`")
	if !ok {
		return
	}
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 || net.ParseIP(s) != nil {
		p.ps.add(v.Line, v.Column, "domain must be a host name such as app.example.test (lower-case letters, digits, '-' and '.'; no scheme, port or path), got %q", s)
		return
	}
	p.c.Domain = s
}

// ingressClass names an IngressClass of the cluster.
func (p *parser) ingressClass(v *yaml.Node) {
	s, ok := p.str(v, "ingressClass", "`ingressClass: nginx`")
	if !ok {
		return
	}
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		p.ps.add(v.Line, v.Column, "ingressClass must be the name of an IngressClass such as nginx (lower-case letters, digits, '-' and '.'), got %q", s)
		return
	}
	p.c.IngressClass = s
}

func (p *parser) mapping(v *yaml.Node, what, example string) bool {
	if v.Kind != yaml.MappingNode {
		p.ps.add(v.Line, v.Column, "%s must be a mapping such as %s, not %s", what, example, describe(v))
		return false
	}
	return true
}

func (p *parser) autoscale(v *yaml.Node) {
	const example = "`autoscale: {min: 1, max: 5, cpu: 80}`"
	if !p.mapping(v, "autoscale", example) {
		return
	}
	a := &Autoscale{Min: 1, CPU: 80}
	var maxNode *yaml.Node
	ok := true
	keys := []string{"min", "max", "cpu"}
	p.pairs(v, "autoscale", func(key string, k, val *yaml.Node) {
		var good bool
		switch key {
		case "min":
			a.Min, good = p.intIn(val, "autoscale.min", 1, 100)
		case "max":
			a.Max, good = p.intIn(val, "autoscale.max", 1, 100)
			maxNode = val
		case "cpu":
			a.CPU, good = p.intIn(val, "autoscale.cpu (target CPU use in percent)", 1, 100)
		default:
			p.ps.add(k.Line, k.Column, "unknown key %q in autoscale%s (known: min, max, cpu)", key, didYouMean(key, keys))
		}
		ok = ok && good
	})
	if !ok {
		return
	}
	if maxNode == nil {
		p.ps.add(v.Line, v.Column, "autoscale needs max, the most replicas to run, as in %s", example)
		return
	}
	if a.Max < a.Min {
		p.ps.add(maxNode.Line, maxNode.Column, "autoscale.max (%d) is less than autoscale.min (%d)", a.Max, a.Min)
		return
	}
	p.c.Autoscale = a
}

func (p *parser) resources(v *yaml.Node) {
	if !p.mapping(v, "resources", "`resources: {cpu: 250m, memory: 256Mi}`") {
		return
	}
	p.pairs(v, "resources", func(key string, k, val *yaml.Node) {
		switch key {
		case "cpu", "memory":
		default:
			p.ps.add(k.Line, k.Column, "unknown key %q in resources%s (known: cpu, memory)", key, didYouMean(key, []string{"cpu", "memory"}))
			return
		}
		example := map[string]string{"cpu": "250m or 0.5", "memory": "256Mi or 1Gi"}[key]
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
			p.ps.add(val.Line, val.Column, "resources.%s must be a quantity such as %s, not %s", key, example, describe(val))
			return
		}
		q, err := resource.ParseQuantity(val.Value)
		if err != nil || q.Sign() <= 0 {
			hint := ""
			if key == "memory" && strings.HasSuffix(strings.ToUpper(val.Value), "B") {
				hint = fmt.Sprintf("; did you mean %si?", strings.TrimSuffix(strings.TrimSuffix(val.Value, "B"), "b"))
			}
			p.ps.add(val.Line, val.Column, "resources.%s %q is not a positive Kubernetes quantity such as %s%s", key, val.Value, example, hint)
			return
		}
		if key == "cpu" {
			p.c.Resources.CPU = val.Value
		} else {
			p.c.Resources.Memory = val.Value
		}
	})
}

func (p *parser) services(v *yaml.Node) {
	seen := map[string]int{}
	add := func(nameNode *yaml.Node, name string, verNode *yaml.Node, version string) {
		spec, ok := LookupService(name)
		if !ok {
			p.ps.add(nameNode.Line, nameNode.Column, "unknown service %q%s (available: %s)", name, didYouMean(name, serviceSpellings()), strings.Join(ServiceNames(), ", "))
			return
		}
		if first, dup := seen[spec.Name]; dup {
			p.ps.add(nameNode.Line, nameNode.Column, "duplicate service %s (first at line %d); list each service once", spec.Name, first)
			return
		}
		seen[spec.Name] = nameNode.Line
		if version == "" {
			version = spec.DefaultVersion
		} else if !ValidVersion(version) {
			p.ps.add(verNode.Line, verNode.Column, "malformed %s version %q: %s", spec.Name, version, versionRule(spec.Name, spec.DefaultVersion))
			return
		}
		p.c.Services = append(p.c.Services, Service{Name: spec.Name, Version: version, Line: nameNode.Line, Col: nameNode.Column})
	}
	version := func(n *yaml.Node, name string) (string, bool) {
		switch {
		case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
			return "", true
		case n.Kind == yaml.ScalarNode && n.Tag != "!!bool":
			return n.Value, true
		}
		p.ps.add(n.Line, n.Column, "the version of %s must be a plain value such as 7.0, not %s", name, describe(n))
		return "", false
	}
	switch v.Kind {
	case yaml.SequenceNode:
		for _, item := range v.Content {
			switch {
			case item.Kind == yaml.ScalarNode && item.Tag != "!!null":
				name, ver, _ := strings.Cut(item.Value, ":")
				add(item, strings.TrimSpace(name), item, strings.TrimSpace(ver))
			case item.Kind == yaml.MappingNode && len(item.Content) == 2:
				k, val := item.Content[0], item.Content[1]
				if ver, ok := version(val, k.Value); ok {
					add(k, k.Value, val, ver)
				}
			case item.Kind == yaml.MappingNode:
				p.ps.add(item.Line, item.Column, "each service is one `name: version` pair; put each on its own `- ` line")
			default:
				p.ps.add(item.Line, item.Column, "a service must be a name such as redis or a pair such as `mongodb: 6.0.2`, not %s", describe(item))
			}
		}
	case yaml.MappingNode:
		p.pairs(v, "services", func(key string, k, val *yaml.Node) {
			if ver, ok := version(val, key); ok {
				add(k, key, val, ver)
			}
		})
	default:
		if v.Tag == "!!null" {
			return
		}
		p.ps.add(v.Line, v.Column, "services must be a list such as [redis, {mongodb: 6.0.2}], not %s", describe(v))
	}
}

func (p *parser) env(v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if !p.mapping(v, "env", "`env: {LOG_LEVEL: info}`") {
		return
	}
	p.envNodes = map[string]*yaml.Node{}
	p.pairs(v, "env", func(key string, k, val *yaml.Node) {
		if !ValidEnvKey(key) {
			p.ps.add(k.Line, k.Column, "env key %q is not a valid variable name: use letters, digits and '_', not starting with a digit", key)
			return
		}
		if val.Kind != yaml.ScalarNode {
			p.ps.add(val.Line, val.Column, "env value of %s must be a plain value, not %s; quote it to make it a string", key, describe(val))
			return
		}
		value := val.Value
		if val.Tag == "!!null" {
			value = ""
		}
		if strings.IndexByte(value, 0) >= 0 {
			p.ps.add(val.Line, val.Column, "env value of %s contains a NUL byte (\\0), which no environment variable can hold", key)
			return
		}
		if err := CheckEnvSize(key, value); err != nil {
			p.ps.add(val.Line, val.Column, "env value of %v", err)
			return
		}
		p.envNodes[key] = k
		p.c.Env = append(p.c.Env, EnvVar{Key: key, Value: value})
	})
}

func (p *parser) dockerfile(v *yaml.Node) {
	s, ok := p.str(v, "dockerfile", "`dockerfile: Dockerfile`")
	if !ok {
		return
	}
	clean := path.Clean(strings.ReplaceAll(s, "\\", "/"))
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || clean == "." {
		p.ps.add(v.Line, v.Column, "dockerfile %q must be a file inside the app directory, such as Dockerfile", s)
		return
	}
	if buildctx.Forced(clean) {
		p.ps.add(v.Line, v.Column, "dockerfile %q is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as `dockerfile: Dockerfile`", s)
		return
	}
	p.c.Dockerfile = clean
}

// crossChecks applies the rules that involve several keys, and defaults.
func (p *parser) crossChecks(root *yaml.Node) {
	c := p.c
	at := func(key string) (int, int) {
		if n := p.nodes[key]; n != nil {
			return n.Line, n.Column
		}
		return root.Line, root.Column
	}
	if c.Runtime == nil && c.Dockerfile == "" && p.nodes["runtime"] == nil && p.nodes["dockerfile"] == nil {
		l, col := at("runtime")
		p.ps.add(l, col, "runtime is required, as in `runtime: python:3.11` (languages: %s), unless `dockerfile:` names your own Dockerfile", strings.Join(Languages(), ", "))
	}
	if c.Dockerfile != "" && c.Entrypoint != nil {
		l, col := at("entrypoint")
		p.ps.add(l, col, "entrypoint has no effect with dockerfile: set ENTRYPOINT or CMD in %s instead", c.Dockerfile)
	}
	if c.Runtime != nil && c.Dockerfile == "" && c.Entrypoint == nil && p.nodes["entrypoint"] == nil {
		if l := languages[c.Runtime.Language]; !l.EntrypointOptional {
			line, col := at("runtime")
			p.ps.add(line, col, "entrypoint is required for %s: add `entrypoint: [python, app.py]` (the command that starts your app)", l.Name)
		}
	}
	if c.Port == 0 && p.nodes["port"] == nil {
		if c.Runtime != nil {
			c.Port = languages[c.Runtime.Language].DefaultPort
		} else if c.Dockerfile != "" {
			l, col := at("dockerfile")
			p.ps.add(l, col, "port is required with dockerfile and no runtime: add `port: 8080` (the port your image listens on)")
		}
	}
	if p.nodes["ingressClass"] != nil && p.nodes["domain"] == nil {
		l, col := at("ingressClass")
		p.ps.add(l, col, "ingressClass goes with domain: add `domain: app.example.test` (the host name of the app's Ingress), or remove ingressClass")
	}
	if c.Autoscale != nil && p.nodes["replicas"] != nil {
		l, col := at("replicas")
		p.ps.add(l, col, "replicas and autoscale are both set: autoscale decides the number of replicas; remove replicas")
	}
	if c.Autoscale != nil && c.Resources.CPU == "" {
		// An HPA on CPU needs a CPU request to compute utilisation.
		c.Resources.CPU = "100m"
	}
	if a, b := c.service("postgresql"), c.service("mysql"); a != nil && b != nil {
		p.ps.add(b.Line, b.Col, "postgresql (line %d) and mysql both set DATABASE_URL; an app can have one SQL database", a.Line)
	}
	injected := c.InjectedEnv()
	for _, e := range c.Env {
		src, ok := injected[e.Key]
		if !ok {
			continue
		}
		k := p.envNodes[e.Key]
		if src == "port" {
			p.ps.add(k.Line, k.Column, "PORT cannot be set in env: cupaas sets it from `port:`; set `port: %s` instead", portHint(e.Value))
		} else {
			p.ps.add(k.Line, k.Column, "%s cannot be set in env: cupaas sets it for the %s service", e.Key, src)
		}
	}
}

func portHint(v string) string {
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65536 {
		return v
	}
	return "8080"
}
