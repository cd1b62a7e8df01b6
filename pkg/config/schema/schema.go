// Package schema holds the JSON Schema (draft 2020-12) of `.cupaas.yml`,
// schema version 1, for editors: the YAML language server of VS Code,
// JetBrains and Neovim reads it from the `# yaml-language-server: $schema=`
// line that `cupaas init` writes, and `cupaas schema` prints it.
//
// cupaas itself never validates with the schema: pkg/config's own checks
// give better messages. The tests of pkg/config keep the two in step.
package schema

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
)

//go:embed cupaas.schema.json
var schemaJSON []byte

// File is the schema's path in the repository, which is also where the
// published copy of each release is read from.
const File = "pkg/config/schema/cupaas.schema.json"

// Repo is the GitHub repository of cupaas.
const Repo = "cupaas/cupaas"

// JSON returns the schema, as in the repository (a copy: callers may change it).
func JSON() []byte { return append([]byte(nil), schemaJSON...) }

// releaseRe matches a released version, with or without its `v`: what the
// release build stamps ("1.2.0", "1.3.0-rc.1"), or what `go install
// ...@v1.2.0` records. Snapshots ("1.2.1-snapshot"), Go pseudo-versions
// ("v0.0.0-20261202131437-82d232a1b2c3") and "devel" are not tags.
var releaseRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$`) })

// pseudoRe matches the time-and-commit part of a Go pseudo-version.
var pseudoRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]{14}-[0-9a-f]{12}$`) })

// Ref returns the git ref whose schema matches the cupaas of the given
// version: the release tag `v<version>` for a release, else "main" (a
// build from a checkout, a snapshot: the newest schema is the best guess).
func Ref(version string) string {
	if !releaseRe().MatchString(version) || strings.Contains(version, "snapshot") || pseudoRe().MatchString(version) {
		return "main"
	}
	return "v" + strings.TrimPrefix(version, "v")
}

// URL returns where the schema of the cupaas of the given version is
// published: the file in the repository at the release's tag.
func URL(version string) string {
	return "https://raw.githubusercontent.com/" + Repo + "/" + Ref(version) + "/" + File
}

// Modeline returns the comment line that points the YAML language server
// at the schema, as `cupaas init` writes it at the top of `.cupaas.yml`.
func Modeline(version string) string {
	return "# yaml-language-server: $schema=" + URL(version)
}
