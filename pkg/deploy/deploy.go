// Package deploy owns the operations that change what runs in the cluster:
// Run (the deploy pipeline: an ordered list of small steps, each taking
// what it needs and returning what it produces) and UpdateEnv (a new
// Secret and a roll of the pods, for `cupaas env`). What depends on the kind
// of cluster is asked of pkg/cluster, what concerns the app's pods of
// pkg/app, and where the app's files live of pkg/home; every external
// program runs through run.Runner.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/cupaas/cupaas/pkg/app"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/lock"
	"github.com/cupaas/cupaas/pkg/release"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/state"
)

// BuildDir is where deploy writes the Dockerfile and kubernetes.yaml,
// relative to the app directory.
const BuildDir = home.DirName + "/" + home.BuildDirName

// Options are the inputs of a deploy.
type Options struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	// Dir is the app directory.
	Dir string
	// Ref, when set, deploys that commit of the app's git repository (any
	// commit-ish: a hash, a branch, a tag, HEAD~1) instead of the working
	// tree: .cupaas.yml and the build context come from the commit's
	// objects, nothing is checked out. The app's settings, secrets and
	// state are still those of Dir.
	Ref string
	// Commit, when set, is the commit to deploy, already resolved (a
	// pushed commit); it wins over Ref.
	Commit *gitsource.Commit
	// Branch is the branch Commit was pushed to, for the report.
	Branch string
	// LockHeld says the caller holds the app lock (a push holds it until
	// its record is written); Run does not take it.
	LockHeld bool
	// Context is the kube context every kubectl call names.
	Context string
	// Cluster is the kind of cluster (--cluster); "" detects it from
	// Context's name. Registry, when set, is where the image is pushed
	// (--registry HOST[:PORT][/PATH]).
	Cluster, Registry string
	// Timeout bounds the rollout.
	Timeout time.Duration
	// VerifyTimeout bounds the check that the URL answers.
	VerifyTimeout time.Duration
	// LockWait is how long to wait for another deploy of the same app.
	LockWait time.Duration
	// History is how many releases to keep when .cupaas.yml says
	// nothing (the setting history); 0 means the default, 20.
	History int

	DryRun  bool
	Rebuild bool
	Detach  bool
	JSON    bool
	Verbose bool
	Quiet   bool

	// HTTPClient checks the URL; nil uses a client with a 5 s timeout.
	HTTPClient *http.Client
	// RetryDelay is the first backoff between tries of a transient failure
	// (doubled each time); 0 means 1 s.
	RetryDelay time.Duration
	// PollInterval is how often pods are inspected during the rollout; 0
	// means 2 s.
	PollInterval time.Duration
	// SettleDelay is how long the Roll out step waits after replacing the
	// app's pods, for the Service to stop sending requests to the old
	// ones, when the Service's EndpointSlices cannot be read; 0 means 2 s.
	SettleDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Report is what a deploy did, printed with --json.
type Report struct {
	URL       string       `json:"url,omitempty"`
	Image     string       `json:"image,omitempty"`
	Namespace string       `json:"namespace,omitempty"`
	Context   string       `json:"context,omitempty"`
	Commit    string       `json:"commit,omitempty"`
	Steps     []StepReport `json:"steps"`
	Seconds   float64      `json:"seconds"`
	Error     string       `json:"error,omitempty"`
	// Details explain Error: a diagnosis, the tail of a command's output,
	// the command that failed, what to do.
	Details []string `json:"details,omitempty"`
	// DryRun lists the commands a dry run would have run.
	DryRun []string `json:"dryRun,omitempty"`
	// Kept lists PersistentVolumeClaims of removed services, kept with their data.
	Kept []string `json:"keptVolumeClaims,omitempty"`
	// Release is the number of the release this deploy recorded (3 for
	// v3); 0 when none was recorded.
	Release int `json:"release,omitempty"`
	// UpToDate says the app ran as it would be deployed: nothing was
	// built, applied or waited for.
	UpToDate bool `json:"upToDate,omitempty"`
}

// StepReport is one step of the pipeline.
type StepReport struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached"`
	Detail  string  `json:"detail,omitempty"`
	Failed  bool    `json:"failed,omitempty"`
}

// StepError is a failed step: the step's name and the cause. Lines are
// what explains it (a diagnosis, a failed command's output and argv).
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Headline is the one line the error printer shows.
func (e *StepError) Headline() string {
	if errors.Is(e.Err, context.Canceled) {
		return fmt.Sprintf("interrupted during %q; run `cupaas deploy` again to go on (finished steps are skipped as cached)", e.Step)
	}
	return e.Step + " failed: " + e.Err.Error()
}

// Lines are the lines under the headline: those of the cause.
func (e *StepError) Lines() []string {
	if errors.Is(e.Err, context.Canceled) {
		return nil
	}
	return Lines(e.Err)
}

// Lines are the lines that explain err: a diagnosis, or a failed
// command's last output and command line.
func Lines(err error) []string {
	var l interface{ Lines() []string }
	if errors.As(err, &l) {
		return l.Lines()
	}
	return nil
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Context == "" {
		o.Context = cluster.DefaultContext
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.VerifyTimeout == 0 {
		o.VerifyTimeout = 30 * time.Second
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.SettleDelay == 0 {
		o.SettleDelay = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
}

// Run deploys the app. The report is returned even on failure. When the
// URL needs a tunnel held open, the tunnel is returned running: the caller
// keeps it (Tunnel.Wait) or stops it.
//
// The pipeline is a list of phases (see phase); the steps of a phase's
// lanes run side by side:
//
//	load      Load .cupaas.yml
//	prepare   Preflight
//	          | Source, Check what runs (the no-change path), Build image, Publish image*
//	          | Render*, Apply services, Roll out services
//	apply     Apply manifests
//	app       Roll out | Get URL
//	verify    Verify
//
// (* waits for the Preflight, which picks how the image reaches the nodes,
// and Render for the Source too.) A new phase between the services and the
// app (such as a release job that needs the services ready and the image
// on the node) goes between the prepare and apply entries of Run's list.
func Run(ctx context.Context, opts Options) (*Report, *cluster.Tunnel, error) {
	opts.defaults()
	d := newDriver(opts)
	cl, err := cluster.Select(opts.Context, opts.Cluster, opts.Registry)
	if err != nil {
		return &Report{Context: opts.Context, Steps: []StepReport{}}, nil, err
	}
	h := home.Of(opts.Dir)
	var (
		cfg  *config.Config
		last *state.State
		// src is the app as the Source step found it, which the image
		// lane builds; b is the same app rendered for the cluster once
		// the preflight picked how its image reaches the nodes.
		src, b *bundle.Bundle
		a      *app.App
		url    string
		tunnel *cluster.Tunnel
		// servicesApplied says Apply services ran: the namespace exists
		// and is not being deleted; skipped that it found them unchanged.
		servicesApplied, skipped bool
		// servicesHash is the hash of services.yaml, for the next deploy.
		servicesHash string
		// servicesThere reads, when skipped, whether the services'
		// objects are all still in the cluster.
		servicesThere *ahead[bool]
		// published is what the cluster named the image, when the pods
		// must use that (a registry's digest); "" otherwise.
		published string
		rel       *releaseRun
		// relList reads the app's releases ahead, for rel; pruneList
		// the app's objects in the cluster, for the prune after the
		// apply.
		relList   *ahead[[]release.Record]
		pruneList *ahead[app.Listed]
		// nsDeleting reads whether the app's namespace is being deleted,
		// for the first apply.
		nsDeleting *ahead[bool]
	)
	// startRelease numbers the release and records it as pending, once,
	// just before the cluster changes (not in a dry run); relOnce is held
	// while it writes.
	var (
		relOnce   sync.Mutex
		recording sync.WaitGroup
	)
	startRelease := func(ctx context.Context, s stepIO) {
		relOnce.Lock()
		defer relOnce.Unlock()
		if rel != nil || s.DryRun() {
			return
		}
		rel = recordRelease(ctx, release.Store{Kube: a.Kube, App: a.Name, Namespace: a.Namespace}, relList, deployRecord(b, opts.Now()), historyOf(cfg, opts.History), s.Warn, namespaceObject(b.Objects)...)
		if rel != nil {
			d.mu.Lock()
			d.report.Release = rel.rec.Version
			d.mu.Unlock()
		}
	}
	// recordAside is the apply's ready callback: startRelease in the
	// background, beside the apply and the rollout, and not cancelled
	// with the step (a failed apply still leaves a record, marked failed).
	// recording waits for it.
	recordAside := func(ctx context.Context, s stepIO) func() {
		return func() {
			recording.Add(1)
			go func() {
				defer recording.Done()
				startRelease(context.WithoutCancel(ctx), s)
			}()
		}
	}
	// The reads ahead outlive the step that starts them, not the deploy.
	aheadCtx, stopAhead := context.WithCancel(ctx)
	defer stopAhead()
	start := opts.Now()
	_, err = d.run(ctx, []phase{
		seq("load", step{name: "Load .cupaas.yml", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
			var lk *lock.Lock
			var err error
			if opts.Commit == nil && opts.Ref != "" {
				if opts.Commit, err = gitsource.ResolveCommit(h.AppDir, opts.Ref); err != nil {
					return result{}, err
				}
			}
			cfg, lk, last, err = load(ctx, s, h, opts.LockWait, opts.Commit, opts.LockHeld)
			if lk != nil {
				d.release = lk.Release
			}
			if err != nil {
				return result{}, err
			}
			a = app.New(kubectl.Client{Runner: s.Runner, Context: cl.Context()}, cfg.Name, cl.Hints())
			a.Quiet, a.Now = opts.Runner, opts.Now
			relList = newAhead(release.Store{Kube: a.Kube, App: a.Name, Namespace: a.Namespace}.List)
			pruneList = newAhead(a.PruneList)
			nsDeleting = newAhead(a.NamespaceDeleting)
			d.report.Namespace = a.Namespace
			return result{detail: cfg.Name}, nil
		}}),
		par("prepare", []step{
			{name: "Preflight", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
				return preflight(ctx, s, cl)
			}, aside: true, afterFn: func() []string {
				// When the last deploy may be what runs, its check goes
				// first: it takes a fraction of the preflight, which is
				// then not needed, and shares no CPU with it.
				if mayBeUnchanged(opts, last, cl.Context()) {
					return []string{"Check what runs"}
				}
				return nil
			}},
		}, []step{
			{name: "Source", dryRun: true, run: func(ctx context.Context, s stepIO) (res result, err error) {
				src, res, err = source(ctx, s, h, cfg, cl, opts.Branch)
				if src != nil {
					d.mu.Lock()
					d.report.Image, d.report.Commit = src.Image, src.Git.Revision()
					d.mu.Unlock()
				}
				return res, err
			}},
			{name: "Check what runs", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
				res, err := upToDate(ctx, s, opts, a, last, src, cl.Context())
				if err == nil && res.finished {
					d.mu.Lock()
					d.report.URL, d.report.Image, d.report.UpToDate = last.URL, last.Image, true
					d.mu.Unlock()
				}
				return res, err
			}},
			{name: "Build image", dryRun: true, afterFn: func() []string {
				// A context cupaas cannot publish to is refused by the
				// preflight, before anything is built.
				if _, unknown := cl.(*cluster.Unknown); unknown {
					return []string{"Preflight"}
				}
				return nil
			}, run: func(ctx context.Context, s stepIO) (result, error) {
				return build(ctx, s, opts.Dir, src, buildReason(opts.Rebuild, src, last), opts.Rebuild)
			}},
			{name: "Publish image", dryRun: true, title: cl.PublishStep, after: []string{"Preflight"}, run: func(ctx context.Context, s stepIO) (res result, err error) {
				if !s.DryRun() {
					// What the apply after the image needs is read
					// beside the publish: the release records (unless
					// Apply services read them for the record already)
					// and the objects to prune. Not earlier: a 2-core
					// machine runs the build and the services' apply
					// then, and every kubectl beside them slows them.
					relList.start(aheadCtx)
					pruneList.start(aheadCtx)
				}
				res, published, err = publish(ctx, s, cl, src, opts.Rebuild)
				return res, err
			}},
		}, []step{
			{name: "Render", dryRun: true, after: []string{"Preflight", "Source"}, run: func(ctx context.Context, s stepIO) (res result, err error) {
				if !s.DryRun() {
					// The cluster answers (the preflight passed), and the
					// deploy goes on (when the last deploy may be what
					// runs, the preflight waited for its check): whether
					// the namespace is being deleted is read beside the
					// render, for the first apply.
					nsDeleting.start(aheadCtx)
				}
				b, servicesHash, res, err = renderFiles(ctx, s, h, a, src, cl)
				if b != nil {
					d.mu.Lock()
					d.report.Image = b.Image
					d.mu.Unlock()
				}
				return res, err
			}},
			{name: "Apply services", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
				skipped = !opts.Rebuild && last != nil && last.Context == cl.Context() && last.App == cfg.Name && servicesHash != "" && last.ServicesHash == servicesHash
				if skipped && !s.DryRun() {
					servicesThere = newAhead(servicesPresent(a, filepath.Join(h.BuildDir(), ServicesName), len(serviceObjects(b.Objects))))
					servicesThere.start(aheadCtx)
				}
				res, err := applyServices(ctx, s, a, filepath.Join(h.BuildDir(), ServicesName), b.Objects, opts.Timeout, skipped, nsDeleting, recordAside(ctx, s))
				servicesApplied = err == nil && !res.hidden
				return res, err
			}},
			{name: "Roll out services", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
				var again func() (result, error)
				if skipped {
					again = func() (result, error) {
						servicesThere = nil // applied now
						return applyServices(ctx, s, a, filepath.Join(h.BuildDir(), ServicesName), b.Objects, opts.Timeout, false, nsDeleting, recordAside(ctx, s))
					}
				}
				return rolloutServices(ctx, s, a, workloads(b.Objects), opts, again)
			}},
		}),
		// The release phase: after the services are ready and the image
		// is on the node, before the app rolls out.
		seq("release", step{name: "Release phase", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
			if err := usePublished(h, b, published); err != nil {
				return result{}, err
			}
			d.mu.Lock()
			d.report.Image = b.Image
			d.mu.Unlock()
			if len(cfg.Release) == 0 {
				return result{hidden: true}, nil
			}
			startRelease(ctx, s)
			live := &logLines{log: s.Log, quiet: opts.Quiet}
			defer live.flush()
			version := 0
			if rel != nil {
				version = rel.rec.Version
			}
			return releasePhase(ctx, s, a, b, releaseJobName(a.Name, version, b.Tag), opts, live)
		}}),
		seq("apply", step{name: "Apply manifests", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
			res, kept, err := apply(ctx, s, a, h.BuildDir(), b.Objects, opts.Timeout, servicesApplied, servicesThere, pruneList, nsDeleting, recordAside(ctx, s))
			d.report.Kept = kept
			return res, err
		}}),
		par("app", []step{
			{name: "Roll out", dryRun: true, run: func(ctx context.Context, s stepIO) (result, error) {
				return rollout(ctx, s, a, appWorkloads(b.Objects), replacedPods(last, cl.Context(), cfg.Name, b), opts, func() {
					// The record says succeeded while the Service drops
					// the replaced pods; a failure after it (Verify)
					// writes it again.
					recording.Wait()
					relOnce.Lock()
					defer relOnce.Unlock()
					rel.early(ctx)
				})
			}},
		}, []step{
			{name: "Get URL", dryRun: true, aside: true, run: func(ctx context.Context, s stepIO) (res result, err error) {
				url, tunnel, res, err = getURL(ctx, s, cl, a, cfg.Domain)
				d.mu.Lock()
				d.report.URL = url
				d.mu.Unlock()
				return res, err
			}},
		}),
		seq("verify", step{name: "Verify", dryRun: false, run: func(ctx context.Context, s stepIO) (result, error) {
			res, err := verify(ctx, opts, a, url, cfg.Healthcheck)
			if err == nil {
				st := newState(cl, b, url, opts.Now())
				st.ServicesHash = servicesHash
				if err := h.SaveState(st); err != nil {
					s.Warn(err.Error())
				}
			}
			return res, err
		}}),
	})
	recording.Wait()
	notes, warnings := rel.finish(ctx, err, cl, opts.Runner)
	return d.end(start, notes, warnings, tunnel, err)
}

func round(d time.Duration) float64 {
	return float64(d.Round(10*time.Millisecond)) / float64(time.Second)
}
