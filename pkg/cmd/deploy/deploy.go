// Package deploy implements `cupaas deploy`, a thin command over
// pkg/deploy.
package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/remote"
)

// NewCmdDeploy returns the command. runF replaces the run function in tests.
func NewCmdDeploy(f *cmdutil.Factory, runF func(context.Context, deploy.Options) error) *cobra.Command {
	var opts deploy.Options
	var gitURL, gitBranch string
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Build the app and run it on Kubernetes; print its URL",
		Long: `Validate .cupaas.yml, render the Dockerfile and the manifests into
.cupaas/build/, build the image (skipped when an image of the same content
exists), make it visible to the cluster's nodes (minikube image load, kind
load, k3d image import, nothing on Docker Desktop, or docker push to
--registry: skipped when the nodes have it), apply the
manifests, wait for the rollout, check that the app answers and print its URL.

Every kubectl call names the kube context (--context, default minikube), so a
deploy never lands on whatever cluster happens to be current. When something
fails, cupaas says which step, why, and what to do; nothing after it runs.`,
		Example: `  $ cupaas deploy
  $ cupaas deploy -v                 # show every command and its output
  $ cupaas deploy --dry-run          # print the commands, run nothing
  $ cupaas deploy --ref HEAD~1       # deploy a commit, from git's objects
  $ cupaas deploy --git https://github.com/me/app.git --branch main
  $ cupaas deploy --json | jq -r .url
  $ cupaas deploy --context minikube-dev --timeout 10m
  $ cupaas deploy --context kind-dev                          # kind load docker-image
  $ cupaas deploy --context prod --registry registry.example.com/team`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			opts.IO, opts.Runner, opts.Dir = f.IOStreams, f.Runner, "."
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			opts.Context = s.String(fl, "context")
			opts.Cluster, opts.Registry = s.String(fl, "cluster"), s.String(fl, "registry")
			if _, err := cluster.Select(opts.Context, opts.Cluster, opts.Registry); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.Timeout, err = s.Duration(fl, "timeout"); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.LockWait, err = s.Duration(fl, "wait"); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.History, err = s.History(fl); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.Verbose && opts.Quiet {
				return cmdutil.FlagErrorf("--verbose and --quiet cannot be used together")
			}
			if gitURL != "" {
				if opts.Ref != "" {
					return cmdutil.FlagErrorf("--ref and --git cannot be used together")
				}
				if err := followGit(cmd.Context(), &opts, gitURL, gitBranch); err != nil {
					return err
				}
			} else if gitBranch != "" {
				return cmdutil.FlagErrorf("--branch goes with --git URL; to deploy a branch of this repository, use --ref BRANCH")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.String("context", "minikube", "kube context for every kubectl call (setting: context)")
	fl.String("cluster", "", "kind of cluster: "+strings.Join(cluster.Kinds, ", ")+" (default: detected from the context's name; setting: cluster)")
	fl.String("registry", "", "push the image to this registry, HOST[:PORT][/PATH], and run it by digest (setting: registry)")
	fl.Duration("timeout", 5*time.Minute, "how long to wait for the rollout (setting: timeout)")
	fl.Duration("wait", 0, "wait this long for another deploy of this app to finish, instead of failing (setting: wait)")
	fl.StringVar(&opts.Ref, "ref", "", "deploy this commit of the app's git repository (a hash, branch, tag, HEAD~1) instead of the working tree")
	fl.StringVar(&gitURL, "git", "", "deploy the head of a branch of this git repository (cloned or fetched into the cache directory), not the current directory")
	fl.StringVar(&gitBranch, "branch", "", "with --git: the branch to deploy (default: the repository's default branch)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "write .cupaas/build/ and print the commands, run nothing")
	fl.BoolVar(&opts.Rebuild, "rebuild", false, "build the image even when one with the same content exists")
	fl.BoolVar(&opts.Detach, "detach", false, "do not keep a minikube tunnel or kubectl port-forward open in the foreground")
	fl.BoolVar(&opts.JSON, "json", false, "print a JSON report at the end")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "print each command and stream its output")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only failures and the result")
	return cmd
}

// Run deploys and prints the outcome.
func Run(ctx context.Context, opts deploy.Options) error {
	rep, tun, err := deploy.Run(ctx, opts)
	io := opts.IO
	if err := WriteJSON(io, opts.JSON, rep, tun, err); err != nil {
		return err
	}
	st := io.Styles()
	if opts.DryRun {
		if !opts.JSON {
			fmt.Fprintf(io.Out, "Wrote %s/ (Dockerfile, kubernetes.yaml). A deploy would run:\n", deploy.BuildDir)
			for _, line := range rep.DryRun {
				fmt.Fprintf(io.Out, "  %s\n", line)
			}
		}
		return nil
	}
	if !opts.JSON && rep.UpToDate {
		// Like git: nothing was built, applied or waited for.
		fmt.Fprintf(io.Out, "%s Everything up-to-date: %s runs as deployed (checked in %.1fs)\n", st.SuccessIcon(), st.Bold.Render(rep.Namespace), rep.Seconds)
		fmt.Fprintf(io.Out, "  image:     %s\n", rep.Image)
		fmt.Fprintf(io.Out, "  namespace: %s (context %s)\n", rep.Namespace, rep.Context)
		fmt.Fprintln(io.Out, rep.URL)
	} else if !opts.JSON {
		fmt.Fprintf(io.Out, "%s Deployed %s in %.1fs\n", st.SuccessIcon(), st.Bold.Render(rep.Namespace), rep.Seconds)
		fmt.Fprintf(io.Out, "  image:     %s\n", rep.Image)
		fmt.Fprintf(io.Out, "  namespace: %s (context %s)\n", rep.Namespace, rep.Context)
		if rep.Commit != "" {
			fmt.Fprintf(io.Out, "  commit:    %s\n", rep.Commit)
		}
		if rep.Release > 0 {
			fmt.Fprintf(io.Out, "  release:   v%d\n", rep.Release)
		}
		fmt.Fprintln(io.Out, rep.URL)
	}
	HoldTunnel(ctx, io, rep.URL, tun, opts.Detach)
	return nil
}

// WriteJSON prints the report as JSON when asked (asJSON), and returns the
// error to end the command with: err as it is, or, after a JSON report
// that holds it, a ReportedError (printed once). A report that cannot be
// written stops the tunnel.
func WriteJSON(io *iostreams.IOStreams, asJSON bool, rep *deploy.Report, tun *cluster.Tunnel, err error) error {
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(rep); encErr != nil {
			if tun != nil {
				tun.Stop()
			}
			return encErr
		}
		if err != nil {
			// The report holds the error and its details.
			return &cmdutil.ReportedError{Err: err}
		}
	}
	return err
}

// HoldTunnel keeps a tunnel that serves url (minikube's, or a kubectl
// port-forward) in the foreground until Ctrl-C, or closes it at once with
// detach; it says which. No tunnel: nothing to do.
func HoldTunnel(ctx context.Context, io *iostreams.IOStreams, url string, tun *cluster.Tunnel, detach bool) {
	if tun == nil {
		return
	}
	if detach {
		tun.Stop()
		fmt.Fprintf(io.ErrOut, "%s %s is served through a %s, which --detach closed: the URL works only while `%s` runs\n", io.ErrStyles().WarningIcon(), url, tun.What, tun.Command)
		return
	}
	fmt.Fprintf(io.ErrOut, "%s The URL is served through a %s that works while cupaas runs: press Ctrl-C to stop it\n", io.ErrStyles().WarningIcon(), tun.What)
	if tun.Wait(ctx) {
		fmt.Fprintf(io.ErrOut, "%s The %s ended by itself: %s works no more; run `cupaas deploy` again for a new one\n", io.ErrStyles().WarningIcon(), tun.What, url)
	}
}

// followGit fetches the repository at url and points opts at its branch's
// head, with the app's home in the data directory.
func followGit(ctx context.Context, opts *deploy.Options, url, branch string) error {
	if err := gitsource.CheckURL(url); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Fetching %s\n", url)
	f, err := remote.Follow(ctx, url, branch)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Deploying commit %s of branch %s (app files in %s)\n", f.Commit.Short(), f.Branch, f.Home)
	opts.Dir, opts.Commit, opts.Branch = f.Home, f.Commit, f.Branch
	return nil
}
