// Package render implements `cupaas render`: print or write the Dockerfile
// and the Kubernetes manifests that a deploy would use.
package render

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/buildctx"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/render"
)

// Options are the inputs of `cupaas render`.
type Options struct {
	IO  *iostreams.IOStreams
	Dir string

	// Out is the directory to write the files to; "" prints them.
	Out string
	// Tag overrides the image tag.
	Tag string
	// ShowSecrets prints the values of Secrets instead of <redacted>.
	ShowSecrets bool
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

The first render of an app with services generates their credentials and
keeps them in .cupaas/credentials.json, so that every later render and
deploy uses the same ones.`,
		Example: `  $ cupaas render
  $ cupaas render --show-secrets | less
  $ cupaas render --out build/
  ✓ Wrote build/Dockerfile
  ✓ Wrote build/kubernetes.yaml
  Image: cupaas/tasks:3f2a9c81d4e0
  $ cupaas render --tag v1 --out build/ && kubectl --context minikube apply -f build/kubernetes.yaml`,
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
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Out, "out", "", "write Dockerfile and kubernetes.yaml to `dir` instead of printing them")
	fl.StringVar(&opts.Tag, "tag", "", "image `tag` (default: a hash of the build inputs)")
	fl.BoolVar(&opts.ShowSecrets, "show-secrets", false, "print the values of Secrets instead of <redacted>")
	return cmd
}

// Run renders the app in opts.Dir and prints or writes the result.
func Run(opts *Options) error {
	b, err := bundle.Prepare(opts.Dir, bundle.Options{Tag: opts.Tag})
	if err != nil {
		return err
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
		return warnInContext(opts)
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

// warnInContext warns when the written files are part of the app's build
// context: kubernetes.yaml holds the secrets, which must never reach an
// image, and the files would change the image tag on every render.
func warnInContext(opts *Options) error {
	rel, err := filepath.Rel(opts.Dir, opts.Out)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil // outside the app directory
	}
	files, err := buildctx.Files(opts.Dir)
	if err != nil {
		return err
	}
	manifests := path.Join(filepath.ToSlash(rel), bundle.ManifestsName)
	for _, f := range files {
		if f.Path == manifests {
			st := opts.IO.ErrStyles()
			fmt.Fprintf(opts.IO.ErrOut, "%s %s is inside the app directory, so it would be sent to docker build with the next deploy, secrets included; add %s/ to .dockerignore or write elsewhere\n",
				st.WarningIcon(), opts.Out, path.Clean(filepath.ToSlash(rel)))
			return nil
		}
	}
	return nil
}
