// Package bundle prepares everything that `cupaas render` prints and
// `cupaas deploy` applies: the loaded config, the Dockerfile (generated, or
// the app's own), the image name and tag, the git revision, the service
// credentials, the app's secrets and the Kubernetes objects.
package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// File names written by Write.
const (
	DockerfileName = "Dockerfile"
	ManifestsName  = "kubernetes.yaml"
)

// Options change how a bundle is prepared.
type Options struct {
	// Tag overrides the image tag; "" means the content hash of the build
	// inputs.
	Tag string
	// CredentialOverride are service credentials read from the running
	// cluster; they replace the stored ones.
	CredentialOverride map[string]credentials.Service
	// Config, when set, is used instead of loading .cupaas.yml (such as the
	// config of the last deploy).
	Config *config.Config
	// Cluster names the image and picks its pull policy; nil means the
	// default context's.
	Cluster cluster.Cluster
	// Home holds the app's secrets and credentials; the zero value means
	// the home of the app in dir.
	Home home.Home
	// Branch names the branch of a commit's config (config.LoadCommit),
	// for Git.Branch.
	Branch string
	// Context ends the hashing of the build context early (Ctrl-C); nil
	// means context.Background().
	Context context.Context
}

// Bundle is a prepared app: what render prints and deploy applies.
type Bundle struct {
	// Config is the loaded `.cupaas.yml`.
	Config *config.Config
	// Dockerfile is the Dockerfile's content, generated or the app's own.
	Dockerfile []byte
	// DockerfilePath is where the Dockerfile is on disk: the app's own
	// file, or, for a generated one, "" until Write puts it somewhere.
	DockerfilePath string
	// OwnDockerfile is true when the config names the app's own Dockerfile.
	OwnDockerfile bool
	// Tag is the image tag, and Image the full reference the cluster gives
	// it, such as cupaas/<name>:<tag>.
	Tag, Image string
	// Git describes the source's git state.
	Git gitsource.Info
	// Objects are the Kubernetes objects, in apply order.
	Objects []runtime.Object
	// Credentials are the services' credentials, by service name.
	Credentials map[string]credentials.Service
	// Secrets are the app's secrets from the secrets file.
	Secrets map[string]string
	// Tree is the build context when it is a git commit (the config was
	// loaded with config.LoadCommit); nil means the app directory.
	Tree buildctx.Tree
	// Warnings are for the user, such as files that look like secrets in
	// the build context. Only set when the tag is computed.
	Warnings []string
}

// Prepare loads the app whose source is in dir and renders it. It writes
// nothing but the service credentials, which must be kept from the first
// render on.
func Prepare(dir string, opts Options) (*Bundle, error) {
	if opts.Cluster == nil {
		opts.Cluster = cluster.For("")
	}
	if opts.Home == (home.Home{}) {
		opts.Home = home.Of(dir)
	}
	c := opts.Config
	var err error
	if c == nil {
		if c, err = config.Load(dir); err != nil {
			return nil, err
		}
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	b := &Bundle{Config: c}
	commit := c.Commit()
	if commit != nil {
		b.Tree = commit
	}
	// The secrets first: a problem in them stops everything before the
	// build context is hashed or credentials are written.
	secretsFile := opts.Home.EnvFile()
	env, err := envfile.Load(secretsFile) // a missing file holds no secrets
	if err != nil {
		return nil, err
	}
	if ps := env.Check(c); len(ps) > 0 {
		return nil, envfile.AsError(secretsFile, ps)
	}
	b.Secrets = env.Map()

	if c.Dockerfile != "" && commit != nil {
		// Checked by config.LoadCommit.
		b.OwnDockerfile = true
		if b.Dockerfile, err = commit.ReadFile(path.Clean(c.Dockerfile), config.MaxDockerfileSize); err != nil {
			return nil, fmt.Errorf("cannot read the Dockerfile named in %s: %w", c.File, err)
		}
	} else if c.Dockerfile != "" {
		b.OwnDockerfile = true
		b.DockerfilePath = filepath.Join(dir, filepath.FromSlash(c.Dockerfile))
		// Checked again at read time: config checked it when it was
		// loaded (for a deployed config, maybe long ago).
		real, err := buildctx.ResolveDockerfile(dir, c.Dockerfile)
		var pathErr *fs.PathError
		if err != nil && !errors.As(err, &pathErr) {
			return nil, fmt.Errorf("%s: dockerfile %s %v; name a Dockerfile inside the app, such as `dockerfile: Dockerfile`", c.File, c.Dockerfile, err)
		}
		if err == nil {
			b.Dockerfile, err = safefile.ReadFile(real, config.MaxDockerfileSize)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the Dockerfile named in %s: %w", c.File, err)
		}
	} else {
		exists := func(name string) bool {
			st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
			return err == nil && st.Mode().IsRegular()
		}
		if commit != nil {
			exists = commit.IsFile
		}
		files := render.ProjectFilesFrom(exists)
		if b.Dockerfile, err = render.Dockerfile(c, files); err != nil {
			return nil, err
		}
	}

	b.Tag = opts.Tag
	if b.Tag == "" {
		var sum buildctx.Summary
		if commit != nil {
			sum, err = buildctx.InspectTree(ctx, commit, b.Dockerfile)
		} else if err = config.CheckDockerignore(dir); err == nil {
			// A bad line of .dockerignore is a problem of the app's
			// files (exit 2), named with its line.
			sum, err = buildctx.Inspect(ctx, dir, b.Dockerfile)
		}
		if err != nil {
			return nil, err
		}
		b.Tag = sum.Hash[:12]
		if w := sensitiveWarning(sum.Sensitive); w != "" {
			b.Warnings = append(b.Warnings, w)
		}
	}
	if b.Image, err = opts.Cluster.Image(c.Name, b.Tag); err != nil {
		return nil, err
	}
	if commit != nil {
		b.Git = commit.Info(opts.Branch)
	} else if b.Git, err = gitsource.Read(dir); err != nil {
		return nil, err
	}

	if b.Credentials, err = opts.Home.Credentials(c.ServiceNames(), opts.CredentialOverride); err != nil {
		return nil, err
	}
	b.Objects, err = render.Manifests(render.Input{
		Config:      c,
		Image:       b.Image,
		PullPolicy:  opts.Cluster.PullPolicy(),
		Commit:      b.Git.Revision(),
		Credentials: b.Credentials,
		Secrets:     b.Secrets,
		SecretsFile: secretsFile,
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// sensitiveWarning names the files of the build context that look like
// secrets (at most five of them), or is "" when there are none.
func sensitiveWarning(files []string) string {
	if len(files) == 0 {
		return ""
	}
	const most = 5
	list := strings.Join(files[:min(len(files), most)], ", ")
	if len(files) > most {
		list += fmt.Sprintf(" and %d more", len(files)-most)
	}
	return fmt.Sprintf("sending files that may hold secrets to docker build, where COPY can put them in the image: %s; list them in %s to keep them out", list, buildctx.IgnoreFile)
}

// Manifests returns the objects as multi-document YAML; with redact the
// values of Secrets are replaced by render.Redacted.
func (b *Bundle) Manifests(redact bool) ([]byte, error) {
	return render.Encode(b.Objects, redact)
}

// Write writes outDir/Dockerfile (when generated) and outDir/kubernetes.yaml
// with the real secret values, each atomically, creating outDir. The
// manifests file is readable by its owner only, since it holds the secrets.
// For a generated Dockerfile, DockerfilePath is set to the written file.
func (b *Bundle) Write(outDir string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", outDir, err)
	}
	if !b.OwnDockerfile {
		path := filepath.Join(outDir, DockerfileName)
		if err := atomicfile.Write(path, b.Dockerfile, 0o644); err != nil {
			return err
		}
		b.DockerfilePath = path
	}
	manifests, err := b.Manifests(false)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(outDir, ManifestsName), manifests, 0o600)
}

// UseImage makes the app's containers use ref instead of Image (the
// reference Publish returned, such as the image's digest in a registry),
// and sets Image to it.
func (b *Bundle) UseImage(ref string) {
	for _, o := range b.Objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			for i := range d.Spec.Template.Spec.Containers {
				if c := &d.Spec.Template.Spec.Containers[i]; c.Image == b.Image {
					c.Image = ref
				}
			}
		}
	}
	b.Image = ref
}
