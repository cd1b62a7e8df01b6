// Package kubectl builds the argv of every kubectl call cupaas makes, on
// top of run.Runner. Every call names its context explicitly, so a deploy
// can never land on whatever cluster happens to be current. Manifests go
// on stdin (`apply -f -`), so no value of a Secret ever appears in an argv.
package kubectl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
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

// FieldManager owns the fields cupaas applies.
const FieldManager = "cupaas"

// ApplyFlags make every apply a server-side apply. A client-side apply
// keeps a copy of the whole object in its last-applied-configuration
// annotation, which is limited to 256 KiB: a Secret of a few hundred KiB
// would be refused although Kubernetes takes 1 MiB. --force-conflicts takes
// over fields another manager (an earlier client-side apply, `kubectl
// edit`) set: cupaas' config is the truth.
var ApplyFlags = []string{"apply", "--server-side", "--force-conflicts", "--field-manager=" + FieldManager}

// ApplyArgs are the arguments of Apply, for --dry-run listings.
var ApplyArgs = append(append([]string{}, ApplyFlags...), "-f", "-")

// Apply applies manifest, given on stdin.
func (c Client) Apply(ctx context.Context, manifest []byte) ([]byte, error) {
	return c.Runner.Run(ctx, c.cmd(manifest, ApplyArgs...))
}

// PatchPodAnnotationArgs are the arguments of PatchPodAnnotation.
func PatchPodAnnotationArgs(ns, kindName, key, value string) []string {
	patch := map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}}}}
	data, _ := json.Marshal(patch) // maps of strings always encode
	return []string{"-n", ns, "patch", kindName, "--type", "merge", "--field-manager=" + FieldManager + "-env", "-p", string(data)}
}

// PatchPodAnnotation sets one annotation of the pod template of kind/name,
// and nothing else of it: the pods roll, with everything else as it was
// deployed.
func (c Client) PatchPodAnnotation(ctx context.Context, ns, kindName, key, value string) ([]byte, error) {
	return c.Run(ctx, PatchPodAnnotationArgs(ns, kindName, key, value)...)
}

// ImageArgs are the arguments that print the image of the container
// named container in the pod template of kind/name.
func ImageArgs(ns, kindName, container string) []string {
	return []string{"-n", ns, "get", kindName, "-o", `jsonpath={.spec.template.spec.containers[?(@.name=="` + container + `")].image}`}
}

// IsNotFound reports whether err is kubectl saying the object does not
// exist.
func IsNotFound(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, line := range re.Tail(5) {
		if strings.Contains(line, "(NotFound)") {
			return true
		}
	}
	return false
}

// RolloutStatusArgs are the arguments that wait for kind/name in ns.
func RolloutStatusArgs(ns, kindName string, timeout time.Duration) []string {
	return []string{"-n", ns, "rollout", "status", kindName, "--timeout", timeout.String()}
}

// RolloutStatus waits for kind/name (e.g. deployment/tasks) to roll out.
func (c Client) RolloutStatus(ctx context.Context, ns, kindName string, timeout time.Duration) ([]byte, error) {
	return c.Run(ctx, RolloutStatusArgs(ns, kindName, timeout)...)
}

var unreachableRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(connection refused|was refused|unable to connect to the server|i/o timeout|no such host|dial tcp|connection reset|TLS handshake timeout|EOF$|the server is currently unable|context deadline exceeded|net/http: request canceled)`)
})

// IsUnreachable reports whether err is kubectl failing to reach the
// cluster (worth a retry, or a warning), as opposed to a real error such as
// an invalid manifest.
func IsUnreachable(err error) bool {
	var re *run.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, line := range re.Tail(5) {
		if unreachableRe().MatchString(line) {
			return true
		}
	}
	return false
}
