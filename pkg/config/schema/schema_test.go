package schema

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestRef(t *testing.T) {
	for version, want := range map[string]string{
		"1.2.0":                                "v1.2.0", // what the release build stamps
		"v1.2.0":                               "v1.2.0", // what `go install ...@v1.2.0` records
		"1.3.0-rc.1":                           "v1.3.0-rc.1",
		"0.4.1":                                "v0.4.1",
		"1.2.1-snapshot":                       "main", // goreleaser --snapshot
		"v0.0.0-20261202131437-82d232a1b2c3":   "main", // a Go pseudo-version
		"v1.2.1-0.20261202131437-82d232a1b2c3": "main",
		"v1.2.0+dirty":                         "main",
		"devel":                                "main",
		"":                                     "main",
		"1.2":                                  "main",
		"1.2.0/../../x":                        "main",
	} {
		if got := Ref(version); got != want {
			t.Errorf("Ref(%q) = %q, want %q", version, got, want)
		}
	}
}

func TestURLAndModeline(t *testing.T) {
	want := "https://raw.githubusercontent.com/cupaas/cupaas/v1.2.0/pkg/config/schema/cupaas.schema.json"
	if got := URL("1.2.0"); got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if got := Modeline("1.2.0"); got != "# yaml-language-server: $schema="+want {
		t.Errorf("Modeline = %s", got)
	}
	// File names the embedded file, from the root of the repository.
	data, err := os.ReadFile(strings.TrimPrefix(File, "pkg/config/schema/"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(JSON()) {
		t.Errorf("%s is not the embedded schema", File)
	}
}

func TestJSONIsACopy(t *testing.T) {
	a := JSON()
	var v map[string]any
	if err := json.Unmarshal(a, &v); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	a[0] = 'x'
	if JSON()[0] != '{' {
		t.Error("JSON returned the embedded bytes themselves")
	}
}
