// Package cli is the cupaas command line: the root command, the mapping of
// errors to exit codes, and signal handling. main calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cupaas/cupaas/pkg/build"
	appscmd "github.com/cupaas/cupaas/pkg/cmd/apps"
	"github.com/cupaas/cupaas/pkg/cmd/completion"
	deploycmd "github.com/cupaas/cupaas/pkg/cmd/deploy"
	destroycmd "github.com/cupaas/cupaas/pkg/cmd/destroy"
	doctorcmd "github.com/cupaas/cupaas/pkg/cmd/doctor"
	envcmd "github.com/cupaas/cupaas/pkg/cmd/env"
	hookcmd "github.com/cupaas/cupaas/pkg/cmd/hook"
	initcmd "github.com/cupaas/cupaas/pkg/cmd/init"
	logscmd "github.com/cupaas/cupaas/pkg/cmd/logs"
	opencmd "github.com/cupaas/cupaas/pkg/cmd/open"
	releasescmd "github.com/cupaas/cupaas/pkg/cmd/releases"
	remotecmd "github.com/cupaas/cupaas/pkg/cmd/remote"
	rendercmd "github.com/cupaas/cupaas/pkg/cmd/render"
	rollbackcmd "github.com/cupaas/cupaas/pkg/cmd/rollback"
	runcmd "github.com/cupaas/cupaas/pkg/cmd/run"
	schemacmd "github.com/cupaas/cupaas/pkg/cmd/schema"
	statuscmd "github.com/cupaas/cupaas/pkg/cmd/status"
	"github.com/cupaas/cupaas/pkg/cmd/validate"
	"github.com/cupaas/cupaas/pkg/cmd/version"
	watchcmd "github.com/cupaas/cupaas/pkg/cmd/watch"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run"
	"github.com/cupaas/cupaas/pkg/settings"
)

// Main runs cupaas with the process's arguments and returns the exit code.
func Main() int {
	ios := iostreams.System()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Settings are read by the commands that use one, not here: `version`,
	// `--help` and `completion` work whatever the settings file holds.
	f := &cmdutil.Factory{IOStreams: ios, Runner: run.NewOS(), LoadSettings: settings.Lazy(os.Getenv), Getenv: os.Getenv}
	return Execute(ctx, f, os.Args[1:])
}

// Execute runs the root command with args and maps the outcome to an exit
// code, printing any error once, on stderr.
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	return PrintError(f.IOStreams, err, ctx.Err() != nil)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	info := build.Current()
	var chdir string
	root := &cobra.Command{
		Use:   "cupaas <command>",
		Short: "Deploy the app in this directory to your local Kubernetes",
		Long: `cupaas gives your app a Heroku-like deploy on a local Kubernetes (minikube),
with no server: it reads .cupaas.yml, builds the image, applies the manifests
and prints the URL.`,
		Example: `  $ cupaas init           # detect the project and write .cupaas.yml
  $ cupaas validate       # check .cupaas.yml
  $ cupaas deploy         # build, deploy and print the URL`,
		Version:       versionString(info),
		SilenceErrors: true,
		SilenceUsage:  true,
		// `cupaas frob` is a mistake (exit 2), said by the command itself
		// rather than by matching cobra's message.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return cmdutil.UnknownCommand(cmd, args[0])
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if chdir != "" {
				if err := os.Chdir(chdir); err != nil {
					return cmdutil.FlagErrorf("cannot change to directory %s: %v", chdir, err)
				}
			}
			return nil
		},
	}
	root.SetVersionTemplate("cupaas version {{.Version}}\n")
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetIn(f.IOStreams.In)
	root.PersistentFlags().StringVarP(&chdir, "chdir", "C", "", "run as if cupaas was started in `dir`")
	// No -v shorthand: -v means --verbose, as in `cupaas deploy -v`.
	root.Flags().Bool("version", false, "print the version of cupaas")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// pflag shows the whole argument of a bad shorthand or a bad
		// syntax (`-s3cr3t`, `---x`): it may be a value typed in the
		// wrong place, so it is not shown. A long flag's name is (without
		// what follows its "=").
		var (
			syntax   *pflag.InvalidSyntaxError
			notExist *pflag.NotExistError
		)
		switch {
		case errors.As(err, &syntax):
			err = errors.New("an argument is not valid flag syntax (it is not shown, since it may be a value)")
		case errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() != "":
			err = fmt.Errorf("unknown shorthand flag -%s (the argument it starts is not shown, since it may be a value)", notExist.GetSpecifiedName())
		}
		return &cmdutil.FlagError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, cmd.CommandPath())}
	})
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		initcmd.NewCmdInit(f, nil),
		validate.NewCmdValidate(f, nil),
		rendercmd.NewCmdRender(f, nil),
		deploycmd.NewCmdDeploy(f, nil),
		envcmd.NewCmdEnv(f),
		schemacmd.NewCmdSchema(f, info),
		version.NewCmdVersion(f, info),
		completion.NewCmdCompletion(f),
		remotecmd.NewCmdRemote(f),
		hookcmd.NewCmdHook(f),
		watchcmd.NewCmdWatch(f, PrintError),
		// Day two: the app after its deploy.
		statuscmd.NewCmdStatus(f, nil),
		appscmd.NewCmdApps(f, nil),
		opencmd.NewCmdOpen(f, nil),
		logscmd.NewCmdLogs(f, nil),
		runcmd.NewCmdRun(f, nil),
		destroycmd.NewCmdDestroy(f, nil),
		doctorcmd.NewCmdDoctor(f, nil),
		releasescmd.NewCmdReleases(f, nil),
		rollbackcmd.NewCmdRollback(f, nil),
	)
	return root
}

func versionString(i build.Info) string {
	s := i.Version
	if i.Commit != "" {
		s += " (commit " + i.Commit
		if i.Date != "" {
			s += ", built " + i.Date
		}
		s += ")"
	}
	return s
}

// PrintError is the one place that prints a failure, once, on stderr. It
// returns the exit code, chosen by the error's type (cmdutil.ExitCode).
// A config problem is shown with its file, line and column; an error with
// a Headline shows that; an error with Lines (a failed command's output and
// command line, a diagnosis) shows them under it.
func PrintError(ios *iostreams.IOStreams, err error, interrupted bool) int {
	code := cmdutil.ExitCode(err, interrupted)
	if err == nil {
		return code
	}
	var (
		reported *cmdutil.ReportedError
		cfgErr   *config.Error
		notFound *config.NotFoundError
		silent   *cmdutil.SilentExit
	)
	w := ios.ErrOut
	failure := ios.ErrStyles().Failure.Render("Error:")
	switch {
	case errors.As(err, &reported), errors.As(err, &silent):
		return code
	case errors.As(err, &cfgErr):
		PrintConfigError(ios, cfgErr)
		return code
	case code == cmdutil.ExitInterrupted:
		msg := "interrupted"
		var h headliner
		if errors.As(err, &h) {
			msg = h.Headline()
		}
		fmt.Fprintf(w, "%s %s\n", failure, msg)
		return code
	case errors.As(err, &notFound):
		// A user mistake says itself, whichever step found it.
		err = notFound
	}
	msg := err.Error()
	var h headliner
	if errors.As(err, &h) {
		msg = h.Headline()
	}
	fmt.Fprintf(w, "%s %s\n", failure, msg)
	var l interface{ Lines() []string }
	if errors.As(err, &l) {
		for _, line := range l.Lines() {
			fmt.Fprintln(w, line)
		}
	}
	return code
}

// headliner is an error whose one-line summary is not its Error(), such
// as a failed deploy step ("Build image failed: ...").
type headliner interface{ Headline() string }

// PrintConfigError prints every problem of a config file, with the source
// line and a caret under it when stderr is a terminal.
func PrintConfigError(ios *iostreams.IOStreams, e *config.Error) {
	w := ios.ErrOut
	st := ios.ErrStyles()
	for _, p := range e.Problems {
		fmt.Fprintf(w, "%s %s\n", st.Failure.Render(p.Location()+":"), p.Msg)
		if ios.IsStderrTTY() {
			if s := e.Snippet(p); s != "" {
				for _, line := range strings.Split(s, "\n") {
					fmt.Fprintln(w, st.Muted.Render(line)) // per line: lipgloss pads blocks
				}
			}
		}
	}
	n := len(e.Problems)
	file := config.FileName
	if n > 0 {
		file = e.Problems[0].File
	}
	if n == 1 {
		fmt.Fprintf(w, "%s 1 problem in %s\n", st.FailureIcon(), file)
	} else {
		fmt.Fprintf(w, "%s %d problems in %s\n", st.FailureIcon(), n, file)
	}
}
