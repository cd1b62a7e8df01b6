package detect

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// goServices maps module paths (and everything below them, such as major
// version suffixes) to services.
var goServices = []struct{ module, service string }{
	{"go.mongodb.org/mongo-driver", "mongodb"},
	{"github.com/redis/go-redis", "redis"},
	{"github.com/go-redis/redis", "redis"},
	{"github.com/lib/pq", "postgresql"},
	{"github.com/jackc/pgx", "postgresql"},
	{"github.com/go-sql-driver/mysql", "mysql"},
}

// goVersion matches the versions a go directive may hold: 1.22, 1.22.3,
// 1.21rc2.
var goVersion = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^1(?:\.\d+){1,2}(?:(?:rc|beta)\d+)?$`) })

// goMod is the part of go.mod detection reads.
type goMod struct {
	goVersion string
	// requires are the direct requirements (not `// indirect`), in order.
	requires []string
}

func detectGo(p project, r *Result) error {
	r.Language = Go
	data, err := p.read("go.mod")
	if err != nil {
		return err
	}
	mod, err := parseGoMod(p.path("go.mod"), string(data))
	if err != nil {
		return err
	}
	if mod.goVersion != "" {
		r.Runtime = Finding{Value: Go + ":" + mod.goVersion, Reason: "go directive in go.mod"}
	} else {
		r.Runtime = Finding{Value: Go + ":" + defaultGoVersion, Reason: "default for go"}
	}
	for _, req := range mod.requires {
		for _, s := range goServices {
			if req == s.module || strings.HasPrefix(req, s.module+"/") {
				addService(r, s.service, req+" in go.mod")
			}
		}
	}
	// The go runtime runs the built binary: no entrypoint.
	port, health := scanEntry(p, "main.go")
	setPort(r, portOf(port), port.Reason, defaultGoPort)
	r.Healthcheck = health
	return nil
}

// parseGoMod reads the go directive and the requirements of a go.mod. The
// toolchain directive is ignored. Errors carry file:line.
func parseGoMod(file, text string) (goMod, error) {
	var mod goMod
	inRequire := false
	blockStart := 0
	inBlock := false // some other ( ... ) block
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line, comment, _ := strings.Cut(raw, "//")
		fields := strings.Fields(line)
		indirect := strings.TrimSpace(comment) == "indirect" || strings.HasPrefix(strings.TrimSpace(comment), "indirect;")
		if len(fields) == 0 {
			continue
		}
		if inRequire || inBlock {
			if fields[0] == ")" {
				inRequire, inBlock = false, false
				continue
			}
			if inRequire && !indirect {
				mod.requires = append(mod.requires, unquoteGoPath(fields[0]))
			}
			continue
		}
		switch fields[0] {
		case "go":
			if len(fields) != 2 || !goVersion().MatchString(fields[1]) {
				return goMod{}, fmt.Errorf("%s:%d: malformed go directive %q: expected a version such as `go 1.22`", file, n, strings.TrimSpace(line))
			}
			mod.goVersion = fields[1]
		case "require":
			if len(fields) >= 2 && fields[1] == "(" {
				inRequire, blockStart = true, n
			} else if len(fields) >= 3 && !indirect {
				mod.requires = append(mod.requires, unquoteGoPath(fields[1]))
			}
		default:
			if fields[len(fields)-1] == "(" {
				inBlock, blockStart = true, n
			}
		}
	}
	if inRequire || inBlock {
		return goMod{}, fmt.Errorf("%s:%d: block opened with ( is never closed", file, blockStart)
	}
	return mod, nil
}

func unquoteGoPath(s string) string {
	return strings.Trim(s, "\"`")
}
