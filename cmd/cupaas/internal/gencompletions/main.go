// Command gencompletions writes the shell completion scripts of cupaas into
// the directory given as its argument. `go generate ./...` runs it.
package main

import (
	"fmt"
	"os"

	"github.com/cupaas/cupaas/pkg/cli"
	"github.com/cupaas/cupaas/pkg/cmd/completion"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencompletions DIR")
		os.Exit(2)
	}
	ios, _, _, _ := iostreams.Test()
	root := cli.NewRootCmd(&cmdutil.Factory{IOStreams: ios, Getenv: os.Getenv})
	if err := completion.WriteScripts(root, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gencompletions:", err)
		os.Exit(1)
	}
}
