package env

import (
	"context"
	"fmt"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/deploy"
	"github.com/cupaas/cupaas/pkg/envfile"
	"github.com/cupaas/cupaas/pkg/home"
	"github.com/cupaas/cupaas/pkg/iostreams"
)

// apply applies the stored change to the cluster the app was last
// deployed to (see deploy.UpdateEnv), unless --no-apply.
func apply(ctx context.Context, opts *Options, progress *iostreams.Progress) error {
	if opts.NoApply {
		progress.Infof("Stored; it applies on the next `cupaas deploy`")
		return nil
	}
	current, err := config.Load(opts.Dir)
	if err != nil {
		return fmt.Errorf("the change is stored in %s but was not applied: %w", envfile.Name, err)
	}
	return deploy.UpdateEnv(ctx, deploy.EnvOptions{
		Progress: progress, Runner: opts.Runner, Home: home.Of(opts.Dir), Config: current,
		Timeout: opts.Timeout, PollInterval: opts.PollInterval,
	})
}
