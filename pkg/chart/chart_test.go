package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/bundle"
)

func prepare(t *testing.T, files map[string]string) *bundle.Bundle {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bundle.Prepare(dir, bundle.Options{Tag: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every placeholder is replaced, the objects' own "{{" is escaped, no
// secret value is written, and the values name what the issue lists.
func TestNew(t *testing.T) {
	b := prepare(t, map[string]string{
		".cupaas.yml":      "name: shop\nruntime: python:3.11\nentrypoint: [python, app.py]\nreplicas: 2\nresources: {cpu: 250m, memory: 256Mi}\nservices: [redis: 7]\nenv:\n  GREETING: \"{{ hi }}\"\n",
		".cupaas.env":      "API_KEY=s3cr3t-value-123\n",
		"requirements.txt": "flask\n",
		"app.py":           "print(1)\n",
	})
	ch, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Secrets, ",") != "shop-redis,shop-env" {
		t.Errorf("Secrets = %v", ch.Secrets)
	}
	var all strings.Builder
	for name, data := range ch.Files {
		all.WriteString(string(data))
		if strings.Contains(string(data), placeholder) {
			t.Errorf("%s keeps a placeholder:\n%s", name, data)
		}
		if strings.Contains(name, "namespace") {
			t.Errorf("the chart has a Namespace template: %s", name)
		}
	}
	text := all.String()
	for _, secret := range []string{"s3cr3t-value-123", b.Credentials["redis"].Password} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("a secret value is in the chart")
		}
	}
	values := string(ch.Files["values.yaml"])
	for _, want := range []string{"image: cupaas/shop:v1\n", "replicas: 2\n", "  requests:\n    cpu: 250m\n", `GREETING: '{{ hi }}'`, "  \"redis\":\n    image: \"redis:7\"\n", "\"shop-env\": {}  # keys: API_KEY"} {
		if !strings.Contains(values, want) {
			t.Errorf("values.yaml lacks %q:\n%s", want, values)
		}
	}
	if !strings.Contains(string(ch.Files["Chart.yaml"]), "appVersion: \"v1\"\n") {
		t.Errorf("Chart.yaml:\n%s", ch.Files["Chart.yaml"])
	}
	for name, data := range ch.Files {
		if strings.HasPrefix(name, "templates/") && strings.Contains(string(data), "{{ hi }}") {
			t.Errorf("%s holds the setting's {{ unescaped", name)
		}
	}
	if got := escape([]byte("a: '{{ x }}'\n")); got != `a: '{{ "{{" }} x }}'`+"\n" {
		t.Errorf("escape = %q", got)
	}
}
