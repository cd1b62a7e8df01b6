// Package render implements `cupaas render`: print or write the Dockerfile
// and the Kubernetes manifests that a deploy would use.
package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/render"
)

// Options are the inputs of `cupaas render`.
type Options struct {
	IO  *iostreams.IOStreams
	Dir string

	// Out is the directory to write the files to; "" prints them.
	Out string
	// Helm is the directory to write a Helm chart of the app to.
	Helm string
	// Tag overrides the image tag.
	Tag string
	// ShowSecrets prints the values of Secrets instead of <redacted>.
	ShowSecrets bool
	// Context ends the hashing of the build context early; nil means
	// context.Background().
	Context context.Context
}

// NewCmdRender returns the command. runF replaces the run function in tests.
func NewCmdRender(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Dir: "."}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Print the Dockerfile and Kubernetes manifests of the app",
		Long: `Generate the Dockerfile and the Kubernetes manifests that ` + "`cupaas deploy`" + ` would
use, from .cupaas.yml, and print them. Nothing is built or applied.

The image is cupaas/<name>:<tag>, where the tag is a hash of the build
inputs unless --tag sets it. Secret values are shown as <redacted> unless
--show-secrets is given; files written with --out always hold the real
values (kubernetes.yaml is readable by you only).

--out must be outside the app directory, or under .cupaas/ (never sent to
docker build, ignored by git): anywhere else in the app the files would
reach the next image, secrets included.

The first render of an app with services generates their credentials and
keeps them in .cupaas/credentials.json, so that every later render and
deploy uses the same ones.

--helm DIR writes a Helm chart instead: Chart.yaml (appVersion: the image
tag; the commit as an annotation), values.yaml (image, replicas, resources,
env settings, the services' images) and one template per object. The
values of Secrets are never written: a Secret is created only when its
values are given (helm install -f secrets.yaml), and must exist otherwise.`,
		Example: `  $ cupaas render
  $ cupaas render --show-secrets | less
  $ cupaas render --out .cupaas/out
  ✓ Wrote .cupaas/out/Dockerfile
  ✓ Wrote .cupaas/out/kubernetes.yaml
  Image: cupaas/tasks:3f2a9c81d4e0
  $ cupaas render --tag v1 --out .cupaas/out && kubectl --context minikube apply -f .cupaas/out/kubernetes.yaml
  $ cupaas render --helm ../charts/tasks && helm lint ../charts/tasks`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("tag") {
				if err := render.ValidateTag(opts.Tag); err != nil {
					return cmdutil.FlagErrorf("--tag: %v", err)
				}
			}
			if cmd.Flags().Changed("out") && opts.Out == "" {
				return cmdutil.FlagErrorf("--out needs a directory")
			}
			if cmd.Flags().Changed("helm") && opts.Helm == "" {
				return cmdutil.FlagErrorf("--helm needs a directory")
			}
			if opts.Helm != "" && (opts.Out != "" || opts.ShowSecrets) {
				return cmdutil.FlagErrorf("--helm cannot be used with --out or --show-secrets")
			}
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Out, "out", "", "write Dockerfile and kubernetes.yaml to `dir` instead of printing them")
	fl.StringVar(&opts.Helm, "helm", "", "write a Helm chart of the app to `dir` (Chart.yaml, values.yaml, templates/; no secret values)")
	fl.StringVar(&opts.Tag, "tag", "", "image `tag` (default: a hash of the build inputs)")
	fl.BoolVar(&opts.ShowSecrets, "show-secrets", false, "print the values of Secrets instead of <redacted>")
	return cmd
}

// Run renders the app in opts.Dir and prints or writes the result.
func Run(opts *Options) error {
	if opts.Out != "" {
		// Before Prepare, which may write the service credentials.
		if err := checkOut(opts.Dir, opts.Out); err != nil {
			return err
		}
	}
	b, err := bundle.Prepare(opts.Dir, bundle.Options{Tag: opts.Tag, Context: opts.Context})
	if err != nil {
		return err
	}
	if opts.Helm != "" {
		return writeHelm(opts, b)
	}
	out := opts.IO.Out
	if opts.Out != "" {
		if err := b.Write(opts.Out); err != nil {
			return err
		}
		st := opts.IO.Styles()
		if b.OwnDockerfile {
			fmt.Fprintf(out, "Dockerfile: using your own %s\n", b.Config.Dockerfile)
		} else {
			fmt.Fprintf(out, "%s Wrote %s\n", st.SuccessIcon(), filepath.Join(opts.Out, bundle.DockerfileName))
		}
		fmt.Fprintf(out, "%s Wrote %s\n", st.SuccessIcon(), filepath.Join(opts.Out, bundle.ManifestsName))
		fmt.Fprintf(out, "Image: %s\n", b.Image)
		return nil
	}
	manifests, err := b.Manifests(!opts.ShowSecrets)
	if err != nil {
		return err
	}
	if b.OwnDockerfile {
		fmt.Fprintf(out, "# ---- Dockerfile: using your own %s ----\n", b.Config.Dockerfile)
	} else {
		fmt.Fprintf(out, "# ---- Dockerfile (generated from %s) ----\n", filepath.Base(b.Config.File))
		out.Write(b.Dockerfile)
	}
	fmt.Fprintln(out, "# ---- kubernetes.yaml ----")
	_, err = out.Write(manifests)
	return err
}

// checkOut refuses an --out directory inside the app directory, unless it
// is under .cupaas/: kubernetes.yaml holds the app's secrets, and anything
// else in the app directory is sent to docker build with the next deploy
// (and may be committed); writing there could also overwrite the app's own
// Dockerfile. .cupaas/ never reaches an image and keeps itself out of git.
// Symbolic links are resolved on both sides.
func checkOut(dir, out string) error {
	app, err := resolvePath(dir)
	if err != nil {
		return err
	}
	target, err := resolvePath(out)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(app, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil // outside the app directory
	}
	if rel == home.DirName || strings.HasPrefix(rel, home.DirName+string(filepath.Separator)) {
		return nil
	}
	return cmdutil.FlagErrorf("--out %s is inside the app directory: its kubernetes.yaml holds the app's secrets and would be sent to docker build with the next deploy, and the files could replace the app's own; write to %s/out (never sent to docker, ignored by git) or to a directory outside the app",
		out, home.DirName)
}

// resolvePath returns the absolute path of p with the symbolic links of
// its existing part resolved; the part that does not exist yet (a directory
// --out will create) is appended as it is.
func resolvePath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		// Not filepath.Join, which would apply ".." before the links
		// are resolved.
		p = wd + string(filepath.Separator) + p
	}
	sep := string(filepath.Separator)
	parts := strings.Split(p, sep)
	for i := len(parts); i > 0; i-- {
		head := strings.Join(parts[:i], sep)
		if head == "" || strings.HasSuffix(head, ":") {
			head += sep // the root, on Windows a volume's
		}
		if real, err := filepath.EvalSymlinks(head); err == nil {
			return filepath.Join(append([]string{real}, parts[i:]...)...), nil
		}
	}
	return filepath.Clean(p), nil
}
