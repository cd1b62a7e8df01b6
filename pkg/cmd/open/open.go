// Package open implements `cupaas open`: it opens the app's URL in the
// browser with the platform's opener, or prints the URL when there is none.
package open

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
)

// OpenOptions are the inputs of `cupaas open`.
type OpenOptions struct {
	IO     *iostreams.IOStreams
	Runner run.Runner
	// Target resolves the app (--app, --context, the directory).
	Target func() (*cmdutil.Target, error)
	// Path is appended to the URL.
	Path string
	// Openers are the programs tried in order (see Openers).
	Openers []Opener
}

// NewCmdOpen returns the command. runF replaces the run function in tests.
func NewCmdOpen(f *cmdutil.Factory, runF func(context.Context, *OpenOptions) error) *cobra.Command {
	opts := &OpenOptions{IO: f.IOStreams, Runner: f.Runner}
	var flags cmdutil.AppFlags
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open the app's URL in the browser",
		Long: `Open the app's URL (with --path appended) in the browser: with $BROWSER when
it is set, else the platform's opener (open on macOS, wslview in WSL, xdg-open
elsewhere, rundll32's URL handler on Windows). The program is run directly,
never through a shell. When there is no opener, or it fails, the URL is
printed on stdout instead, for you to open.

When the URL needs a tunnel (minikube's docker driver on macOS and Windows),
cupaas keeps it open until Ctrl-C.`,
		Example: `  $ cupaas open
  $ cupaas open --path /admin
  $ cupaas open --app counter
  $ BROWSER=firefox cupaas open`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.ContainsAny(opts.Path, " \t\r\n") || strings.Contains(opts.Path, "://") {
				return cmdutil.FlagErrorf("--path %q is not a path of the app's URL (such as /admin or /items?page=2)", opts.Path)
			}
			opts.Target = func() (*cmdutil.Target, error) { return flags.Resolve(f, cmd) }
			opts.Openers = Openers(runtime.GOOS, f.Getenv, inWSL(f.Getenv))
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddAppFlags(cmd, &flags)
	cmdutil.AddAppCompletion(f, cmd, &flags)
	cmd.Flags().StringVar(&opts.Path, "path", "", "open this path of the app, such as /admin")
	return cmd
}

// Run finds the app's URL and opens it.
func Run(ctx context.Context, opts *OpenOptions) error {
	t, err := opts.Target()
	if err != nil {
		return err
	}
	st, err := t.App.Status(ctx)
	if err != nil {
		return t.Explain(ctx, err)
	}
	base, tun, err := t.AppURL(ctx, st.NodePort)
	if err != nil {
		return err
	}
	url := JoinPath(base, opts.Path)
	stderr := opts.IO.ErrOut
	if o, ok := Find(opts.Runner, opts.Openers); ok {
		argv := append(append([]string{}, o.Argv...), url)
		fmt.Fprintf(stderr, "Opening %s in your browser.\n", url)
		_, err := opts.Runner.Run(ctx, run.Cmd{Argv: argv, Stdin: opts.IO.In, Stdout: stderr, Stderr: stderr})
		if err == nil {
			return waitTunnel(ctx, opts, tun)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		why := err.Error()
		var re *run.Error
		if errors.As(err, &re) && re.ExitCode >= 0 {
			why = fmt.Sprintf("exit code %d", re.ExitCode) // what it said went to stderr already
		}
		fmt.Fprintf(stderr, "%s %s failed (%s); open the URL yourself:\n", opts.IO.ErrStyles().WarningIcon(), o.Argv[0], why)
	} else {
		names := make([]string, 0, len(opts.Openers))
		for _, o := range opts.Openers {
			names = append(names, o.Argv[0])
		}
		fmt.Fprintf(stderr, "No browser opener found (%s); open the URL yourself:\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(opts.IO.Out, url)
	return waitTunnel(ctx, opts, tun)
}

// waitTunnel keeps a tunnel that the URL needs until Ctrl-C.
func waitTunnel(ctx context.Context, opts *OpenOptions, tun *cluster.Tunnel) error {
	if tun == nil {
		return nil
	}
	fmt.Fprintln(opts.IO.ErrOut, "The URL works through a tunnel while this command runs: press Ctrl-C to stop it.")
	if tun.Wait(ctx) {
		return errors.New("the tunnel to the app ended by itself; run `cupaas open` again")
	}
	return nil
}

// JoinPath appends path (with or without its leading slash, maybe with a
// query) to base.
func JoinPath(base, path string) string {
	if path == "" {
		return base
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
