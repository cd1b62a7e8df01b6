package env

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// apply updates the app's Secret in the cluster it was last deployed to,
// then sets the Deployment's config hash so that the pods roll. Nothing
// else changes: the Secret is rendered with the config of the last deploy
// (kept in state.json), and the Deployment is patched, not re-applied, so
// edits of .cupaas.yml that were not deployed yet do not leak into the
// cluster and the image stays the deployed one. The Secret goes on stdin:
// no value is ever in argv. When the cluster cannot be reached the change
// stays stored, with a warning, and the command succeeds.
func apply(ctx context.Context, opts *Options, progress *iostreams.Progress) error {
	last, err := state.Load(opts.Dir)
	if err != nil {
		progress.Warnf("%v", err)
		return nil
	}
	if last == nil || opts.NoApply {
		progress.Infof("Stored; it applies on the next `cupaas deploy`")
		return nil
	}
	current, err := config.Load(opts.Dir)
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	deployed := current
	if last.Config == "" {
		// A state.json of an older cupaas: the deployed config is unknown.
		progress.Warnf("%s does not record the deployed %s (an older cupaas wrote it): applying with the current one; `cupaas deploy` records it", state.Path(opts.Dir), filepath.Base(current.File))
	} else {
		file := filepath.Join(opts.Dir, last.ConfigFile)
		c, err := config.LoadData(opts.Dir, file, []byte(last.Config))
		if err != nil {
			progress.Warnf("the deployed config recorded in %s cannot be used (%v): the change is stored in %s and applies on the next `cupaas deploy`", state.Path(opts.Dir), err, envfile.Name)
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
	// The pods must roll with the image of the last successful deploy: a
	// deploy that failed since (or a hand edit) leaves another image in
	// the Deployment, and rolling that one would start what failed.
	kc := kubectl.Client{Runner: opts.Runner, Context: last.Context}
	out, err := kc.Run(ctx, kubectl.ImageArgs(last.Namespace, "deployment/"+deployed.Name, render.AppContainer)...)
	switch {
	case err != nil && kubectl.IsUnreachable(err):
		return unreachable()
	case err != nil && kubectl.IsNotFound(err):
		progress.Warnf("the app's Deployment is not in the cluster (context %s) any more: the change is stored in %s and applies on the next `cupaas deploy`", last.Context, envfile.Name)
		return nil
	case err != nil:
		return failure(err, "the change is stored in "+envfile.Name+" but was not applied")
	case last.Image != "" && strings.TrimSpace(string(out)) != last.Image:
		progress.Warnf("the cluster runs %s, not %s of the last successful deploy (a deploy failed since, or the Deployment was changed by hand): the change is stored in %s and applies on the next `cupaas deploy`", bytes.TrimSpace(out), last.Image, envfile.Name)
		return nil
	}
	// The services' passwords the cluster holds win, as in deploy: a lost
	// .cupaas/credentials.json must not put new ones into the app's Secret.
	var override map[string]credentials.Service
	if len(deployed.Services) > 0 {
		if override, err = deploy.ClusterCredentials(ctx, opts.Runner, last.Context, deployed); err != nil {
			if kubectl.IsUnreachable(err) {
				return unreachable()
			}
			return failure(err, "the change is stored in "+envfile.Name+" but was not applied")
		}
	}
	b, err := bundle.Prepare(opts.Dir, bundle.Options{Tag: last.Tag, Config: deployed, CredentialOverride: override})
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	secret, dep := pick(b.Objects, b.Config.Name)
	if secret == nil || dep == nil {
		return fmt.Errorf("internal error: the app's Secret and Deployment were not rendered")
	}
	manifest, err := render.Encode([]runtime.Object{secret}, false)
	if err != nil {
		return err
	}
	st := progress.Start("Apply secret " + secret.Name)
	if _, err := kc.Apply(ctx, manifest); err != nil {
		st.Fail("")
		if kubectl.IsUnreachable(err) {
			return unreachable()
		}
		return failure(err, "the change is stored in "+envfile.Name+" but was not applied")
	}
	st.Done("context " + last.Context)
	st = progress.Start("Roll out")
	kindName := "deployment/" + dep.Name
	hash := dep.Spec.Template.Annotations[render.AnnotationConfigHash]
	if _, err := kc.PatchPodAnnotation(ctx, last.Namespace, kindName, render.AnnotationConfigHash, hash); err != nil {
		st.Fail("")
		if ctx.Err() != nil {
			return err
		}
		return failure(err, "the Secret is updated, but the pods were not restarted; run `cupaas deploy` to restart them")
	}
	err = deploy.WaitRollout(ctx, deploy.RolloutOptions{Runner: opts.Runner, Context: last.Context, App: b.Config.Name, Deployment: dep, Timeout: opts.Timeout, PollInterval: opts.PollInterval})
	if err != nil {
		st.Fail("")
		if ctx.Err() != nil {
			return err
		}
		var se *deploy.StepError
		if errors.As(err, &se) {
			// The old pods keep serving: a Deployment replaces them only
			// once new ones are ready.
			msg := "the change is stored and the Secret is updated, but the new pods do not start (the old ones keep running): " + se.Err.Error()
			for _, d := range se.Details {
				msg += "\n" + d
			}
			msg += "\nUndo it with `cupaas env set`/`unset`, or fix the app and run `cupaas deploy`."
			return &cmdutil.ExitError{Code: 1, Err: errors.New(msg)}
		}
		return failure(err, "the Secret is updated, but the pods did not roll; run `cupaas deploy` to see why")
	}
	st.Done("")
	// The pods now run with this config hash: the next deploy of the same
	// config replaces nothing.
	last.ConfigHash = hash
	if err := state.Save(opts.Dir, *last); err != nil {
		progress.Warnf("%v", err)
	}
	return nil
}

// pick returns the app's env Secret and its Deployment.
func pick(objs []runtime.Object, app string) (*corev1.Secret, *appsv1.Deployment) {
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

// failure reports a failed kubectl call with its output's last lines.
func failure(err error, what string) error {
	var re *run.Error
	if errors.As(err, &re) {
		msg := what + ":\n"
		for _, l := range re.Tail(10) {
			msg += "  " + l + "\n"
		}
		return &cmdutil.ExitError{Code: 1, Err: fmt.Errorf("%sThe command was: %s", msg, re.CommandLine())}
	}
	return fmt.Errorf("%s: %w", what, err)
}
