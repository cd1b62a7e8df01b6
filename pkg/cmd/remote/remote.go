// Package remote implements `cupaas remote`, a thin command over
// pkg/remote.
package remote

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/cluster"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/gitsource"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/remote"
)

// Options are the inputs of `cupaas remote`.
type Options struct {
	IO      *iostreams.IOStreams
	Dir     string
	Context string
	Name    string
	Branch  string
	Remove  bool
	// Exe is the cupaas program the hook runs; "" means this one.
	Exe string
}

// NewCmdRemote returns the command.
func NewCmdRemote(f *cmdutil.Factory) *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "remote",
		Short: "Add the git remote `cupaas`: `git push cupaas main` deploys",
		Long: `Create a bare git repository for the app in the user's data directory
($XDG_DATA_HOME/cupaas/repos/<context>/<app>.git, by default
~/.local/share/cupaas/repos/...), install its pre-receive hook, and add the
git remote "cupaas" to the app's repository. Then ` + "`git push cupaas main`" + `
deploys the pushed commit: git runs the hook on this machine, which deploys
exactly that commit (from git's objects; the working tree is never read but
for .cupaas.env and .cupaas/) and prints what ` + "`cupaas deploy`" + ` prints. A
deploy that fails rejects the push, so the remote branch always names the
deployed commit.

Running it again repairs the hook (after cupaas moved, for example).`,
		Example: `  $ cupaas remote                    # then: git push cupaas main
  $ cupaas remote --branch production   # deploy pushes to branch production
  $ cupaas remote --name local          # a remote named local instead
  $ cupaas remote --remove              # remove the remote and the repository`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Dir = f.IOStreams, "."
			s, err := f.UserSettings()
			if err != nil {
				return err
			}
			opts.Context = s.String(cmd.Flags(), "context")
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.String("context", "minikube", "kube context the pushed deploys use (setting: context)")
	fl.StringVar(&opts.Name, "name", remote.DefaultName, "name of the git remote")
	fl.StringVar(&opts.Branch, "branch", "", "the branch whose pushes deploy (default main, else the checked-out branch)")
	fl.BoolVar(&opts.Remove, "remove", false, "remove the git remote, and the repository when this working tree set it up")
	return cmd
}

// Run sets up, repairs or removes the remote.
func Run(opts Options) error {
	c, err := config.Load(opts.Dir)
	if err != nil {
		return err
	}
	st := opts.IO.Styles()
	out := opts.IO.Out
	if opts.Remove {
		if opts.Branch != "" {
			return cmdutil.FlagErrorf("--branch cannot be used with --remove")
		}
		repo, deleted, err := remote.Remove(opts.Dir, opts.Context, c.Name, opts.Name)
		if err != nil {
			return &cmdutil.UsageError{Err: err}
		}
		fmt.Fprintf(out, "%s Removed git remote %s\n", st.SuccessIcon(), opts.Name)
		if deleted {
			fmt.Fprintf(out, "  deleted %s\n", repo)
		} else {
			fmt.Fprintf(out, "  kept %s: another working tree of the app uses it\n", repo)
		}
		return nil
	}
	exe := opts.Exe
	if exe == "" {
		if exe, err = self(); err != nil {
			return err
		}
	}
	res, err := remote.Setup(remote.Options{AppDir: opts.Dir, App: c.Name, Context: opts.Context, Name: opts.Name, Branch: opts.Branch, Exe: exe})
	if err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	verb := "Set up"
	if !res.Created && !res.AddedRemote {
		verb = "Checked"
	}
	fmt.Fprintf(out, "%s %s git remote %s -> %s\n", st.SuccessIcon(), verb, res.Name, res.Repo)
	fmt.Fprintf(out, "  app:     %s (context %s), branch %s deploys\n", c.Name, opts.Context, res.Record.Branch)
	if res.HookRepaired {
		fmt.Fprintf(out, "  hook:    rewritten to run %s\n", exe)
	}
	if res.OtherWorktree != "" {
		fmt.Fprintf(out, "  home:    %s (.cupaas.env and .cupaas/ of the working tree that set it up)\n", res.OtherWorktree)
	}
	fmt.Fprintf(out, "Deploy with: git push %s %s\n", res.Name, res.Record.Branch)
	return nil
}

// self is the absolute path of this program as it was started: the hook
// runs it by that path (a symbolic link is kept, so an upgrade through it
// is picked up).
func self() (string, error) {
	arg0 := os.Args[0]
	var p string
	var err error
	if strings.ContainsRune(arg0, filepath.Separator) {
		p, err = filepath.Abs(arg0)
	} else if p, err = exec.LookPath(arg0); err == nil {
		p, err = filepath.Abs(p)
	}
	if err != nil {
		if p, err = os.Executable(); err != nil {
			return "", fmt.Errorf("cannot find the path of the cupaas program for the hook: %w", err)
		}
	}
	return p, nil
}

// AfterInit runs `cupaas remote` for `cupaas init` when the app directory is
// in a git repository; a failure is a warning, since init did its work.
func AfterInit(f *cmdutil.Factory, dir string) {
	io := f.IOStreams
	if info, err := gitsource.Read(dir); err != nil || !info.IsRepo {
		return
	}
	kubeContext := cluster.DefaultContext
	if s, err := f.UserSettings(); err == nil {
		if c := s.String(pflag.NewFlagSet("init", pflag.ContinueOnError), "context"); c != "" {
			kubeContext = c
		}
	}
	if err := Run(Options{IO: io, Dir: dir, Context: kubeContext, Name: remote.DefaultName}); err != nil {
		fmt.Fprintf(io.ErrOut, "%s did not add the git remote %s: %v; run `cupaas remote` once that is fixed\n", io.ErrStyles().WarningIcon(), remote.DefaultName, err)
	}
}
