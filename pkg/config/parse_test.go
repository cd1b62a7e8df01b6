package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, src string) (*Config, error) {
	t.Helper()
	return Parse(".cupaas.yml", []byte(src))
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := parse(t, src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *config.Error, got %T %v", err, err)
	}
	var out []string
	for _, p := range e.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestParseFullExample(t *testing.T) {
	c := mustParse(t, `name: tasks
runtime: python:3.8.6
entrypoint: [python, app.py]
port: 5000
healthcheck: /health
autoscale: {min: 1, max: 5, cpu: 80}
resources: {cpu: 250m, memory: 256Mi}
services:
  - mongodb: 6.0.2
  - redis
env:
  LOG_LEVEL: info
  DEBUG: false
  RETRIES: 3
  EMPTY:
`)
	want := &Config{
		File: ".cupaas.yml", Name: "tasks", NameSource: "file",
		Runtime:     &Runtime{Language: "python", Version: "3.8.6"},
		Entrypoint:  []string{"python", "app.py"},
		Port:        5000,
		Healthcheck: "/health",
		Replicas:    1,
		Autoscale:   &Autoscale{Min: 1, Max: 5, CPU: 80},
		Resources:   Resources{CPU: "250m", Memory: "256Mi"},
		Services: []Service{
			{Name: "mongodb", Version: "6.0.2", Line: 9, Col: 5},
			{Name: "redis", Version: "7", Line: 10, Col: 5},
		},
		Env: []EnvVar{{"LOG_LEVEL", "info"}, {"DEBUG", "false"}, {"RETRIES", "3"}, {"EMPTY", ""}},
	}
	c.pos = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		src  string
		port int
	}{
		{"runtime: python:3.11\nentrypoint: python app.py\n", 5000},
		{"runtime: node:20\n", 3000},
		{"runtime: go:1.22\n", 8080},
		{"runtime: go:1.22\nport: 9000\n", 9000},
		{"dockerfile: Dockerfile\nport: 7000\n", 7000},
	} {
		c := mustParse(t, tc.src)
		if c.Port != tc.port || c.Replicas != 1 {
			t.Errorf("%q: port %d replicas %d, want port %d replicas 1", tc.src, c.Port, c.Replicas, tc.port)
		}
	}
}

func TestEntrypointString(t *testing.T) {
	c := mustParse(t, `runtime: python:3.11
entrypoint: gunicorn -b "0.0.0.0:8000" 'app:create_app()' --log-level=$LEVEL
`)
	want := []string{"gunicorn", "-b", "0.0.0.0:8000", "app:create_app()", "--log-level=$LEVEL"}
	if !reflect.DeepEqual(c.Entrypoint, want) {
		t.Errorf("entrypoint = %q, want %q", c.Entrypoint, want)
	}
}

func TestServiceForms(t *testing.T) {
	for _, src := range []string{
		"services:\n  - mongodb: 7.10\n  - postgres\n  - redis: 7\n",
		"services: {mongodb: 7.10, postgres: ~, redis: 7}\n",
		"services:\n  mongodb: 7.10\n  postgresql:\n  redis: \"7\"\n",
		"services: [mongodb:7.10, postgresql, {redis: 7}]\n",
	} {
		c := mustParse(t, "runtime: go:1.22\n"+src)
		var got []string
		for _, s := range c.Services {
			got = append(got, s.Name+"="+s.Version)
		}
		want := []string{"mongodb=7.10", "postgresql=15", "redis=7"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: services %v, want %v", src, got, want)
		}
	}
}

func TestVersionLiteralsKept(t *testing.T) {
	for _, v := range []string{"7.10", "7.0", "3.10", "1.20", "6.0.2", "10", "8.0-alpine", "1e3", "0x10", "007"} {
		c := mustParse(t, "runtime: python:"+v+"\nentrypoint: [python, app.py]\nservices:\n  - mysql: "+v+"\n")
		if c.Runtime.Version != v || c.Services[0].Version != v {
			t.Errorf("version %q read as runtime %q, service %q", v, c.Runtime.Version, c.Services[0].Version)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"My_App.v2":                "my-app-v2",
		"tasks":                    "tasks",
		"--Hello--World--":         "hello-world",
		"2048":                     "app-2048",
		"ünïcode app":              "n-code-app",
		"!!!":                      "",
		"":                         "",
		strings.Repeat("a", 80):    strings.Repeat("a", 63),
		strings.Repeat("ab-", 30):  strings.TrimSuffix(strings.Repeat("ab-", 21), "-"),
		"UPPER CASE  and   spaces": "upper-case-and-spaces",
	} {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameSanitisedFromFile(t *testing.T) {
	c := mustParse(t, "name: My_App.v2\nruntime: go:1.22\n")
	if c.Name != "my-app-v2" {
		t.Errorf("name = %q", c.Name)
	}
}

// TestProblems covers every validation rule with its exact message and
// position.
func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"unknown key with suggestion", "runtime: go:1.22\nentrypiont: [x]\n", []string{
			`.cupaas.yml:2:1: unknown key "entrypiont"; did you mean entrypoint? (known keys: name, runtime, entrypoint, port, healthcheck, replicas, autoscale, resources, services, env, dockerfile, domain, ingressClass, release, history)`,
		}},
		{"unknown key without suggestion", "runtime: go:1.22\nfoo: 1\n", []string{
			`.cupaas.yml:2:1: unknown key "foo" (known keys: name, runtime, entrypoint, port, healthcheck, replicas, autoscale, resources, services, env, dockerfile, domain, ingressClass, release, history)`,
		}},
		{"unsupported language", "runtime: pyhton:3.11\n", []string{
			`.cupaas.yml:1:10: unsupported runtime language "pyhton"; did you mean python? (supported: go, node, python)`,
		}},
		{"unsupported language no suggestion", "runtime: ruby:3.2\n", []string{
			`.cupaas.yml:1:10: unsupported runtime language "ruby" (supported: go, node, python)`,
		}},
		{"runtime without version", "runtime: python\nentrypoint: [python, app.py]\n", []string{
			`.cupaas.yml:1:10: runtime "python" needs a version, as in ` + "`python:3.11`",
		}},
		{"malformed version colon", "runtime: python:3:1\nentrypoint: [python, app.py]\n", []string{
			`.cupaas.yml:1:10: malformed runtime version "3:1": a version is an image tag of letters, digits, '.', '_' and '-' (not "latest"), as in ` + "`python:3.11`",
		}},
		{"malformed version injection", "runtime: \"python:3.11; rm -rf /\"\nentrypoint: [python, app.py]\n", []string{
			`.cupaas.yml:1:10: malformed runtime version "3.11; rm -rf /": a version is an image tag of letters, digits, '.', '_' and '-' (not "latest"), as in ` + "`python:3.11`",
		}},
		{"latest refused", "runtime: node:latest\n", []string{
			`.cupaas.yml:1:10: malformed runtime version "latest": a version is an image tag of letters, digits, '.', '_' and '-' (not "latest"), as in ` + "`node:20`",
		}},
		{"runtime not a string", "runtime: [python]\n", []string{
			".cupaas.yml:1:10: runtime must be a string such as `runtime: python:3.11`, not a list",
		}},
		{"empty entrypoint list", "runtime: python:3.11\nentrypoint: []\n", []string{
			".cupaas.yml:2:13: entrypoint is empty; give the command that starts the app, such as [python, app.py]",
		}},
		{"empty entrypoint string", "runtime: python:3.11\nentrypoint: \"  \"\n", []string{
			".cupaas.yml:2:13: entrypoint is empty; give the command that starts the app, such as [python, app.py]",
		}},
		{"null entrypoint", "runtime: python:3.11\nentrypoint:\n", []string{
			".cupaas.yml:2:12: entrypoint must be a list such as [python, app.py] or a command string, not an empty value",
		}},
		{"unterminated quote", "runtime: python:3.11\nentrypoint: python 'app.py\n", []string{
			`.cupaas.yml:2:13: entrypoint "python 'app.py" cannot be split into words: Unterminated single-quoted string; write it as a list such as [python, app.py]`,
		}},
		{"entrypoint item not string", "runtime: python:3.11\nentrypoint: [python, [a]]\n", []string{
			".cupaas.yml:2:22: entrypoint items must be strings, not a list",
		}},
		{"python needs entrypoint", "runtime: python:3.11\n", []string{
			".cupaas.yml:1:1: entrypoint is required for python: add `entrypoint: [python, app.py]` (the command that starts your app)",
		}},
		{"runtime required", "port: 80\n", []string{
			".cupaas.yml:1:1: runtime is required, as in `runtime: python:3.11` (languages: go, node, python), unless `dockerfile:` names your own Dockerfile",
		}},
		{"duplicate service", "runtime: go:1.22\nservices:\n  - redis\n  - postgres: 15\n  - postgresql\n", []string{
			".cupaas.yml:5:5: duplicate service postgresql (first at line 4); list each service once",
		}},
		{"unknown service", "runtime: go:1.22\nservices: [mongo, cassandra]\n", []string{
			`.cupaas.yml:2:12: unknown service "mongo"; did you mean mongodb? (available: mongodb, mysql, postgresql, redis)`,
			`.cupaas.yml:2:19: unknown service "cassandra" (available: mongodb, mysql, postgresql, redis)`,
		}},
		{"misspelt service", "runtime: go:1.22\nservices: [reddis, postgress]\n", []string{
			`.cupaas.yml:2:12: unknown service "reddis"; did you mean redis? (available: mongodb, mysql, postgresql, redis)`,
			`.cupaas.yml:2:20: unknown service "postgress"; did you mean postgres? (available: mongodb, mysql, postgresql, redis)`,
		}},
		{"bad service version", "runtime: go:1.22\nservices:\n  - redis: 7;rm\n", []string{
			`.cupaas.yml:3:12: malformed redis version "7;rm": a version is an image tag of letters, digits, '.', '_' and '-' (not "latest"), as in ` + "`redis:7`",
		}},
		{"service with two keys", "runtime: go:1.22\nservices:\n  - {redis: 7, mysql: 8}\n", []string{
			".cupaas.yml:3:5: each service is one `name: version` pair; put each on its own `- ` line",
		}},
		{"services not a list", "runtime: go:1.22\nservices: redis\n", []string{
			`.cupaas.yml:2:11: services must be a list such as [redis, {mongodb: 6.0.2}], not a string ("redis")`,
		}},
		{"port too big", "runtime: go:1.22\nport: 70000\n", []string{
			".cupaas.yml:2:7: port must be from 1 to 65535, got 70000",
		}},
		{"port zero", "runtime: go:1.22\nport: 0\n", []string{
			".cupaas.yml:2:7: port must be from 1 to 65535, got 0",
		}},
		{"port negative", "runtime: go:1.22\nport: -1\n", []string{
			".cupaas.yml:2:7: port must be from 1 to 65535, got -1",
		}},
		{"port float", "runtime: go:1.22\nport: 80.5\n", []string{
			".cupaas.yml:2:7: port must be a whole number from 1 to 65535, not a number (80.5)",
		}},
		{"port string", "runtime: go:1.22\nport: http\n", []string{
			`.cupaas.yml:2:7: port must be a whole number from 1 to 65535, not a string ("http")`,
		}},
		{"port huge", "runtime: go:1.22\nport: 99999999999999999999999\n", []string{
			`.cupaas.yml:2:7: port must be a whole number from 1 to 65535, not a number (99999999999999999999999)`,
		}},
		{"env key invalid", "runtime: go:1.22\nenv:\n  1BAD: x\n  my-key: y\n", []string{
			`.cupaas.yml:3:3: env key "1BAD" is not a valid variable name: use letters, digits and '_', not starting with a digit`,
			`.cupaas.yml:4:3: env key "my-key" is not a valid variable name: use letters, digits and '_', not starting with a digit`,
		}},
		{"PORT in env", "runtime: go:1.22\nenv:\n  PORT: 9000\n", []string{
			".cupaas.yml:3:3: PORT cannot be set in env: cupaas sets it from `port:`; set `port: 9000` instead",
		}},
		{"injected name in env", "runtime: go:1.22\nservices: [redis]\nenv:\n  REDIS_URL: redis://localhost\n", []string{
			".cupaas.yml:4:3: REDIS_URL cannot be set in env: cupaas sets it for the redis service",
		}},
		{"env value a list", "runtime: go:1.22\nenv:\n  A: [1, 2]\n", []string{
			".cupaas.yml:3:6: env value of A must be a plain value, not a list; quote it to make it a string",
		}},
		{"duplicate env key", "runtime: go:1.22\nenv:\n  A: 1\n  A: 2\n", []string{
			`.cupaas.yml:4:3: duplicate key "A" (first at line 3)`,
		}},
		{"duplicate top key", "runtime: go:1.22\nport: 1\nport: 2\n", []string{
			`.cupaas.yml:3:1: duplicate key "port" (first at line 2)`,
		}},
		{"name unusable", "name: \"!!!\"\nruntime: go:1.22\n", []string{
			`.cupaas.yml:1:7: name "!!!" cannot be used as an app name: is empty after keeping only letters, digits and '-'`,
		}},
		{"name reserved", "name: kube-system\nruntime: go:1.22\n", []string{
			`.cupaas.yml:1:7: name "kube-system" cannot be used as an app name: "kube-system" is reserved by Kubernetes (the app's namespace carries its name); choose another name`,
		}},
		{"name too long", "name: " + strings.Repeat("x", 41) + "\nruntime: go:1.22\n", []string{
			`.cupaas.yml:1:7: name "` + strings.Repeat("x", 41) + `" cannot be used as an app name: "` + strings.Repeat("x", 41) + `" is 41 characters; cupaas allows at most 40 so that derived names such as ` + strings.Repeat("x", 41) + `-postgresql-0 fit Kubernetes' limits`,
		}},
		{"healthcheck not a path", "runtime: go:1.22\nhealthcheck: health\n", []string{
			`.cupaas.yml:2:14: healthcheck must be an HTTP path starting with '/' and without spaces, such as /health; got "health"`,
		}},
		{"domain with a scheme", "runtime: go:1.22\ndomain: http://App.example.test\n", []string{
			`.cupaas.yml:2:9: domain must be a host name such as app.example.test (lower-case letters, digits, '-' and '.'; no scheme, port or path), got "http://App.example.test"`,
		}},
		{"ingressClass without domain", "runtime: go:1.22\ningressClass: nginx\n", []string{
			".cupaas.yml:2:1: ingressClass goes with domain: add `domain: app.example.test` (the host name of the app's Ingress), or remove ingressClass",
		}},
		{"ingressClass not a name", "runtime: go:1.22\ndomain: a.test\ningressClass: Nginx Plus\n", []string{
			`.cupaas.yml:3:15: ingressClass must be the name of an IngressClass such as nginx (lower-case letters, digits, '-' and '.'), got "Nginx Plus"`,
		}},
		{"replicas out of range", "runtime: go:1.22\nreplicas: 0\n", []string{
			".cupaas.yml:2:11: replicas must be from 1 to 100, got 0",
		}},
		{"replicas with autoscale", "runtime: go:1.22\nreplicas: 2\nautoscale: {max: 3}\n", []string{
			".cupaas.yml:2:1: replicas and autoscale are both set: autoscale decides the number of replicas; remove replicas",
		}},
		{"autoscale max below min", "runtime: go:1.22\nautoscale: {min: 4, max: 2}\n", []string{
			".cupaas.yml:2:26: autoscale.max (2) is less than autoscale.min (4)",
		}},
		{"autoscale without max", "runtime: go:1.22\nautoscale: {min: 2}\n", []string{
			".cupaas.yml:2:12: autoscale needs max, the most replicas to run, as in `autoscale: {min: 1, max: 5, cpu: 80}`",
		}},
		{"autoscale unknown key", "runtime: go:1.22\nautoscale: {max: 2, mx: 3}\n", []string{
			`.cupaas.yml:2:21: unknown key "mx" in autoscale; did you mean max? (known: min, max, cpu)`,
		}},
		{"resources bad memory", "runtime: go:1.22\nresources: {memory: 256MB}\n", []string{
			`.cupaas.yml:2:21: resources.memory "256MB" is not a positive Kubernetes quantity such as 256Mi or 1Gi; did you mean 256Mi?`,
		}},
		{"resources bad cpu", "runtime: go:1.22\nresources: {cpu: -1}\n", []string{
			`.cupaas.yml:2:18: resources.cpu "-1" is not a positive Kubernetes quantity such as 250m or 0.5`,
		}},
		{"resources unknown key", "runtime: go:1.22\nresources: {memroy: 1Gi}\n", []string{
			`.cupaas.yml:2:13: unknown key "memroy" in resources; did you mean memory? (known: cpu, memory)`,
		}},
		{"dockerfile outside", "dockerfile: ../Dockerfile\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile "../Dockerfile" must be a file inside the app directory, such as Dockerfile`,
		}},
		// cupaas' own files never reach docker: as the Dockerfile, a
		// secret would be sent, and docker's parse error would print it.
		{"dockerfile a secret", "dockerfile: .cupaas.env\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile ".cupaas.env" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile a nested app's secret", "dockerfile: ./svc/.cupaas.env\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile "./svc/.cupaas.env" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile in .cupaas", "dockerfile: .cupaas/credentials.json\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile ".cupaas/credentials.json" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile in .git", "dockerfile: .git/config\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile ".git/config" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile a leftover temporary file", "dockerfile: ..cupaas.env.tmp-12\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile "..cupaas.env.tmp-12" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile the config", "dockerfile: .cupaas.yml\nport: 80\n", []string{
			`.cupaas.yml:1:13: dockerfile ".cupaas.yml" is one of cupaas' own files or git's data, which never reach docker; name your Dockerfile, such as ` + "`dockerfile: Dockerfile`",
		}},
		{"dockerfile without port", "dockerfile: Dockerfile\n", []string{
			".cupaas.yml:1:1: port is required with dockerfile and no runtime: add `port: 8080` (the port your image listens on)",
		}},
		{"dockerfile with entrypoint", "dockerfile: Dockerfile\nport: 80\nentrypoint: [x]\n", []string{
			".cupaas.yml:3:1: entrypoint has no effect with dockerfile: set ENTRYPOINT or CMD in Dockerfile instead",
		}},
		{"two sql databases", "runtime: go:1.22\nservices: [postgresql, mysql]\n", []string{
			".cupaas.yml:2:24: postgresql (line 2) and mysql both set DATABASE_URL; an app can have one SQL database",
		}},
		{"several problems at once", "runtime: pyton:3\nport: x\nservices: [redis, redis]\n", []string{
			`.cupaas.yml:1:10: unsupported runtime language "pyton"; did you mean python? (supported: go, node, python)`,
			`.cupaas.yml:2:7: port must be a whole number from 1 to 65535, not a string ("x")`,
			`.cupaas.yml:3:19: duplicate service redis (first at line 3); list each service once`,
		}},
		// Whole-file problems.
		{"empty file", "", []string{
			".cupaas.yml: is empty; describe the app in it, for example `runtime: python:3.11` (`cupaas init` writes one for you)",
		}},
		{"only comments", "# nothing\n\n", []string{
			".cupaas.yml: is empty; describe the app in it, for example `runtime: python:3.11` (`cupaas init` writes one for you)",
		}},
		{"bare scalar", "python\n", []string{
			`.cupaas.yml:1:1: must be a mapping of settings such as ` + "`runtime: python:3.11`" + `, not a string ("python")`,
		}},
		{"a list", "- runtime: go:1.22\n", []string{
			".cupaas.yml:1:1: must be a mapping of settings such as `runtime: python:3.11`, not a list",
		}},
		{"tabs", "runtime: go:1.22\nenv:\n\tA: b\n", []string{
			".cupaas.yml:3:1: tab character in indentation; YAML indents with spaces only",
		}},
		{"syntax error", "runtime: go:1.22\nport: [80\n", []string{
			".cupaas.yml:2: invalid YAML: did not find expected ',' or ']'",
		}},
		{"two documents", "runtime: go:1.22\n---\nport: 80\n", []string{
			".cupaas.yml:2:1: has more than one YAML document (a `---` separator); keep only one",
		}},
		{"alias", "runtime: &r go:1.22\nname: *r\n", []string{
			".cupaas.yml:2:7: YAML aliases (*r) are not supported in .cupaas.yml; write the value out",
		}},
		{"not utf8", "runtime: go:1.22\nname: \xff\xfe\n", []string{
			".cupaas.yml:2:7: is not valid UTF-8 text; save the file as UTF-8",
		}},
		{"nul byte", "runtime: go:1.22\x00\n", []string{
			".cupaas.yml:1:1: contains a NUL byte: is this a text file?",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.src)
			got := problemsOf(t, err)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

func TestAliasBombIsQuick(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt := n + ": &" + n + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
		b.WriteString(fmt)
		prev = n
	}
	start := time.Now()
	_, err := parse(t, b.String())
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("alias bomb took %v", took)
	}
	got := problemsOf(t, err)
	if len(got) != 1 || !strings.Contains(got[0], "YAML aliases (*a) are not supported") {
		t.Fatalf("problems = %q", got)
	}
}

func TestHugeFileRefused(t *testing.T) {
	data := []byte("runtime: go:1.22\nenv:\n" + strings.Repeat("  K: "+strings.Repeat("v", 100)+"\n", 30000))
	_, err := Parse(".cupaas.yml", data)
	got := problemsOf(t, err)
	want := []string{".cupaas.yml: is 3.0 MiB; a .cupaas.yml is a few hundred bytes and the limit is 1 MiB: is this the right file?"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	src := "runtime: go:1.22\nenv: " + strings.Repeat("[", 20000) + "\n"
	_, err := parse(t, src)
	if got := problemsOf(t, err); len(got) != 1 || !strings.Contains(got[0], "invalid YAML") {
		t.Fatalf("got %q", got)
	}
}

func TestSnippet(t *testing.T) {
	_, err := parse(t, "runtime: go:1.22\nport: 70000\n")
	var e *Error
	errors.As(err, &e)
	want := "   2 | port: 70000\n             ^"
	if got := e.Snippet(e.Problems[0]); got != want {
		t.Errorf("snippet:\n%s\nwant:\n%s", got, want)
	}
}

func TestSuggest(t *testing.T) {
	for word, want := range map[string]string{
		"entrypiont": "entrypoint", "servces": "services", "Runtime": "runtime", "prot": "port",
		"healthchek": "healthcheck", "zzz": "", "dockerFile": "dockerfile",
	} {
		if got := suggest(word, topKeys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}
