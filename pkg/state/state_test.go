package state

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if s, err := Load(dir); s != nil || err != nil {
		t.Fatalf("never deployed: %v %v", s, err)
	}
	want := State{App: "tasks", Namespace: "tasks", Context: "minikube", Image: "cupaas/tasks:abc", Tag: "abc", DeployedAt: time.Unix(1, 0).UTC()}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || *got != want {
		t.Fatalf("got %+v, %v", got, err)
	}
	os.WriteFile(Path(dir), []byte("{"), 0o600)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is corrupt") {
		t.Fatalf("corrupt: %v", err)
	}
}
