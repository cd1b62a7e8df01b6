// Package init implements `cupaas init`: detect the project and scaffold
// `.cupaas.yml`, `.gitignore` entries and a `.dockerignore`.
package init

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kballard/go-shellquote"
	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	remotecmd "github.com/cupaas/cupaas/pkg/cmd/remote"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/detect"
	"github.com/cupaas/cupaas/pkg/gitignore"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// Options are the inputs of `cupaas init`.
type Options struct {
	IO  *iostreams.IOStreams
	Dir string

	Yes        bool
	Force      bool
	JSON       bool
	Name       string
	Runtime    string
	Entrypoint string
	Port       int
	Services   []string

	// Prompt asks the user to confirm or change the answers; nil uses an
	// interactive form. It is only called on a terminal without --yes.
	Prompt func(*Answers) error
}

// Answers are the values written to `.cupaas.yml`, detected then possibly
// changed by flags and the user.
type Answers struct {
	Name        string
	Runtime     string
	Entrypoint  string
	Port        string
	Healthcheck string
	Dockerfile  string
	Services    []string // "name" or "name:version"
	// Release is the release phase's command, in shell-word form.
	Release string
}

// NewCmdInit returns the command. runF replaces the run function in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Dir: "."}
	var noRemote bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Detect the project and write .cupaas.yml",
		Long: `Detect the language, version, entrypoint, port and backing services of the
project in the current directory and write .cupaas.yml. On a terminal it asks
you to confirm or change each value; with --yes, or without a terminal, it
writes what it detected. Flags override detection.

It also adds .cupaas/ and .cupaas.env to .gitignore, and writes a
.dockerignore when the project has none. In a git repository it then runs
` + "`cupaas remote`" + ` (unless --no-remote), so that ` + "`git push cupaas main`" + ` deploys.`,
		Example: `  $ cupaas init
  $ cupaas init --yes
  $ cupaas init --runtime python:3.12 --entrypoint "gunicorn -b 0.0.0.0:8000 app:app" --port 8000
  $ cupaas init --service postgresql --service redis:7 --force`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Port != 0 && (opts.Port < 1 || opts.Port > 65535) {
				return cmdutil.FlagErrorf("--port must be from 1 to 65535, got %d", opts.Port)
			}
			if runF != nil {
				return runF(opts)
			}
			if err := Run(opts); err != nil || noRemote || opts.JSON {
				return err
			}
			remotecmd.AfterInit(f, opts.Dir)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&noRemote, "no-remote", false, "do not add the git remote cupaas to the app's git repository (see cupaas remote)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "write the detected values without asking")
	fl.BoolVarP(&opts.Force, "force", "f", false, "overwrite an existing .cupaas.yml")
	fl.BoolVar(&opts.JSON, "json", false, "print what was detected and written as JSON")
	fl.StringVar(&opts.Name, "name", "", "app name (default: git remote origin's repo name, else the directory name)")
	fl.StringVar(&opts.Runtime, "runtime", "", "runtime as `language:version`, e.g. python:3.11")
	fl.StringVar(&opts.Entrypoint, "entrypoint", "", "command that starts the app, e.g. \"python app.py\"")
	fl.IntVar(&opts.Port, "port", 0, "port the app listens on")
	fl.StringArrayVar(&opts.Services, "service", nil, "backing service as `name[:version]` (repeatable): "+strings.Join(config.ServiceNames(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("runtime", CompleteRuntimes)
	_ = cmd.RegisterFlagCompletionFunc("service", CompleteServices)
	return cmd
}

// CompleteRuntimes completes --runtime with each language at its default version.
func CompleteRuntimes(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, name := range config.Languages() {
		l, _ := config.LookupLanguage(name)
		out = append(out, name+":"+l.DefaultVersion)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// CompleteServices completes --service with the service catalogue.
func CompleteServices(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return config.ServiceNames(), cobra.ShellCompDirectiveNoFileComp
}

// Result is what init did, for --json.
type Result struct {
	File      string          `json:"file"`
	Language  string          `json:"language,omitempty"`
	Detected  []DetectedValue `json:"detected"`
	Written   []string        `json:"written"`
	Config    string          `json:"config"`
	Notes     []string        `json:"notes,omitempty"`
	GitIgnore []string        `json:"gitignoreAdded,omitempty"`
	DockerIgn bool            `json:"dockerignoreWritten"`
}

// DetectedValue is one detected setting and why.
type DetectedValue struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Run detects, asks, validates and writes.
func Run(opts *Options) error {
	target := filepath.Join(opts.Dir, config.FileName)
	if existing, err := config.Find(opts.Dir); err == nil {
		if !opts.Force {
			return fmt.Errorf("%s already exists; pass --force to overwrite it", existing)
		}
		target = existing
	} else if !errors.As(err, new(*config.NotFoundError)) {
		if !opts.Force {
			return err
		}
	}
	found, err := detect.Detect(opts.Dir)
	if err != nil {
		return err
	}
	ans, detected := answersFrom(found)
	applyFlags(opts, &ans, &detected)

	if opts.IO.CanPrompt() && !opts.Yes && !opts.JSON {
		printDetected(opts.IO, found.Language, detected, found.Notes)
		prompt := opts.Prompt
		if prompt == nil {
			prompt = func(a *Answers) error { return promptForm(opts.IO, a) }
		}
		if err := prompt(&ans); err != nil {
			return err
		}
	}
	if err := complete(&ans); err != nil {
		return err
	}
	data, err := Render(ans)
	if err != nil {
		return err
	}
	// Never write a file that cupaas itself would refuse.
	if _, err := config.Parse(config.FileName, data); err != nil {
		return fmt.Errorf("the values given do not make a valid config:\n%w", err)
	}
	// .gitignore first: when it cannot be updated (it is not a regular
	// file, say), no .cupaas.yml is left behind for a rerun to trip on.
	added, err := ensureGitignore(opts.Dir)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(target, data, 0o644); err != nil {
		return err
	}
	res := Result{File: target, Language: found.Language, Detected: detected, Written: []string{target}, Config: string(data), Notes: found.Notes}
	res.GitIgnore = added
	if len(added) > 0 {
		res.Written = append(res.Written, filepath.Join(opts.Dir, ".gitignore"))
	}
	wrote, err := ensureDockerignore(opts.Dir, found.Language)
	if err != nil {
		return err
	}
	res.DockerIgn = wrote
	if wrote {
		res.Written = append(res.Written, filepath.Join(opts.Dir, ".dockerignore"))
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if !opts.IO.CanPrompt() || opts.Yes {
		printDetected(opts.IO, found.Language, detected, found.Notes)
	}
	printWritten(opts.IO, res)
	return nil
}

// answersFrom turns a detection result into answers and the list of what
// was detected and why.
func answersFrom(r *detect.Result) (Answers, []DetectedValue) {
	var a Answers
	var d []DetectedValue
	note := func(key, value, reason string) {
		if value != "" {
			d = append(d, DetectedValue{Key: key, Value: value, Reason: reason})
		}
	}
	a.Name = config.SanitizeName(r.Name.Value)
	note("name", a.Name, r.Name.Reason)
	a.Runtime = r.Runtime.Value
	note("runtime", a.Runtime, r.Runtime.Reason)
	if len(r.EntrypointArgv) > 0 {
		a.Entrypoint = shellquote.Join(r.EntrypointArgv...)
		note("entrypoint", a.Entrypoint, r.Entrypoint.Reason)
	}
	a.Port = r.Port.Value
	note("port", a.Port, r.Port.Reason)
	a.Healthcheck = r.Healthcheck.Value
	note("healthcheck", a.Healthcheck, r.Healthcheck.Reason)
	if r.Runtime.Value == "" && r.Dockerfile.Value != "" {
		a.Dockerfile = r.Dockerfile.Value
		note("dockerfile", a.Dockerfile, r.Dockerfile.Reason)
	}
	for _, s := range r.Services {
		a.Services = append(a.Services, s.Name)
		note("service", s.Name, s.Reason)
	}
	if len(r.ReleaseArgv) > 0 {
		a.Release = shellquote.Join(r.ReleaseArgv...)
		note("release", a.Release, r.Release.Reason)
	}
	return a, d
}

func applyFlags(opts *Options, a *Answers, d *[]DetectedValue) {
	// A flag replaces the detected value of its key, in place, so that the
	// list never shows two ports or a service that is not written.
	drop := func(key string) {
		kept := (*d)[:0]
		for _, v := range *d {
			if v.Key != key {
				kept = append(kept, v)
			}
		}
		*d = kept
	}
	set := func(key, value string) {
		v := DetectedValue{Key: key, Value: value, Reason: "--" + key + " flag"}
		for i := range *d {
			if (*d)[i].Key == key && key != "service" {
				(*d)[i] = v
				return
			}
		}
		*d = append(*d, v)
	}
	if opts.Name != "" {
		a.Name = opts.Name
		set("name", opts.Name)
	}
	if opts.Runtime != "" {
		a.Runtime = opts.Runtime
		a.Dockerfile = ""
		drop("dockerfile")
		set("runtime", opts.Runtime)
	}
	if opts.Entrypoint != "" {
		a.Entrypoint = opts.Entrypoint
		set("entrypoint", opts.Entrypoint)
	}
	if opts.Port != 0 {
		a.Port = strconv.Itoa(opts.Port)
		set("port", a.Port)
	}
	if len(opts.Services) > 0 {
		a.Services = append([]string(nil), opts.Services...)
		drop("service")
		for _, s := range opts.Services {
			set("service", s)
		}
	}
}

// complete checks that the answers are enough for a config, and says which
// flag to pass when they are not.
func complete(a *Answers) error {
	// A flag mistake is reported as one, not as a line of a file that was
	// never written.
	for _, s := range a.Services {
		name, _, _ := strings.Cut(strings.TrimSpace(s), ":")
		if _, ok := config.LookupService(name); !ok {
			msg := fmt.Sprintf("--service %s: unknown service", s)
			if sug := config.SuggestService(name); sug != "" {
				msg += "; did you mean " + sug + "?"
			}
			return cmdutil.FlagErrorf("%s (known: %s)", msg, strings.Join(config.ServiceNames(), ", "))
		}
	}
	if a.Runtime == "" && a.Dockerfile == "" {
		return cmdutil.FlagErrorf("could not detect the project's language (no requirements.txt, pyproject.toml, package.json, go.mod or Dockerfile); pass --runtime, e.g. --runtime python:3.11")
	}
	if a.Runtime != "" && a.Dockerfile == "" {
		rt, err := config.ParseRuntime(a.Runtime)
		if err != nil {
			return cmdutil.FlagErrorf("--runtime: %v", err)
		}
		l, _ := config.LookupLanguage(rt.Language)
		if a.Entrypoint == "" && !l.EntrypointOptional {
			return cmdutil.FlagErrorf("could not detect how to start the app (no app.py, main.py, manage.py or Procfile); pass --entrypoint, e.g. --entrypoint \"python app.py\"")
		}
	}
	if a.Dockerfile != "" && a.Port == "" {
		return cmdutil.FlagErrorf("found only a Dockerfile: pass --port with the port your image listens on, or --runtime")
	}
	return nil
}

// printDetected lists each detected value and why.
func printDetected(io *iostreams.IOStreams, language string, d []DetectedValue, notes []string) {
	st := io.Styles()
	w := io.Out
	if language != "" {
		fmt.Fprintf(w, "Detected a %s app:\n", st.Bold.Render(language))
	} else {
		fmt.Fprintln(w, "Detected:")
	}
	width := 0
	for _, v := range d {
		width = max(width, len(v.Key), len(v.Value))
	}
	for _, v := range d {
		fmt.Fprintf(w, "  %-12s %-*s  %s\n", v.Key, width, v.Value, st.Muted.Render("("+v.Reason+")"))
	}
	for _, n := range notes {
		fmt.Fprintf(w, "%s %s\n", st.WarningIcon(), n)
	}
}

func printWritten(io *iostreams.IOStreams, r Result) {
	st := io.Styles()
	w := io.Out
	fmt.Fprintf(w, "%s Wrote %s\n", st.SuccessIcon(), r.File)
	if len(r.GitIgnore) > 0 {
		fmt.Fprintf(w, "%s Added %s to .gitignore\n", st.SuccessIcon(), strings.Join(r.GitIgnore, " and "))
	}
	if r.DockerIgn {
		fmt.Fprintf(w, "%s Wrote .dockerignore\n", st.SuccessIcon())
	}
	fmt.Fprintf(w, "Next: check it with %s, then run %s\n", st.Code.Render("cupaas validate"), st.Code.Render("cupaas deploy"))
}

// ensureGitignore adds `.cupaas/` and `.cupaas.env` to the project's
// .gitignore (creating it), and returns the entries it added.
func ensureGitignore(dir string) ([]string, error) {
	return gitignore.Ensure(dir, ".cupaas/", ".cupaas.env")
}

// dockerignoreJunk is what each language leaves around that never belongs
// in an image.
var dockerignoreJunk = map[string][]string{
	"python": {"__pycache__/", "*.pyc", "*.pyo", ".venv/", "venv/", ".pytest_cache/", ".mypy_cache/", ".tox/"},
	"node":   {"node_modules/", "npm-debug.log*", ".npm/"},
	"go":     {"*.test", "*.out"},
}

// ensureDockerignore writes a .dockerignore when the project has none.
func ensureDockerignore(dir, language string) (bool, error) {
	p := filepath.Join(dir, ".dockerignore")
	if _, err := os.Stat(p); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("cannot read %s: %w", p, err)
	}
	var b strings.Builder
	b.WriteString("# Written by cupaas init. Files listed here never reach the image.\n")
	b.WriteString(".git\n.cupaas/\n.cupaas.env\n.cupaas.yml\n.cupaas.yaml\n.env\n")
	if junk := dockerignoreJunk[language]; len(junk) > 0 {
		fmt.Fprintf(&b, "# %s\n", language)
		for _, j := range junk {
			b.WriteString(j + "\n")
		}
	}
	return true, atomicfile.Write(p, []byte(b.String()), 0o644)
}
