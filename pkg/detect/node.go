package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/kballard/go-shellquote"
)

// nodeServices maps npm package names to services.
var nodeServices = map[string]string{
	"mongodb":  "mongodb",
	"mongoose": "mongodb",
	"redis":    "redis",
	"ioredis":  "redis",
	"pg":       "postgresql",
	"mysql":    "mysql",
	"mysql2":   "mysql",
}

// nodeEntryFiles are tried in order when package.json has neither
// scripts.start nor main.
var nodeEntryFiles = []string{"index.js", "server.js", "app.js"}

// packageJSON is the part of package.json detection reads.
type packageJSON struct {
	Main         string            `json:"main"`
	Scripts      map[string]string `json:"scripts"`
	Engines      map[string]string `json:"engines"`
	Dependencies map[string]string `json:"dependencies"`
}

func detectNode(p project, r *Result) error {
	r.Language = Node
	data, err := p.read("package.json")
	if err != nil {
		return err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return jsonError(p.path("package.json"), data, err)
	}

	if v, ok := pkg.Engines["node"]; ok {
		if n := versionNumber().FindString(v); n != "" {
			r.Runtime = Finding{Value: Node + ":" + n, Reason: "engines.node in package.json"}
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("engines.node in package.json (%q) has no version number; using the default", v))
		}
	}
	if r.Runtime.Value == "" {
		r.Runtime = Finding{Value: Node + ":" + defaultNodeVersion, Reason: "default for node"}
	}

	deps := make([]string, 0, len(pkg.Dependencies))
	for d := range pkg.Dependencies {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	for _, d := range deps {
		if svc, ok := nodeServices[d]; ok {
			addService(r, svc, d+" in package.json dependencies")
		}
	}

	web, err := readProcfile(p, r)
	if err != nil {
		return err
	}
	var entry string
	start := strings.TrimSpace(pkg.Scripts["start"])
	switch {
	case web != nil:
		applyProcfile(r, web, defaultNodePort)
		entry = jsFile(web.argv)
	case start != "":
		// With no entrypoint set, the node runtime runs `npm start` when
		// package.json has a start script, so none is written.
		r.Notes = append(r.Notes, fmt.Sprintf("package.json has scripts.start (%s): the node runtime runs `npm start`, so no entrypoint is needed", start))
		if argv, err := shellquote.Split(start); err == nil {
			entry = jsFile(argv)
		}
	case pkg.Main != "":
		// Likewise `node <main>` when package.json sets main.
		r.Notes = append(r.Notes, fmt.Sprintf("package.json has main (%s): the node runtime runs `node %s`, so no entrypoint is needed", pkg.Main, pkg.Main))
		entry = pkg.Main
	default:
		for _, f := range nodeEntryFiles {
			if p.isFile(f) {
				setEntrypoint(r, []string{"node", f}, "found "+f)
				entry = f
				break
			}
		}
		if entry == "" {
			r.Notes = append(r.Notes, "no entrypoint found (no scripts.start or main in package.json, no index.js, server.js or app.js): add a start script or set entrypoint: in .cupaas.yml")
		}
	}
	if entry == "" && pkg.Main != "" {
		entry = pkg.Main
	}
	if entry == "" {
		for _, f := range nodeEntryFiles {
			if p.isFile(f) {
				entry = f
				break
			}
		}
	}

	port, health := scanEntry(p, entry)
	if r.Port.Value == "" {
		setPort(r, portOf(port), port.Reason, defaultNodePort)
	}
	r.Healthcheck = health
	return nil
}

// jsFile returns the first argument that names a JavaScript file.
func jsFile(argv []string) string {
	for _, w := range argv {
		if strings.HasSuffix(w, ".js") || strings.HasSuffix(w, ".mjs") || strings.HasSuffix(w, ".cjs") {
			return w
		}
	}
	return ""
}

// jsonError turns a decoding error of file into a message with the line and
// column of the problem.
func jsonError(file string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, including the offending one; at the
		// end of the input it points just past the last byte.
		off := int(syn.Offset) - 1
		if strings.Contains(syn.Error(), "unexpected end") {
			off = len(data)
		}
		line, col := lineCol(data, off)
		return fmt.Errorf("%s:%d:%d: invalid JSON: %s", file, line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := lineCol(data, valueStart(data, int(typ.Offset)))
		switch {
		case typ.Field == "":
			return fmt.Errorf("%s:%d:%d: expected a JSON object, found %s", file, line, col, typ.Value)
		case typ.Type.Kind() == reflect.String && jsonMapFields[typ.Field]:
			return fmt.Errorf("%s:%d:%d: %s: each value must be a string, found %s", file, line, col, typ.Field, typ.Value)
		}
		return fmt.Errorf("%s:%d:%d: %s: expected %s, found %s", file, line, col, typ.Field, jsonKind(typ.Type), typ.Value)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// jsonMapFields are the fields of packageJSON that are string maps.
var jsonMapFields = map[string]bool{"scripts": true, "engines": true, "dependencies": true}

// valueStart finds the start of the JSON value that an UnmarshalTypeError
// offset refers to: just after the opening '[' or '{' of a composite value,
// just after the end of a literal.
func valueStart(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	if off > 0 && (data[off-1] == '[' || data[off-1] == '{') {
		return off - 1
	}
	i := off - 1
	if i >= 0 && data[i] == '"' {
		for i--; i >= 0; i-- {
			if data[i] == '"' && (i == 0 || data[i-1] != '\\') {
				return i
			}
		}
		return 0
	}
	for i >= 0 && strings.IndexByte("0123456789+-.eEtruefalsn", data[i]) >= 0 {
		i--
	}
	return i + 1
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
