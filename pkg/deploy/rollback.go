package deploy

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/release"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// RollbackOptions are the inputs of Rollback: those of a deploy (IO,
// Runner, Context, Timeout, ...; Dir is the app's directory) and which app
// and release.
type RollbackOptions struct {
	Options
	// App is the app's name.
	App string
	// NoHome says the app was named with --app outside its directory:
	// its local files (.cupaas.env, .cupaas/state.json) are not there,
	// and are not written.
	NoHome bool
	// To is the release to put back (3 for v3); 0 means the one before
	// the release that runs.
	To int
}

// Rollback puts back a release: its image, its .cupaas.yml and its
// settings and secrets, through the same steps as a deploy but without a
// build (the image is on the node; when it is gone, it is rebuilt from the
// release's commit when the repository has it). Services and their data
// are never rolled back. It records a new release "rollback to vN". In
// the app's directory, .cupaas.env and the state get the rolled-back
// values, so that the next `cupaas env set` or deploy goes on from them.
func Rollback(ctx context.Context, o RollbackOptions) (*Report, *cluster.Tunnel, error) {
	opts := o.Options
	opts.defaults()
	d := newDriver(opts)
	cl := cluster.Of(opts.Context, opts.Cluster, opts.Registry)
	h := home.Of(opts.Dir)
	kc := kubectl.Client{Runner: opts.Runner, Context: cl.Context()}
	a := app.New(kc, o.App, cl.Hints())
	a.Quiet, a.Now = opts.Runner, opts.Now
	store := release.Store{Kube: kc, App: a.Name, Namespace: a.Namespace}
	d.report.Namespace = a.Namespace
	var (
		target  *release.Record
		current *release.Record
		cfg     *config.Config
		objects []runtime.Object
		// podImage is what the cluster named the image ("": its name).
		podImage string
		url      string
		tunnel   *cluster.Tunnel
		rel      *releaseRun
		hash     string
	)
	start := opts.Now()
	_, err := d.run(ctx, []phase{seq("rollback",
		step{name: "Find release", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			if !o.NoHome {
				lk, err := h.Lock(ctx, "rollback", opts.LockWait)
				if err != nil {
					return result{}, err
				}
				d.release = lk.Release
			}
			recs, err := store.List(ctx)
			if err != nil && !kubectl.IsNotFound(err) {
				return result{}, err
			}
			if target, current, err = pickTarget(recs, o.To, a.Name, cl.Context()); err != nil {
				return result{}, err
			}
			if cfg, err = recordedConfig(*target, a.Name); err != nil {
				return result{}, err
			}
			if w := servicesDiffer(*target, current); w != "" {
				s.Warn(w)
			}
			d.report.Image, d.report.Commit = target.Image, target.Commit
			return result{detail: fmt.Sprintf("%s: %s, image %s", target.Name(), target.Summary(), target.Image)}, nil
		}},
		step{name: "Preflight", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			return rollbackPreflight(ctx, s, cl)
		}},
		step{name: cl.PublishStep(), dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			res, ref, err := rollbackImage(ctx, s, cl, h, o.NoHome, *target)
			podImage = ref
			return res, err
		}},
		step{name: "Apply manifests", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			var err error
			pods := *target
			if podImage != "" {
				// The pods use what the cluster named the image (a
				// registry's digest).
				pods.Image = podImage
			}
			if objects, err = rollbackObjects(ctx, a, h, o.NoHome, cfg, cl, pods); err != nil {
				return result{}, err
			}
			hash = appHash(objects)
			rec := *target
			rec.Version, rec.Time, rec.Kind, rec.RollbackTo = 0, opts.Now().UTC(), release.KindRollback, target.Version
			rec.EnvCommand, rec.Keys, rec.Error = "", nil, ""
			rel = recordRelease(ctx, release.Store{Kube: kc, App: a.Name, Namespace: a.Namespace}, nil, rec, historyOf(cfg, opts.History), s.Warn)
			if rel != nil {
				d.report.Release = rel.rec.Version
			}
			manifest, err := render.Encode(objects, false)
			if err != nil {
				return result{}, err
			}
			if _, err := s.Retry(ctx, "kubectl apply", func() ([]byte, error) {
				return s.Runner.Run(ctx, run.Cmd{Argv: kc.Argv(kubectl.ApplyArgs...), Stdin: bytes.NewReader(manifest)})
			}); err != nil {
				return result{}, err
			}
			if err := dropAutoscaler(ctx, s, a, cfg, current); err != nil {
				return result{}, err
			}
			return result{detail: fmt.Sprintf("%d objects of the app; services untouched", len(objects))}, nil
		}},
		step{name: "Roll out", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			var targets []app.Workload
			for _, w := range workloads(objects) {
				if w.IsApp {
					targets = append(targets, w)
				}
			}
			return rollout(ctx, s, a, targets, true, opts, func() { rel.early(ctx) })
		}},
		step{name: "Get URL", dryRun: false, run: func(ctx context.Context, s stepIO) (res result, err error) {
			url, tunnel, res, err = getURL(ctx, s, cl, a, cfg.Domain)
			d.report.URL = url
			return res, err
		}},
		step{name: "Verify", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			return verify(ctx, opts, a, url, cfg.Healthcheck)
		}},
	)})
	notes, warnings := rel.finish(ctx, err, cl, opts.Runner)
	if err == nil && !o.NoHome {
		warnings = append(warnings, keepLocal(h, cl.Context(), *target, cfg, hash, url, opts)...)
	}
	return d.end(start, notes, warnings, tunnel, err)
}

// rollbackPreflight checks kubectl and the cluster. Docker is not needed
// when the node has the image; when it is, the image step says so.
func rollbackPreflight(ctx context.Context, s stepIO, cl cluster.Cluster) (result, error) {
	for _, tool := range cl.Tools() {
		if tool.Name == "docker" {
			continue
		}
		if _, err := s.Runner.LookPath(tool.Name); err != nil {
			return result{}, &cluster.Error{Err: fmt.Errorf("%s not found on PATH", tool.Name), Details: []string{tool.Name + ": " + tool.Install}}
		}
	}
	if err := cl.Check(ctx, s.Exec); err != nil {
		return result{}, err
	}
	return result{detail: "context " + cl.Context()}, nil
}

// dropAutoscaler deletes the app's HorizontalPodAutoscaler when the
// release put back has none and the current one had: it would keep
// scaling the Deployment.
func dropAutoscaler(ctx context.Context, s stepIO, a *app.App, target *config.Config, current *release.Record) error {
	if target.Autoscale != nil || current == nil {
		return nil
	}
	if cur, err := recordedConfig(*current, a.Name); err != nil || cur.Autoscale == nil {
		return nil
	}
	_, err := s.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv("-n", a.Namespace, "delete", "horizontalpodautoscaler.autoscaling", a.Name, "--ignore-not-found")})
	return err
}

// RollbackError is a rollback that cannot be done as asked: what, and
// what to do.
type RollbackError struct {
	Err     error
	Details []string
}

func (e *RollbackError) Error() string   { return e.Err.Error() }
func (e *RollbackError) Lines() []string { return e.Details }

// pickTarget finds the release to put back, and the one that runs.
func pickTarget(recs []release.Record, to int, appName, kubeContext string) (target, current *release.Record, err error) {
	if len(recs) == 0 {
		return nil, nil, &RollbackError{Err: fmt.Errorf("app %s has no recorded release in context %s: there is nothing to roll back to", appName, kubeContext),
			Details: []string{"Releases are recorded from the first `cupaas deploy` with a cupaas that records them."}}
	}
	current = release.Current(recs)
	list := func() []string {
		var out []string
		for _, r := range recs {
			out = append(out, fmt.Sprintf("%s  %s  %s  %s", r.Name(), r.Status, r.Summary(), r.Image))
		}
		return out
	}
	if to == 0 {
		target = release.Previous(recs)
		if target == nil {
			return nil, nil, &RollbackError{Err: fmt.Errorf("app %s has no earlier release that succeeded to roll back to", appName), Details: list()}
		}
		return target, current, nil
	}
	target = release.Find(recs, to)
	switch {
	case target == nil:
		return nil, nil, &RollbackError{Err: fmt.Errorf("app %s has no release v%d (kept: %s)", appName, to, keptRange(recs)), Details: list()}
	case target.Status != release.Succeeded:
		return nil, nil, &RollbackError{Err: fmt.Errorf("release v%d %s; roll back to a release that succeeded", to, target.Status), Details: list()}
	case current != nil && current.Version == to:
		return nil, nil, &RollbackError{Err: fmt.Errorf("release v%d is the one that runs; nothing to do", to)}
	}
	return target, current, nil
}

func keptRange(recs []release.Record) string {
	if len(recs) == 1 {
		return recs[0].Name()
	}
	return recs[len(recs)-1].Name() + "–" + recs[0].Name()
}

// recordedConfig is the .cupaas.yml of r, parsed as it was deployed.
func recordedConfig(r release.Record, appName string) (*config.Config, error) {
	if r.Config == "" {
		return nil, fmt.Errorf("release %s does not record its .cupaas.yml", r.Name())
	}
	name := r.ConfigFile
	if name == "" {
		name = config.FileName
	}
	c, err := config.Parse(r.Name()+":"+name, []byte(r.Config))
	if err != nil {
		return nil, fmt.Errorf("the .cupaas.yml recorded in release %s cannot be used: %w", r.Name(), err)
	}
	c.Raw = []byte(r.Config)
	if c.Name == "" {
		c.Name = appName
	}
	if c.Name != appName {
		return nil, fmt.Errorf("release %s names the app %s, not %s", r.Name(), c.Name, appName)
	}
	return c, nil
}

// servicesDiffer says, when the services of target and current differ,
// that services are never rolled back.
func servicesDiffer(target release.Record, current *release.Record) string {
	if current == nil || slices.Equal(target.Services, current.Services) {
		return ""
	}
	show := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("services are never rolled back: %s had %s, %s has %s; the services that run stay as they are, with their data", target.Name(), show(target.Services), current.Name(), show(current.Services))
}

// rollbackImage makes the release's image visible to the nodes: nothing
// to do when they have it; a load when the local Docker engine has it;
// else a build from the release's commit when the repository has it. It
// returns the reference the pods use (a registry's digest), "" for the
// image's own name.
func rollbackImage(ctx context.Context, s stepIO, cl cluster.Cluster, h home.Home, noHome bool, r release.Record) (result, string, error) {
	if strings.Contains(r.Image, "@sha256:") {
		// By digest in a registry: the nodes pull exactly that.
		return result{detail: "the registry has " + r.Image, cached: true}, r.Image, nil
	}
	p, err := cl.Publish(ctx, s.Exec, r.Image, false)
	if err == nil {
		if p.Cached {
			return result{detail: "cached: the node has " + r.Image, cached: true}, p.Ref, nil
		}
		return result{detail: "loaded " + r.Image + " from Docker"}, p.Ref, nil
	}
	if ctx.Err() != nil {
		return result{}, "", err
	}
	// Not on the node, and the load failed: is it in Docker at all?
	if _, ierr := s.Runner.Run(ctx, run.Cmd{Argv: []string{"docker", "image", "inspect", "--format", "{{.Id}}", r.Image}}); ierr == nil {
		return result{}, "", err
	}
	gone := fmt.Errorf("image %s of release %s is neither on the node nor in Docker any more", r.Image, r.Name())
	why := canRebuild(h, noHome, r)
	if why != "" {
		return result{}, "", &RollbackError{Err: gone, Details: []string{"It cannot be rebuilt: " + why + "."}}
	}
	s.Warn(gone.Error() + fmt.Sprintf("; rebuilding it from commit %s", r.ShortCommit()))
	commit, cerr := gitsource.ResolveCommit(h.AppDir, r.Commit)
	if cerr != nil {
		return result{}, "", &RollbackError{Err: gone, Details: []string{"It cannot be rebuilt: " + cerr.Error()}}
	}
	c, cerr := config.LoadCommit(h.AppDir, commit)
	if cerr != nil {
		return result{}, "", cerr
	}
	b, cerr := bundle.Prepare(h.AppDir, bundle.Options{Context: ctx, Config: c, Cluster: cl, Home: h})
	if cerr != nil {
		return result{}, "", cerr
	}
	if b.Image != r.Image {
		return result{}, "", &RollbackError{Err: gone, Details: []string{fmt.Sprintf("Commit %s builds %s today, not %s (a changed base Dockerfile of cupaas?); deploy it with `cupaas deploy --ref %s` instead.", r.ShortCommit(), b.Image, r.Image, r.ShortCommit())}}
	}
	if err := b.Write(h.BuildDir()); err != nil {
		return result{}, "", err
	}
	if _, err := build(ctx, s, h.AppDir, b, "image gone", true); err != nil {
		return result{}, "", err
	}
	p, err = cl.Publish(ctx, s.Exec, r.Image, true)
	if err != nil {
		return result{}, "", err
	}
	return result{detail: "rebuilt from commit " + r.ShortCommit() + " and loaded"}, p.Ref, nil
}

// canRebuild says why the image of r cannot be built again ("" when it can).
func canRebuild(h home.Home, noHome bool, r release.Record) string {
	switch {
	case noHome:
		return "run `cupaas rollback` in the app's directory, whose git repository may have its commit"
	case r.Commit == "":
		return "the release records no git commit"
	case strings.HasSuffix(r.Commit, "-dirty"):
		return "it was built from uncommitted changes (" + r.ShortCommit() + ")"
	}
	if _, err := gitsource.ResolveCommit(h.AppDir, r.Commit); err != nil {
		return "the repository in " + h.AppDir + " does not have commit " + r.ShortCommit()
	}
	return ""
}

// rollbackObjects renders the app's own objects (ConfigMap, Secret,
// Deployment, Service, autoscaler) of the release: its config, image and
// settings, with the services' credentials the cluster holds. The
// services' objects are left out: they are never rolled back.
func rollbackObjects(ctx context.Context, a *app.App, h home.Home, noHome bool, c *config.Config, cl cluster.Cluster, r release.Record) ([]runtime.Object, error) {
	creds := map[string]credentials.Service{}
	if names := c.ServiceNames(); len(names) > 0 {
		held, err := a.Credentials(ctx, names)
		if err != nil {
			return nil, err
		}
		maps.Copy(creds, held)
		var stored map[string]credentials.Service
		if !noHome {
			stored, _ = h.StoredCredentials()
		}
		for _, n := range names {
			if _, ok := creds[n]; ok {
				continue
			}
			if sc, ok := stored[n]; ok {
				creds[n] = sc
				continue
			}
			return nil, fmt.Errorf("service %s of release %s is not in the cluster any more, and services are never rolled back: deploy the app instead", n, r.Name())
		}
	}
	objs, err := render.Manifests(render.Input{
		Config: c, Image: r.Image, PullPolicy: cl.PullPolicy(), Commit: r.Commit,
		Credentials: creds, Secrets: r.Env,
	})
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", r.Name(), err)
	}
	var own []runtime.Object
	for _, o := range objs {
		m, err := meta.Accessor(o)
		if err != nil {
			return nil, err
		}
		if m.GetLabels()[render.LabelComponent] == render.ComponentApp && m.GetNamespace() != "" {
			own = append(own, o)
		}
	}
	return own, nil
}

// keepLocal makes the app directory's files follow the rollback:
// .cupaas.env gets the release's settings and secrets, and the state its
// image and config, so that `cupaas env set` applies to what runs.
func keepLocal(h home.Home, kubeContext string, r release.Record, c *config.Config, hash, url string, opts Options) []string {
	var warnings []string
	f, err := envfile.Load(h.EnvFile())
	if err == nil {
		changed := false
		for _, k := range f.Keys() {
			if _, ok := r.Env[k]; !ok {
				f.Unset(k)
				changed = true
			}
		}
		for _, k := range slices.Sorted(maps.Keys(r.Env)) {
			if v, ok := f.Get(k); !ok || v != r.Env[k] {
				if err = f.Set(k, r.Env[k]); err != nil {
					break
				}
				changed = true
			}
		}
		if err == nil && changed {
			var dir string
			if dir, err = h.EnsureDir(); err == nil {
				err = f.WriteVia(h.EnvFile(), dir)
			}
		}
	}
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("%s was not set to the settings of %s (%v): the next `cupaas deploy` applies what it holds", envfile.Name, r.Name(), err))
	}
	st := state.State{
		App: c.Name, Namespace: c.Name, Context: kubeContext, Image: r.Image, Tag: r.Tag, Commit: r.Commit, URL: url,
		DeployedAt: opts.Now().UTC(), ConfigFile: filepath.Base(r.ConfigFile), Config: r.Config, ConfigHash: hash,
	}
	if st.ConfigFile == "." || st.ConfigFile == "" {
		st.ConfigFile = config.FileName
	}
	if err := h.SaveState(st); err != nil {
		warnings = append(warnings, err.Error())
	}
	return warnings
}
