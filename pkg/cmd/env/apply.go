package env

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// apply updates the app's Secret in the cluster it was last deployed to,
// and the Deployment's config hash so that the pods roll; the image stays
// the deployed one. The manifest goes on stdin: no value is ever in argv.
// When the cluster cannot be reached the change stays stored, with a
// warning, and the command succeeds.
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
	b, err := bundle.Prepare(opts.Dir, bundle.Options{Tag: last.Tag})
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	if last.App != "" && last.App != b.Config.Name {
		// The deployed app has another name (and namespace): applying would
		// create a second, half-made app beside it.
		progress.Warnf("the app was last deployed as %s, and .cupaas.yml now names it %s: the change is stored in %s and applies on the next `cupaas deploy`", last.App, b.Config.Name, envfile.Name)
		return nil
	}
	objs := pick(b.Objects, b.Config.Name)
	if len(objs) != 2 {
		return fmt.Errorf("internal error: the app's Secret and Deployment were not rendered")
	}
	manifest, err := render.Encode(objs, false)
	if err != nil {
		return err
	}
	kc := kubectl.Client{Runner: opts.Runner, Context: last.Context}
	st := progress.Start("Apply secret " + b.Config.Name + "-env")
	if _, err := kc.Apply(ctx, manifest); err != nil {
		st.Fail("")
		if kubectl.IsUnreachable(err) {
			progress.Warnf("cluster not reachable (context %s): the change is stored in %s and applies on the next `cupaas deploy`", last.Context, envfile.Name)
			return nil
		}
		return failure(err, "the change is stored in "+envfile.Name+" but was not applied")
	}
	st.Done("context " + last.Context)
	st = progress.Start("Roll out")
	if _, err := kc.RolloutStatus(ctx, last.Namespace, "deployment/"+b.Config.Name, opts.Timeout); err != nil {
		st.Fail("")
		if ctx.Err() != nil {
			return err
		}
		return failure(err, "the Secret is updated, but the pods did not roll; run `cupaas deploy` to see why")
	}
	settle(ctx)
	st.Done("")
	return nil
}

// settle gives the Service time to drop the old pods: they leave its
// endpoints as soon as they start terminating, and kube-proxy applies such
// changes at most once a second. Waiting for the old pods to be gone would
// take their whole grace period (30 s for an app that ignores SIGTERM).
func settle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
}

// pick returns the app's env Secret and its Deployment.
func pick(objs []runtime.Object, app string) []runtime.Object {
	var out []runtime.Object
	for _, o := range objs {
		switch obj := o.(type) {
		case *corev1.Secret:
			if obj.Name == app+"-env" {
				out = append(out, obj)
			}
		case *appsv1.Deployment:
			if obj.Name == app {
				out = append(out, obj)
			}
		}
	}
	return out
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
