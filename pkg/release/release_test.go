package release

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func rec(v int, status, image string) Record {
	return Record{Version: v, Time: time.Date(2026, 12, 2, 10, v, 0, 0, time.UTC), Kind: KindDeploy, Image: image, Status: status}
}

func versions(recs []Record) []int {
	var out []int
	for _, r := range recs {
		out = append(out, r.Version)
	}
	return out
}

// A record goes into a Secret and comes back the same, its values in the
// Secret only; the list is newest first.
func TestSecretRoundTrip(t *testing.T) {
	s := Store{App: "shop", Namespace: "shop"}
	r1 := rec(1, Succeeded, "cupaas/shop:1")
	r2 := Record{Version: 2, Kind: KindEnv, EnvCommand: "set", Keys: []string{"API_KEY"}, Image: "cupaas/shop:1", Status: Failed, Error: "Roll out failed", Env: map[string]string{"API_KEY": "s3cr3t"}}
	var items []json.RawMessage
	for _, r := range []Record{r1, r2} {
		sec, err := s.Secret(r)
		if err != nil {
			t.Fatal(err)
		}
		if sec.Name != SecretName("shop", r.Version) || string(sec.Type) != SecretType || sec.Labels[LabelRelease] == "" || sec.Labels["app.kubernetes.io/instance"] != "shop" || sec.Labels["app.kubernetes.io/managed-by"] != "cupaas" {
			t.Fatalf("secret: %+v", sec.ObjectMeta)
		}
		if strings.Contains(string(sec.Data[keyRecord]), "s3cr3t") {
			t.Fatal("a value is in the record's description")
		}
		data, _ := json.Marshal(sec)
		items = append(items, data)
	}
	list, _ := json.Marshal(map[string]any{"items": items})
	got, err := Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions(got), []int{2, 1}) || got[0].Env["API_KEY"] != "s3cr3t" || got[0].Summary() != "env set API_KEY" || got[1].Summary() != "deploy" {
		t.Fatalf("parsed: %+v", got)
	}
	// Secrets of other types in the list are not records.
	if got, err := Parse([]byte(`{"items":[{"metadata":{"name":"shop-env"},"type":"Opaque"}]}`)); err != nil || len(got) != 0 {
		t.Fatalf("an Opaque Secret was read as a record: %+v %v", got, err)
	}
	if _, err := Parse([]byte(`{"items":[{"metadata":{"name":"x"},"type":"cupaas.dev/release.v1","data":{"release.json":"bm9wZQ=="}}]}`)); err == nil || !strings.Contains(err.Error(), "release record x") {
		t.Fatalf("a broken record: %v", err)
	}
}

// The current release is the newest that succeeded; a rollback goes to
// the one that succeeded before it.
func TestCurrentAndPrevious(t *testing.T) {
	recs := []Record{rec(5, Failed, "e"), rec(4, Succeeded, "d"), rec(3, Failed, "c"), rec(2, Succeeded, "b"), rec(1, Succeeded, "a")}
	if c := Current(recs); c == nil || c.Version != 4 {
		t.Fatalf("current: %+v", c)
	}
	if p := Previous(recs); p == nil || p.Version != 2 {
		t.Fatalf("previous: %+v", p)
	}
	if p := Previous(recs[3:]); p == nil || p.Version != 1 {
		t.Fatalf("previous of v2: %+v", p)
	}
	if p := Previous(recs[4:]); p != nil {
		t.Fatalf("previous of the first: %+v", p)
	}
	if Next(recs) != 6 || Next(nil) != 1 {
		t.Fatal("Next")
	}
}

// Pruning keeps exactly keep releases, and never the one that runs; the
// images of pruned releases that no kept one uses are listed.
func TestExpiredAndUnreferenced(t *testing.T) {
	recs := []Record{rec(5, Succeeded, "e"), rec(4, Succeeded, "a"), rec(3, Succeeded, "c"), rec(2, Succeeded, "b"), rec(1, Succeeded, "a")}
	exp := Expired(recs, 2)
	if !slices.Equal(versions(exp), []int{3, 2, 1}) {
		t.Fatalf("expired: %v", versions(exp))
	}
	if got := Unreferenced(exp, recs[:2]); !slices.Equal(got, []string{"c", "b"}) {
		t.Fatalf("unreferenced: %v (a is still used by v4)", got)
	}
	// The running release (v2) is kept even beyond the history.
	failedAfter := []Record{rec(4, Failed, "d"), rec(3, Failed, "c"), rec(2, Succeeded, "b"), rec(1, Succeeded, "a")}
	if got := versions(Expired(failedAfter, 2)); !slices.Equal(got, []int{1}) {
		t.Fatalf("expired with a running v2: %v", got)
	}
	if got := Expired(recs, 20); len(got) != 0 {
		t.Fatalf("nothing to prune: %v", versions(got))
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]int{"v3": 3, "3": 3, "V12": 12} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "v", "v0", "-1", "three", "v1.2"} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) accepted", in)
		}
	}
}

func TestShortCommit(t *testing.T) {
	r := Record{Commit: "0123456789abcdef0123-dirty"}
	if got := r.ShortCommit(); got != "0123456789ab-dirty" {
		t.Fatal(got)
	}
}
