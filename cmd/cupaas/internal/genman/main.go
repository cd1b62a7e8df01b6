// Command genman writes the man pages of cupaas, one per command, into the
// directory given as its argument. `go generate ./...` runs it.
package main

import (
	"fmt"
	"os"

	"github.com/cupaas/cupaas/internal/manpages"
	"github.com/cupaas/cupaas/pkg/cli"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genman DIR")
		os.Exit(2)
	}
	ios, _, _, _ := iostreams.Test()
	// No environment: the pages must not depend on the machine.
	root := cli.NewRootCmd(&cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }})
	if err := manpages.Write(root, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}
