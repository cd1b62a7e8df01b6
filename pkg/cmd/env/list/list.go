// Package list implements `cupaas env list`: the variables the app gets
// (secrets of .cupaas.env, masked unless --reveal; settings of env: in
// .cupaas.yml; the names cupaas injects), as a table, JSON or dotenv.
package list

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmd/env/shared"
	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/envfile"
)

// Listing is the JSON form of `cupaas env list`.
type Listing struct {
	Secrets  []Entry    `json:"secrets"`
	Settings []Entry    `json:"settings"`
	Injected []Injected `json:"injected"`
}

// Entry is one variable; Value is masked unless --reveal.
type Entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Injected is a variable cupaas sets itself.
type Injected struct {
	Key string `json:"key"`
	// From is "port" or the service that sets it.
	From string `json:"from"`
}

// ListOptions are the inputs of `cupaas env list`.
type ListOptions struct {
	shared.Options
	// Reveal shows the values of secrets.
	Reveal bool
	// JSON prints a Listing as JSON.
	JSON bool
	// Format is "" (a table) or "dotenv".
	Format string
}

// NewCmdList returns the command. runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Options: shared.NewOptions(f)}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the variables the app gets",
		Long: `List the app's secrets from .cupaas.env with their values masked (--reveal
shows them), the plain settings under env: in .cupaas.yml, and the names
cupaas injects itself (PORT, and the connection settings of each service).`,
		Example: `  $ cupaas env list
  $ cupaas env list --reveal
  $ cupaas env list --json | jq '.secrets[].key'
  $ cupaas env list --format dotenv --reveal > ~/counter-backup.env   # outside the app: a copy inside it would be sent to docker build`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "" && opts.Format != "dotenv" {
				return cmdutil.FlagErrorf("--format: only dotenv is supported, got %q", opts.Format)
			}
			if opts.Format != "" && opts.JSON {
				return cmdutil.FlagErrorf("--format and --json cannot be used together")
			}
			// Values are shown only when asked for: a dotenv dump is all
			// values, so it takes --reveal too.
			if opts.Format == "dotenv" && !opts.Reveal {
				return cmdutil.FlagErrorf("--format dotenv prints every value in clear: add --reveal to confirm (cupaas env list --format dotenv --reveal)")
			}
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Reveal, "reveal", false, "show the values of secrets")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	cmd.Flags().StringVar(&opts.Format, "format", "", "print the secrets in this format, with their values (needs --reveal): dotenv")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"dotenv"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// listRun prints the variables in the format asked for.
func listRun(opts *ListOptions) error {
	f, err := envfile.Load(opts.Path())
	if err != nil {
		return err
	}
	shared.WarnBadLines(opts.IO.NewProgress(false), f)
	if opts.Format == "dotenv" {
		out := &envfile.File{}
		for _, k := range f.Keys() {
			v, _ := f.Get(k)
			if err := out.Set(k, v); err != nil {
				return err
			}
		}
		_, err := opts.IO.Out.Write(out.Bytes())
		return err
	}
	c, err := config.Load(opts.Dir)
	var nf *config.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return err
	}
	l := listing(f, c, opts.Reveal)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	}
	printListing(opts, l)
	return nil
}

func listing(f *envfile.File, c *config.Config, reveal bool) Listing {
	l := Listing{Secrets: []Entry{}, Settings: []Entry{}, Injected: []Injected{}}
	for _, k := range f.Keys() {
		v, _ := f.Get(k)
		if !reveal {
			v = shared.Mask(v)
		}
		l.Secrets = append(l.Secrets, Entry{k, v})
	}
	if c == nil {
		return l
	}
	for _, e := range c.Env {
		l.Settings = append(l.Settings, Entry{e.Key, e.Value})
	}
	inj := c.InjectedEnv()
	for _, k := range slices.Sorted(maps.Keys(inj)) {
		l.Injected = append(l.Injected, Injected{k, inj[k]})
	}
	return l
}

// oneLine shows a multi-line value (a certificate) on its line of the
// table, with its line breaks and tabs as \n, \r and \t.
func oneLine(v string) string {
	return strings.NewReplacer("\\", "\\\\", "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(v)
}

func printListing(opts *ListOptions, l Listing) {
	st := opts.IO.Styles()
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, st.Bold.Render("Secrets")+" ("+envfile.Name+")")
	if len(l.Secrets) == 0 {
		fmt.Fprintln(w, "  none: add one with `cupaas env set KEY=VALUE`")
	}
	for _, e := range l.Secrets {
		fmt.Fprintf(w, "  %s\t%s\n", e.Key, oneLine(e.Value))
	}
	if len(l.Settings) > 0 {
		fmt.Fprintln(w, st.Bold.Render("Settings")+" (env: in .cupaas.yml)")
		for _, e := range l.Settings {
			fmt.Fprintf(w, "  %s\t%s\n", e.Key, oneLine(e.Value))
		}
	}
	if len(l.Injected) > 0 {
		fmt.Fprintln(w, st.Bold.Render("Injected by cupaas"))
		for _, i := range l.Injected {
			from := "from port:"
			if i.From != "port" {
				from = "for the " + i.From + " service"
			}
			fmt.Fprintf(w, "  %s\t%s\n", i.Key, st.Muted.Render(from))
		}
	}
	w.Flush()
}
