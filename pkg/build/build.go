// Package build holds the version information stamped into the binary at
// release time with -ldflags "-X github.com/cupaas/cupaas/pkg/build.Version=...".
package build

import (
	"runtime"
	"runtime/debug"
)

// Set by the release build through -ldflags -X; "devel" and "" otherwise.
var (
	Version = "devel"
	Commit  = ""
	Date    = ""
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Current returns the binary's build information. A binary built without
// ldflags reports "devel", with the module version when `go install` set one.
func Current() Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if i.Version == "devel" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
	}
	return i
}
