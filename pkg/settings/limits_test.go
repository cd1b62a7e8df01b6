package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestXDGConfigHomeIsAFile: the error names the path that cannot be read.
func TestXDGConfigHomeIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	_, err := Load(func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return file
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(file, "cupaas", "config.yaml")) || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v", err)
	}
}

// TestLazyLoadsOnce: the file is read on the first call only, and a
// broken file gives the same error each time.
func TestLazyLoadsOnce(t *testing.T) {
	calls := 0
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("contxt: x\n"), 0o644)
	load := Lazy(func(k string) string {
		if k == "CUPAAS_CONFIG" {
			calls++
			return p
		}
		return ""
	})
	if calls != 0 {
		t.Fatal("Lazy read the settings before they were needed")
	}
	_, err1 := load()
	_, err2 := load()
	if err1 == nil || err1 != err2 || calls != 1 {
		t.Fatalf("errors %v / %v, %d loads", err1, err2, calls)
	}
}

// TestNegativeDurationRefused: from a flag, a variable or the file, a
// negative duration is an error that names where it came from.
func TestNegativeDurationRefused(t *testing.T) {
	s, err := Load(withFile(t, "wait: -5m\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs := flags()
	fs.Duration("wait", 0, "")
	if _, err := s.Duration(fs, "wait"); err == nil || !strings.Contains(err.Error(), `invalid wait "-5m" (from `) || !strings.Contains(err.Error(), "config.yaml): a duration cannot be negative") {
		t.Errorf("file: %v", err)
	}
	t.Setenv("CUPAAS_TIMEOUT", "-1s")
	if _, err := s.Duration(fs, "timeout"); err == nil || err.Error() != `invalid timeout "-1s" (from CUPAAS_TIMEOUT): a duration cannot be negative; use a value such as 5m or 90s` {
		t.Errorf("variable: %v", err)
	}
	fs.Set("timeout", "-2s")
	if _, err := s.Duration(fs, "timeout"); err == nil || err.Error() != `invalid timeout "-2s" (from --timeout): a duration cannot be negative; use a value such as 5m or 90s` {
		t.Errorf("flag: %v", err)
	}
	fs.Set("timeout", "0s")
	if d, err := s.Duration(fs, "timeout"); err != nil || d != 0 {
		t.Errorf("zero: %v %v", d, err)
	}
}
