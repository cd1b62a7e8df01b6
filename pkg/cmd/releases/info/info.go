// Package info implements `cupaas releases info vN`: one release of the
// app, with the .cupaas.yml it deployed and the names (never the values)
// of its settings and secrets.
package info

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
)

// Options are the inputs of info.
type Options struct {
	Out     io.Writer
	Store   release.Store
	Context string
	Version int
	JSON    bool
}

// NewCmdInfo returns the command. runF replaces the run function in tests.
func NewCmdInfo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	var target cmdutil.AppFlags
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "info vN",
		Short: "Show one release: what, when, image, commit, status, its .cupaas.yml",
		Long: `Show one release of the app: what it was, when, its image and commit, its
status (and why it failed), the names of its settings and secrets (never their
values) and the .cupaas.yml it deployed.`,
		Example: `  $ cupaas releases info v3
  $ cupaas releases info 3 --json
  $ cupaas releases info v1 --app counter`,
		Args: cmdutil.ExactArgs(1, "a release such as v3"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := release.ParseVersion(args[0])
			if err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			t, err := target.Resolve(f, cmd)
			if err != nil {
				return err
			}
			opts.Out, opts.Context, opts.Version = f.IOStreams.Out, t.Context, v
			opts.Store = release.Store{Kube: t.Kube, App: t.Name, Namespace: t.Namespace}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &target)
	cmdutil.AddAppCompletion(f, cmd, &target)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the release as JSON")
	return cmd
}

// Detail is the release as --json prints it.
type Detail struct {
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
	// EnvKeys are the names of the release's settings and secrets.
	EnvKeys    []string `json:"envKeys"`
	ConfigFile string   `json:"configFile,omitempty"`
	Config     string   `json:"config,omitempty"`
}

// Run shows the release.
func Run(ctx context.Context, opts *Options) error {
	recs, err := opts.Store.List(ctx)
	if err != nil && !kubectl.IsNotFound(err) {
		return err
	}
	r := release.Find(recs, opts.Version)
	if r == nil {
		kept := "none"
		if len(recs) > 0 {
			kept = recs[len(recs)-1].Name() + " to " + recs[0].Name()
		}
		return cmdutil.FlagErrorf("app %s has no release v%d in context %s (kept: %s); `cupaas releases` lists them", opts.Store.App, opts.Version, opts.Context, kept)
	}
	cur := release.Current(recs)
	d := Detail{
		Version: r.Version, Name: r.Name(), Time: r.Time, Kind: r.Kind, What: r.Summary(), RollbackTo: r.RollbackTo,
		Keys: r.Keys, Image: r.Image, Commit: r.Commit, Services: r.Services, Status: r.Status,
		Current: cur != nil && cur.Version == r.Version, Error: r.Error,
		EnvKeys: slices.Sorted(maps.Keys(r.Env)), ConfigFile: r.ConfigFile, Config: r.Config,
	}
	if d.EnvKeys == nil {
		d.EnvKeys = []string{}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	w := opts.Out
	status := d.Status
	if d.Current {
		status += " (current: it runs)"
	}
	fmt.Fprintf(w, "Release %s of %s (context %s)\n", d.Name, opts.Store.App, opts.Context)
	fmt.Fprintf(w, "  what:     %s\n", d.What)
	fmt.Fprintf(w, "  time:     %s\n", d.Time.Local().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "  status:   %s\n", status)
	if d.Error != "" {
		fmt.Fprintf(w, "  error:    %s\n", d.Error)
	}
	fmt.Fprintf(w, "  image:    %s\n", d.Image)
	if d.Commit != "" {
		fmt.Fprintf(w, "  commit:   %s\n", d.Commit)
	}
	services := "none"
	if len(d.Services) > 0 {
		services = strings.Join(d.Services, ", ")
	}
	fmt.Fprintf(w, "  services: %s\n", services)
	env := "none"
	if len(d.EnvKeys) > 0 {
		env = strings.Join(d.EnvKeys, ", ")
	}
	fmt.Fprintf(w, "  env:      %s (names only)\n", env)
	if d.Config != "" {
		name := d.ConfigFile
		if name == "" {
			name = ".cupaas.yml"
		}
		fmt.Fprintf(w, "%s:\n", name)
		for _, l := range strings.Split(strings.TrimRight(d.Config, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	return nil
}
