// Package version implements `cupaas version`.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/build"
	"github.com/cupaas/cupaas/pkg/cmdutil"
)

// NewCmdVersion returns the command.
func NewCmdVersion(f *cmdutil.Factory, info build.Info) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of cupaas",
		Example: `  $ cupaas version
  cupaas version 1.2.0
  commit:  4f2c1ab
  built:   2026-11-22T10:00:00Z
  go:      go1.26.8 linux/amd64`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintf(out, "cupaas version %s\n", info.Version)
			if info.Commit != "" {
				fmt.Fprintf(out, "commit:  %s\n", info.Commit)
			}
			if info.Date != "" {
				fmt.Fprintf(out, "built:   %s\n", info.Date)
			}
			fmt.Fprintf(out, "go:      %s %s\n", info.GoVersion, info.Platform)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}
