// Command cupaas deploys the app in the current directory to a local
// Kubernetes (minikube), with no server. See the README.
package main

import (
	"os"

	"github.com/cupaas/cupaas/pkg/cli"
)

//go:generate go run ./internal/gencompletions ../../completions
//go:generate go run ./internal/genman ../../completions/man

func main() {
	os.Exit(cli.Main())
}
