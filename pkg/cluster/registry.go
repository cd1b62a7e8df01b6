package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// Registry is any cluster whose nodes pull from an image registry
// (--registry HOST[:PORT][/PATH]): a shared multi-node cluster, or a local
// one under a context name cupaas does not know. The image is pushed with
// `docker push`, and the pods refer to it by the pushed digest
// (HOST/cupaas/app@sha256:...) with imagePullPolicy IfNotPresent, so every
// node runs exactly what was built. The push is skipped when the registry
// has the tag already with the digest docker recorded at the last push.
type Registry struct {
	context string
	// registry is as given; repo is the repository prefix of app images.
	registry, repo string
}

func (r *Registry) Kind() string    { return KindRegistry }
func (r *Registry) Context() string { return r.context }
func (r *Registry) Tools() []Tool   { return []Tool{toolDocker, toolKubectl} }

// registryRepo checks a --registry value and returns the repository
// prefix of app images: HOST[:PORT]/cupaas, or HOST[:PORT]/PATH when a path
// is given (docker.io/me gives docker.io/me/<app>).
func registryRepo(registry string) (string, error) {
	if strings.Contains(registry, "://") {
		_, rest, _ := strings.Cut(registry, "://")
		return "", fmt.Errorf("--registry %q: give HOST[:PORT][/PATH] without a scheme, such as %s (docker decides between HTTPS and plain HTTP)", registry, rest)
	}
	registry = strings.TrimSuffix(registry, "/")
	repo := registry
	if !strings.Contains(registry, "/") {
		repo += "/" + ImageRepository
	}
	host, _, _ := strings.Cut(registry, "/")
	parsed, err := name.NewRepository(repo+"/app", name.StrictValidation)
	if err != nil || strings.ContainsAny(registry, "@") || !sameRegistry(parsed.RegistryStr(), host) {
		return "", fmt.Errorf("--registry %q is not HOST[:PORT][/PATH] (such as localhost:5000, registry.example.com/team or ghcr.io/me)", registry)
	}
	return repo, nil
}

// Check: the cluster answers.
func (r *Registry) Check(ctx context.Context, ex Exec) error {
	argv := []string{"kubectl", "--context", r.context, "get", "--raw", "/readyz"}
	if ex.DryRun() {
		ex.Plan(argv, "the cluster answers")
		return nil
	}
	_, err := ex.Retry(ctx, "asking the cluster", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: argv})
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &Error{Err: fmt.Errorf("the cluster of context %s does not answer (%s)", r.context, FirstLine(err)), Details: runErrLines(err)}
	}
	return nil
}

func (r *Registry) PublishStep() string { return "Push image to " + r.registry }

// Publish pushes the image unless the registry has its tag with the
// digest docker recorded when it last pushed this very image, and returns
// the image by digest.
//
// image may be the local build's name (cupaas/<app>:<tag>): it is tagged
// with the registry's name first.
func (r *Registry) Publish(ctx context.Context, ex Exec, image string, force bool) (Published, error) {
	if rest, ok := strings.CutPrefix(image, ImageRepository+"/"); ok && r.repo != ImageRepository {
		target := r.repo + "/" + rest
		tag := []string{"docker", "tag", image, target}
		if ex.DryRun() {
			ex.Plan(tag, "the registry's name for the image")
		} else if _, err := ex.Runner.Run(ctx, run.Cmd{Argv: tag}); err != nil {
			return Published{}, err
		}
		image = target
	}
	tagged, err := name.NewTag(image, name.WeakValidation)
	if err != nil {
		return Published{}, err
	}
	tag := tagged.TagStr()
	if !strings.HasSuffix(image, ":"+tag) {
		return Published{}, fmt.Errorf("image %s has no tag", image)
	}
	host, path := tagged.RegistryStr(), tagged.RepositoryStr()
	inspect := []string{"docker", "image", "inspect", "--format", "{{json .RepoDigests}}", image}
	push := []string{"docker", "push", image}
	if ex.DryRun() {
		if !force {
			ex.Plan(inspect, "the digest of this image's last push; no push when the registry has the tag with it")
		}
		ex.Plan(push, "the pods then use the image by the pushed digest")
		return Published{Ref: image}, nil
	}
	// The image by digest, named as given (the digest was checked by the
	// pattern that found it).
	byDigest := func(dgst string) string {
		return strings.TrimSuffix(image, ":"+tag) + "@" + dgst
	}
	if !force {
		out, err := ex.Runner.Run(ctx, run.Cmd{Argv: inspect})
		if err != nil {
			return Published{}, err
		}
		if local := recordedDigest(out, tagged.Context().Name()); local != "" {
			remote, err := ManifestDigest(ctx, host, path, tag)
			switch {
			case err != nil:
				ex.warn(fmt.Sprintf("cannot ask %s whether it has %s (%v); pushing", host, image, err))
			case remote == local:
				ref := byDigest(local)
				return Published{Ref: ref, Cached: true, Detail: "cached: " + r.registry + " has " + ref}, nil
			}
		}
	}
	out, err := ex.Runner.Run(ctx, run.Cmd{Argv: push})
	if err != nil {
		return Published{}, pushError(err, host)
	}
	dgst := pushedDigest(out, tag)
	if dgst == "" {
		return Published{}, fmt.Errorf("`%s` printed no digest for the tag %s", run.CommandLine(push), tag)
	}
	ref := byDigest(dgst)
	return Published{Ref: ref, Detail: "pushed " + ref}, nil
}

// sameRegistry reports whether the parser's registry is host (Docker
// Hub's docker.io is index.docker.io to it).
func sameRegistry(parsed, host string) bool {
	return parsed == host || host == "docker.io" && parsed == name.DefaultRegistry
}

var digestPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`) })

// recordedDigest is the digest docker recorded for repo (a full name,
// such as 192.0.2.2:5000/cupaas/app) in `docker image inspect --format
// {{json .RepoDigests}}`.
func recordedDigest(out []byte, repo string) string {
	var digests []string
	if json.Unmarshal(out, &digests) != nil {
		return ""
	}
	for _, d := range digests {
		ref, err := name.NewDigest(d, name.WeakValidation)
		if err != nil {
			continue
		}
		if ref.Context().Name() == repo && digestPattern().MatchString(ref.DigestStr()) {
			return ref.DigestStr()
		}
	}
	return ""
}

// pushLine is docker push's last line: "TAG: digest: sha256:... size: N".
var pushLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^(\S+): digest: (sha256:[0-9a-f]{64}) size: \d+`)
})

// pushedDigest reads the digest of tag from docker push's output.
func pushedDigest(out []byte, tag string) string {
	for _, m := range pushLine().FindAllSubmatch(out, -1) {
		if string(m[1]) == tag {
			return string(m[2])
		}
	}
	return ""
}

// pushError explains a failed push.
func pushError(err error, host string) error {
	out := ""
	var re *run.Error
	if errors.As(err, &re) {
		out = string(re.Output)
	}
	switch {
	case strings.Contains(out, "server gave HTTP response to HTTPS client"):
		return &Error{Err: fmt.Errorf("docker push failed: %s serves plain HTTP and Docker pushes over HTTPS", host), Details: append(runErrLines(err),
			fmt.Sprintf("add %q to \"insecure-registries\" in Docker's daemon.json (and make the cluster's nodes trust it too), or serve the registry over HTTPS", host))}
	case strings.Contains(out, "unauthorized") || strings.Contains(out, "no basic auth credentials") || strings.Contains(out, "denied"):
		return &Error{Err: fmt.Errorf("docker push failed: %s refused the push", host), Details: append(runErrLines(err), fmt.Sprintf("log in first: `docker login %s`", host))}
	}
	return err
}

// manifestAccept are the manifest types a registry may hold for an image
// docker pushed.
var manifestAccept = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

// ManifestDigest asks the registry at host (the Docker Registry HTTP API
// v2: HEAD /v2/<path>/manifests/<tag>) for the digest of a tag; "" when it
// does not have the tag. It tries HTTPS, and plain HTTP when the registry
// answers HTTPS with HTTP (or first for localhost, as docker does). A
// registry that wants a login answers an error: the caller then pushes.
func ManifestDigest(ctx context.Context, host, path, tag string) (string, error) {
	if host == "docker.io" || host == name.DefaultRegistry {
		host = "registry-1.docker.io"
	}
	schemes := []string{"https", "http"}
	if h, _, err := net.SplitHostPort(host); err == nil && isLoopback(h) || isLoopback(host) {
		schemes = []string{"http"}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var lastErr error
	for _, scheme := range schemes {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, scheme+"://"+host+"/v2/"+path+"/manifests/"+tag, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Accept", strings.Join(manifestAccept, ", "))
		resp, err := client.Do(req)
		if err != nil {
			lastErr = err
			if errors.Is(err, http.ErrSchemeMismatch) {
				continue
			}
			return "", err
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			dgst := resp.Header.Get("Docker-Content-Digest")
			if !digestPattern().MatchString(dgst) {
				return "", fmt.Errorf("the registry answered no sha256 digest")
			}
			return dgst, nil
		case http.StatusNotFound:
			return "", nil
		case http.StatusUnauthorized, http.StatusForbidden:
			return "", fmt.Errorf("the registry wants a login to be read (HTTP %d)", resp.StatusCode)
		default:
			return "", fmt.Errorf("HEAD %s answered HTTP %d", req.URL, resp.StatusCode)
		}
	}
	return "", lastErr
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *Registry) Image(app, tag string) (string, error) {
	return render.ImageName(r.repo, app, tag)
}

func (r *Registry) PullPolicy() corev1.PullPolicy { return corev1.PullIfNotPresent }

func (r *Registry) URL(ctx context.Context, ex Exec, ns, svc string) (string, *Tunnel, error) {
	return nodePortURL(ctx, ex, r.context, ns, svc, false)
}

func (r *Registry) Hints() Hints {
	return Hints{
		ImageNotOnNode: "the node cannot pull it from " + r.registry + ": check that every node reaches the registry and trusts it (a plain-HTTP registry must be configured as such in the nodes' container runtime), and that it needs no pull secret",
		NoStorage:      genericHints.NoStorage,
		MoreResources:  genericHints.MoreResources,
	}
}

// Registry is where images are pushed, as given (HOST[:PORT][/PATH]).
func (r *Registry) Registry() string { return r.registry }
