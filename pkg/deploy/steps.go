package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// The steps of a deploy, in the order Run calls them. Each takes what it
// needs and returns what it produces.

// 1. Load: the config and .dockerignore, validated, before anything is
// written or run; then
// the app lock (one deploy of an app at a time; the kernel frees the lock
// of a process that died) and the record of the last deploy.
func load(ctx context.Context, s stepIO, h home.Home, wait time.Duration, commit *gitsource.Commit, lockHeld bool) (*config.Config, *lock.Lock, *state.State, error) {
	var c *config.Config
	var err error
	if commit != nil {
		// The commit's own config and .dockerignore: never the
		// working tree's.
		if c, err = config.LoadCommit(h.AppDir, commit); err == nil {
			err = config.CheckCommitDockerignore(commit)
		}
	} else if c, err = config.Load(h.AppDir); err == nil {
		err = config.CheckDockerignore(h.AppDir)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var lk *lock.Lock
	if !lockHeld {
		if lk, err = h.Lock(ctx, "deploy", wait); err != nil {
			return nil, nil, nil, err
		}
	}
	last, err := h.State()
	if err != nil {
		s.Warn(err.Error())
	}
	return c, lk, last, nil
}

// 2. Preflight: the tools exist, Docker answers, the cluster runs.
func preflight(ctx context.Context, s stepIO, cl cluster.Cluster) (result, error) {
	var missing []string
	var details []string
	for _, tool := range cl.Tools() {
		if _, err := s.Runner.LookPath(tool.Name); err != nil {
			missing = append(missing, tool.Name)
			details = append(details, fmt.Sprintf("%s: %s", tool.Name, tool.Install))
		}
	}
	if len(missing) > 0 {
		err := fmt.Errorf("%s not found on PATH", strings.Join(missing, ", "))
		if !s.DryRun() {
			return result{}, &cluster.Error{Err: err, Details: details}
		}
		s.Warn(err.Error() + "; a real deploy would stop here")
	}
	done := result{detail: "context " + cl.Context() + ", cluster " + cl.Kind()}
	dockerArgv := []string{"docker", "version", "--format", "{{.Server.Version}}"}
	if s.plan(dockerArgv, "the Docker daemon answers") {
		if p, ok := cl.(publishPreparer); ok {
			p.PreparePublish(ctx, s.Exec)
		}
		return done, cl.Check(ctx, s.Exec)
	}
	// Docker and the cluster are asked at the same time, and how the
	// image will reach the node.
	dockerErr := make(chan error, 1)
	go func() {
		_, err := s.Runner.Run(ctx, run.Cmd{Argv: dockerArgv})
		dockerErr <- err
	}()
	prepared := make(chan struct{})
	go func() {
		defer close(prepared)
		if p, ok := cl.(publishPreparer); ok {
			p.PreparePublish(ctx, s.Exec)
		}
	}()
	clusterErr := cl.Check(ctx, s.Exec)
	<-prepared
	if err := <-dockerErr; err != nil {
		if ctx.Err() != nil {
			return result{}, err
		}
		return result{}, &cluster.Error{Err: errors.New("the Docker daemon does not answer: start Docker (Docker Desktop, or `sudo systemctl start docker`)"), Details: Lines(err)}
	}
	if clusterErr != nil {
		return result{}, clusterErr
	}
	return done, nil
}

// publishPreparer is a cluster that picks how images reach its nodes
// before the first is named (minikube: its registry addon, or image load).
type publishPreparer interface {
	PreparePublish(ctx context.Context, ex cluster.Exec)
}

// publishPather says how the image reaches the nodes, and why.
type publishPather interface{ PublishPath() string }

// 3. Source: the Dockerfile, the content-hash tag, the commit, and the
// objects rendered with the stored credentials.
func source(ctx context.Context, s stepIO, h home.Home, c *config.Config, cl cluster.Cluster, branch string) (*bundle.Bundle, result, error) {
	b, err := bundle.Prepare(h.AppDir, bundle.Options{Context: ctx, Config: c, Cluster: cl, Home: h, Branch: branch})
	if err != nil {
		return nil, result{}, err
	}
	for _, w := range b.Warnings {
		s.Warn(w)
	}
	detail := "tag " + b.Tag
	switch {
	case b.Tree != nil:
		detail += ", commit " + b.Git.Short + " (from git's objects)"
	case !b.Git.IsRepo:
		detail += ", not a git repository"
	case b.Git.Commit == "":
		detail += ", no commit yet"
	default:
		detail += ", commit " + b.Git.Short
		if b.Git.Dirty {
			detail += "-dirty"
		}
	}
	if b.Git.Dirty {
		s.Warn("uncommitted changes: deploying the working tree as it is (" + b.Git.Short + "-dirty)")
	}
	return b, result{detail: detail}, nil
}

// 4. Render: the Dockerfile and kubernetes.yaml into the home's build
// directory, with the services' credentials the cluster holds when they
// differ from the stored ones (a new clone, a lost credentials.json): new
// ones would lock the app out of its data.
func renderFiles(ctx context.Context, s stepIO, h home.Home, a *app.App, b *bundle.Bundle, cl cluster.Cluster) (*bundle.Bundle, string, result, error) {
	c := b.Config
	// The Source step ran beside the preflight, which picked how the
	// image reaches the node: the image's name may follow from that.
	image, err := cl.Image(c.Name, b.Tag)
	if err != nil {
		return b, "", result{}, err
	}
	if image != b.Image {
		if b, err = bundle.Prepare(h.AppDir, bundle.Options{Tag: b.Tag, Config: c, Cluster: cl, Home: h}); err != nil {
			return nil, "", result{}, err
		}
	}
	if len(c.Services) > 0 && !s.plan(a.Kube.Argv(a.SecretsArgs()...), "reuse the credentials the cluster holds") {
		override, err := s.Retry(ctx, "reading the services' secrets", func() ([]byte, error) {
			return s.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv(a.SecretsArgs()...), Sensitive: true})
		})
		if err != nil {
			return b, "", result{}, err
		}
		creds, err := app.ParseCredentials(override, a.Name, c.ServiceNames())
		if err != nil {
			return b, "", result{}, err
		}
		if changed(creds, b.Credentials) {
			s.Warn("using the service credentials stored in the cluster (they differ from .cupaas/credentials.json)")
			if b, err = bundle.Prepare(h.AppDir, bundle.Options{Tag: b.Tag, CredentialOverride: creds, Config: c, Cluster: cl, Home: h}); err != nil {
				return nil, "", result{}, err
			}
		}
	}
	if err := b.Write(h.BuildDir()); err != nil {
		return b, "", result{}, err
	}
	servicesHash, err := writeServices(h.BuildDir(), b.Objects)
	if err != nil {
		return b, "", result{}, err
	}
	return b, servicesHash, result{detail: fmt.Sprintf("%d objects in %s", len(b.Objects), BuildDir)}, nil
}

func changed(override, current map[string]credentials.Service) bool {
	for k, v := range override {
		if current[k] != v {
			return true
		}
	}
	return false
}

// 5. Build: skipped when the image with this exact tag exists. The
// context goes to docker as a tar on stdin holding exactly the files the
// tag hashes, so no secret (.cupaas.env, .cupaas/) can reach the image even
// when the project's .dockerignore forgets them.
func build(ctx context.Context, s stepIO, dir string, b *bundle.Bundle, reason string, rebuild bool) (result, error) {
	image, err := localImage(b)
	if err != nil {
		return result{}, err
	}
	inspect := []string{"docker", "image", "inspect", "--format", "{{.Id}}", image}
	name := BuildDir + "/" + bundle.DockerfileName
	if b.OwnDockerfile {
		name = b.Config.Dockerfile
	}
	buildArgv := []string{"docker", "build", "-t", image, "-f", name}
	if rev := b.Git.Revision(); rev != "" {
		buildArgv = append(buildArgv, "--label", "org.opencontainers.image.revision="+rev)
	}
	buildArgv = append(buildArgv, "-")
	if s.DryRun() {
		if !rebuild {
			s.plan(inspect, "skip the build when the image exists")
		}
		s.plan(buildArgv, "the build context, as a tar on stdin")
		return result{}, nil
	}
	if !rebuild {
		if _, err := s.Runner.Run(ctx, run.Cmd{Argv: inspect}); err == nil {
			return result{detail: "cached: " + image, cached: true}, nil
		} else if ctx.Err() != nil {
			return result{}, err
		}
	}
	pr, pw := io.Pipe()
	type sent struct {
		hash string
		err  error
	}
	tarDone := make(chan sent, 1)
	go func() {
		var hash string
		var err error
		if b.Tree != nil {
			hash, err = buildctx.TarTree(ctx, pw, b.Tree, name, b.Dockerfile)
		} else {
			hash, err = buildctx.Tar(pw, dir, name, b.Dockerfile)
		}
		pw.CloseWithError(err)
		tarDone <- sent{hash, err}
	}()
	_, err = s.Runner.Run(ctx, run.Cmd{Argv: buildArgv, Stdin: pr})
	pr.Close() // unblocks the writer if docker stopped reading
	tr := <-tarDone
	if tr.err != nil && !errors.Is(tr.err, io.ErrClosedPipe) {
		return result{detail: reason}, fmt.Errorf("cannot send the build context: %w", tr.err)
	}
	if err != nil {
		return result{detail: reason}, err
	}
	// An image whose content is not what its tag names must not stay
	// under that tag, or a later deploy would take it as cached.
	discard := func(err error) (result, error) {
		s.Runner.Run(context.WithoutCancel(ctx), run.Cmd{Argv: []string{"docker", "image", "rm", image}})
		return result{detail: reason}, err
	}
	switch {
	case tr.err != nil: // docker built without reading the whole context
		return discard(fmt.Errorf("docker stopped reading the build context before its end (%v); run `cupaas deploy --rebuild`", tr.err))
	case !strings.HasPrefix(tr.hash, b.Tag): // a file was saved since the Source step
		return discard(fmt.Errorf("files of the app changed while the image was built, so the image does not match its tag %s; run `cupaas deploy` again", b.Tag))
	}
	return result{detail: reason}, nil
}

// localImage is the name the image is built under in the local Docker
// engine, cupaas/<name>:<tag>, whatever name the pods give it: the build
// starts before the preflight has picked how the image reaches the nodes.
func localImage(b *bundle.Bundle) (string, error) {
	return render.ImageName(cluster.ImageRepository, b.Config.Name, b.Tag)
}

// buildReason says why the image is built.
func buildReason(rebuild bool, b *bundle.Bundle, last *state.State) string {
	switch {
	case rebuild:
		return "--rebuild"
	case b.Git.Dirty:
		return "uncommitted changes"
	case last != nil && last.Commit != "" && b.Git.Commit != "" && !strings.HasPrefix(last.Commit, b.Git.Commit):
		return "new commit " + b.Git.Short
	case last == nil:
		return "first build"
	case last.Tag != "" && last.Tag != b.Tag:
		return "content changed since the last deploy (tag " + last.Tag + ")"
	}
	return "image missing locally"
}

// 6. Publish: the cluster's nodes get the image, unless they have it.
// The line says which way and why.
// It returns the reference the pods must use when the cluster names the
// image otherwise (a registry's digest), "" when they use the rendered name.
func publish(ctx context.Context, s stepIO, cl cluster.Cluster, src *bundle.Bundle, rebuild bool) (result, string, error) {
	image, err := localImage(src)
	if err != nil {
		return result{}, "", err
	}
	p, err := cl.Publish(ctx, s.Exec, image, rebuild)
	how := p.Detail
	if pp, ok := cl.(publishPather); ok && how == "" {
		how = pp.PublishPath()
	}
	ref := ""
	if p.Ref != "" && p.Ref != image {
		ref = p.Ref
	}
	switch {
	case err != nil || !p.Cached:
		return result{detail: how}, ref, err
	case p.Detail != "":
		return result{detail: p.Detail, cached: true}, ref, nil
	case strings.HasPrefix(how, "pushed"):
		return result{detail: "cached: minikube's registry has " + image, cached: true}, ref, nil
	}
	return result{detail: "cached: the node has " + image, cached: true}, ref, nil
}

// usePublished makes the objects name the image as the cluster does when
// Publish said so (a registry's digest), and writes kubernetes.yaml again.
func usePublished(h home.Home, b *bundle.Bundle, ref string) error {
	if ref == "" || ref == b.Image {
		return nil
	}
	b.UseImage(ref)
	return b.Write(h.BuildDir())
}

// 7a. Apply services: the objects of the app's services (with the
// namespace, and the app's Service, Secret and ConfigMap) go to the
// cluster as soon as they are rendered, so that the databases start while
// the image is built; nothing when there are none. When they are the very
// objects the last deploy applied (unchanged), the apply is skipped: an
// apply beside the build slows both on a small machine. Roll out services
// then checks the StatefulSets are there (and applies them all when they
// are not), and the apply after the image applies everything when any of
// them is gone (see apply).
func applyServices(ctx context.Context, s stepIO, a *app.App, manifest string, objects []runtime.Object, timeout time.Duration, unchanged bool, deleting *ahead[bool], ready func()) (result, error) {
	n := len(serviceObjects(objects))
	if n == 0 {
		return result{hidden: true}, nil
	}
	applyArgv := a.Kube.Argv(append(append([]string{}, kubectl.ApplyFlags...), "-f", manifest)...)
	if s.DryRun() {
		s.plan(a.Kube.Argv(a.DeletingArgs()...), "wait first when the namespace is being deleted")
		s.plan(applyArgv, "the services first: they start while the image is built")
		return result{}, nil
	}
	if unchanged {
		return result{detail: fmt.Sprintf("cached: the %d objects the last deploy applied", n), cached: true}, nil
	}
	if err := applyFile(ctx, s, a, applyArgv, timeout, deleting, ready); err != nil {
		return result{}, err
	}
	return result{detail: fmt.Sprintf("%d objects", n)}, nil
}

// 7b. Roll out services: their StatefulSets become ready, diagnosed as
// the app's rollout is. When their apply was skipped and the wait fails,
// they are applied and waited for again.
func rolloutServices(ctx context.Context, s stepIO, a *app.App, targets []app.Workload, opts Options, applySkipped func() (result, error)) (result, error) {
	var svc []app.Workload
	for _, t := range targets {
		if !t.IsApp {
			svc = append(svc, t)
		}
	}
	if len(svc) == 0 {
		return result{hidden: true}, nil
	}
	res, err := waitWorkloads(ctx, s, a, svc, opts)
	if err != nil && applySkipped != nil && ctx.Err() == nil {
		s.Log("the services are not as the last deploy left them: applying them again")
		if _, err := applySkipped(); err != nil {
			return result{}, err
		}
		return waitWorkloads(ctx, s, a, svc, opts)
	}
	return res, err
}

// applyFile runs the apply argv. A namespace deleted just before
// (`kubectl delete namespace`) takes everything in it along, what is
// applied now included: when deleting (whether it is, read ahead) is set,
// it first waits until such a namespace is gone, which takes seconds. An
// apply that meets one anyway (it was deleted since the check) is refused,
// and is done again too.
//
// ready, when set, is called as the first apply starts, once a namespace
// being deleted is gone; it must not block (the release is recorded
// there, beside the apply and what follows it).
func applyFile(ctx context.Context, s stepIO, a *app.App, applyArgv []string, timeout time.Duration, deleting *ahead[bool], ready func()) error {
	applyOnce := func() error {
		_, err := s.Retry(ctx, "kubectl apply", func() ([]byte, error) {
			return s.Runner.Run(ctx, run.Cmd{Argv: applyArgv})
		})
		return err
	}
	waitGone := func() error {
		s.Log(fmt.Sprintf("namespace %s is being deleted; waiting for it to be gone, then applying again", a.Namespace))
		return a.WaitNamespaceGone(ctx, timeout, time.Second)
	}
	var err error
	if deleting != nil {
		var is bool
		is, err = deleting.get(ctx)
		if err == nil && is {
			err = waitGone()
		}
	}
	if err != nil {
		return err
	}
	if ready != nil {
		ready()
	}
	err = applyOnce()
	if err != nil && app.IsNamespaceTerminating(err) {
		if err = waitGone(); err == nil {
			err = applyOnce()
		}
	}
	return err
}

// 7c. Apply the manifests, then delete what cupaas made for this app
// before but no longer generates (PersistentVolumeClaims are kept: they
// hold data). When services.yaml went to the cluster with Apply services
// (in this deploy, or unchanged since the last one and all still there:
// present, read ahead), only the rest goes now (the app's Deployment and
// autoscaler, written to app.yaml): the namespace is known to be there,
// and the objects applied before are not applied twice. Otherwise, all of
// kubernetes.yaml. What to prune was read ahead (listed).
func apply(ctx context.Context, s stepIO, a *app.App, buildDir string, objects []runtime.Object, timeout time.Duration, servicesApplied bool, present *ahead[bool], listed *ahead[app.Listed], deleting *ahead[bool], ready func()) (result, []string, error) {
	if servicesApplied && present != nil && !s.DryRun() {
		there, err := present.get(ctx)
		servicesApplied = err == nil && there
	}
	manifest, applied := filepath.Join(buildDir, bundle.ManifestsName), objects
	if servicesApplied {
		applied = appObjects(objects)
		manifest = filepath.Join(buildDir, AppName)
		data, err := render.Encode(applied, false)
		if err != nil {
			return result{}, nil, err
		}
		if err := atomicfile.Write(manifest, data, 0o600); err != nil {
			return result{}, nil, err
		}
	}
	applyArgv := a.Kube.Argv(append(append([]string{}, kubectl.ApplyFlags...), "-f", manifest)...)
	if s.DryRun() {
		if !servicesApplied && len(serviceObjects(objects)) == 0 {
			s.plan(a.Kube.Argv(a.DeletingArgs()...), "wait first when the namespace is being deleted")
		}
		note := ""
		if servicesApplied {
			note = "the app's own objects: the rest went with the services"
		}
		s.plan(applyArgv, note)
		s.plan(a.Kube.Argv(a.PruneArgs()...), "find objects of this app that are no longer generated, to delete them")
		s.plan(a.Kube.Argv(a.ClaimsArgs()...), "find volume claims of removed services, to keep and report them")
		return result{}, nil, nil
	}
	if servicesApplied {
		deleting = nil // Apply services checked
	}
	if err := applyFile(ctx, s, a, applyArgv, timeout, deleting, ready); err != nil {
		return result{}, nil, err
	}
	l, err := listed.get(ctx)
	if err != nil {
		return result{}, nil, err
	}
	removed, kept, err := a.PruneListed(ctx, l, objects, func(obj string) {
		s.Log("deleted " + obj + " (no longer in .cupaas.yml)")
	})
	if err != nil {
		return result{}, nil, err
	}
	for _, claim := range kept {
		s.Warn(fmt.Sprintf("kept PersistentVolumeClaim %s with its data; delete it with `kubectl --context %s -n %s delete pvc %s` if you no longer need it", claim, a.Kube.Context, a.Namespace, claim))
	}
	detail := fmt.Sprintf("%d objects", len(applied))
	if len(applied) == 1 {
		detail = "1 object"
	}
	if servicesApplied {
		detail += fmt.Sprintf(", after the %d of the services", len(objects)-len(applied))
	}
	if len(removed) > 0 {
		detail += fmt.Sprintf(", %d removed", len(removed))
	}
	return result{detail: detail}, kept, nil
}

// appObjects are the objects that do not go with the services (see
// serviceObjects): the app's Deployment and autoscaler.
func appObjects(objects []runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, o := range objects {
		switch o.(type) {
		case *appsv1.Deployment, *autoscalingv2.HorizontalPodAutoscaler:
			out = append(out, o)
		}
	}
	return out
}

// workloads are the StatefulSets, then the Deployment: the order they
// roll out in.
func workloads(objects []runtime.Object) []app.Workload {
	var out []app.Workload
	for _, o := range objects {
		if obj, ok := o.(*appsv1.StatefulSet); ok {
			out = append(out, app.NewWorkload("statefulset/"+obj.Name, obj.Spec.Template.Labels[render.LabelComponent], false, obj.Spec.Template))
		}
	}
	for _, o := range objects {
		if obj, ok := o.(*appsv1.Deployment); ok {
			out = append(out, app.NewWorkload("deployment/"+obj.Name, render.ComponentApp, true, obj.Spec.Template))
		}
	}
	return out
}

// appHash is the config hash of the app's pod template.
func appHash(objects []runtime.Object) string {
	for _, w := range workloads(objects) {
		if w.IsApp {
			return w.Hash
		}
	}
	return ""
}

// 8. Roll out the app, diagnosing a failure instead of waiting for the
// timeout. After replacing running pods, it waits for the Service to drop
// them.
//
// rolledOut, when set, is called once the pods are ready.
func rollout(ctx context.Context, s stepIO, a *app.App, targets []app.Workload, replaced bool, opts Options, rolledOut func()) (result, error) {
	res, err := waitWorkloads(ctx, s, a, targets, opts)
	if err != nil || s.DryRun() {
		return res, err
	}
	if rolledOut != nil {
		rolledOut()
	}
	if replaced {
		res.detail += ", old pods replaced"
		if err := dropOldEndpoints(ctx, s.Warn, a, targets, opts.SettleDelay); err != nil {
			return result{}, err
		}
	}
	return res, nil
}

// waitWorkloads waits for targets, one after the other.
func waitWorkloads(ctx context.Context, s stepIO, a *app.App, targets []app.Workload, opts Options) (result, error) {
	if s.DryRun() {
		for _, t := range targets {
			s.plan(a.Kube.Argv(kubectl.RolloutStatusArgs(a.Namespace, t.KindName, opts.Timeout)...), "")
		}
		return result{}, nil
	}
	ro := app.RolloutOptions{Timeout: opts.Timeout, PollInterval: opts.PollInterval, Start: opts.Now()}
	for _, t := range targets {
		if err := a.WaitRollout(ctx, t, ro); err != nil {
			return result{}, err
		}
	}
	return result{detail: fmt.Sprintf("%d workload(s) ready", len(targets))}, nil
}

// appWorkloads are the app's own workloads (its Deployment).
func appWorkloads(objects []runtime.Object) []app.Workload {
	var out []app.Workload
	for _, w := range workloads(objects) {
		if w.IsApp {
			out = append(out, w)
		}
	}
	return out
}

// replacedPods reports whether this deploy replaces running pods of the
// app: it ran there before, and the image or the config hash changed since.
func replacedPods(last *state.State, kubeContext, name string, b *bundle.Bundle) bool {
	if last == nil || last.Context != kubeContext || last.App != name {
		return false // nothing of ours ran there before
	}
	return last.Image != b.Image || last.ConfigHash != appHash(b.Objects)
}

// 9. The URL, from the cluster.
// With `domain:`, it is http://<domain> when that name resolves.
func getURL(ctx context.Context, s stepIO, cl cluster.Cluster, a *app.App, domain string) (string, *cluster.Tunnel, result, error) {
	url, tun, err := cl.URL(ctx, s.Exec, a.Namespace, a.Name)
	if err == nil && domain != "" {
		url, tun = domainURL(ctx, s, cl, a, domain, url, tun)
	}
	if err != nil || s.DryRun() {
		return "", nil, result{}, err
	}
	if tun != nil {
		return url, tun, result{detail: url + ", through a tunnel"}, nil
	}
	return url, nil, result{detail: url}, nil
}

// newState is the record of a successful deploy, for `cupaas env set` and
// the next deploy.
func newState(cl cluster.Cluster, b *bundle.Bundle, url string, now time.Time) state.State {
	registry := ""
	if r, ok := cl.(*cluster.Registry); ok {
		registry = r.Registry()
	}
	return state.State{
		App: b.Config.Name, Namespace: b.Config.Name, Context: cl.Context(), Cluster: cl.Kind(), Registry: registry, Image: b.Image, Tag: b.Tag,
		Commit: b.Git.Revision(), URL: url, DeployedAt: now.UTC(),
		ConfigFile: configFileName(b.Config), Config: string(b.Config.Raw), ConfigHash: appHash(b.Objects),
		ManifestsHash: manifestsHash(b.Objects),
	}
}

// configFileName is the base name of the config file, also of one read
// from a commit ("commit 1a2b3c4d5e6f:.cupaas.yml").
func configFileName(c *config.Config) string {
	if cm := c.Commit(); cm != nil {
		return path.Base(strings.TrimPrefix(c.File, cm.Describe("")+":"))
	}
	return filepath.Base(c.File)
}
