package cmdutil

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
)

// completionTimeout bounds the kubectl call of a completion: a cluster
// that does not answer must not hang the shell.
const completionTimeout = 3 * time.Second

// AddAppCompletion completes the --app flag of cmd with the apps on the
// context, and its --service flag (when it has one) with the app's
// services. Call it after AddAppFlags.
func AddAppCompletion(f *Factory, cmd *cobra.Command, o *AppFlags) {
	_ = cmd.RegisterFlagCompletionFunc("app", CompleteApps(f))
	if cmd.Flags().Lookup("service") != nil {
		_ = cmd.RegisterFlagCompletionFunc("service", CompleteServices(f, o))
	}
}

// CompleteApps completes an app name with the apps cupaas deployed on the
// context (--context, else the one of the directory's app, else the
// setting, else minikube).
func CompleteApps(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		kc, ctx, cancel, ok := completionKube(f, cmd)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer cancel()
		apps, err := app.List(ctx, kc, false)
		if err != nil {
			cobra.CompDebugln("cupaas: listing apps: "+err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, a := range apps {
			if strings.HasPrefix(a.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(a.Name, "namespace "+a.Namespace))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteServices completes a service name with the services of the app:
// those of .cupaas.yml, or, when --app names an app outside its directory,
// those the cluster runs for it.
func CompleteServices(f *Factory, o *AppFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		dir := o.Dir
		if dir == "" {
			dir = "."
		}
		var names []string
		if cfg, err := config.Load(dir); err == nil && (o.App == "" || o.App == cfg.Name) {
			names = cfg.ServiceNames()
		} else if o.App != "" {
			kc, ctx, cancel, ok := completionKube(f, cmd)
			if !ok {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			defer cancel()
			out, err := kc.Run(ctx, "-n", o.App, "get", "statefulsets", "-l", app.Selector(o.App, ""), "-o", "jsonpath={range .items[*]}{.metadata.labels."+strings.NewReplacer(".", `\.`, "/", `\/`).Replace(render.LabelComponent)+"}{\"\\n\"}{end}")
			if err != nil {
				cobra.CompDebugln("cupaas: listing services: "+err.Error(), true)
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			names = strings.Fields(string(out))
		}
		sort.Strings(names)
		var out []cobra.Completion
		for _, n := range names {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionKube is a kubectl client for a completion, with a context
// bounded by completionTimeout.
func completionKube(f *Factory, cmd *cobra.Command) (kubectl.Client, context.Context, context.CancelFunc, bool) {
	name, err := ResolveContext(f, cmd, "")
	if err != nil {
		cobra.CompDebugln("cupaas: "+err.Error(), true)
		return kubectl.Client{}, nil, nil, false
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, completionTimeout)
	return kubectl.Client{Runner: f.Runner, Context: name}, ctx, cancel, true
}
