package cmdutil

import (
	"errors"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/state"
)

// AppFlags are the --app and --context flags of the commands that act on a
// deployed app (status, logs, run, destroy, ...).
type AppFlags struct {
	// App is --app: the app's name, for use outside its directory.
	App string
	// Dir is the directory searched for .cupaas.yml when --app is not
	// given; "" means ".".
	Dir string
}

// AddAppFlags adds --app and --context to cmd. --context's default comes
// from the app's last deploy, then from the setting, then "minikube".
func AddAppFlags(cmd *cobra.Command, o *AppFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&o.App, "app", "a", "", "the app's name, to use the command outside the app's directory")
	fl.String("context", "", "kube context (default: the one of the app's last deploy, else the setting context, else minikube)")
}

// Target is the app a day-two command acts on.
type Target struct {
	// Name is the app's name; Namespace its namespace.
	Name, Namespace string
	// Context is the kube context.
	Context string
	// Home is the app's local files; nil when the app was named with
	// --app outside its directory.
	Home *home.Home
	// Config is the app's .cupaas.yml when run in its directory (nil
	// otherwise, or when --app names another app).
	Config *config.Config
	// State is the record of the app's last deploy from this directory;
	// nil when there is none.
	State *state.State
	// Cluster is the kind of cluster of Context.
	Cluster cluster.Cluster
	// Kube runs kubectl with Context.
	Kube kubectl.Client
	// App asks the cluster about the app.
	App *app.App
}

// Resolve finds the app: --app when given, else the .cupaas.yml of the
// directory. The context is --context when given, else the one recorded
// by the app's last deploy from this directory, else the setting context,
// else minikube. A missing .cupaas.yml without --app is a usage error that
// says what to do.
func (o *AppFlags) Resolve(f *Factory, cmd *cobra.Command) (*Target, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	t := &Target{}
	if o.App != "" {
		name := config.SanitizeName(o.App)
		if name != o.App {
			return nil, FlagErrorf("--app %q is not an app name (lowercase letters, digits and '-'); did you mean %q?", o.App, name)
		}
		t.Name = o.App
	}
	cfg, err := config.Load(dir)
	var nf *config.NotFoundError
	switch {
	case errors.As(err, &nf):
		if t.Name == "" {
			return nil, FlagErrorf("no .cupaas.yml here: run %s in the app's directory, or name the app with --app NAME (`cupaas apps` lists them)", cmd.CommandPath())
		}
	case err != nil && t.Name == "":
		return nil, err
	case err == nil && (t.Name == "" || t.Name == cfg.Name):
		t.Name, t.Config = cfg.Name, cfg
		h := home.Of(dir)
		t.Home = &h
		if _, statErr := os.Stat(h.StatePath()); statErr == nil {
			st, err := h.State()
			if err != nil {
				return nil, err
			}
			t.State = st
		}
	}
	t.Namespace = t.Name

	ctxName, err := kubeContext(f, cmd.Flags(), t.State)
	if err != nil {
		return nil, err
	}
	t.Context = ctxName
	t.Cluster = cluster.For(t.Context)
	if t.State != nil && t.State.Context == t.Context {
		t.Cluster = cluster.Of(t.Context, t.State.Cluster, t.State.Registry)
	}
	t.Kube = kubectl.Client{Runner: f.Runner, Context: t.Context}
	t.App = app.New(t.Kube, t.Name, t.Cluster.Hints())
	return t, nil
}

// kubeContext is --context when given, else the context of the last
// deploy st (nil: none), else the setting context, else minikube.
func kubeContext(f *Factory, fl *pflag.FlagSet, st *state.State) (string, error) {
	var name string
	switch {
	case fl.Changed("context"):
		name, _ = fl.GetString("context")
	case st != nil && st.Context != "":
		name = st.Context
	default:
		s, err := f.UserSettings()
		if err != nil {
			return "", err
		}
		name = s.String(fl, "context")
	}
	if name == "" {
		name = cluster.DefaultContext
	}
	return name, nil
}

// ResolveContext is the kube context of a command that is about the
// cluster rather than one app (`cupaas apps`): --context when given, else
// the one of the last deploy of the app in dir ("" means "."), if any,
// else the setting context, else minikube. cmd must have a --context flag.
func ResolveContext(f *Factory, cmd *cobra.Command, dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	var st *state.State
	if !cmd.Flags().Changed("context") {
		if cfg, err := config.Load(dir); err == nil && cfg != nil {
			// A state that cannot be read only loses its context here.
			st, _ = home.Of(dir).State()
		}
	}
	return kubeContext(f, cmd.Flags(), st)
}
