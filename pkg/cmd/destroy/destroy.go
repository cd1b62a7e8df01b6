// Package destroy implements `cupaas destroy`: remove the app from the
// cluster, keeping its services' data unless --delete-data.
package destroy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// DestroyOptions are the inputs of `cupaas destroy`.
type DestroyOptions struct {
	IO         *iostreams.IOStreams
	Flags      cmdutil.AppFlags
	DeleteData bool
	Yes        bool
	JSON       bool
	Timeout    time.Duration
}

// NewCmdDestroy returns the command. runF replaces the run function in
// tests.
func NewCmdDestroy(f *cmdutil.Factory, runF func(context.Context, *cmdutil.Target, *DestroyOptions) error) *cobra.Command {
	opts := &DestroyOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Remove the app from the cluster, keeping its data unless --delete-data",
		Long: `Remove everything cupaas made for the app on the context: its Deployment,
the services' StatefulSets, Services, ConfigMap, the app's Secret, one-off
pods of cupaas run, release records. Objects cupaas did not make are never
touched.

By default the data stays: the services' volume claims, the Secrets that
hold their credentials, and the namespace. destroy says how much was kept,
and a later cupaas deploy finds it again. --delete-data removes them too,
and the namespace when cupaas made it and nothing else lives in it.

On a terminal destroy asks you to type the app's name; --yes skips that.
Without a terminal it needs --yes (else it refuses with exit code 2). Run in
the app's directory, it also removes the record of the app's last deploy
(.cupaas/state.json); .cupaas.env and the credentials stay.`,
		Example: `  $ cupaas destroy                           # asks for the name; keeps the data
  $ cupaas destroy --yes                     # no question (scripts)
  $ cupaas destroy --delete-data --yes       # everything, the namespace too
  $ cupaas destroy --app counter --context minikube --yes --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Refused before anything is asked of the cluster.
			if !opts.Yes && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("destroy needs a confirmation: run it on a terminal to type the app's name, or add --yes")
			}
			t, err := opts.Flags.Resolve(f, cmd)
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), t, opts)
			}
			return destroyRun(cmd.Context(), t, opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &opts.Flags)
	fl := cmd.Flags()
	fl.BoolVar(&opts.DeleteData, "delete-data", false, "also delete the services' data (volume claims, credentials) and the namespace")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&opts.JSON, "json", false, "print what was deleted and kept as JSON")
	cmdutil.DurationVar(fl, &opts.Timeout, "timeout", 3*time.Minute, "how long to wait for the deletions (and the namespace to be gone)")
	cmdutil.AddAppCompletion(f, cmd, &opts.Flags)
	return cmd
}

// Result is the JSON form of `cupaas destroy`.
type Result struct {
	App              string      `json:"app"`
	Context          string      `json:"context"`
	Namespace        string      `json:"namespace"`
	Deleted          []string    `json:"deleted"`
	NamespaceDeleted bool        `json:"namespaceDeleted"`
	KeptClaims       []app.Claim `json:"keptClaims"`
	KeptSecrets      []string    `json:"keptSecrets"`
	StateRemoved     string      `json:"stateRemoved,omitempty"`
}

func destroyRun(ctx context.Context, t *cmdutil.Target, opts *DestroyOptions) error {
	if err := t.RequireDeployed(ctx); err != nil {
		return err
	}
	plan, err := t.App.PlanDestroy(ctx, opts.DeleteData)
	if err != nil {
		return err
	}
	if !opts.Yes {
		printPlan(opts.IO.ErrOut, opts.IO.ErrStyles(), plan)
		if err := confirm(ctx, opts.IO, t.Name); err != nil {
			return err
		}
	}
	if plan.DeleteNamespace && !opts.JSON {
		fmt.Fprintf(opts.IO.ErrOut, "Deleting namespace %s and waiting until it is gone (its pods get their grace period to stop)...\n", plan.Namespace)
	}
	if err := t.App.Destroy(ctx, plan, app.DestroyOptions{Timeout: opts.Timeout}); err != nil {
		return err
	}
	res := result(plan)
	if t.Home != nil && t.State != nil && t.State.Context == t.Context && t.State.Namespace == t.Namespace {
		if err := os.Remove(t.Home.StatePath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("the app is removed from the cluster, but its record %s could not be removed: %v", t.Home.StatePath(), err)
		}
		res.StateRemoved = t.Home.StatePath()
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResult(opts.IO.Out, opts.IO.Styles(), plan, res)
	return nil
}

func result(p *app.DestroyPlan) Result {
	r := Result{App: p.App, Context: p.Context, Namespace: p.Namespace, Deleted: []string{}, KeptClaims: []app.Claim{}, KeptSecrets: []string{}, NamespaceDeleted: p.DeleteNamespace}
	r.Deleted = append(r.Deleted, p.Delete...)
	if p.DeleteData {
		r.Deleted = append(r.Deleted, p.ServiceSecrets...)
		for _, c := range p.Claims {
			r.Deleted = append(r.Deleted, "persistentvolumeclaim/"+c.Name)
		}
	} else {
		r.KeptClaims = append(r.KeptClaims, p.Claims...)
		r.KeptSecrets = append(r.KeptSecrets, p.ServiceSecrets...)
	}
	return r
}

func printPlan(w io.Writer, st iostreams.Styles, p *app.DestroyPlan) {
	fmt.Fprintf(w, "This removes app %s from context %s (namespace %s):\n", st.Bold.Render(p.App), p.Context, p.Namespace)
	for _, o := range p.Delete {
		fmt.Fprintf(w, "  delete %s\n", o)
	}
	if p.DeleteData {
		for _, c := range p.Claims {
			fmt.Fprintf(w, "  delete persistentvolumeclaim/%s (%s of %s data)\n", c.Name, c.Size, c.Service)
		}
		for _, s := range p.ServiceSecrets {
			fmt.Fprintf(w, "  delete %s\n", s)
		}
		if p.DeleteNamespace {
			fmt.Fprintf(w, "  delete namespace %s\n", p.Namespace)
		}
	} else {
		for _, c := range p.Claims {
			fmt.Fprintf(w, "  keep   persistentvolumeclaim/%s (%s of %s data)\n", c.Name, c.Size, c.Service)
		}
		for _, s := range p.ServiceSecrets {
			fmt.Fprintf(w, "  keep   %s\n", s)
		}
	}
}

// confirm asks the user to type the app's name. Ctrl-C while it waits
// ends it (the read goes on in the background until the process exits).
func confirm(ctx context.Context, ios *iostreams.IOStreams, name string) error {
	fmt.Fprintf(ios.ErrOut, "Type the app's name (%s) to confirm: ", name)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(ios.In).ReadString('\n')
		ch <- answer{line, err}
	}()
	var line string
	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintln(ios.ErrOut)
		return ctx.Err()
	case a := <-ch:
		line, err = a.line, a.err
	}
	if err != nil && line == "" {
		return &cmdutil.UsageError{Err: errors.New("no answer: nothing was deleted")}
	}
	if strings.TrimSpace(line) != name {
		return &cmdutil.UsageError{Err: fmt.Errorf("%q is not %q: nothing was deleted", strings.TrimSpace(line), name)}
	}
	return nil
}

func printResult(w io.Writer, st iostreams.Styles, p *app.DestroyPlan, r Result) {
	n := len(r.Deleted)
	what := fmt.Sprintf("deleted %d object(s)", n)
	if r.NamespaceDeleted {
		what = "deleted namespace " + p.Namespace + " and everything in it"
	}
	fmt.Fprintf(w, "%s Destroyed %s on context %s: %s\n", st.SuccessIcon(), p.App, p.Context, what)
	if p.DeleteData && !p.DeleteNamespace && p.NamespaceKept != "" {
		fmt.Fprintf(w, "  namespace %s stays: %s\n", p.Namespace, p.NamespaceKept)
	}
	if p.KeptData() {
		fmt.Fprintf(w, "Kept the data of its services (namespace %s):\n", p.Namespace)
		for _, c := range p.Claims {
			fmt.Fprintf(w, "  %s: volume claim %s, %s (%s)\n", c.Service, c.Name, c.Size, strings.ToLower(c.Status))
		}
		for _, s := range p.ServiceSecrets {
			fmt.Fprintf(w, "  %s (the service's credentials)\n", s)
		}
		fmt.Fprintln(w, "A later `cupaas deploy` uses them again. Remove them with `cupaas destroy --delete-data`.")
	} else if !p.DeleteData {
		fmt.Fprintf(w, "It had no service data; namespace %s stays (`cupaas destroy --delete-data` removes it).\n", p.Namespace)
	}
	if r.StateRemoved != "" {
		fmt.Fprintf(w, "Removed %s, the record of its last deploy from this directory (.cupaas.env and the credentials stay).\n", r.StateRemoved)
	}
}
