package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"

	"github.com/kballard/go-shellquote"
)

// detectRelease proposes the command of the release phase (release: in
// .cupaas.yml), which runs once per deploy before the app's pods roll: a
// Procfile `release:` line (Heroku's), else the migrations of the
// framework found: Django (manage.py migrate), Alembic (alembic upgrade
// head), Rails (bin/rails db:migrate), or a package.json script named
// migrate or db:migrate. Nothing found proposes nothing.
func detectRelease(p project, r *Result) {
	if argv := procfileRelease(p); len(argv) > 0 {
		setRelease(r, argv, "the release: line of the Procfile")
		return
	}
	switch r.Language {
	case Python:
		switch {
		case p.isFile("manage.py"):
			setRelease(r, []string{"python", "manage.py", "migrate"}, "found manage.py (Django migrations)")
		case p.isFile("alembic.ini"):
			setRelease(r, []string{"alembic", "upgrade", "head"}, "found alembic.ini (Alembic migrations)")
		}
	case Node:
		if script := nodeMigrateScript(p); script != "" {
			setRelease(r, []string{"npm", "run", script}, "the "+script+" script of package.json")
		}
	}
	if len(r.ReleaseArgv) == 0 && p.isFile("bin/rails") && isDir(p, "db/migrate") {
		setRelease(r, []string{"bin/rails", "db:migrate"}, "found bin/rails and db/migrate (Rails migrations)")
	}
}

func setRelease(r *Result, argv []string, reason string) {
	r.ReleaseArgv = argv
	r.Release = Finding{Value: shellquote.Join(argv...), Reason: reason}
}

func isDir(p project, name string) bool {
	st, err := fs.Stat(p.fsys, name)
	return err == nil && st.IsDir()
}

// procfileRelease is the command of the Procfile's release: line, or nil.
func procfileRelease(p project) []string {
	if !p.isFile("Procfile") {
		return nil
	}
	data, err := p.read("Procfile")
	if err != nil {
		return nil // readProcfile reports it
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxManifestSize)
	for sc.Scan() {
		m := procfileLine().FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil || m[1] != "release" {
			continue
		}
		if argv, err := shellquote.Split(m[2]); err == nil && len(argv) > 0 {
			return argv
		}
	}
	return nil
}

// nodeMigrateScript is "migrate" or "db:migrate" when package.json has
// such a script.
func nodeMigrateScript(p project) string {
	data, err := p.read("package.json")
	if err != nil {
		return ""
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return ""
	}
	for _, name := range []string{"migrate", "db:migrate"} {
		if pkg.Scripts[name] != "" {
			return name
		}
	}
	return ""
}
