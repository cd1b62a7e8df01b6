package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/chart"
)

// writeHelm writes the app's Helm chart into dir. A dir that exists must be
// empty or hold a chart (a Chart.yaml): then its templates/*.yaml are
// replaced, so that objects no longer generated do not linger.
func writeHelm(opts *Options, b *bundle.Bundle) error {
	ch, err := chart.New(b)
	if err != nil {
		return err
	}
	files := ch.Files
	dir := opts.Helm
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("--helm %s: %w", dir, err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
			return fmt.Errorf("--helm %s: the directory is not empty and holds no chart (Chart.yaml); name a new or empty directory", dir)
		}
		old, _ := filepath.Glob(filepath.Join(dir, "templates", "*.yaml"))
		for _, f := range old {
			if _, ok := files["templates/"+filepath.Base(f)]; !ok {
				if err := os.Remove(f); err != nil {
					return err
				}
			}
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(path, files[name], 0o644); err != nil {
			return err
		}
	}
	st := opts.IO.Styles()
	fmt.Fprintf(opts.IO.Out, "%s Wrote the Helm chart %s to %s (%d templates)\n", st.SuccessIcon(), b.Config.Name, dir, len(names)-2)
	fmt.Fprintf(opts.IO.Out, "Image: %s (push it where your cluster pulls from; set it with --set image=...)\n", b.Image)
	if len(ch.Secrets) > 0 {
		fmt.Fprintf(opts.IO.Out, "Secrets not in the chart: %s (create them in the namespace, or give their values with -f secrets.yaml; see values.yaml)\n", strings.Join(ch.Secrets, ", "))
	}
	return nil
}
