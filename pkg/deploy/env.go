package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// EnvOptions are the inputs of UpdateEnv.
type EnvOptions struct {
	Progress *iostreams.Progress
	Runner   run.Runner
	Home     home.Home
	// Config is .cupaas.yml as it is now.
	Config *config.Config
	// Timeout bounds the rollout; 0 means 5 minutes.
	Timeout time.Duration
	// PollInterval is how often the pods are inspected; 0 means 2 s.
	PollInterval time.Duration
	// SettleDelay is the wait after the rollout (see settle); 0 means 2 s.
	SettleDelay time.Duration
	// Command (set, unset, import) and Keys (the names it changed) are
	// recorded in the release; never a value.
	Command string
	Keys    []string
	// History is how many releases to keep when the deployed config
	// says nothing (the setting history); 0 means the default.
	History int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Failure is a failed operation: what it means for the user (the
// headline), the cause, and a hint printed after the cause's lines.
type Failure struct {
	What string
	Err  error
	Hint string
}

func (f *Failure) Error() string { return f.What + ": " + f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Headline is what, with the cause unless it is a failed command (whose
// lines show it).
func (f *Failure) Headline() string {
	var re *run.Error
	if errors.As(f.Err, &re) {
		return f.What
	}
	return f.Error()
}

// Lines are the cause's lines, then the hint.
func (f *Failure) Lines() []string {
	lines := Lines(f.Err)
	if f.Hint != "" {
		lines = append(lines, f.Hint)
	}
	return lines
}

// UpdateEnv applies the app's settings and secrets, as stored now, to the
// cluster it was last deployed to: it updates the Secret <name>-env, then
// sets the Deployment's config hash so that the pods roll, and waits for
// them as deploy does. Nothing else changes: the Secret is rendered with
// the config of the last deploy (kept in the state), and the Deployment is
// patched, not re-applied, so edits of .cupaas.yml that were not deployed
// yet do not reach the cluster and the image stays the deployed one. The
// Secret goes on stdin: no value is ever in argv. When the cluster cannot
// be reached, or the app is not as the last deploy left it, the change
// stays stored, with a warning, and nil is returned.
func UpdateEnv(ctx context.Context, o EnvOptions) (err error) {
	progress := o.Progress
	if o.Now == nil {
		o.Now = time.Now
	}
	last, err := o.Home.State()
	if err != nil {
		progress.Warnf("%v", err)
		return nil
	}
	if last == nil {
		progress.Infof("Stored; it applies on the next `cupaas deploy`")
		return nil
	}
	current := o.Config
	deployed := current
	if last.Config == "" {
		// A state.json of an older cupaas: the deployed config is unknown.
		progress.Warnf("%s does not record the deployed %s (an older cupaas wrote it): applying with the current one; `cupaas deploy` records it", o.Home.StatePath(), filepath.Base(current.File))
	} else {
		file := filepath.Join(o.Home.AppDir, last.ConfigFile)
		c, err := config.LoadData(o.Home.AppDir, file, []byte(last.Config))
		if err != nil {
			progress.Warnf("the deployed config recorded in %s cannot be used (%v): the change is stored in %s and applies on the next `cupaas deploy`", o.Home.StatePath(), err, envfile.Name)
			return nil
		}
		deployed = c
		if !bytes.Equal(current.Raw, c.Raw) {
			progress.Infof("%s has changes that are not deployed; they apply on the next `cupaas deploy`", filepath.Base(current.File))
		}
	}
	if last.App != "" && last.App != deployed.Name {
		// The deployed app has another name (and namespace): applying would
		// create a second, half-made app beside it.
		progress.Warnf("the app was last deployed as %s, and .cupaas.yml now names it %s: the change is stored in %s and applies on the next `cupaas deploy`", last.App, deployed.Name, envfile.Name)
		return nil
	}
	unreachable := func() error {
		progress.Warnf("cluster not reachable (context %s): the change is stored in %s and applies on the next `cupaas deploy`", last.Context, envfile.Name)
		return nil
	}
	notApplied := func(err error) error {
		return &Failure{What: "the change is stored in " + envfile.Name + " but was not applied", Err: err}
	}
	cl := cluster.Of(last.Context, last.Cluster, last.Registry)
	kc := kubectl.Client{Runner: o.Runner, Context: last.Context}
	a := app.New(kc, deployed.Name, cl.Hints())
	a.Namespace = last.Namespace
	// The pods must roll with the image of the last successful deploy: a
	// deploy that failed since (or a hand edit) leaves another image in
	// the Deployment, and rolling that one would start what failed.
	out, err := kc.Run(ctx, kubectl.ImageArgs(a.Namespace, "deployment/"+deployed.Name, render.AppContainer)...)
	switch {
	case err != nil && kubectl.IsUnreachable(err):
		return unreachable()
	case err != nil && kubectl.IsNotFound(err):
		progress.Warnf("the app's Deployment is not in the cluster (context %s) any more: the change is stored in %s and applies on the next `cupaas deploy`", last.Context, envfile.Name)
		return nil
	case err != nil:
		return notApplied(err)
	case last.Image != "" && strings.TrimSpace(string(out)) != last.Image:
		progress.Warnf("the cluster runs %s, not %s of the last successful deploy (a deploy failed since, or the Deployment was changed by hand): the change is stored in %s and applies on the next `cupaas deploy`", bytes.TrimSpace(out), last.Image, envfile.Name)
		return nil
	}
	// The services' passwords the cluster holds win, as in deploy: a lost
	// credentials.json must not put new ones into the app's Secret.
	var override map[string]credentials.Service
	if len(deployed.Services) > 0 {
		if override, err = a.Credentials(ctx, deployed.ServiceNames()); err != nil {
			if kubectl.IsUnreachable(err) {
				return unreachable()
			}
			return notApplied(err)
		}
	}
	b, err := bundle.Prepare(o.Home.AppDir, bundle.Options{Tag: last.Tag, Config: deployed, CredentialOverride: override, Cluster: cl, Home: o.Home})
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	if last.Image != "" {
		b.UseImage(last.Image) // such as the digest pushed to a registry
	}
	secret, dep := EnvObjects(b.Objects, b.Config.Name)
	if secret == nil || dep == nil {
		return fmt.Errorf("internal error: the app's Secret and Deployment were not rendered")
	}
	manifest, err := render.Encode([]runtime.Object{secret}, false)
	if err != nil {
		return err
	}
	// Once the Secret is applied, the change is a release: recorded when
	// the pods rolled (succeeded) or did not (failed).
	rec := release.Record{
		Time: o.Now().UTC(), Kind: release.KindEnv, EnvCommand: o.Command, Keys: o.Keys,
		Image: last.Image, Tag: last.Tag, Commit: last.Commit, ConfigFile: last.ConfigFile, Config: string(deployed.Raw),
		Services: serviceList(deployed), Env: b.Secrets,
	}
	secretApplied, rolled := false, false
	defer func() {
		if !secretApplied {
			return
		}
		outcome := err
		if outcome == nil && !rolled {
			outcome = errors.New("the pods did not roll")
		}
		notes, warnings := recordOutcome(ctx, kc, deployed.Name, a.Namespace, rec, outcome, historyOf(deployed, o.History), cl, o.Runner)
		for _, w := range warnings {
			progress.Warnf("%s", w)
		}
		for _, n := range notes {
			progress.Infof("%s", n)
		}
	}()
	st := progress.Start("Apply secret " + secret.Name)
	if _, err := kc.Apply(ctx, manifest); err != nil {
		st.Fail("")
		if kubectl.IsUnreachable(err) {
			return unreachable()
		}
		return notApplied(err)
	}
	st.Done("context " + last.Context)
	secretApplied = true
	st = progress.Start("Roll out")
	kindName := "deployment/" + dep.Name
	hash := dep.Spec.Template.Annotations[render.AnnotationConfigHash]
	if _, err := kc.PatchPodAnnotation(ctx, a.Namespace, kindName, render.AnnotationConfigHash, hash); err != nil {
		st.Fail("")
		if ctx.Err() != nil {
			return err
		}
		return &Failure{What: "the Secret is updated, but the pods were not restarted; run `cupaas deploy` to restart them", Err: err}
	}
	w := app.NewWorkload(kindName, render.ComponentApp, true, dep.Spec.Template)
	err = a.WaitRollout(ctx, w, app.RolloutOptions{Timeout: o.Timeout, PollInterval: o.PollInterval})
	if err == nil {
		err = dropOldEndpoints(ctx, st.Warn, a, []app.Workload{w}, settleDelay(o.SettleDelay))
	}
	if err != nil {
		st.Fail("")
		if ctx.Err() != nil {
			return err
		}
		var d *app.Diagnosis
		if errors.As(err, &d) {
			// The old pods keep serving: a Deployment replaces them only
			// once new ones are ready.
			return &Failure{
				What: "the change is stored and the Secret is updated, but the new pods do not start (the old ones keep running)",
				Err:  d,
				Hint: "Undo it with `cupaas env set`/`unset`, or fix the app and run `cupaas deploy`.",
			}
		}
		return &Failure{What: "the Secret is updated, but the pods did not roll; run `cupaas deploy` to see why", Err: err}
	}
	st.Done("")
	rolled = true
	// The pods now run with this config hash: the next deploy of the same
	// config replaces nothing.
	last.ConfigHash = hash
	if err := o.Home.SaveState(*last); err != nil {
		progress.Warnf("%v", err)
	}
	return nil
}

func settleDelay(d time.Duration) time.Duration {
	if d == 0 {
		return 2 * time.Second
	}
	return d
}

// EnvObjects returns the app's env Secret and its Deployment among objs.
func EnvObjects(objs []runtime.Object, app string) (*corev1.Secret, *appsv1.Deployment) {
	var secret *corev1.Secret
	var dep *appsv1.Deployment
	for _, o := range objs {
		switch obj := o.(type) {
		case *corev1.Secret:
			if obj.Name == app+"-env" {
				secret = obj
			}
		case *appsv1.Deployment:
			if obj.Name == app {
				dep = obj
			}
		}
	}
	return secret, dep
}
