// Package gitignore adds entries to a project's .gitignore, keeping
// everything already in it.
package gitignore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// MaxFileSize bounds the size of the .gitignore that Ensure reads and
// rewrites; a larger one is refused before it is read.
const MaxFileSize = 4 << 20

// Ensure appends each entry missing from dir/.gitignore (creating the
// file), and returns the entries it added. An entry counts as present when
// a line names it with or without a leading or trailing '/'.
func Ensure(dir string, entries ...string) ([]string, error) {
	p := filepath.Join(dir, ".gitignore")
	data, err := safefile.ReadFile(p, MaxFileSize)
	switch {
	case safefile.Refused(err):
		return nil, err
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("cannot read %s: %w", p, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.Trim(strings.TrimSpace(l), "/")] = true
	}
	var added []string
	out := string(data)
	for _, e := range entries {
		if have[strings.Trim(e, "/")] {
			continue
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		if len(added) == 0 {
			out += "# cupaas: local build files and secrets\n"
		}
		out += e + "\n"
		added = append(added, e)
	}
	if len(added) == 0 {
		return nil, nil
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(p); err == nil {
		mode = st.Mode().Perm()
	}
	return added, atomicfile.Write(p, []byte(out), mode)
}
