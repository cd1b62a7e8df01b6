// Package kubectl builds the argv of every kubectl call cupaas makes, on
// top of run.Runner. Every call names its context explicitly, so a deploy
// can never land on whatever cluster happens to be current. Manifests go
// on stdin (`apply -f -`), so no value of a Secret ever appears in an argv.
package kubectl

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
)

// Client runs kubectl against one context.
type Client struct {
	Runner  run.Runner
	Context string
	// Stdout and Stderr, when set, stream the output (for -v).
	Stdout, Stderr interface{ Write([]byte) (int, error) }
}

// Argv returns the full argv of a kubectl call with the context set.
func (c Client) Argv(args ...string) []string {
	return append([]string{"kubectl", "--context", c.Context}, args...)
}

// Run runs kubectl with args and returns its stdout.
func (c Client) Run(ctx context.Context, args ...string) ([]byte, error) {
	return c.Runner.Run(ctx, c.cmd(nil, args...))
}

func (c Client) cmd(stdin []byte, args ...string) run.Cmd {
	cmd := run.Cmd{Argv: c.Argv(args...)}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	}
	if c.Stderr != nil {
		cmd.Stderr = c.Stderr
	}
	return cmd
}

// ApplyArgs are the arguments of Apply, for --dry-run listings.
var ApplyArgs = []string{"apply", "-f", "-"}

// Apply applies manifest, given on stdin.
func (c Client) Apply(ctx context.Context, manifest []byte) ([]byte, error) {
	return c.Runner.Run(ctx, c.cmd(manifest, ApplyArgs...))
}

// RolloutStatusArgs are the arguments that wait for kind/name in ns.
func RolloutStatusArgs(ns, kindName string, timeout time.Duration) []string {
	return []string{"-n", ns, "rollout", "status", kindName, "--timeout", timeout.String()}
}

// RolloutStatus waits for kind/name (e.g. deployment/tasks) to roll out.
func (c Client) RolloutStatus(ctx context.Context, ns, kindName string, timeout time.Duration) ([]byte, error) {
	return c.Run(ctx, RolloutStatusArgs(ns, kindName, timeout)...)
}

var unreachableRe = regexp.MustCompile(`(?i)(connection refused|was refused|unable to connect to the server|i/o timeout|no such host|dial tcp|connection reset|TLS handshake timeout|EOF$|the server is currently unable|context deadline exceeded|net/http: request canceled)`)

// IsUnreachable reports whether err is kubectl failing to reach the
// cluster (worth a retry, or a warning), as opposed to a real error such as
// an invalid manifest.
func IsUnreachable(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, line := range re.Tail(5) {
		if unreachableRe.MatchString(line) {
			return true
		}
	}
	return false
}
