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

// procfileLine matches `<process>: <command>`.
var procfileLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*:\s*(.*)$`) })

// portVar matches $PORT and ${PORT}, which nothing expands in an exec-form
// entrypoint.
var portVar = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$(?:PORT\b|\{PORT\})`) })

// procfileWeb is the parsed `web:` line of a Procfile.
type procfileWeb struct {
	argv []string
	line int
	// usesPortVar is set when the command mentions $PORT.
	usesPortVar bool
}

// readProcfile returns the `web:` process of the Procfile, or nil when there
// is no Procfile or no web process. Other processes are reported in notes.
func readProcfile(p project, r *Result) (*procfileWeb, error) {
	if !p.exists("Procfile") {
		return nil, nil
	}
	data, err := p.read("Procfile")
	if err != nil {
		return nil, err
	}
	var others []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxManifestSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := procfileLine().FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: expected `<process>: <command>`, as in `web: gunicorn app:app`", p.path("Procfile"), n)
		}
		if m[1] != "web" {
			others = append(others, m[1])
			continue
		}
		argv, err := shellquote.Split(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: cannot split the web command into words: %s", p.path("Procfile"), n, strings.ToLower(err.Error()))
		}
		if len(argv) == 0 {
			return nil, fmt.Errorf("%s:%d: the web process has no command", p.path("Procfile"), n)
		}
		for _, w := range argv {
			if isShellOperator(w) {
				r.Notes = append(r.Notes, fmt.Sprintf("the Procfile web: line uses shell syntax (%s), but the entrypoint runs without a shell: check entrypoint: in .cupaas.yml", w))
				break
			}
		}
		return &procfileWeb{argv: argv, line: n, usesPortVar: portVar().MatchString(m[2])}, nil
	}
	if len(others) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the Procfile has no web: process (only %s); it was not used", strings.Join(others, ", ")))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p.path("Procfile"), err)
	}
	return nil, nil
}

func isShellOperator(w string) bool {
	switch w {
	case "&&", "||", "|", ";", ">", ">>", "<", "&":
		return true
	}
	return false
}

// portFromArgv finds a port in a start command: `--bind host:port`,
// `-b host:port`, `--port N`, `-p N` (also with `=`), or Django's
// `runserver host:port`. It returns 0 when the port is not a literal.
func portFromArgv(argv []string) int {
	for i, w := range argv {
		var val string
		flag, v, hasEq := strings.Cut(w, "=")
		switch flag {
		case "--bind", "-b", "--port", "-p":
			if hasEq {
				val = v
			} else if i+1 < len(argv) {
				val = argv[i+1]
			}
		case "runserver":
			if !hasEq && i+1 < len(argv) {
				val = argv[i+1]
			}
		default:
			if strings.HasPrefix(w, "-b") && len(w) > 2 {
				val = w[2:]
			}
		}
		if val == "" {
			continue
		}
		if k := strings.LastIndexByte(val, ':'); k >= 0 {
			val = val[k+1:]
		}
		if n, err := strconv.Atoi(val); err == nil && n >= 1 && n <= 65535 {
			return n
		}
	}
	return 0
}

// applyProcfile sets the entrypoint and port of r from the web process.
// $PORT is replaced by the port, since an exec-form entrypoint is not run by
// a shell; the app also gets PORT in its environment.
func applyProcfile(r *Result, web *procfileWeb, defaultPort int) {
	reason := fmt.Sprintf("Procfile web: line (line %d)", web.line)
	port := portFromArgv(web.argv)
	setPort(r, port, reason, defaultPort)
	argv := web.argv
	if web.usesPortVar {
		argv = make([]string, len(web.argv))
		for i, w := range web.argv {
			argv[i] = portVar().ReplaceAllLiteralString(w, r.Port.Value)
		}
		r.Notes = append(r.Notes, fmt.Sprintf("the Procfile web: line uses $PORT; it was replaced by %s, because the entrypoint runs without a shell", r.Port.Value))
	}
	r.EntrypointArgv = argv
	r.Entrypoint = Finding{Value: shellquote.Join(argv...), Reason: reason}
}
