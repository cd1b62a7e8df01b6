// Package completion implements `cupaas completion`, and writes the
// completion scripts shipped in completions/.
package completion

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/cmdutil"
)

// Shells are the supported shells and the file each script is shipped as.
var Shells = map[string]string{
	"bash":       "cupaas.bash",
	"zsh":        "cupaas.zsh",
	"fish":       "cupaas.fish",
	"powershell": "cupaas.ps1",
}

// NewCmdCompletion returns the command.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script",
		Long: `Print the completion script of cupaas for a shell. Load it in the
current shell, or install it where your shell looks for completions.
Packages (deb, rpm) install it for you.`,
		Example: `  # bash, current shell
  $ source <(cupaas completion bash)
  # bash, every shell
  $ cupaas completion bash > /etc/bash_completion.d/cupaas
  # zsh
  $ cupaas completion zsh > "${fpath[1]}/_cupaas"
  # fish
  $ cupaas completion fish > ~/.config/fish/completions/cupaas.fish
  # PowerShell
  PS> cupaas completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("name a shell: bash, zsh, fish or powershell")
			}
			if _, ok := Shells[args[0]]; !ok {
				return cmdutil.FlagErrorf("unsupported shell %q: use bash, zsh, fish or powershell", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return Generate(cmd.Root(), args[0], f.IOStreams.Out)
		},
	}
}

// Generate writes the completion script of root for shell to w.
func Generate(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return fmt.Errorf("unsupported shell %q", shell)
}

// Scripts returns every shell's script, keyed by file name.
func Scripts(root *cobra.Command) (map[string][]byte, error) {
	out := map[string][]byte{}
	for shell, file := range Shells {
		var b bytes.Buffer
		if err := Generate(root, shell, &b); err != nil {
			return nil, err
		}
		out[file] = b.Bytes()
	}
	return out, nil
}

// WriteScripts writes every script into dir.
func WriteScripts(root *cobra.Command, dir string) error {
	scripts, err := Scripts(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
