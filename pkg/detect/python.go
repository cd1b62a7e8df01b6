package detect

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/kballard/go-shellquote"
)

// pythonMarkers are the files that make a directory a python project, in
// the order they are named in messages.
var pythonMarkers = []string{"requirements.txt", "pyproject.toml", "Pipfile", "setup.py"}

// pythonServices maps normalised python package names to services.
var pythonServices = map[string]string{
	"pymongo":                "mongodb",
	"motor":                  "mongodb",
	"mongoengine":            "mongodb",
	"redis":                  "redis",
	"psycopg2":               "postgresql",
	"psycopg2-binary":        "postgresql",
	"psycopg":                "postgresql",
	"asyncpg":                "postgresql",
	"mysqlclient":            "mysql",
	"pymysql":                "mysql",
	"mysql-connector-python": "mysql",
}

// versionNumber finds the first concrete version number in a constraint:
// ">=3.10" gives "3.10", "^20.1.0" "20.1.0", "20.x" "20", "python-3.11.4"
// "3.11.4".
var versionNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\d+(?:\.\d+)*`) })

var (
	requiresPython = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*requires-python\s*=\s*["']([^"']*)["']`) })
	poetryPython   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*python\s*=\s*["']([^"']*)["']`) })
	pipfilePython  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*python_(?:full_)?version\s*=\s*["']([^"']*)["']`)
	})
	tomlSection = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$`) })
	tomlKey     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*["']?([A-Za-z0-9._-]+)["']?\s*=`) })
	quoted      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"([^"]*)"|'([^']*)'`) })
	pkgName     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`) })
	gunicornApp = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*):[A-Za-z_][A-Za-z0-9_]*(?:\(.*\))?$`)
	})
)

func detectPython(p project, r *Result) error {
	r.Language = Python
	if err := pythonVersion(p, r); err != nil {
		return err
	}
	if err := pythonDeps(p, r); err != nil {
		return err
	}

	web, err := readProcfile(p, r)
	if err != nil {
		return err
	}
	var entry string
	switch {
	case web != nil:
		applyProcfile(r, web, defaultPythonPort)
		entry = pythonEntryFile(p, web.argv)
	case p.isFile("app.py"):
		setEntrypoint(r, []string{"python", "app.py"}, "found app.py")
		entry = "app.py"
	case p.isFile("main.py"):
		setEntrypoint(r, []string{"python", "main.py"}, "found main.py")
		entry = "main.py"
	case p.isFile("manage.py"):
		// Exec form: nothing would expand $PORT, so the port is fixed.
		setEntrypoint(r, []string{"python", "manage.py", "runserver", "0.0.0.0:8000"}, "found manage.py (Django)")
		r.Port = Finding{Value: "8000", Reason: "Django's runserver on 0.0.0.0:8000 (manage.py)"}
		r.Notes = append(r.Notes, "manage.py runserver is Django's development server; for production set entrypoint: to gunicorn, e.g. [gunicorn, <project>.wsgi, --bind, 0.0.0.0:8000]")
	default:
		r.Notes = append(r.Notes, "no entrypoint found (no Procfile, app.py, main.py or manage.py): set entrypoint: in .cupaas.yml, e.g. entrypoint: [python, app.py]")
	}

	port, health := scanEntry(p, entry)
	if r.Port.Value == "" {
		setPort(r, portOf(port), port.Reason, defaultPythonPort)
	}
	r.Healthcheck = health
	return nil
}

// setEntrypoint sets both forms of the entrypoint.
func setEntrypoint(r *Result, argv []string, reason string) {
	r.EntrypointArgv = argv
	r.Entrypoint = Finding{Value: shellquote.Join(argv...), Reason: reason}
}

// portOf returns the port number of a Finding, 0 when it is empty.
func portOf(f Finding) int {
	n, _ := strconv.Atoi(f.Value)
	return n
}

// pythonEntryFile guesses the file a start command runs: the first `*.py`
// argument, else the module of a `module:app` argument (gunicorn, uvicorn).
func pythonEntryFile(p project, argv []string) string {
	for _, w := range argv[1:] {
		if strings.HasSuffix(w, ".py") {
			return w
		}
	}
	for _, w := range argv[1:] {
		if m := gunicornApp().FindStringSubmatch(w); m != nil {
			f := strings.ReplaceAll(m[1], ".", "/") + ".py"
			if p.isFile(f) {
				return f
			}
		}
	}
	return ""
}

// pythonVersion reads, in order: .python-version, runtime.txt,
// requires-python (or tool.poetry.dependencies.python) in pyproject.toml,
// python_version in Pipfile; else the default.
func pythonVersion(p project, r *Result) error {
	type source struct {
		file   string
		re     *regexp.Regexp // nil: the first non-comment line
		reason string
	}
	sources := []source{
		{".python-version", nil, ".python-version"},
		{"runtime.txt", nil, "runtime.txt"},
		{"pyproject.toml", requiresPython(), "requires-python in pyproject.toml"},
		{"pyproject.toml", poetryPython(), "tool.poetry.dependencies.python in pyproject.toml"},
		{"Pipfile", pipfilePython(), "python_version in Pipfile"},
	}
	for _, s := range sources {
		if !p.exists(s.file) {
			continue
		}
		data, err := p.read(s.file)
		if err != nil {
			return err
		}
		value, line := findSetting(data, s.re)
		if value == "" {
			continue
		}
		v := versionNumber().FindString(value)
		if v == "" {
			r.Notes = append(r.Notes, fmt.Sprintf("%s:%d: no version number in %q; ignored", s.file, line, value))
			continue
		}
		r.Runtime = Finding{Value: Python + ":" + v, Reason: s.reason}
		return nil
	}
	r.Runtime = Finding{Value: Python + ":" + defaultPythonVersion, Reason: "default for python"}
	return nil
}

// findSetting returns the first captured value of re in data and its line;
// with re nil, the first line that is neither blank nor a comment.
func findSetting(data []byte, re *regexp.Regexp) (string, int) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxManifestSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if re == nil {
			if line != "" && !strings.HasPrefix(line, "#") {
				return line, n
			}
			continue
		}
		if m := re.FindStringSubmatch(line); m != nil {
			return m[1], n
		}
	}
	return "", 0
}

// pythonDeps finds services in requirements.txt, pyproject.toml, Pipfile
// and setup.py.
func pythonDeps(p project, r *Result) error {
	readers := []struct {
		file string
		deps func([]byte) []string
	}{
		{"requirements.txt", requirementsDeps},
		{"pyproject.toml", pyprojectDeps},
		{"Pipfile", pipfileDeps},
		{"setup.py", setupPyDeps},
	}
	for _, rd := range readers {
		if !p.exists(rd.file) {
			continue
		}
		data, err := p.read(rd.file)
		if err != nil {
			return err
		}
		for _, d := range rd.deps(data) {
			if svc, ok := pythonServices[normalisePyName(d)]; ok {
				addService(r, svc, fmt.Sprintf("%s in %s", d, rd.file))
			}
		}
	}
	return nil
}

// normalisePyName applies PEP 503 normalisation: lower case, runs of '.',
// '_' and '-' become '-'.
func normalisePyName(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("_", "-", ".", "-").Replace(s)
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// requirementName returns the package name of a requirement specifier such
// as "psycopg2-binary>=2.9; python_version>'3'", or "".
func requirementName(spec string) string {
	m := pkgName().FindStringSubmatch(spec)
	if m == nil {
		return ""
	}
	return m[1]
}

// requirementsDeps lists the packages of a requirements file. Options
// (-r, -e, --index-url) and URLs are skipped.
func requirementsDeps(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") || strings.Contains(line, "://") {
			continue
		}
		if n := requirementName(line); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// pyprojectDeps lists the packages in [project] dependencies,
// [project.optional-dependencies] and the poetry dependency tables
// (tool.poetry.dependencies, tool.poetry.group.<g>.dependencies). It reads
// the TOML line by line, which is enough for how these tables are written.
func pyprojectDeps(data []byte) []string {
	var out []string
	section := ""
	inDeps := false // inside `dependencies = [` of [project]
	depth := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !inDeps {
			if m := tomlSection().FindStringSubmatch(line); m != nil {
				section = m[1]
				continue
			}
		}
		code := stripTOMLComment(line)
		switch {
		case inDeps:
			out = append(out, quotedNames(code)...)
			depth += bracketDepth(code)
			if depth <= 0 {
				inDeps = false
			}
		case section == "project":
			if m := tomlKey().FindStringSubmatch(code); m != nil && m[1] == "dependencies" {
				rest := code[len(m[0]):]
				out = append(out, quotedNames(rest)...)
				depth = bracketDepth(rest)
				inDeps = depth > 0
			}
		case section == "project.optional-dependencies":
			// `extra = ["a", "b"]` or the items of a multi-line array.
			if m := tomlKey().FindStringSubmatch(code); m != nil {
				code = code[len(m[0]):]
			}
			out = append(out, quotedNames(code)...)
		case section == "tool.poetry.dependencies" ||
			(strings.HasPrefix(section, "tool.poetry.group.") && strings.HasSuffix(section, ".dependencies")):
			if m := tomlKey().FindStringSubmatch(code); m != nil && m[1] != "python" {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// pipfileDeps lists the keys of the [packages] table.
func pipfileDeps(data []byte) []string {
	var out []string
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		if m := tomlSection().FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if section != "packages" {
			continue
		}
		if m := tomlKey().FindStringSubmatch(stripTOMLComment(line)); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// setupPyDeps lists the quoted requirements of the first install_requires
// list in setup.py.
func setupPyDeps(data []byte) []string {
	s := string(data)
	i := strings.Index(s, "install_requires")
	if i < 0 {
		return nil
	}
	s = s[i:]
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return nil
	}
	s = s[open:]
	if end := strings.IndexByte(s, ']'); end >= 0 {
		s = s[:end]
	}
	return quotedNames(s)
}

// quotedNames returns the package names of the quoted strings in s.
func quotedNames(s string) []string {
	var out []string
	for _, m := range quoted().FindAllStringSubmatch(s, -1) {
		spec := m[1] + m[2]
		if n := requirementName(spec); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// bracketDepth returns the number of '[' minus the number of ']' outside
// quoted strings.
func bracketDepth(s string) int {
	depth := 0
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		}
	}
	return depth
}

// stripTOMLComment removes a trailing comment that is not inside a string.
func stripTOMLComment(line string) string {
	var q byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#':
			return line[:i]
		}
	}
	return line
}
