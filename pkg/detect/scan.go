package detect

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// portPatterns find an obvious port literal in an entry file, strongest
// first. Only these textual forms are recognised:
//
//	os.environ.get("PORT", 8000)   getenv('PORT', "8000")     (a PORT default)
//	process.env.PORT || 3000       process.env.PORT ?? 3000   (a PORT default)
//	app.listen(3000)               http.ListenAndServe(":8080", nil)
//	port = 8000   port=8000   port := "8080"                  (an assignment)
//
// The first pattern that matches anywhere in the file wins; within a pattern,
// the first match in the file.
var portPatterns = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`PORT["']\s*,\s*["']?(\d{1,5})\b`),
		regexp.MustCompile(`PORT\s*(?:\|\||\?\?)\s*["']?(\d{1,5})\b`),
		regexp.MustCompile(`\.listen\(\s*["']?(\d{1,5})\b`),
		regexp.MustCompile(`ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{1,5})"`),
		regexp.MustCompile(`(?i)\bport\s*:?=\s*["']?(\d{1,5})\b`),
	}
})

// healthPattern finds a quoted health route such as "/health", '/healthz'
// or the Go 1.22 form "GET /health".
var healthPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("[\"'`](?:[A-Z]+ )?(/health(?:z|check)?)[\"'`]") })

// scanEntry searches the entry file for a port literal and a health route.
// A missing or unreadable entry file is not an error: detection falls back
// to the defaults.
func scanEntry(p project, file string) (port Finding, health Finding) {
	if file == "" {
		return Finding{}, Finding{}
	}
	// "./src/index.js" is not a valid fs.FS name; "src/index.js" is.
	file = path.Clean(filepath.ToSlash(file))
	if !fs.ValidPath(file) || !p.isFile(file) {
		return Finding{}, Finding{}
	}
	data, err := p.readHead(file)
	if err != nil {
		return Finding{}, Finding{}
	}
	for _, re := range portPatterns() {
		m := re.FindSubmatchIndex(data)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(string(data[m[2]:m[3]]))
		if err != nil || n < 1 || n > 65535 {
			continue
		}
		port = Finding{
			Value:  strconv.Itoa(n),
			Reason: fmt.Sprintf("found `%s` in %s:%d", oneLine(data[m[0]:m[1]]), file, lineAt(data, m[0])),
		}
		break
	}
	if m := healthPattern().FindSubmatchIndex(data); m != nil {
		route := string(data[m[2]:m[3]])
		health = Finding{Value: route, Reason: fmt.Sprintf("route %s in %s:%d", route, file, lineAt(data, m[0]))}
	}
	return port, health
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// lineCol returns the 1-based line and column (in bytes) of offset off.
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = lineAt(data, off)
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, off - start + 1
}

func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}
