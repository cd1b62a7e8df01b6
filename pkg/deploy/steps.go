package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// step is one stage of the pipeline.
type step struct {
	name string
	// dryRun says the step also runs with --dry-run (it then only lists
	// the commands it would run).
	dryRun bool
	run    func(p *pipeline, ctx context.Context) (result, error)
}

type result struct {
	detail string
	cached bool
}

// steps is the pipeline, in order. This is the one place that lists it.
func steps() []step {
	return []step{
		{"Load .cupaas.yml", true, (*pipeline).load},
		{"Preflight", true, (*pipeline).preflight},
		{"Source", true, (*pipeline).source},
		{"Render", true, (*pipeline).render},
		{"Build image", true, (*pipeline).build},
		{"Load image into minikube", true, (*pipeline).loadImage},
		{"Apply manifests", true, (*pipeline).apply},
		{"Roll out", true, (*pipeline).rollout},
		{"Get URL", true, (*pipeline).getURL},
		{"Verify", false, (*pipeline).verify},
	}
}

// plan records a command for --dry-run.
func (p *pipeline) plan(argv []string, note string) {
	line := run.CommandLine(argv)
	if note != "" {
		line += "   # " + note
	}
	p.dryRun = append(p.dryRun, line)
}

func (p *pipeline) ns() string { return p.cfg.Name }

// minikubeArgv names the minikube profile when the context is not the
// default one (a minikube profile and its kube context share their name).
func (p *pipeline) minikubeArgv(args ...string) []string {
	argv := append([]string{"minikube"}, args...)
	if p.opts.Context != "minikube" {
		argv = append(argv, "-p", p.opts.Context)
	}
	return argv
}

// 1. Load: the config and .dockerignore, validated, before anything is
// written or run.
func (p *pipeline) load(ctx context.Context) (result, error) {
	c, err := config.Load(p.opts.Dir)
	if err == nil {
		err = config.CheckDockerignore(p.opts.Dir)
	}
	if err != nil {
		return result{}, &StepError{Err: err, Usage: true}
	}
	p.cfg = c
	// One deploy of an app at a time; the kernel frees the lock of a
	// process that died, so a stale lock is simply taken over.
	if p.lock, err = lock.Acquire(ctx, p.opts.Dir, "deploy", p.opts.LockWait); err != nil {
		return result{}, err
	}
	if p.last, err = state.Load(p.opts.Dir); err != nil {
		p.step.Warn(err.Error())
	}
	p.report.Namespace = c.Name
	return result{detail: c.Name}, nil
}

var installHints = map[string]string{
	"docker":   "install Docker: https://docs.docker.com/get-docker/",
	"minikube": "install minikube: https://minikube.sigs.k8s.io/docs/start/",
	"kubectl":  "install kubectl: https://kubernetes.io/docs/tasks/tools/",
}

// 2. Preflight: the tools exist, Docker answers, minikube runs.
func (p *pipeline) preflight(ctx context.Context) (result, error) {
	var missing []string
	for _, tool := range []string{"docker", "minikube", "kubectl"} {
		if _, err := p.opts.Runner.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		details := make([]string, len(missing))
		for i, m := range missing {
			details[i] = fmt.Sprintf("%s: %s", m, installHints[m])
		}
		err := fmt.Errorf("%s not found on PATH", strings.Join(missing, ", "))
		if p.opts.DryRun {
			p.step.Warn(err.Error() + "; a real deploy would stop here")
		} else {
			return result{}, &StepError{Err: err, Details: details}
		}
	}
	dockerArgv := []string{"docker", "version", "--format", "{{.Server.Version}}"}
	statusArgv := p.minikubeArgv("status", "-o", "json")
	if p.opts.DryRun {
		p.plan(dockerArgv, "the Docker daemon answers")
		p.plan(statusArgv, "the cluster runs")
		return result{detail: "context " + p.opts.Context}, nil
	}
	if _, err := p.runCmd(ctx, run.Cmd{Argv: dockerArgv}); err != nil {
		if ctx.Err() != nil {
			return result{}, err
		}
		return result{}, &StepError{Err: errors.New("the Docker daemon does not answer: start Docker (Docker Desktop, or `sudo systemctl start docker`)"), Details: commandDetails(err)}
	}
	out, err := p.runCmd(ctx, run.Cmd{Argv: statusArgv})
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	var st struct{ Host, Kubelet, APIServer string }
	jsonErr := json.Unmarshal(out, &st)
	if err != nil || jsonErr != nil || st.Host != "Running" || st.APIServer != "Running" {
		what := "minikube is not running"
		if jsonErr == nil && st.Host != "" {
			what = fmt.Sprintf("minikube is not running (host: %s, kubelet: %s, apiserver: %s)", st.Host, st.Kubelet, st.APIServer)
		}
		start := "minikube start"
		if p.opts.Context != "minikube" {
			start += " -p " + p.opts.Context
		}
		return result{}, &StepError{Err: fmt.Errorf("%s: start it with `%s`", what, start), Details: commandDetails(err)}
	}
	return result{detail: "context " + p.opts.Context}, nil
}

// 3. Source: name, commit and the content-hash tag.
func (p *pipeline) source(ctx context.Context) (result, error) {
	b, err := bundle.Prepare(p.opts.Dir, bundle.Options{Context: ctx})
	if err != nil {
		return result{}, err
	}
	p.b = b
	for _, w := range b.Warnings {
		p.step.Warn(w)
	}
	p.report.Image = b.Image
	p.report.Commit = b.Git.Revision()
	detail := "tag " + b.Tag
	switch {
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
		p.step.Warn("uncommitted changes: deploying the working tree as it is (" + b.Git.Short + "-dirty)")
	}
	return result{detail: detail}, nil
}

// secretKeys are the keys of each service's Secret that hold its
// credentials: username, password.
var secretKeys = map[string][2]string{
	"mongodb":    {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"},
	"postgresql": {"POSTGRES_USER", "POSTGRES_PASSWORD"},
	"mysql":      {"MYSQL_USER", "MYSQL_PASSWORD"},
	"redis":      {"", "REDIS_PASSWORD"},
}

// 4. Render: the Dockerfile and kubernetes.yaml into .cupaas/build, with the
// service credentials the cluster already holds, so a redeploy never locks
// the app out of its data.
func (p *pipeline) render(ctx context.Context) (result, error) {
	listArgs := secretsListArgs(p.cfg.Name)
	if p.opts.DryRun {
		p.plan(p.kc.Argv(listArgs...), "reuse the credentials the cluster holds")
	} else if len(p.cfg.Services) > 0 {
		out, err := p.retry(ctx, "reading the services' secrets", func() ([]byte, error) {
			return p.runCmd(ctx, run.Cmd{Argv: p.kc.Argv(listArgs...), Sensitive: true})
		})
		if err != nil {
			return result{}, err
		}
		override, err := clusterCredentials(out, p.cfg)
		if err != nil {
			return result{}, err
		}
		if changed(override, p.b.Credentials) {
			p.step.Warn("using the service credentials stored in the cluster (they differ from .cupaas/credentials.json)")
			b, err := bundle.Prepare(p.opts.Dir, bundle.Options{Tag: p.b.Tag, CredentialOverride: override, Config: p.b.Config})
			if err != nil {
				return result{}, err
			}
			p.b = b
		}
	}
	dir := filepath.Join(p.opts.Dir, filepath.FromSlash(BuildDir))
	if err := p.b.Write(dir); err != nil {
		return result{}, err
	}
	return result{detail: fmt.Sprintf("%d objects in %s", len(p.b.Objects), BuildDir)}, nil
}

func changed(override, current map[string]credentials.Service) bool {
	for k, v := range override {
		if current[k] != v {
			return true
		}
	}
	return false
}

// secretsListArgs list the app's Secrets, with their values (so the
// command is Sensitive).
func secretsListArgs(app string) []string {
	return []string{"-n", app, "get", "secrets", "-l", selector(app, ""), "-o", "json"}
}

// ClusterCredentials reads the credentials of the app's services from the
// Secrets the cluster holds, as deploy's Render step does: they win over
// .cupaas/credentials.json, so that no change locks the app out of its
// data. The output of kubectl is never shown.
func ClusterCredentials(ctx context.Context, runner run.Runner, kubeContext string, c *config.Config) (map[string]credentials.Service, error) {
	kc := kubectl.Client{Runner: runner, Context: kubeContext}
	out, err := runner.Run(ctx, run.Cmd{Argv: kc.Argv(secretsListArgs(c.Name)...), Sensitive: true})
	if err != nil {
		return nil, err
	}
	return clusterCredentials(out, c)
}

// clusterCredentials reads the credentials out of the services' Secrets.
func clusterCredentials(out []byte, c *config.Config) (map[string]credentials.Service, error) {
	var list corev1.SecretList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("cannot read the secrets kubectl listed: %v", err)
	}
	res := map[string]credentials.Service{}
	for _, s := range c.Services {
		keys := secretKeys[s.Name]
		for _, sec := range list.Items {
			if sec.Name != c.Name+"-"+s.Name {
				continue
			}
			pass := string(sec.Data[keys[1]])
			if pass == "" {
				continue
			}
			cred := credentials.Service{Username: credentials.DefaultUsername, Password: pass}
			if keys[0] != "" && len(sec.Data[keys[0]]) > 0 {
				cred.Username = string(sec.Data[keys[0]])
			}
			res[s.Name] = cred
		}
	}
	return res, nil
}

// selector selects the app's objects, or one component's.
func (p *pipeline) selector(component string) string { return selector(p.cfg.Name, component) }

func selector(app, component string) string {
	sel := render.LabelInstance + "=" + app + "," + render.LabelManagedBy + "=" + render.ManagedBy
	if component != "" {
		sel += "," + render.LabelComponent + "=" + component
	}
	return sel
}

// 5. Build: skipped when the image with this exact tag exists. The
// context goes to docker as a tar on stdin holding exactly the files the
// tag hashes, so no secret (.cupaas.env, .cupaas/) can reach the image even
// when the project's .dockerignore forgets them.
func (p *pipeline) build(ctx context.Context) (result, error) {
	inspect := []string{"docker", "image", "inspect", "--format", "{{.Id}}", p.b.Image}
	name := BuildDir + "/" + bundle.DockerfileName
	if p.b.OwnDockerfile {
		name = p.cfg.Dockerfile
	}
	buildArgv := []string{"docker", "build", "-t", p.b.Image, "-f", name}
	if rev := p.b.Git.Revision(); rev != "" {
		buildArgv = append(buildArgv, "--label", "org.opencontainers.image.revision="+rev)
	}
	buildArgv = append(buildArgv, "-")
	if p.opts.DryRun {
		if !p.opts.Rebuild {
			p.plan(inspect, "skip the build when the image exists")
		}
		p.plan(buildArgv, "the build context, as a tar on stdin")
		return result{}, nil
	}
	if !p.opts.Rebuild {
		if _, err := p.runCmd(ctx, run.Cmd{Argv: inspect}); err == nil {
			return result{detail: "cached: " + p.b.Image, cached: true}, nil
		} else if ctx.Err() != nil {
			return result{}, err
		}
	}
	reason := p.buildReason()
	pr, pw := io.Pipe()
	type sent struct {
		hash string
		err  error
	}
	tarDone := make(chan sent, 1)
	go func() {
		hash, err := buildctx.Tar(pw, p.opts.Dir, name, p.b.Dockerfile)
		pw.CloseWithError(err)
		tarDone <- sent{hash, err}
	}()
	_, err := p.runCmd(ctx, run.Cmd{Argv: buildArgv, Stdin: pr})
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
		p.runCmd(context.WithoutCancel(ctx), run.Cmd{Argv: []string{"docker", "image", "rm", p.b.Image}})
		return result{detail: reason}, &StepError{Err: err}
	}
	switch {
	case tr.err != nil: // docker built without reading the whole context
		return discard(fmt.Errorf("docker stopped reading the build context before its end (%v); run `cupaas deploy --rebuild`", tr.err))
	case !strings.HasPrefix(tr.hash, p.b.Tag): // a file was saved since the Source step
		return discard(fmt.Errorf("files of the app changed while the image was built, so the image does not match its tag %s; run `cupaas deploy` again", p.b.Tag))
	}
	return result{detail: reason}, nil
}

func (p *pipeline) buildReason() string {
	switch {
	case p.opts.Rebuild:
		return "--rebuild"
	case p.b.Git.Dirty:
		return "uncommitted changes"
	case p.last != nil && p.last.Commit != "" && p.b.Git.Commit != "" && !strings.HasPrefix(p.last.Commit, p.b.Git.Commit):
		return "new commit " + p.b.Git.Short
	case p.last == nil:
		return "first build"
	}
	return "image missing locally"
}

// 6. Load the image into the node, unless the node already has it.
func (p *pipeline) loadImage(ctx context.Context) (result, error) {
	ls := p.minikubeArgv("image", "ls")
	load := p.minikubeArgv("image", "load", p.b.Image)
	if p.opts.DryRun {
		p.plan(ls, "skip the load when the node has the image")
		p.plan(load, "")
		return result{}, nil
	}
	out, err := p.retry(ctx, "listing the node's images", func() ([]byte, error) {
		return p.runCmd(ctx, run.Cmd{Argv: ls})
	})
	if err != nil {
		return result{}, err
	}
	// After --rebuild the node may hold an older image under this name:
	// always load then.
	if hasImage(out, p.b.Image) && !p.opts.Rebuild {
		return result{detail: "cached: the node has " + p.b.Image, cached: true}, nil
	}
	if _, err := p.retry(ctx, "minikube image load", func() ([]byte, error) {
		return p.runCmd(ctx, run.Cmd{Argv: load})
	}); err != nil {
		return result{}, err
	}
	return result{}, nil
}

// hasImage reports whether `minikube image ls` lists image, under any of
// the names a runtime shows (docker.io/ prefix or not).
func hasImage(ls []byte, image string) bool {
	for _, line := range strings.Split(string(ls), "\n") {
		name := strings.TrimSpace(line)
		name = strings.TrimPrefix(name, "docker.io/")
		name = strings.TrimPrefix(name, "library/")
		if name == image {
			return true
		}
	}
	return false
}

// 7. Apply, then delete what cupaas made for this app before but no longer
// generates (PersistentVolumeClaims are kept: they hold data).
func (p *pipeline) apply(ctx context.Context) (result, error) {
	applyArgv := p.kc.Argv(append(append([]string{}, kubectl.ApplyFlags...), "-f", p.manifest)...)
	// `-o name` lists kind/name only: never a Secret's values, also not
	// in -v output.
	kinds := "deployments.apps,statefulsets.apps,services,secrets,configmaps,horizontalpodautoscalers.autoscaling"
	listArgv := p.kc.Argv("-n", p.ns(), "get", kinds, "-l", p.selector(""), "-o", "name")
	pvcArgv := p.kc.Argv("-n", p.ns(), "get", "persistentvolumeclaims", "-l", render.LabelInstance+"="+p.cfg.Name, "-o", "name")
	if p.opts.DryRun {
		p.plan(applyArgv, "")
		p.plan(listArgv, "find objects of this app that are no longer generated, to delete them")
		p.plan(pvcArgv, "find volume claims of removed services, to keep and report them")
		return result{}, nil
	}
	if _, err := p.retry(ctx, "kubectl apply", func() ([]byte, error) {
		return p.runCmd(ctx, run.Cmd{Argv: applyArgv})
	}); err != nil {
		return result{}, err
	}
	out, err := p.runCmd(ctx, run.Cmd{Argv: listArgv})
	if err != nil {
		return result{}, err
	}
	stale := staleObjects(out, p.b.Objects)
	for _, obj := range stale {
		if _, err := p.runCmd(ctx, run.Cmd{Argv: p.kc.Argv("-n", p.ns(), "delete", obj, "--ignore-not-found")}); err != nil {
			return result{}, err
		}
		p.step.Log("deleted " + obj + " (no longer in .cupaas.yml)")
	}
	out, err = p.runCmd(ctx, run.Cmd{Argv: pvcArgv})
	if err != nil {
		return result{}, err
	}
	kept := orphanClaims(out, p.b.Objects)
	for _, claim := range kept {
		p.step.Warn(fmt.Sprintf("kept PersistentVolumeClaim %s with its data; delete it with `kubectl --context %s -n %s delete pvc %s` if you no longer need it", claim, p.opts.Context, p.ns(), claim))
	}
	p.report.Kept = kept
	detail := fmt.Sprintf("%d objects", len(p.b.Objects))
	if len(stale) > 0 {
		detail += fmt.Sprintf(", %d removed", len(stale))
	}
	return result{detail: detail}, nil
}

// resourceOf names a kind the way `kubectl get -o name` prints it and
// `kubectl delete` takes it.
var resourceOf = map[string]string{
	"Deployment": "deployment.apps", "StatefulSet": "statefulset.apps", "Service": "service",
	"Secret": "secret", "ConfigMap": "configmap", "HorizontalPodAutoscaler": "horizontalpodautoscaler.autoscaling",
}

// names reads the output of `kubectl get -o name`: one resource/name a
// line.
func names(out []byte) []string {
	var res []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			res = append(res, l)
		}
	}
	return res
}

// staleObjects lists, as resource/name, the listed objects that are not
// among the generated ones.
func staleObjects(listed []byte, generated []runtime.Object) []string {
	want := map[string]bool{}
	for _, o := range generated {
		kind := o.GetObjectKind().GroupVersionKind().Kind
		if m, ok := o.(metav1.Object); ok {
			want[resourceOf[kind]+"/"+m.GetName()] = true
		}
	}
	known := map[string]bool{}
	for _, r := range resourceOf {
		known[r] = true
	}
	var out []string
	for _, n := range names(listed) {
		res, _, ok := strings.Cut(n, "/")
		if ok && known[res] && !want[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// orphanClaims lists the volume claims of StatefulSets that are no longer
// generated (data-<statefulset>-<ordinal>), by name.
func orphanClaims(listed []byte, generated []runtime.Object) []string {
	sets := map[string]bool{}
	for _, o := range generated {
		if s, ok := o.(*appsv1.StatefulSet); ok {
			sets[s.Name] = true
		}
	}
	var out []string
	for _, n := range names(listed) {
		_, name, ok := strings.Cut(n, "/")
		if !ok {
			continue
		}
		owner := strings.TrimPrefix(name, "data-")
		if i := strings.LastIndexByte(owner, '-'); i > 0 {
			owner = owner[:i]
		}
		if !sets[owner] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// rolloutTargets are the StatefulSets, then the Deployment.
func (p *pipeline) rolloutTargets() []target {
	var out []target
	for _, o := range p.b.Objects {
		switch obj := o.(type) {
		case *appsv1.StatefulSet:
			out = append(out, newTarget("statefulset/"+obj.Name, obj.Spec.Template.Labels[render.LabelComponent], false, obj.Spec.Template))
		}
	}
	for _, o := range p.b.Objects {
		if obj, ok := o.(*appsv1.Deployment); ok {
			out = append(out, newTarget("deployment/"+obj.Name, render.ComponentApp, true, obj.Spec.Template))
		}
	}
	return out
}

type target struct {
	kindName  string
	component string
	app       bool
	// images are the rendered containers' images by name, and hash the
	// rendered config hash: a pod that differs is from an earlier rollout.
	images map[string]string
	hash   string
}

func newTarget(kindName, component string, app bool, tmpl corev1.PodTemplateSpec) target {
	t := target{kindName: kindName, component: component, app: app, images: map[string]string{}, hash: tmpl.Annotations[render.AnnotationConfigHash]}
	for _, c := range tmpl.Spec.Containers {
		t.images[c.Name] = c.Image
	}
	return t
}

// current reports whether pod runs the pod template this deploy applied.
// Pods of an earlier rollout (an old ReplicaSet that crash-loops while the
// fixed version starts) must not fail this deploy.
func (t target) current(pod corev1.Pod) bool {
	if t.hash != "" && pod.Annotations[render.AnnotationConfigHash] != t.hash {
		return false
	}
	for _, c := range pod.Spec.Containers {
		if img, ok := t.images[c.Name]; ok && img != c.Image {
			return false
		}
	}
	return true
}

// 8. Roll out, diagnosing a failure instead of waiting for the timeout.
func (p *pipeline) rollout(ctx context.Context) (result, error) {
	targets := p.rolloutTargets()
	if p.opts.DryRun {
		for _, t := range targets {
			p.plan(p.kc.Argv(kubectl.RolloutStatusArgs(p.ns(), t.kindName, p.opts.Timeout)...), "")
		}
		return result{}, nil
	}
	p.rolloutStart = p.opts.Now()
	for _, t := range targets {
		if err := p.waitFor(ctx, t); err != nil {
			return result{}, err
		}
	}
	detail := fmt.Sprintf("%d workload(s) ready", len(targets))
	if p.replacedPods(targets) {
		detail += ", old pods replaced"
		if err := settle(ctx, p.opts.SettleDelay); err != nil {
			return result{}, err
		}
	}
	return result{detail: detail}, nil
}

// replacedPods reports whether this deploy replaced running pods of the
// app: it ran before, and the image or the config hash changed since.
func (p *pipeline) replacedPods(targets []target) bool {
	if p.last == nil || p.last.Context != p.opts.Context || p.last.App != p.cfg.Name {
		return false // nothing of ours ran there before
	}
	for _, t := range targets {
		if t.app {
			return p.last.Image != p.b.Image || p.last.ConfigHash != t.hash
		}
	}
	return false
}

// 9. The URL from `minikube service --url`.
func (p *pipeline) getURL(ctx context.Context) (result, error) {
	argv := p.minikubeArgv("service", p.cfg.Name, "-n", p.ns(), "--url")
	if p.opts.DryRun {
		p.plan(argv, "")
		return result{}, nil
	}
	url, tun, err := p.serviceURL(ctx, argv)
	if err != nil {
		return result{}, err
	}
	p.url, p.tunnel = url, tun
	p.report.URL = url
	if tun != nil {
		return result{detail: url + ", through a tunnel"}, nil
	}
	return result{detail: url}, nil
}
