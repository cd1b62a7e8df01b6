// Package releases implements `cupaas releases`: the app's releases, kept
// in its cluster (see pkg/release), newest first. `cupaas releases info
// vN` (package info) shows one.
package releases

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/releases/info"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
)

// Options are the inputs of the list.
type Options struct {
	Out   io.Writer
	Store release.Store
	// Context names the kube context in messages.
	Context string
	Limit   int
	JSON    bool
}

// NewCmdReleases returns the command. runF replaces the run function in
// tests.
func NewCmdReleases(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	var target cmdutil.AppFlags
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List the app's releases (deploys, env changes, rollbacks), newest first",
		Long: `List the app's releases, newest first: each deploy, each applied change of
settings and secrets (cupaas env set, unset, import) and each rollback is a
release, v1, v2, ... The records are kept in the cluster, in the app's
namespace, as Secrets: they survive a deleted working tree and every clone of
the app sees them. The release that runs is marked "current". Names of
changed variables are shown, never their values.

The history is bounded: history: in .cupaas.yml (or the setting history,
default 20) releases are kept, and the images no kept release uses are removed
from Docker and from the cluster's node.`,
		Example: `  $ cupaas releases
  $ cupaas releases -n 5
  $ cupaas releases --json | jq '.[0]'
  $ cupaas releases --app counter --context minikube
  $ cupaas releases info v3`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return cmdutil.FlagErrorf("-n must be 0 (all) or more, not %d", opts.Limit)
			}
			t, err := target.Resolve(f, cmd)
			if err != nil {
				return err
			}
			opts.Out, opts.Context = f.IOStreams.Out, t.Context
			opts.Store = release.Store{Kube: t.Kube, App: t.Name, Namespace: t.Namespace}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &target)
	cmdutil.AddAppCompletion(f, cmd, &target)
	cmd.Flags().IntVarP(&opts.Limit, "number", "n", 0, "show only the N newest releases (0: all kept)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the releases as a JSON array")
	cmd.AddCommand(info.NewCmdInfo(f, nil))
	return cmd
}

// Item is one release as --json prints it: never a value of a setting.
type Item struct {
	Version    int       `json:"version"`
	Name       string    `json:"name"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	What       string    `json:"what"`
	RollbackTo int       `json:"rollbackTo,omitempty"`
	Keys       []string  `json:"changedKeys,omitempty"`
	Image      string    `json:"image"`
	Commit     string    `json:"commit,omitempty"`
	Services   []string  `json:"services,omitempty"`
	Status     string    `json:"status"`
	Current    bool      `json:"current"`
	Error      string    `json:"error,omitempty"`
}

// ItemOf is r as shown.
func ItemOf(r release.Record, current *release.Record) Item {
	return Item{
		Version: r.Version, Name: r.Name(), Time: r.Time, Kind: r.Kind, What: r.Summary(), RollbackTo: r.RollbackTo,
		Keys: r.Keys, Image: r.Image, Commit: r.Commit, Services: r.Services, Status: r.Status,
		Current: current != nil && current.Version == r.Version, Error: r.Error,
	}
}

// Run lists the releases.
func Run(ctx context.Context, opts *Options) error {
	recs, err := opts.Store.List(ctx)
	if err != nil && !kubectl.IsNotFound(err) {
		return err
	}
	current := release.Current(recs)
	if opts.Limit > 0 && len(recs) > opts.Limit {
		recs = recs[:opts.Limit]
	}
	if opts.JSON {
		items := []Item{}
		for _, r := range recs {
			items = append(items, ItemOf(r, current))
		}
		enc := json.NewEncoder(opts.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	if len(recs) == 0 {
		fmt.Fprintf(opts.Out, "No releases of %s in context %s yet: `cupaas deploy` records the first.\n", opts.Store.App, opts.Context)
		return nil
	}
	tw := tabwriter.NewWriter(opts.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RELEASE\tTIME\tWHAT\tCOMMIT\tIMAGE\tSTATUS")
	for _, r := range recs {
		it := ItemOf(r, current)
		status := it.Status
		if it.Current {
			status += " (current)"
		}
		commit := r.ShortCommit()
		if commit == "" {
			commit = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Name, r.Time.Local().Format("2006-01-02 15:04:05"), it.What, commit, r.Image, status)
	}
	return tw.Flush()
}
