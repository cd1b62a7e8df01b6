package gitignore

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEnsure(t *testing.T) {
	for _, tc := range []struct {
		name, before, after string
		added               []string
	}{
		{"no file", "", "# cupaas: local build files and secrets\n.cupaas/\n.cupaas.env\n", []string{".cupaas/", ".cupaas.env"}},
		{"no final newline", "node_modules", "node_modules\n# cupaas: local build files and secrets\n.cupaas/\n.cupaas.env\n", []string{".cupaas/", ".cupaas.env"}},
		{"one present", "/.cupaas\n", "/.cupaas\n# cupaas: local build files and secrets\n.cupaas.env\n", []string{".cupaas.env"}},
		{"all present", ".cupaas/\n.cupaas.env\n", ".cupaas/\n.cupaas.env\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, ".gitignore")
			if tc.before != "" {
				os.WriteFile(p, []byte(tc.before), 0o640)
			}
			added, err := Ensure(dir, ".cupaas/", ".cupaas.env")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(added, tc.added) {
				t.Errorf("added %q, want %q", added, tc.added)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tc.after {
				t.Errorf("file:\n%q\nwant\n%q", got, tc.after)
			}
			if tc.before != "" {
				if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
					t.Errorf("mode changed to %v", st.Mode().Perm())
				}
			}
		})
	}
}
