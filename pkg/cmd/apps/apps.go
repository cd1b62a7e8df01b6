// Package apps implements `cupaas apps`: every app cupaas deployed on the
// context, found by cupaas' labels.
package apps

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
)

// AppsOptions are the inputs of `cupaas apps`.
type AppsOptions struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	// Context is the kube context.
	Context string
	JSON    bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Listing is the JSON form of `cupaas apps`.
type Listing struct {
	Context string        `json:"context"`
	Apps    []app.Summary `json:"apps"`
}

// NewCmdApps returns the command. runF replaces the run function in tests.
func NewCmdApps(f *cmdutil.Factory, runF func(context.Context, *AppsOptions) error) *cobra.Command {
	opts := &AppsOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "List the apps cupaas deployed on the context",
		Long: `List every app cupaas deployed on the kube context, found by cupaas' labels
(app.kubernetes.io/managed-by=cupaas): its name, namespace, pods ready (of the
app and its services), image, when it was last deployed, and its URL.

The URL is the app's NodePort on the node's address, read from the cluster:
the URL deploy prints wherever the node is reachable from this machine (Linux;
with minikube's docker driver on macOS or Windows, use ` + "`cupaas open --app NAME`" + `,
which holds the tunnel open).`,
		Example: `  $ cupaas apps
  $ cupaas apps --context minikube-dev
  $ cupaas apps --json | jq -r '.apps[].name'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := cmdutil.ResolveContext(f, cmd, "")
			if err != nil {
				return err
			}
			opts.Context = name
			opts.Runner = f.Runner
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().String("context", "", "kube context (default: the one of the last deploy of the app in this directory, else the setting context, else minikube)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	return cmd
}

// Run lists the apps.
func Run(ctx context.Context, opts *AppsOptions) error {
	kc := kubectl.Client{Runner: opts.Runner, Context: opts.Context}
	apps, err := app.List(ctx, kc, true)
	if err != nil {
		return cmdutil.ClusterError(ctx, cluster.For(opts.Context), opts.Runner, err)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(Listing{Context: opts.Context, Apps: apps})
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if len(apps) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No apps of cupaas on context %s; run `cupaas deploy` in an app's directory.\n", opts.Context)
		return nil
	}
	return printApps(opts.IO.Out, opts.IO.Styles(), apps, now())
}

func printApps(w io.Writer, s iostreams.Styles, apps []app.Summary, now time.Time) error {
	var t iostreams.Table
	t.Row(s.Muted.Render("NAME"), s.Muted.Render("NAMESPACE"), s.Muted.Render("READY"), s.Muted.Render("IMAGE"), s.Muted.Render("DEPLOYED"), s.Muted.Render("URL"))
	for _, a := range apps {
		ready := fmt.Sprintf("%d/%d", a.Ready, a.Pods)
		if a.Ready < a.Pods {
			ready = s.Failure.Render(ready)
		} else {
			ready = s.Success.Render(ready)
		}
		deployed := "-"
		if a.DeployedAt != nil {
			deployed = app.Age(now.Sub(*a.DeployedAt)) + " ago"
		}
		url := a.URL
		if url == "" {
			url = "-"
		}
		t.Row(s.Bold.Render(a.Name), a.Namespace, ready, a.Image, deployed, url)
	}
	return t.Write(w, "")
}
