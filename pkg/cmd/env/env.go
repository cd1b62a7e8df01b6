// Package env implements `cupaas env`: the app's settings and secrets,
// kept in `.cupaas.env` next to `.cupaas.yml` and injected into the app
// through its Secret `<name>-env`. After a successful deploy, changes are
// applied to the cluster at once, like `heroku config:set`.
//
// This package owns only the parent command; each verb is a package of
// its own (set, unset, get, list, import), and what they share is in
// shared.
package env

import (
	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/get"
	importcmd "github.com/cupaas/cupaas/pkg/cmd/env/import"
	"github.com/cupaas/cupaas/pkg/cmd/env/list"
	"github.com/cupaas/cupaas/pkg/cmd/env/set"
	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmd/env/unset"
	"github.com/cupaas/cupaas/pkg/cmdutil"
)

// NewCmdEnv returns `cupaas env` and its subcommands, for the app in the
// current directory.
func NewCmdEnv(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env <command>",
		Short: "Manage the app's settings and secrets (.cupaas.env)",
		Long: `Manage the app's settings and secrets. They are kept in .cupaas.env next to
.cupaas.yml (mode 0600, kept out of git) and reach the app as environment
variables through its Secret <name>-env. After a successful deploy, set,
unset and import also update the cluster at once and roll the pods, without
rebuilding the image; --no-apply only stores.`,
		Example: `  $ cupaas env set API_KEY=s3cr3t DEBUG=1
  $ cupaas env set TLS_CERT=@cert.pem
  $ cupaas env list
  $ cupaas env get API_KEY
  $ cupaas env unset DEBUG`,
		// `cupaas env frob` is a mistake (exit 2), not a request for help.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return cmdutil.UnknownCommand(c, args[0])
		},
	}
	cmd.AddCommand(
		set.NewCmdSet(f, nil),
		unset.NewCmdUnset(f, nil),
		importcmd.NewCmdImport(f, nil),
		get.NewCmdGet(f, nil),
		list.NewCmdList(f, nil),
	)
	// For every env subcommand: a mistyped value must not come back in
	// "unknown shorthand flag: 's' in -s3cr3t".
	cmd.SetFlagErrorFunc(shared.QuietFlagErrors)
	return cmd
}
