package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
	"github.com/cupaas/cupaas/pkg/run"
)

// The release records of Run, UpdateEnv and Rollback (see pkg/release):
// recordRelease writes a pending record when the cluster is about to
// change, finishRelease marks it succeeded or failed and, after a success,
// prunes the history. A record that cannot be written is a warning: the
// app's change itself goes on.

// releaseRun is the record of the change under way.
type releaseRun struct {
	store release.Store
	rec   release.Record
	// keep is how many releases to keep.
	keep int
	// all are the app's records with rec, newest first: the history to
	// prune once rec succeeded (no other change runs meanwhile, the app's
	// lock is held).
	all []release.Record
	// saved, once early began, ends with the early save's error.
	saved chan error
}

// early writes the record as succeeded in the background, once the app's
// pods rolled out: the write then takes none of the deploy's time, being
// done while the deploy waits for the Service to drop the replaced pods and
// verifies the URL. finish waits for it, and writes the record again as
// failed when the deploy failed after all.
func (r *releaseRun) early(ctx context.Context) {
	if r == nil || r.saved != nil {
		return
	}
	rec := r.rec
	rec.Status = release.Succeeded
	r.saved = make(chan error, 1)
	go func() { r.saved <- r.store.Save(context.WithoutCancel(ctx), rec) }()
}

// recordRelease numbers rec after the app's newest release and writes it
// as pending, after the objects in before (the app's Namespace, which a
// first deploy has not created yet). list holds the records, read ahead;
// nil reads them now. nil with a warning when the cluster cannot be asked
// or written.
func recordRelease(ctx context.Context, store release.Store, list *ahead[[]release.Record], rec release.Record, keep int, warn func(string), before ...runtime.Object) *releaseRun {
	if list == nil {
		list = newAhead(store.List)
	}
	recs, err := list.get(ctx)
	if err != nil && !kubectl.IsNotFound(err) {
		if ctx.Err() == nil {
			warn("the release is not recorded: cannot list the app's releases (" + cluster.FirstLine(err) + ")")
		}
		return nil
	}
	rec.Version = release.Next(recs)
	rec.Status = release.Pending
	if err := store.Save(ctx, rec, before...); err != nil {
		if ctx.Err() == nil {
			warn("the release is not recorded: " + cluster.FirstLine(err))
		}
		return nil
	}
	return &releaseRun{store: store, rec: rec, keep: keep, all: append([]release.Record{rec}, recs...)}
}

// recordOutcome records a change that is over (an env change, whose
// Secret was applied): as succeeded when err is nil, else as failed; then
// prunes the history after a success. It returns what to show.
func recordOutcome(ctx context.Context, kc kubectl.Client, app, ns string, rec release.Record, err error, keep int, cl cluster.Cluster, runner run.Runner) (notes, warnings []string) {
	ctx = context.WithoutCancel(ctx)
	store := release.Store{Kube: kc, App: app, Namespace: ns}
	recs, lerr := store.List(ctx)
	if lerr != nil {
		return nil, []string{"the release is not recorded: cannot list the app's releases (" + cluster.FirstLine(lerr) + ")"}
	}
	rec.Version = release.Next(recs)
	rec.Status = release.Succeeded
	if err != nil {
		rec.Status, rec.Error = release.Failed, firstLineOf(errorHeadline(err))
	}
	if serr := store.Save(ctx, rec); serr != nil {
		return nil, []string{"the release is not recorded: " + cluster.FirstLine(serr)}
	}
	notes = append(notes, fmt.Sprintf("Release %s (%s, %s)", rec.Name(), rec.Summary(), rec.Status))
	if err != nil {
		return notes, nil
	}
	pn, pw := pruneHistory(ctx, store, keep, cl, runner, append([]release.Record{rec}, recs...))
	return append(notes, pn...), pw
}

// finishRelease marks the record succeeded (err nil) or failed, even when
// the command was interrupted, then prunes the history after a success.
// It returns the lines to show: what was pruned, and warnings.
func (r *releaseRun) finish(ctx context.Context, err error, cl cluster.Cluster, runner run.Runner) (notes, warnings []string) {
	if r == nil {
		return nil, nil
	}
	ctx = context.WithoutCancel(ctx)
	var serr error
	if r.saved != nil {
		serr = <-r.saved
	}
	r.rec.Status = release.Succeeded
	if err != nil {
		r.rec.Status = release.Failed
		r.rec.Error = firstLineOf(errorHeadline(err))
	}
	if r.saved == nil || err != nil {
		serr = r.store.Save(ctx, r.rec)
	}
	if serr != nil {
		return nil, []string{fmt.Sprintf("release %s is recorded as pending: marking it %s failed (%s)", r.rec.Name(), r.rec.Status, cluster.FirstLine(serr))}
	}
	if err != nil {
		return nil, nil
	}
	r.all[0] = r.rec
	return pruneHistory(ctx, r.store, r.keep, cl, runner, r.all)
}

// pruneHistory deletes the records beyond the keep newest of recs, the
// app's records newest first (never the one that runs), then the images no
// kept record uses, from the local Docker engine and from the cluster's
// nodes.
func pruneHistory(ctx context.Context, store release.Store, keep int, cl cluster.Cluster, runner run.Runner, recs []release.Record) (notes, warnings []string) {
	expired := release.Expired(recs, keep)
	if len(expired) == 0 {
		return nil, nil
	}
	if err := store.Delete(ctx, expired); err != nil {
		return nil, []string{"cannot prune the release history: " + cluster.FirstLine(err)}
	}
	gone := map[int]bool{}
	var names []string
	for _, r := range expired {
		gone[r.Version] = true
		names = append(names, r.Name())
	}
	var kept []release.Record
	for _, r := range recs {
		if !gone[r.Version] {
			kept = append(kept, r)
		}
	}
	note := fmt.Sprintf("Pruned release %s (history: %d kept)", strings.Join(names, ", "), keep)
	images := release.Unreferenced(expired, kept)
	removed := 0
	for _, image := range images {
		ok := true
		if _, err := runner.Run(ctx, run.Cmd{Argv: []string{"docker", "image", "rm", image}}); err != nil && !strings.Contains(strings.ToLower(cluster.FirstLine(err)), "no such image") {
			warnings = append(warnings, fmt.Sprintf("cannot remove image %s from Docker: %s", image, cluster.FirstLine(err)))
			ok = false
		}
		if rm, is := cl.(cluster.ImageRemover); is {
			if err := rm.RemoveImage(ctx, cluster.Exec{Runner: runner}, image); err != nil {
				warnings = append(warnings, fmt.Sprintf("cannot remove image %s from the cluster's node: %s", image, cluster.FirstLine(err)))
				ok = false
			}
		}
		if ok {
			removed++
		}
	}
	if removed > 0 {
		note += fmt.Sprintf(", and %d image(s) no kept release uses", removed)
	}
	return []string{note}, warnings
}

// historyOf is how many releases to keep: the config's history, else
// the setting, else the default.
func historyOf(c *config.Config, setting int) int {
	switch {
	case c != nil && c.History > 0:
		return c.History
	case setting > 0:
		return setting
	}
	return release.DefaultHistory
}

// deployRecord is the record of a deploy of b.
func deployRecord(b *bundle.Bundle, now time.Time) release.Record {
	return release.Record{
		Time: now.UTC(), Kind: release.KindDeploy, Image: b.Image, Tag: b.Tag, Commit: b.Git.Revision(),
		ConfigFile: configFileName(b.Config), Config: string(b.Config.Raw), Services: serviceList(b.Config),
		Env: b.Secrets,
	}
}

// namespaceObject is the Namespace among objects, to apply before a
// record on a first deploy.
func namespaceObject(objects []runtime.Object) []runtime.Object {
	for _, o := range objects {
		if ns, ok := o.(*corev1.Namespace); ok {
			return []runtime.Object{ns}
		}
	}
	return nil
}

// serviceList is "redis:7" for each service of c.
func serviceList(c *config.Config) []string {
	var out []string
	for _, s := range c.Services {
		out = append(out, s.Name+":"+s.Version)
	}
	return out
}

// errorHeadline is the line the error printer shows for err.
func errorHeadline(err error) string {
	if h, ok := err.(interface{ Headline() string }); ok {
		return h.Headline()
	}
	return err.Error()
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
