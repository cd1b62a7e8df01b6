// Package schema implements `cupaas schema`: it prints the JSON Schema of
// .cupaas.yml that editors use for completion and inline errors.
package schema

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/build"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	cfgschema "github.com/cupaas/cupaas/pkg/config/schema"
)

// NewCmdSchema returns the command.
func NewCmdSchema(f *cmdutil.Factory, info build.Info) *cobra.Command {
	var url bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of .cupaas.yml, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of .cupaas.yml. Editors with the YAML
language server (VS Code's YAML extension, JetBrains, Neovim) use it for
completion, descriptions and inline errors. cupaas init points .cupaas.yml at
the published copy of this version's schema; save this one to work without
network access. With --url, print the address that cupaas init writes.`,
		Example: `  # save it, and point the editor at the file
  $ cupaas schema > ~/.config/cupaas/cupaas.schema.json
  # the address of the published schema of this version
  $ cupaas schema --url
  https://raw.githubusercontent.com/cupaas/cupaas/v1.2.0/pkg/config/schema/cupaas.schema.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			if url {
				_, err := fmt.Fprintln(out, cfgschema.URL(info.Version))
				return err
			}
			_, err := out.Write(cfgschema.JSON())
			return err
		},
	}
	cmd.Flags().BoolVar(&url, "url", false, "print the address of this version's published schema instead")
	return cmd
}
