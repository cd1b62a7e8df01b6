package cmdutil

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// completeCmd is a command with the app flags and a --service flag, run
// in dir.
func completeCmd(t *testing.T, f *Factory, dir string, args ...string) (*cobra.Command, *AppFlags) {
	t.Helper()
	o := &AppFlags{Dir: dir}
	cmd := &cobra.Command{Use: "logs"}
	AddAppFlags(cmd, o)
	cmd.Flags().String("service", "", "")
	AddAppCompletion(f, cmd, o)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return cmd, o
}

// TestCompleteServices: the services of .cupaas.yml in the app's
// directory; those the cluster runs for an app named with --app.
func TestCompleteServices(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte("name: shop\nruntime: python:3.11\nentrypoint: [python, app.py]\nservices: [redis, postgresql]\n"), 0o644)
	fake := runtest.New(t)
	f := &Factory{Runner: fake}

	cmd, o := completeCmd(t, f, dir)
	got, dirv := CompleteServices(f, o)(cmd, nil, "")
	if !reflect.DeepEqual(got, []string{"postgresql", "redis"}) || dirv != cobra.ShellCompDirectiveNoFileComp {
		t.Fatalf("here: %q %v", got, dirv)
	}
	cmd, o = completeCmd(t, f, dir, "--app", "shop")
	if got, _ := CompleteServices(f, o)(cmd, nil, "r"); !reflect.DeepEqual(got, []string{"redis"}) {
		t.Fatalf("--app of this directory: %q", got)
	}

	fake.Stub("kubectl", "--context", "dev", "-n", "todo", "get", "statefulsets", "-l", "app.kubernetes.io/instance=todo,app.kubernetes.io/managed-by=cupaas",
		"-o", `jsonpath={range .items[*]}{.metadata.labels.app\.kubernetes\.io\/component}{"\n"}{end}`).Stdout("mongodb\nmysql\n")
	cmd, o = completeCmd(t, f, dir, "--app", "todo", "--context", "dev")
	if got, _ := CompleteServices(f, o)(cmd, nil, "m"); !reflect.DeepEqual(got, []string{"mongodb", "mysql"}) {
		t.Fatalf("--app elsewhere: %q", got)
	}
}
