// Package doctor checks what a deploy needs: the tools and their versions,
// the Docker daemon, the kube context and its cluster, a default
// StorageClass, loading an image into the cluster's node, cluster DNS, the
// node's free CPU and memory against the app's requests, and the app's
// .cupaas.yml. Each check says what to do when it fails.
package doctor

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// Status is a check's outcome.
type Status string

const (
	OK   Status = "ok"
	Fail Status = "fail"
	// Skip is a check that could not run because one it needs failed,
	// or that does not apply (no .cupaas.yml here).
	Skip Status = "skip"
)

// Result is one check's outcome.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is what was found (a version, a count) or what is wrong.
	Detail string `json:"detail"`
	// Fix is what to do when it failed.
	Fix string `json:"fix,omitempty"`
}

// Options are what the checks need.
type Options struct {
	Runner  run.Runner
	Cluster cluster.Cluster
	Kube    kubectl.Client
	// Dir is the directory whose .cupaas.yml is checked.
	Dir string
	// Timeout bounds each cluster request; 0 means 15 s.
	Timeout time.Duration
}

// Names are the checks in the order they are printed.
func Names(c cluster.Cluster) []string {
	var names []string
	for _, t := range c.Tools() {
		names = append(names, t.Name)
	}
	return append(names, "Docker daemon", "kube context", "cluster", "default StorageClass", "image load", "cluster DNS", "node resources", ".cupaas.yml")
}

// Run runs every check, the independent ones at the same time, and
// returns the results in the order of Names.
func Run(ctx context.Context, o Options) []Result {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	d := &doctor{Options: o, done: map[string]chan struct{}{}, res: map[string]Result{}}
	names := Names(o.Cluster)
	for _, n := range names {
		d.done[n] = make(chan struct{})
	}
	checks := map[string]func(context.Context) Result{
		"Docker daemon":        d.dockerDaemon,
		"kube context":         d.kubeContext,
		"cluster":              d.cluster,
		"default StorageClass": d.storageClass,
		"image load":           d.imageLoad,
		"cluster DNS":          d.dns,
		"node resources":       d.resources,
		".cupaas.yml":          d.config,
	}
	for _, t := range o.Cluster.Tools() {
		checks[t.Name] = func(ctx context.Context) Result { return d.tool(ctx, t) }
	}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := checks[n](ctx)
			r.Name = n
			d.mu.Lock()
			d.res[n] = r
			d.mu.Unlock()
			close(d.done[n])
		}()
	}
	wg.Wait()
	out := make([]Result, 0, len(names))
	for _, n := range names {
		out = append(out, d.res[n])
	}
	return out
}

type doctor struct {
	Options
	mu   sync.Mutex
	done map[string]chan struct{}
	res  map[string]Result
	// nodes is the node list the cluster check read.
	nodes corev1.NodeList
}

// after waits for the named checks and returns a Skip result when one of
// them did not pass, else nil.
func (d *doctor) after(names ...string) *Result {
	for _, n := range names {
		ch, ok := d.done[n]
		if !ok {
			continue
		}
		<-ch
		d.mu.Lock()
		r := d.res[n]
		d.mu.Unlock()
		switch r.Status {
		case Skip:
			return &Result{Status: Skip, Detail: r.Detail}
		case Fail:
			return &Result{Status: Skip, Detail: "not checked: " + n + " failed"}
		}
	}
	return nil
}

func (d *doctor) run(ctx context.Context, argv ...string) ([]byte, error) {
	return d.Runner.Run(ctx, run.Cmd{Argv: argv})
}

func (d *doctor) kube(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	return d.Kube.Run(ctx, append([]string{"--request-timeout=" + d.Timeout.String()}, args...)...)
}

// why is the last line a failed command printed, or the error.
func why(err error) string {
	if errors.Is(err, exec.ErrNotFound) {
		return "not found on PATH"
	}
	return cluster.FirstLine(err)
}

func fail(detail, fix string) Result { return Result{Status: Fail, Detail: detail, Fix: fix} }

// tool checks that a program is on PATH and reads its version.
func (d *doctor) tool(ctx context.Context, t cluster.Tool) Result {
	path, err := d.Runner.LookPath(t.Name)
	if err != nil {
		return fail("not found on PATH", t.Install)
	}
	var argv []string
	switch t.Name {
	case "docker":
		argv = []string{"docker", "version", "--format", "{{.Client.Version}}"}
	case "kubectl":
		argv = []string{"kubectl", "version", "--client", "-o", "json"}
	default:
		argv = []string{t.Name, "version"}
	}
	out, err := d.run(ctx, argv...)
	if err != nil && len(out) == 0 {
		return fail(fmt.Sprintf("%s does not run (%s)", path, why(err)), t.Install)
	}
	version := firstLineOf(out)
	if t.Name == "kubectl" {
		var v struct {
			ClientVersion struct{ GitVersion string } `json:"clientVersion"`
		}
		if json.Unmarshal(out, &v) == nil && v.ClientVersion.GitVersion != "" {
			version = v.ClientVersion.GitVersion
		}
	}
	version = strings.TrimPrefix(version, t.Name+" version: ")
	return Result{Status: OK, Detail: version + " (" + path + ")"}
}

func firstLineOf(out []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(s)
}

func (d *doctor) dockerDaemon(ctx context.Context) Result {
	if r := d.after("docker"); r != nil {
		return *r
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	out, err := d.run(ctx, "docker", "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return fail("does not answer ("+why(err)+")", "start Docker (Docker Desktop, or `sudo systemctl start docker`), and check that your user may use it (`docker info`)")
	}
	return Result{Status: OK, Detail: "Docker Engine " + firstLineOf(out)}
}

func (d *doctor) kubeContext(ctx context.Context) Result {
	if r := d.after("kubectl"); r != nil {
		return *r
	}
	out, err := d.run(ctx, "kubectl", "config", "get-contexts", "-o", "name")
	if err != nil {
		return fail("cannot read the kubeconfig ("+why(err)+")", "check $KUBECONFIG and ~/.kube/config")
	}
	var all []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if l == d.Cluster.Context() {
				return Result{Status: OK, Detail: d.Cluster.Context()}
			}
			all = append(all, l)
		}
	}
	known := "the kubeconfig has no context"
	if len(all) > 0 {
		known = "the kubeconfig has " + strings.Join(all, ", ")
	}
	return fail(fmt.Sprintf("context %s does not exist (%s)", d.Cluster.Context(), known), fmt.Sprintf("start the cluster (`minikube start`), or pass --context with one of the contexts of `kubectl config get-contexts`"))
}

func (d *doctor) cluster(ctx context.Context) Result {
	if r := d.after("kube context"); r != nil {
		return *r
	}
	if err := d.Cluster.Check(ctx, cluster.Exec{Runner: d.Runner}); err != nil {
		var ce *cluster.Error
		detail := err.Error()
		if errors.As(err, &ce) {
			detail = ce.Err.Error()
		}
		return fail(detail, "start the cluster, then run `cupaas doctor` again")
	}
	out, err := d.kube(ctx, "get", "nodes", "-o", "json")
	if err != nil {
		return fail("does not answer ("+why(err)+")", "start the cluster (`minikube start`), and check `kubectl --context "+d.Cluster.Context()+" get nodes`")
	}
	var nodes corev1.NodeList
	if err := json.Unmarshal(out, &nodes); err != nil {
		return fail("cannot read the node list: "+err.Error(), "check `kubectl --context "+d.Cluster.Context()+" get nodes`")
	}
	if len(nodes.Items) == 0 {
		return fail("has no node", "start the cluster (`minikube start`)")
	}
	var notReady []string
	for _, n := range nodes.Items {
		if !nodeReady(n) {
			notReady = append(notReady, n.Name)
		}
	}
	if len(notReady) > 0 {
		return fail("node(s) not Ready: "+strings.Join(notReady, ", "), "see `kubectl --context "+d.Cluster.Context()+" describe node "+notReady[0]+"`")
	}
	d.mu.Lock()
	d.nodes = nodes
	d.mu.Unlock()
	n := nodes.Items[0]
	return Result{Status: OK, Detail: fmt.Sprintf("Kubernetes %s, %d node(s) Ready (%s); kind %s: a deploy's image step is %q, pull policy %s", n.Status.NodeInfo.KubeletVersion, len(nodes.Items), n.Name, d.Cluster.Kind(), d.Cluster.PublishStep(), d.Cluster.PullPolicy())}
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

func (d *doctor) storageClass(ctx context.Context) Result {
	if r := d.after("cluster"); r != nil {
		return *r
	}
	out, err := d.kube(ctx, "get", "storageclasses", "-o", "json")
	if err != nil {
		return fail("cannot list the StorageClasses ("+why(err)+")", "check `kubectl --context "+d.Cluster.Context()+" get storageclass`")
	}
	var list storagev1.StorageClassList
	if err := json.Unmarshal(out, &list); err != nil {
		return fail("cannot read the StorageClasses: "+err.Error(), "check `kubectl get storageclass`")
	}
	for _, sc := range list.Items {
		if sc.Annotations[defaultClassAnnotation] == "true" {
			return Result{Status: OK, Detail: fmt.Sprintf("%s (provisioner %s)", sc.Name, sc.Provisioner)}
		}
	}
	return fail("no default StorageClass: the services' volume claims would stay Pending", d.Cluster.Hints().NoStorage)
}

// ProbeImage is the tiny image the image check builds, loads and removes:
// one file, FROM scratch, so nothing is pulled.
const ProbeImage = "cupaas/doctor-probe:v1"

// probeContext is the build context of ProbeImage, as a tar.
func probeContext() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"Dockerfile", "FROM scratch\nCOPY probe /probe\n"},
		{"probe", "cupaas doctor: an image that can be loaded into the cluster's node\n"},
	} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write([]byte(f.body))
	}
	_ = tw.Close()
	return buf.Bytes()
}

func (d *doctor) imageLoad(ctx context.Context) Result {
	if r := d.after("Docker daemon", "cluster"); r != nil {
		return *r
	}
	_, err := d.Runner.Run(ctx, run.Cmd{Argv: []string{"docker", "build", "-q", "-t", ProbeImage, "-"}, Stdin: bytes.NewReader(probeContext())})
	if err != nil {
		return fail("cannot build a one-file image FROM scratch ("+why(err)+")", "check that Docker can build: `docker build`")
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.Timeout)
		defer cancel()
		_, _ = d.run(cctx, "docker", "image", "rm", ProbeImage)
	}()
	ex := cluster.Exec{Runner: d.Runner}
	start := time.Now()
	if _, err := d.Cluster.Publish(ctx, ex, ProbeImage, true); err != nil {
		return fail("cannot load an image into the node ("+why(err)+")", d.Cluster.Hints().ImageNotOnNode)
	}
	took := time.Since(start)
	again, err := d.Cluster.Publish(ctx, ex, ProbeImage, false)
	if err != nil || !again.Cached {
		detail := "the node does not list the image after it was loaded"
		if err != nil {
			detail = "cannot list the node's images (" + why(err) + ")"
		}
		return fail(detail, d.Cluster.Hints().ImageNotOnNode)
	}
	detail := fmt.Sprintf("loaded %s into the node in %s", ProbeImage, took.Round(10*time.Millisecond))
	if rm, ok := d.Cluster.(cluster.ImageRemover); ok {
		if err := rm.RemoveImage(ctx, ex, ProbeImage); err != nil {
			detail += "; could not remove it from the node (" + why(err) + "), the next check reuses it"
		} else {
			detail += " and removed it"
		}
	}
	return Result{Status: OK, Detail: detail}
}

// dns checks the cluster DNS without starting a pod (which would need an
// image the node may not have): CoreDNS's pods are ready and the kube-dns
// Service has ready endpoints.
func (d *doctor) dns(ctx context.Context) Result {
	if r := d.after("cluster"); r != nil {
		return *r
	}
	const fix = "see `kubectl --context %s -n kube-system get pods -l k8s-app=kube-dns` and their logs; `minikube delete && minikube start` makes a new cluster"
	out, err := d.kube(ctx, "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns", "-o", "json")
	if err != nil {
		return fail("cannot list the DNS pods ("+why(err)+")", fmt.Sprintf(fix, d.Cluster.Context()))
	}
	var pods corev1.PodList
	if err := json.Unmarshal(out, &pods); err != nil {
		return fail("cannot read the DNS pods: "+err.Error(), fmt.Sprintf(fix, d.Cluster.Context()))
	}
	ready := 0
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	if ready == 0 {
		return fail(fmt.Sprintf("no ready DNS pod (k8s-app=kube-dns: %d pod(s), none ready)", len(pods.Items)), fmt.Sprintf(fix, d.Cluster.Context()))
	}
	out, err = d.kube(ctx, "-n", "kube-system", "get", "endpointslices", "-l", "kubernetes.io/service-name=kube-dns", "-o", "json")
	if err != nil {
		return fail("cannot list the kube-dns endpoints ("+why(err)+")", fmt.Sprintf(fix, d.Cluster.Context()))
	}
	var slices discoveryv1.EndpointSliceList
	if err := json.Unmarshal(out, &slices); err != nil {
		return fail("cannot read the kube-dns endpoints: "+err.Error(), fmt.Sprintf(fix, d.Cluster.Context()))
	}
	eps := 0
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				eps++
			}
		}
	}
	if eps == 0 {
		return fail("Service kube-dns has no ready endpoint", fmt.Sprintf(fix, d.Cluster.Context()))
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%d CoreDNS pod(s) ready, Service kube-dns has %d ready endpoint(s)", ready, eps)}
}

// resources compares what the node can still give (allocatable minus the
// requests of the pods that run) with what the app requests.
func (d *doctor) resources(ctx context.Context) Result {
	if r := d.after("cluster"); r != nil {
		return *r
	}
	d.mu.Lock()
	nodes := d.nodes
	d.mu.Unlock()
	// Pod specs may hold other apps' values: this output is never shown.
	kctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	out, err := d.Runner.Run(kctx, run.Cmd{Argv: d.Kube.Argv("--request-timeout="+d.Timeout.String(), "get", "pods", "-A", "--field-selector=status.phase!=Succeeded,status.phase!=Failed", "-o", "json"), Sensitive: true})
	if err != nil {
		return fail("cannot list the pods ("+why(err)+")", "check `kubectl --context "+d.Cluster.Context()+" get pods -A`")
	}
	var pods corev1.PodList
	if err := json.Unmarshal(out, &pods); err != nil {
		return fail("cannot read the pods: "+err.Error(), "check `kubectl get pods -A`")
	}
	var cpu, mem resource.Quantity
	for _, n := range nodes.Items {
		cpu.Add(n.Status.Allocatable[corev1.ResourceCPU])
		mem.Add(n.Status.Allocatable[corev1.ResourceMemory])
	}
	needCPU, needMem, what, name, err := d.appRequests()
	for _, p := range pods.Items {
		// The app's own pods make way for the ones it deploys.
		if name != "" && p.Namespace == name && p.Labels[render.LabelInstance] == name && p.Labels[render.LabelComponent] == render.ComponentApp {
			continue
		}
		for _, c := range p.Spec.Containers {
			cpu.Sub(c.Resources.Requests[corev1.ResourceCPU])
			mem.Sub(c.Resources.Requests[corev1.ResourceMemory])
		}
	}
	free := fmt.Sprintf("free on the node: %s CPU, %s memory", cpuString(cpu), memString(mem))
	if err != nil || what == "" {
		return Result{Status: OK, Detail: free}
	}
	if cpu.Cmp(needCPU) < 0 || mem.Cmp(needMem) < 0 {
		return fail(fmt.Sprintf("%s; %s requests %s CPU, %s memory", free, what, cpuString(needCPU), memString(needMem)), d.Cluster.Hints().MoreResources+", or lower resources: in .cupaas.yml")
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%s; %s requests %s CPU, %s memory", free, what, cpuString(needCPU), memString(needMem))}
}

// appRequests are the requests of the app of Dir (its replicas, at least
// the autoscaler's minimum), and its name; what is "" when there is no
// valid .cupaas.yml.
func (d *doctor) appRequests() (cpu, mem resource.Quantity, what, name string, err error) {
	c, err := config.Load(d.Dir)
	if err != nil {
		return cpu, mem, "", "", err
	}
	n := c.Replicas
	if c.Autoscale != nil {
		n = c.Autoscale.Min
	}
	if n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		if c.Resources.CPU != "" {
			if q, err := resource.ParseQuantity(c.Resources.CPU); err == nil {
				cpu.Add(q)
			}
		}
		if c.Resources.Memory != "" {
			if q, err := resource.ParseQuantity(c.Resources.Memory); err == nil {
				mem.Add(q)
			}
		}
	}
	return cpu, mem, fmt.Sprintf("app %s (%d pod(s))", c.Name, n), c.Name, nil
}

func cpuString(q resource.Quantity) string {
	return fmt.Sprintf("%.2f", float64(q.MilliValue())/1000)
}

func memString(q resource.Quantity) string {
	v := q.Value()
	switch {
	case v >= 1<<30 || v <= -(1<<30):
		return fmt.Sprintf("%.1fGi", float64(v)/(1<<30))
	default:
		return fmt.Sprintf("%dMi", v>>20)
	}
}

func (d *doctor) config(ctx context.Context) Result {
	c, err := config.Load(d.Dir)
	var nf *config.NotFoundError
	var ce *config.Error
	switch {
	case errors.As(err, &nf):
		return Result{Status: Skip, Detail: "no .cupaas.yml here (not in an app directory)"}
	case errors.As(err, &ce) && len(ce.Problems) > 0:
		p := ce.Problems[0]
		more := ""
		if len(ce.Problems) > 1 {
			more = fmt.Sprintf(" (and %d more problem(s))", len(ce.Problems)-1)
		}
		return fail(p.Location()+": "+p.Msg+more, "run `cupaas validate` and fix what it shows")
	case err != nil:
		return fail(err.Error(), "run `cupaas validate`")
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%s is valid (app %s)", c.File, c.Name)}
}
