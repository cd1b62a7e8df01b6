package init

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/kballard/go-shellquote"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// promptForm asks the user to confirm or change each value on the terminal.
func promptForm(io *iostreams.IOStreams, a *Answers) error {
	selected := map[string]string{}
	for _, s := range a.Services {
		name, version, _ := strings.Cut(s, ":")
		if spec, ok := config.LookupService(name); ok {
			selected[spec.Name] = version
		}
	}
	var opts []huh.Option[string]
	for _, name := range config.ServiceNames() {
		_, on := selected[name]
		opts = append(opts, huh.NewOption(name, name).Selected(on))
	}
	var services []string
	ok := true
	fields := []huh.Field{
		huh.NewInput().Title("App name").Description("Also the Kubernetes namespace").Value(&a.Name).
			Validate(func(s string) error {
				if config.SanitizeName(s) == "" {
					return errors.New("use letters, digits and '-'")
				}
				return nil
			}),
	}
	if a.Dockerfile == "" {
		fields = append(fields,
			huh.NewInput().Title("Runtime").Description("language:version, e.g. python:3.11").Value(&a.Runtime).
				Validate(func(s string) error { _, err := config.ParseRuntime(s); return err }),
			huh.NewInput().Title("Entrypoint").Description("the command that starts the app").Value(&a.Entrypoint).
				Validate(func(s string) error { _, err := shellquote.Split(s); return err }),
		)
	}
	fields = append(fields,
		huh.NewInput().Title("Port").Description("the app must listen on 0.0.0.0 and this port ($PORT)").Value(&a.Port).
			Validate(func(s string) error {
				if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 65535 {
					return errors.New("a port from 1 to 65535")
				}
				return nil
			}),
		huh.NewInput().Title("Health check path").Description("HTTP path for readiness; empty for a TCP check").Value(&a.Healthcheck).
			Validate(func(s string) error {
				if s != "" && !strings.HasPrefix(s, "/") {
					return errors.New("a path starting with /")
				}
				return nil
			}),
		huh.NewMultiSelect[string]().Title("Backing services").Options(opts...).Value(&services),
		huh.NewInput().Title("Release command").Description("runs once per deploy before the new pods start (migrations); empty for none").Value(&a.Release).
			Validate(func(s string) error { _, err := shellquote.Split(s); return err }),
		huh.NewConfirm().Title("Write .cupaas.yml?").Value(&ok),
	)
	form := huh.NewForm(huh.NewGroup(fields...)).WithInput(io.In).WithOutput(io.ErrOut)
	if err := form.Run(); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return errors.New("cancelled; nothing was written")
		}
		return err
	}
	if !ok {
		return errors.New("cancelled; nothing was written")
	}
	a.Services = a.Services[:0]
	for _, name := range services {
		if v := selected[name]; v != "" {
			name += ":" + v
		}
		a.Services = append(a.Services, name)
	}
	return nil
}
