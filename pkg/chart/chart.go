// Package chart exports an app as a Helm chart (`cupaas render --helm`):
// Chart.yaml, values.yaml and one template per object that `cupaas render`
// gives, for teams that deploy with Helm or Argo CD. With the values as
// exported and the Secrets' values given, `helm template --namespace <app>`
// renders the same objects as `cupaas render` (without the Namespace:
// Helm's --namespace and --create-namespace own it). The values of Secrets
// are never written into the chart: a Secret with keys is created only
// when its values are given (secrets.<name> in a values file or --set),
// and is expected to exist otherwise.
package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/cupaas/cupaas/pkg/bundle"
	"github.com/cupaas/cupaas/pkg/render"
)

// Chart is an exported chart.
type Chart struct {
	// Files are the chart's files by path: Chart.yaml, values.yaml,
	// templates/*.yaml.
	Files map[string][]byte
	// Secrets name the Secrets whose values the chart does not hold.
	Secrets []string
}

// New exports the prepared app b as a chart.
func New(b *bundle.Bundle) (*Chart, error) {
	c := b.Config
	files := map[string][]byte{}
	values := &valuesDoc{}
	values.add("image", b.Image, "The app's image. Push it to a registry the cluster's nodes pull from, and set its name here.")
	pullPolicy := ""
	services := map[string]string{}
	secrets := []string{}
	var secretNames []string
	for i, obj := range b.Objects {
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		if kind == "Namespace" {
			continue
		}
		m, err := toMap(obj)
		if err != nil {
			return nil, err
		}
		t := &template{}
		meta, _ := m["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		if _, ok := meta["namespace"]; ok {
			meta["namespace"] = t.scalar("{{ .Release.Namespace }}")
		}
		var wrap [2]string
		switch kind {
		case "Deployment":
			spec := m["spec"].(map[string]any)
			if r, ok := spec["replicas"]; ok {
				values.add("replicas", r, "How many pods run the app.")
				spec["replicas"] = t.scalar("{{ .Values.replicas }}")
			}
			for _, ct := range containers(spec) {
				if ct["name"] != render.AppContainer {
					continue
				}
				ct["image"] = t.scalar("{{ .Values.image | quote }}")
				if p, ok := ct["imagePullPolicy"].(string); ok {
					pullPolicy = p
					ct["imagePullPolicy"] = t.scalar("{{ .Values.imagePullPolicy }}")
				}
				res, _ := ct["resources"].(map[string]any)
				values.add("resources", res, "The app container's requests and limits.")
				ct["resources"] = t.optional(".Values.resources")
			}
		case "StatefulSet":
			spec := m["spec"].(map[string]any)
			svc := componentOf(spec)
			for _, ct := range containers(spec) {
				if img, ok := ct["image"].(string); ok && svc != "" {
					services[svc] = img
					ct["image"] = t.scalar(fmt.Sprintf("{{ index .Values.services %q \"image\" | quote }}", svc))
				}
			}
		case "ConfigMap":
			if name == c.Name+"-config" {
				data, _ := m["data"].(map[string]any)
				values.add("env", data, "The app's plain settings (env: in .cupaas.yml), as environment variables.")
				delete(m, "data")
				wrap[1] = "{{- with .Values.env }}\ndata:\n  {{- toYaml . | nindent 2 }}\n{{- end }}\n"
			}
		case "Secret":
			data, _ := m["data"].(map[string]any)
			if len(data) == 0 {
				break // nothing secret in it: the chart makes it
			}
			secrets = append(secrets, secretComment(name, data))
			secretNames = append(secretNames, name)
			delete(m, "data")
			wrap[0] = fmt.Sprintf("{{- if index .Values.secrets %q }}\n", name)
			wrap[1] = fmt.Sprintf("data:\n  {{- range $key, $value := index .Values.secrets %q }}\n  {{ $key | quote }}: {{ $value | toString | b64enc | quote }}\n  {{- end }}\n{{- end }}\n", name)
		}
		doc, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("internal error: encoding %s %s: %w", kind, name, err)
		}
		text := wrap[0] + t.fill(escape(doc)) + wrap[1]
		files[fmt.Sprintf("templates/%02d-%s-%s.yaml", i, strings.ToLower(kind), name)] = []byte(text)
	}
	if pullPolicy != "" {
		values.add("imagePullPolicy", pullPolicy, "Never as exported (minikube loads the image into the node); IfNotPresent for an image in a registry.")
	}
	values.addServices(services)
	values.addSecrets(secrets)
	files["values.yaml"] = values.bytes(c.Name)
	files["Chart.yaml"] = chartYAML(b)
	return &Chart{Files: files, Secrets: secretNames}, nil
}

// chartYAML is Chart.yaml: the app's version is the image tag, and the
// commit is an annotation.
func chartYAML(b *bundle.Bundle) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Exported by `cupaas render --helm` from %s.\n", b.Config.File)
	fmt.Fprintf(&out, "apiVersion: v2\nname: %s\n", b.Config.Name)
	fmt.Fprintf(&out, "description: %s\n", quote(b.Config.Name+", deployed as cupaas deploys it"))
	fmt.Fprintf(&out, "type: application\nversion: 0.1.0\nappVersion: %s\n", quote(b.Tag))
	if rev := b.Git.Revision(); rev != "" {
		fmt.Fprintf(&out, "annotations:\n  cupaas.dev/commit: %s\n", quote(rev))
	}
	return out.Bytes()
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// toMap is obj as cupaas render encodes it, as a generic map.
func toMap(obj runtime.Object) (map[string]any, error) {
	doc, err := render.Encode([]runtime.Object{obj}, false)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("internal error: decoding %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, err)
	}
	return m, nil
}

// containers are the containers of a workload's pod template.
func containers(spec map[string]any) []map[string]any {
	tmpl, _ := spec["template"].(map[string]any)
	pod, _ := tmpl["spec"].(map[string]any)
	list, _ := pod["containers"].([]any)
	var out []map[string]any
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// componentOf is the component label of a workload's pods: the service's
// name for a service's StatefulSet.
func componentOf(spec map[string]any) string {
	tmpl, _ := spec["template"].(map[string]any)
	meta, _ := tmpl["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	s, _ := labels[render.LabelComponent].(string)
	return s
}

// secretComment says which keys a Secret has, for values.yaml.
func secretComment(name string, data map[string]any) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("  %s: {}  # keys: %s", quote(name), strings.Join(keys, ", "))
}

// escape keeps Helm from reading "{{" in the objects' own text (a
// setting's value) as a template action.
func escape(doc []byte) string {
	return strings.ReplaceAll(string(doc), "{{", `{{ "{{" }}`)
}

// template collects the placeholders put into an object's map, and puts
// the template actions in their place once it is YAML.
type template struct {
	scalars, blocks, optionals []string
}

const placeholder = "cupaas-helm-placeholder-"

// scalar is a placeholder for a value given by a template action.
func (t *template) scalar(action string) string {
	t.scalars = append(t.scalars, action)
	return fmt.Sprintf("%ss%d", placeholder, len(t.scalars)-1)
}

// block is a placeholder for a map given by `{{- PIPELINE | nindent N }}`.
func (t *template) block(pipeline string) string {
	t.blocks = append(t.blocks, pipeline)
	return fmt.Sprintf("%sb%d", placeholder, len(t.blocks)-1)
}

// optional is a placeholder for a map given by a value that, when empty,
// leaves the key out (as cupaas render leaves out an empty map).
func (t *template) optional(value string) string {
	t.optionals = append(t.optionals, value)
	return fmt.Sprintf("%so%d", placeholder, len(t.optionals)-1)
}

var placeholderLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^( *)(- )?([^:\n]*): (` + placeholder + `([sbo])(\d+))$`)
})

func (t *template) fill(doc string) string {
	return placeholderLine().ReplaceAllStringFunc(doc, func(line string) string {
		m := placeholderLine().FindStringSubmatch(line)
		var n int
		fmt.Sscan(m[6], &n)
		if m[5] == "s" {
			return m[1] + m[2] + m[3] + ": " + t.scalars[n]
		}
		indent := len(m[1]) + len(m[2]) + 2
		if m[5] == "o" && m[2] == "" {
			return fmt.Sprintf("%s{{- with %s }}\n%s%s: {{- toYaml . | nindent %d }}\n%s{{- end }}", m[1], t.optionals[n], m[1], m[3], indent, m[1])
		}
		if m[5] == "o" {
			return fmt.Sprintf("%s%s%s: {{- toYaml %s | nindent %d }}", m[1], m[2], m[3], t.optionals[n], indent)
		}
		return fmt.Sprintf("%s%s%s: {{- %s | nindent %d }}", m[1], m[2], m[3], t.blocks[n], indent)
	})
}

// valuesDoc is values.yaml: each value with the comment that explains it.
type valuesDoc struct {
	out bytes.Buffer
}

func (v *valuesDoc) add(key string, value any, comment string) {
	if m, ok := value.(map[string]any); value == nil || ok && len(m) == 0 {
		value = map[string]any{}
	}
	doc, err := yaml.Marshal(map[string]any{key: value})
	if err != nil {
		doc = []byte(key + ": {}\n")
	}
	fmt.Fprintf(&v.out, "# %s\n%s\n", comment, doc)
}

func (v *valuesDoc) addServices(images map[string]string) {
	if len(images) == 0 {
		return
	}
	v.out.WriteString("# The backing services (services: in .cupaas.yml): their images, which name their versions.\nservices:\n")
	names := make([]string, 0, len(images))
	for n := range images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&v.out, "  %s:\n    image: %s\n", quote(n), quote(images[n]))
	}
	v.out.WriteString("\n")
}

func (v *valuesDoc) addSecrets(secrets []string) {
	v.out.WriteString(`# The Secrets' values are never in this chart. Each Secret below is created
# only when its values are given, in a values file kept out of git
# (helm install -f secrets.yaml) or with --set secrets.NAME.KEY=VALUE;
# otherwise it must exist in the namespace before the install
# (kubectl create secret generic NAME --from-literal=KEY=VALUE ...).
`)
	if len(secrets) == 0 {
		v.out.WriteString("secrets: {}\n")
		return
	}
	v.out.WriteString("secrets:\n" + strings.Join(secrets, "\n") + "\n")
}

func (v *valuesDoc) bytes(app string) []byte {
	return append([]byte(fmt.Sprintf("# Values of the %s chart, exported by `cupaas render --helm`.\n\n", app)), v.out.Bytes()...)
}
