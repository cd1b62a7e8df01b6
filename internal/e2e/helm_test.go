//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// helm runs helm (CI installs it: .ci/run) and returns its output.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("helm"); err != nil {
		t.Fatalf("the Helm checks need helm on PATH: go install helm.sh/helm/v3/cmd/helm@v3.22.0 (.ci/run does it)")
	}
	out, err := exec.Command("helm", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// docs splits a YAML stream into its objects (empty documents dropped).
func docs(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range strings.Split("\n"+stream, "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// byKindName indexes objects as "Kind/name".
func byKindName(objs []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range objs {
		meta, _ := o["metadata"].(map[string]any)
		out[fmt.Sprintf("%v/%v", o["kind"], meta["name"])] = o
	}
	return out
}

// The chart `cupaas render --helm` exports for every example passes `helm
// lint`, holds no secret value, and `helm template` of it, given the
// Secrets' values in a values file, renders exactly the objects of `cupaas
// render` (but the Namespace, which helm's --namespace owns). Without the
// values file, the Secrets with keys are left out (they must exist).
func TestHelmChartsOfExamples(t *testing.T) {
	examples, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"every-value"} // env with "{{", resources, autoscale, postgres, domain
	for _, ex := range examples {
		names = append(names, ex.Name())
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if name == "every-value" {
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, ".cupaas.yml"), []byte("name: every-value\nruntime: python:3.11\nentrypoint: [python, app.py]\n"+
					"resources: {cpu: 250m, memory: 256Mi}\nautoscale: {min: 2, max: 4}\nservices: [postgres]\ndomain: every.example.test\ningressClass: nginx\n"+
					"env:\n  GREETING: \"{{ not a template }}\"\n  LOG_LEVEL: info\n"), 0o644)
				os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask\n"), 0o644)
				os.WriteFile(filepath.Join(dir, "app.py"), []byte("print(1)\n"), 0o644)
			} else if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, "examples", name))); err != nil {
				t.Fatal(err)
			}
			r := cupaas(t, dir, "render", "--tag", "e2e", "--show-secrets")
			if r.code != 0 {
				t.Fatalf("cupaas render: exit %d\n%s", r.code, r.stderr)
			}
			want := byKindName(docs(t, r.stdout[strings.Index(r.stdout, "# ---- kubernetes.yaml ----"):]))
			chart := filepath.Join(t.TempDir(), "chart")
			if r := cupaas(t, dir, "render", "--tag", "e2e", "--helm", chart); r.code != 0 {
				t.Fatalf("cupaas render --helm: exit %d\n%s", r.code, r.stderr)
			}
			t.Log(strings.TrimSpace(helm(t, "lint", "--strict", chart)))

			// The Secrets' values, as a values file; none of them is
			// in the chart.
			var values bytes.Buffer
			values.WriteString("secrets:\n")
			var ns string
			var secretsWithKeys []string
			for key, obj := range want {
				meta := obj["metadata"].(map[string]any)
				if obj["kind"] == "Namespace" {
					ns = meta["name"].(string)
					delete(want, key)
					continue
				}
				data, _ := obj["data"].(map[string]any)
				if obj["kind"] != "Secret" || len(data) == 0 {
					continue
				}
				secretsWithKeys = append(secretsWithKeys, key)
				fmt.Fprintf(&values, "  %q:\n", meta["name"])
				for k, v := range data {
					plain, err := base64.StdEncoding.DecodeString(v.(string))
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(k, "PASSWORD") || strings.Contains(k, "URL") || strings.HasSuffix(k, ".conf") {
						assertNotInChart(t, chart, string(plain)) // user and database names are not secret
					}
					fmt.Fprintf(&values, "    %q: %q\n", k, plain)
				}
			}
			valuesFile := filepath.Join(t.TempDir(), "secrets.yaml")
			os.WriteFile(valuesFile, values.Bytes(), 0o600)

			got := byKindName(docs(t, helm(t, "template", "rel", chart, "--namespace", ns, "-f", valuesFile)))
			if len(got) != len(want) {
				t.Fatalf("helm template gives %d objects, cupaas render %d: %v vs %v", len(got), len(want), keys(got), keys(want))
			}
			for key, w := range want {
				if !reflect.DeepEqual(got[key], w) {
					g, _ := yaml.Marshal(got[key])
					wy, _ := yaml.Marshal(w)
					t.Fatalf("%s differs:\nhelm template:\n%s\ncupaas render:\n%s", key, g, wy)
				}
			}
			// Without the values, the Secrets with keys are not made.
			plain := byKindName(docs(t, helm(t, "template", "rel", chart, "--namespace", ns)))
			for _, key := range secretsWithKeys {
				if _, ok := plain[key]; ok {
					t.Fatalf("%s rendered without its values", key)
				}
			}
			if len(plain) != len(want)-len(secretsWithKeys) {
				t.Fatalf("helm template without secrets: %v", keys(plain))
			}
			t.Logf("%d objects equal to cupaas render's; %d Secret(s) expected to exist without values", len(want), len(secretsWithKeys))
		})
	}
}

// keys are a map's keys, in no order.
func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// assertNotInChart fails when a secret value is in a file of the chart.
func assertNotInChart(t *testing.T, chart, secret string) {
	t.Helper()
	if len(secret) < 6 {
		return // too short to search for
	}
	filepath.WalkDir(chart, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString([]byte(secret)))) {
				t.Fatalf("%s holds a secret value", p)
			}
		}
		return nil
	})
}

// `helm install` of an exported chart on the bed gives an app that
// answers. The chart names the image as built (cupaas/<app>:<tag>); the
// install sets the name `cupaas deploy` of the same app gave the node (on
// the bed, through minikube's registry addon: localhost:5000/...), as a
// team sets its registry's. The release goes to another namespace.
func TestHelmInstall(t *testing.T) {
	const app, release = "e2e-helm-h16-src", "e2e-helm-h16"
	freshNamespace(t, release)
	freshNamespace(t, app)
	dir := appDir(t, "go-http", nil)
	rename(t, dir, "go-http", app)
	rep := deployOK(t, dir)

	chart := filepath.Join(t.TempDir(), "chart")
	if r := cupaas(t, dir, "render", "--helm", chart); r.code != 0 {
		t.Fatalf("cupaas render --helm: exit %d\n%s", r.code, r.stderr)
	}
	values, _ := os.ReadFile(filepath.Join(chart, "values.yaml"))
	built := "cupaas/" + app + ":" + rep.Image[strings.LastIndex(rep.Image, ":")+1:]
	if !strings.Contains(string(values), "image: "+built) {
		t.Fatalf("values.yaml does not name the built image %s:\n%s", built, values)
	}
	t.Cleanup(func() {
		exec.Command("helm", "--kube-context", kubeContext, "uninstall", release, "-n", release, "--wait").Run()
	})
	t.Log(strings.TrimSpace(helm(t, "--kube-context", kubeContext, "install", release, chart, "-n", release, "--create-namespace", "--wait", "--timeout", "3m",
		"--set", "image="+rep.Image, "--set", "imagePullPolicy=IfNotPresent")))
	port := strings.TrimSpace(kubectl(t, "-n", release, "get", "service", app, "-o", "jsonpath={.spec.ports[0].nodePort}"))
	node := strings.TrimSpace(kubectl(t, "get", "nodes", "-o", `jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}`))
	var msg map[string]string
	firstJSON(t, "http://"+node+":"+port+"/", &msg)
	if !strings.Contains(msg["message"], "from go-http") {
		t.Fatalf("the Helm release answers %v", msg)
	}
	t.Logf("helm release %s answers at http://%s:%s/: %v", release, node, port, msg)
}
