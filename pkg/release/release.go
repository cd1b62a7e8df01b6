// Package release keeps an app's releases in its cluster: every change that
// rolls the app (a deploy, an applied `cupaas env` change, a rollback) is a
// numbered record, v1, v2, ..., kept as a Secret in the app's namespace, as
// Helm keeps its release records. A record holds the image, the commit, the
// deployed .cupaas.yml and the app's settings and secrets of that release
// (what a rollback puts back), so it is a Secret: nobody without access to
// the app's Secrets can read it. What is shown of a record (Summary, the
// JSON of `cupaas releases`) names changed variables, never their values.
//
// The records survive a deleted working tree and are the same for every
// clone of the app; the history is bounded (Prune).
package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
	"github.com/cupaas/cupaas/pkg/run"
)

// SecretType is the type of the Secrets that hold release records.
const SecretType = "cupaas.dev/release.v1"

// Labels of a record's Secret besides the app's instance and managed-by.
const (
	// LabelRelease holds the release number; its presence marks a record.
	LabelRelease = "cupaas.dev/release"
	// LabelStatus holds the record's status.
	LabelStatus = "cupaas.dev/release-status"
)

// NotRecord is a label selector term that leaves release records out
// (for the app's own Secrets).
const NotRecord = "!" + LabelRelease

// DefaultHistory is how many releases are kept when nothing says otherwise.
const DefaultHistory = 20

// Kinds of release.
const (
	KindDeploy   = "deploy"
	KindEnv      = "env"
	KindRollback = "rollback"
)

// Statuses of a release.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed"
)

// Data keys of a record's Secret.
const (
	keyRecord = "release.json"
	keyEnv    = "env.json"
)

// Record is one release.
type Record struct {
	// Version is the release number: 1 for v1.
	Version int `json:"version"`
	// Time is when the release started.
	Time time.Time `json:"time"`
	// Kind is deploy, env or rollback.
	Kind string `json:"kind"`
	// RollbackTo is the release a rollback put back.
	RollbackTo int `json:"rollbackTo,omitempty"`
	// EnvCommand is the env command of an env release (set, unset, import).
	EnvCommand string `json:"envCommand,omitempty"`
	// Keys are the names of the variables an env release changed (never
	// their values).
	Keys []string `json:"keys,omitempty"`
	// Image is the app's image, Tag its tag.
	Image string `json:"image"`
	Tag   string `json:"tag,omitempty"`
	// Commit is the git revision the image was built from ("" when
	// unknown; "<sha>-dirty" for uncommitted changes).
	Commit string `json:"commit,omitempty"`
	// ConfigFile and Config are the name and content of the deployed
	// .cupaas.yml.
	ConfigFile string `json:"configFile,omitempty"`
	Config     string `json:"config,omitempty"`
	// Services are the app's services ("redis:7"), for the rollback's
	// warning when they differ.
	Services []string `json:"services,omitempty"`
	// Status is pending, succeeded or failed; Error says why it failed.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Env are the app's settings and secrets (.cupaas.env) of the
	// release: what a rollback puts back. Kept in the Secret only, never
	// shown.
	Env map[string]string `json:"-"`
}

// Name is "v3".
func (r Record) Name() string { return "v" + strconv.Itoa(r.Version) }

// Summary says what the release was, without any value: "deploy",
// "env set API_KEY, DEBUG", "rollback to v2".
func (r Record) Summary() string {
	switch r.Kind {
	case KindRollback:
		return "rollback to v" + strconv.Itoa(r.RollbackTo)
	case KindEnv:
		s := "env " + r.EnvCommand
		if len(r.Keys) > 0 {
			s += " " + strings.Join(r.Keys, ", ")
		}
		return strings.TrimSpace(s)
	}
	return r.Kind
}

// ShortCommit is the commit's first 12 characters, with -dirty kept.
func (r Record) ShortCommit() string {
	c, dirty := strings.CutSuffix(r.Commit, "-dirty")
	if len(c) > 12 {
		c = c[:12]
	}
	if dirty {
		c += "-dirty"
	}
	return c
}

// SecretName is the name of the Secret of release version of app.
func SecretName(app string, version int) string {
	return fmt.Sprintf("cupaas.release.%s.v%d", app, version)
}

// ParseVersion reads "v3" or "3".
func ParseVersion(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V"))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a release such as v3", s)
	}
	return n, nil
}

// Store reads and writes the records of one app.
type Store struct {
	Kube      kubectl.Client
	App       string
	Namespace string
}

// Selector selects the app's records.
func (s Store) Selector() string {
	return render.LabelInstance + "=" + s.App + "," + render.LabelManagedBy + "=" + render.ManagedBy + "," + LabelRelease
}

// ListArgs list the records with their data: the call is Sensitive.
func (s Store) ListArgs() []string {
	return []string{"-n", s.Namespace, "get", "secrets", "-l", s.Selector(), "-o", "json"}
}

// List returns the app's releases, newest first. A namespace that does not
// exist holds none.
func (s Store) List(ctx context.Context) ([]Record, error) {
	out, err := s.Kube.Runner.Run(ctx, run.Cmd{Argv: s.Kube.Argv(s.ListArgs()...), Sensitive: true})
	if err != nil {
		return nil, err
	}
	return Parse(out)
}

// Parse reads the output of ListArgs, newest first. A record that cannot
// be read is an error that names it.
func Parse(out []byte) ([]Record, error) {
	var list corev1.SecretList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("cannot read the release records kubectl listed: %v", err)
	}
	var recs []Record
	for _, sec := range list.Items {
		if string(sec.Type) != SecretType {
			continue
		}
		r, err := decode(sec)
		if err != nil {
			return nil, fmt.Errorf("release record %s: %w", sec.Name, err)
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Version > recs[j].Version })
	return recs, nil
}

func decode(sec corev1.Secret) (Record, error) {
	var r Record
	if err := json.Unmarshal(sec.Data[keyRecord], &r); err != nil {
		return r, fmt.Errorf("cannot read it: %v", err)
	}
	if r.Version < 1 {
		return r, errors.New("it has no release number")
	}
	if env := sec.Data[keyEnv]; len(env) > 0 {
		if err := json.Unmarshal(env, &r.Env); err != nil {
			return r, fmt.Errorf("cannot read its settings: %v", err)
		}
	}
	return r, nil
}

// Secret is the record as the Secret that keeps it.
func (s Store) Secret(r Record) (*corev1.Secret, error) {
	rec, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	env := r.Env
	if env == nil {
		env = map[string]string{}
	}
	envData, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	labels := render.Labels(s.App, s.App, "release")
	labels[LabelRelease] = strconv.Itoa(r.Version)
	labels[LabelStatus] = r.Status
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(s.App, r.Version), Namespace: s.Namespace, Labels: labels},
		Type:       SecretType,
		Data:       map[string][]byte{keyRecord: rec, keyEnv: envData},
	}, nil
}

// Save writes r (created or replaced), after the objects in before (the
// app's Namespace, which a first deploy has not created yet). The record
// goes to kubectl on stdin: no value is ever in an argv.
func (s Store) Save(ctx context.Context, r Record, before ...runtime.Object) error {
	sec, err := s.Secret(r)
	if err != nil {
		return err
	}
	items := append(append([]runtime.Object{}, before...), sec)
	list := struct {
		APIVersion string           `json:"apiVersion"`
		Kind       string           `json:"kind"`
		Items      []runtime.Object `json:"items"`
	}{"v1", "List", items}
	data, err := json.Marshal(list)
	if err != nil {
		return err
	}
	_, err = s.Kube.Runner.Run(ctx, run.Cmd{Argv: s.Kube.Argv(SaveArgs...), Stdin: bytes.NewReader(data)})
	return err
}

// FieldManager owns the fields of the records.
const FieldManager = "cupaas-release"

// SaveArgs are the arguments of the kubectl call that writes a record.
var SaveArgs = []string{"apply", "--server-side", "--force-conflicts", "--field-manager=" + FieldManager, "-f", "-"}

// Next returns the number of the next release: one more than the highest
// of recs (the newest first).
func Next(recs []Record) int {
	if len(recs) == 0 {
		return 1
	}
	return recs[0].Version + 1
}

// Current is the release that runs: the newest that succeeded (a failed
// one left the one before it serving). nil when none did.
func Current(recs []Record) *Record {
	for i := range recs {
		if recs[i].Status == Succeeded {
			return &recs[i]
		}
	}
	return nil
}

// CurrentOf asks the cluster which release of the app runs (for `cupaas
// status`); nil, nil when the app has no successful release.
func (s Store) CurrentOf(ctx context.Context) (*Record, error) {
	recs, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return Current(recs), nil
}

// Find returns release version of recs.
func Find(recs []Record, version int) *Record {
	for i := range recs {
		if recs[i].Version == version {
			return &recs[i]
		}
	}
	return nil
}

// Previous is the default target of a rollback: the newest release that
// succeeded before the current one.
func Previous(recs []Record) *Record {
	cur := Current(recs)
	if cur == nil {
		return nil
	}
	for i := range recs {
		if recs[i].Version < cur.Version && recs[i].Status == Succeeded {
			return &recs[i]
		}
	}
	return nil
}

// Expired are the records beyond the keep newest of recs (newest first),
// never the one that runs.
func Expired(recs []Record, keep int) []Record {
	if keep < 1 {
		keep = 1
	}
	cur := Current(recs)
	var out []Record
	for i, r := range recs {
		if i >= keep && (cur == nil || r.Version != cur.Version) {
			out = append(out, r)
		}
	}
	return out
}

// Delete deletes the Secrets of recs.
func (s Store) Delete(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	args := []string{"-n", s.Namespace, "delete", "secret", "--ignore-not-found"}
	for _, r := range recs {
		args = append(args, SecretName(s.App, r.Version))
	}
	_, err := s.Kube.Run(ctx, args...)
	return err
}

// Unreferenced are the images of removed that no record of kept uses.
func Unreferenced(removed, kept []Record) []string {
	used := map[string]bool{}
	for _, r := range kept {
		used[r.Image] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range removed {
		if r.Image != "" && !used[r.Image] && !seen[r.Image] {
			seen[r.Image] = true
			out = append(out, r.Image)
		}
	}
	return out
}
