// Command cupaas deploys the app in the current directory to a local
// Kubernetes (minikube), with no server. See the README.
package main

import (
	"os"
	"runtime/debug"

	"github.com/cupaas/cupaas/pkg/cli"
)

//go:generate go run ./internal/gencompletions ../../completions
//go:generate go run ./internal/genman ../../completions/man

func main() {
	// Most commands live for milliseconds and allocate a few MB, where a
	// garbage collection costs more than it frees: a first goal four
	// times the default ends most of them before one. GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(cli.Main())
}
