// Package doctor implements `cupaas doctor`: check what a deploy needs and
// say how to fix what is missing.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/doctor"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/run"
)

// DoctorOptions are the inputs of `cupaas doctor`.
type DoctorOptions struct {
	IO      *iostreams.IOStreams
	Runner  run.Runner
	Context string
	// Cluster is the kind of cluster of Context (--cluster, --registry).
	Cluster cluster.Cluster
	JSON    bool
	Timeout time.Duration
}

// Report is the JSON form of `cupaas doctor`.
type Report struct {
	OK      bool            `json:"ok"`
	Context string          `json:"context"`
	Checks  []doctor.Result `json:"checks"`
}

// NewCmdDoctor returns the command. runF replaces the run function in
// tests.
func NewCmdDoctor(f *cmdutil.Factory, runF func(context.Context, *DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{IO: f.IOStreams, Runner: f.Runner}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check what a deploy needs, and say how to fix what is missing",
		Long: `Check, each on a line with ✓ or ✗ and the fix when it fails: docker, kubectl
and minikube on PATH and their versions; the Docker daemon answering; the kube
context existing and its cluster answering with its nodes Ready; a default
StorageClass (the services' volumes need one); that an image can be loaded
into the node (a one-file image FROM scratch is built, loaded, checked and
removed, so nothing is pulled); the cluster DNS (CoreDNS pods ready and the
kube-dns Service's endpoints: no pod is started); the node's free CPU and
memory (allocatable minus the requests of the pods that run) against what the
app requests; and, in an app directory, .cupaas.yml.

The checks run at the same time; a check that needs one that failed is
skipped (–). Exit code 1 when a check fails.`,
		Example: `  $ cupaas doctor
  $ cupaas doctor --context minikube-dev
  $ cupaas doctor --json | jq -r '.checks[] | select(.status == "fail") | .name'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			opts.Context = s.String(cmd.Flags(), "context")
			if opts.Context == "" {
				opts.Context = cluster.DefaultContext
			}
			c, err := cluster.Select(opts.Context, s.String(cmd.Flags(), "cluster"), s.String(cmd.Flags(), "registry"))
			if err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			opts.Cluster = c
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return doctorRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.String("context", cluster.DefaultContext, "kube context to check (setting: context)")
	fl.String("cluster", "", "the kind of cluster, when the context's name does not tell (setting: cluster): "+strings.Join(cluster.Kinds, ", "))
	fl.String("registry", "", "the registry a deploy pushes to, HOST[:PORT][/PATH] (setting: registry)")
	fl.BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	cmdutil.DurationVar(fl, &opts.Timeout, "timeout", 15*time.Second, "how long each cluster request may take")
	return cmd
}

func doctorRun(ctx context.Context, opts *DoctorOptions) error {
	c := opts.Cluster
	if c == nil {
		c = cluster.For(opts.Context)
	}
	results := doctor.Run(ctx, doctor.Options{
		Runner:  opts.Runner,
		Cluster: c,
		Kube:    kubectl.Client{Runner: opts.Runner, Context: opts.Context},
		Dir:     ".",
		Timeout: opts.Timeout,
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failed := 0
	for _, r := range results {
		if r.Status == doctor.Fail {
			failed++
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(Report{OK: failed == 0, Context: opts.Context, Checks: results}); err != nil {
			return err
		}
	} else {
		printResults(opts.IO.Out, opts.IO.Styles(), opts.Context, results, failed)
	}
	if failed > 0 {
		return &cmdutil.SilentExit{Code: cmdutil.ExitFailure}
	}
	return nil
}

func printResults(w io.Writer, st iostreams.Styles, context string, results []doctor.Result, failed int) {
	width := 0
	for _, r := range results {
		width = max(width, len(r.Name))
	}
	for _, r := range results {
		icon := st.SuccessIcon()
		switch r.Status {
		case doctor.Fail:
			icon = st.FailureIcon()
		case doctor.Skip:
			icon = st.Muted.Render("–")
		}
		fmt.Fprintf(w, "%s %-*s  %s\n", icon, width, r.Name, r.Detail)
		if r.Fix != "" {
			fmt.Fprintf(w, "  %*s  %s %s\n", width, "", st.Bold.Render("fix:"), r.Fix)
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "%s Ready to deploy to context %s\n", st.SuccessIcon(), context)
		return
	}
	fmt.Fprintf(w, "%s %d check(s) failed for context %s\n", st.FailureIcon(), failed, context)
}
