package render

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/cupaas/cupaas/pkg/config"
)

// invariantConfigs are rendered by TestInvariants in addition to
// manifestCases: edge cases of names and settings.
var invariantConfigs = []string{
	// The longest app name config allows, with the longest service name.
	"name: " + strings.Repeat("a", config.MaxNameLength-5) + "-long\nruntime: go:1.22\nservices: [postgresql, mongodb, redis]\nautoscale: {max: 3}\n",
	"name: x\nruntime: node:20\nentrypoint: [node, index.js]\nservices: [mysql, redis]\nhealthcheck: /\n",
	"name: app-123\ndockerfile: Dockerfile\nport: 80\nreplicas: 3\nresources: {cpu: \"1\", memory: 1Gi}\n",
}

// splitDocuments splits a multi-document YAML stream at its `---` lines.
func splitDocuments(out []byte) ([][]byte, error) {
	var docs [][]byte
	for _, d := range bytes.Split(out, []byte("---\n")) {
		if len(bytes.TrimSpace(d)) == 0 {
			return nil, fmt.Errorf("empty document in:\n%s", out)
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// decodeStrict decodes one document into its k8s.io/api type, failing on
// unknown or duplicate fields.
func decodeStrict(doc []byte) (metav1.Object, string, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, "", err
	}
	var obj metav1.Object
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 Namespace":
		obj = &corev1.Namespace{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "apps/v1 StatefulSet":
		obj = &appsv1.StatefulSet{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "autoscaling/v2 HorizontalPodAutoscaler":
		obj = &autoscalingv2.HorizontalPodAutoscaler{}
	default:
		return nil, "", fmt.Errorf("unexpected apiVersion/kind %q %q", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, "", fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, tm.Kind, nil
}

type podTemplate struct {
	owner  string
	labels map[string]string
	ports  map[string]bool
	spec   corev1.PodSpec
}

func TestInvariants(t *testing.T) {
	var configs []string
	for _, tc := range manifestCases {
		configs = append(configs, tc.config)
	}
	configs = append(configs, invariantConfigs...)
	for i, text := range configs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			c := parse(t, text)
			img, err := ImageName("cupaas", c.Name, "0123456789ab")
			if err != nil {
				t.Fatal(err)
			}
			in := Input{PullPolicy: corev1.PullNever, Config: c, Image: img, Commit: "abc", Credentials: fixedCredentials(), Secrets: map[string]string{"TOKEN": "t"}}
			render := func() []byte {
				objs, err := Manifests(in)
				if err != nil {
					t.Fatal(err)
				}
				out, err := Encode(objs, false)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			out := render()
			for n := 0; n < 3; n++ {
				if again := render(); !bytes.Equal(out, again) {
					t.Fatalf("second render differs:\n%s\n---- vs ----\n%s", out, again)
				}
			}
			for _, p := range checkInvariants(c.Name, out) {
				t.Error(p)
			}
		})
	}
}

// checkInvariants returns every broken invariant of a rendered output.
func checkInvariants(app string, out []byte) []string {
	r := &report{}
	var (
		templates []podTemplate
		services  []*corev1.Service
		secrets   = map[string]map[string]bool{}
		// secretValues are the values the Secrets hold: no command line
		// may spell one out.
		secretValues []string
		configMaps   = map[string]bool{}
		workloads    = map[string]bool{}
		hpas         []*autoscalingv2.HorizontalPodAutoscaler
	)
	docs, err := splitDocuments(out)
	if err != nil {
		return []string{err.Error()}
	}
	for i, doc := range docs {
		obj, kind, err := decodeStrict(doc)
		if err != nil {
			return append(r.list, fmt.Sprintf("document %d does not decode strictly: %v\n%s", i+1, err, doc))
		}
		where := kind + " " + obj.GetName()
		if i == 0 && (kind != "Namespace" || obj.GetName() != app) {
			r.errorf("first object is %s, want Namespace %s", where, app)
		}
		if errs := validation.IsDNS1123Subdomain(obj.GetName()); len(errs) > 0 {
			r.errorf("%s: name not DNS-1123: %v", where, errs)
		}
		if kind == "Namespace" {
			if errs := validation.IsDNS1123Label(obj.GetName()); len(errs) > 0 {
				r.errorf("%s: name not a DNS-1123 label: %v", where, errs)
			}
			if obj.GetNamespace() != "" {
				r.errorf("%s has a namespace", where)
			}
		} else if obj.GetNamespace() != app {
			r.errorf("%s is in namespace %q, want %q", where, obj.GetNamespace(), app)
		}
		checkLabels(r, where, obj.GetLabels(), app)
		for k := range obj.GetAnnotations() {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				r.errorf("%s: annotation %q: %v", where, k, errs)
			}
		}
		switch o := obj.(type) {
		case *corev1.Secret:
			secrets[o.Name] = map[string]bool{}
			for k, v := range o.Data {
				secrets[o.Name][k] = true
				// Shorter values (a port, the user "app") occur anywhere.
				if len(v) >= 8 {
					secretValues = append(secretValues, string(v))
				}
			}
			if o.Type != corev1.SecretTypeOpaque || len(o.StringData) > 0 {
				r.errorf("%s: type %q, stringData %v; want Opaque with data only", where, o.Type, o.StringData)
			}
			for k := range o.Data {
				if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
					r.errorf("%s: key %q: %v", where, k, errs)
				}
			}
		case *corev1.ConfigMap:
			configMaps[o.Name] = true
		case *corev1.Service:
			services = append(services, o)
			if errs := validation.IsDNS1035Label(o.Name); len(errs) > 0 {
				r.errorf("%s: name not a DNS-1035 label: %v", where, errs)
			}
		case *appsv1.Deployment:
			workloads["Deployment/"+o.Name] = true
			templates = append(templates, workloadTemplate(r, where, o.Spec.Selector, o.Spec.Template))
		case *appsv1.StatefulSet:
			workloads["StatefulSet/"+o.Name] = true
			templates = append(templates, workloadTemplate(r, where, o.Spec.Selector, o.Spec.Template))
			if *o.Spec.Replicas != 1 {
				r.errorf("%s: %d replicas", where, *o.Spec.Replicas)
			}
			// Pods and claims get derived names that must fit too.
			if errs := validation.IsDNS1123Label(o.Name + "-0"); len(errs) > 0 {
				r.errorf("%s: pod name: %v", where, errs)
			}
			if len(o.Name)+1+10 > validation.LabelValueMaxLength {
				r.errorf("%s: controller-revision-hash label %s-<hash> would exceed 63 characters", where, o.Name)
			}
			for _, pvc := range o.Spec.VolumeClaimTemplates {
				if errs := validation.IsDNS1123Subdomain(pvc.Name + "-" + o.Name + "-0"); len(errs) > 0 {
					r.errorf("%s: claim name: %v", where, errs)
				}
				checkLabels(r, where+" claim "+pvc.Name, pvc.Labels, app)
				if pvc.Spec.StorageClassName != nil {
					r.errorf("%s: claim sets a storage class", where)
				}
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, o)
		}
	}

	for _, s := range services {
		where := "Service " + s.Name
		if len(s.Spec.Selector) == 0 {
			r.errorf("%s has no selector", where)
			continue
		}
		var matched []podTemplate
		for _, pt := range templates {
			if selects(s.Spec.Selector, pt.labels) {
				matched = append(matched, pt)
			}
		}
		if len(matched) == 0 {
			r.errorf("%s: selector %v matches no pod template", where, s.Spec.Selector)
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal == "" {
				r.errorf("%s: port %s has no named targetPort", where, p.Name)
				continue
			}
			for _, pt := range matched {
				if !pt.ports[p.TargetPort.StrVal] {
					r.errorf("%s: targetPort %q is not a container port of %s", where, p.TargetPort.StrVal, pt.owner)
				}
			}
		}
	}

	for _, pt := range templates {
		for _, ctr := range pt.spec.Containers {
			where := pt.owner + " container " + ctr.Name
			checkImage(r, where, ctr.Image)
			for _, e := range ctr.EnvFrom {
				if e.ConfigMapRef != nil && !configMaps[e.ConfigMapRef.Name] {
					r.errorf("%s: envFrom ConfigMap %s is not in the output", where, e.ConfigMapRef.Name)
				}
				if e.SecretRef != nil && secrets[e.SecretRef.Name] == nil {
					r.errorf("%s: envFrom Secret %s is not in the output", where, e.SecretRef.Name)
				}
			}
			for _, e := range ctr.Env {
				if e.ValueFrom == nil {
					continue
				}
				if ref := e.ValueFrom.SecretKeyRef; ref != nil && !secrets[ref.Name][ref.Key] {
					r.errorf("%s: env %s refers to key %s of Secret %s, not in the output", where, e.Name, ref.Key, ref.Name)
				}
				if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil && !configMaps[ref.Name] {
					r.errorf("%s: env %s refers to ConfigMap %s, not in the output", where, e.Name, ref.Name)
				}
			}
			checkNoSecretInArgv(r, where, ctr, secrets, secretValues)
			checkVolumes(r, where, pt.spec, ctr, secrets)
			for _, p := range ctr.Ports {
				if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
					r.errorf("%s: port name %q: %v", where, p.Name, errs)
				}
			}
			for _, probe := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe} {
				if probe == nil {
					continue
				}
				var port string
				if probe.HTTPGet != nil {
					port = probe.HTTPGet.Port.StrVal
				}
				if probe.TCPSocket != nil {
					port = probe.TCPSocket.Port.StrVal
				}
				if !pt.ports[port] {
					r.errorf("%s: probe port %q is not a container port", where, port)
				}
			}
		}
	}

	for _, h := range hpas {
		ref := h.Spec.ScaleTargetRef
		if !workloads[ref.Kind+"/"+ref.Name] || ref.APIVersion != "apps/v1" {
			r.errorf("HorizontalPodAutoscaler %s targets %s %s/%s, not in the output", h.Name, ref.APIVersion, ref.Kind, ref.Name)
		}
	}
	return r.list
}

// varRef is a $(NAME) that Kubernetes expands in a container's command
// and args from its environment.
var varRef = regexp.MustCompile(`\$\(([^)]*)\)`)

// checkNoSecretInArgv reports a container whose command line (command,
// args, exec probes) holds a Secret's value, spelled out or through a
// $(VAR) that Kubernetes expands from a variable set from a Secret: a
// process list, /proc/<pid>/cmdline and the pod's spec show the command
// line to anyone who can see the pod.
func checkNoSecretInArgv(r *report, where string, ctr corev1.Container, secrets map[string]map[string]bool, values []string) {
	fromSecret := map[string]bool{}
	for _, e := range ctr.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			fromSecret[e.Name] = true
		}
	}
	for _, e := range ctr.EnvFrom {
		if e.SecretRef != nil {
			for k := range secrets[e.SecretRef.Name] {
				fromSecret[e.Prefix+k] = true
			}
		}
	}
	argv := append(slices.Clone(ctr.Command), ctr.Args...)
	for _, p := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe, ctr.StartupProbe} {
		if p != nil && p.Exec != nil {
			argv = append(argv, p.Exec.Command...)
		}
	}
	for _, a := range argv {
		for _, m := range varRef.FindAllStringSubmatch(a, -1) {
			if fromSecret[m[1]] {
				r.errorf("%s: its command line expands $(%s), which is set from a Secret: the value would show in the process list", where, m[1])
			}
		}
		for _, v := range values {
			if strings.Contains(a, v) {
				r.errorf("%s: its command line holds a value of a Secret", where)
			}
		}
	}
	for _, e := range ctr.Env {
		for _, v := range values {
			if e.ValueFrom == nil && strings.Contains(e.Value, v) {
				r.errorf("%s: env %s holds a value of a Secret in the pod spec", where, e.Name)
			}
		}
	}
}

// checkVolumes reports mounts of volumes the pod does not have, and
// Secret volumes whose Secret or keys are not in the output.
func checkVolumes(r *report, where string, spec corev1.PodSpec, ctr corev1.Container, secrets map[string]map[string]bool) {
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
		if sv := v.Secret; sv != nil {
			if secrets[sv.SecretName] == nil {
				r.errorf("%s: volume %s mounts Secret %s, not in the output", where, v.Name, sv.SecretName)
			}
			for _, it := range sv.Items {
				if !secrets[sv.SecretName][it.Key] {
					r.errorf("%s: volume %s mounts key %s of Secret %s, not in the output", where, v.Name, it.Key, sv.SecretName)
				}
			}
			if sv.DefaultMode == nil || *sv.DefaultMode&0o007 != 0 {
				r.errorf("%s: volume %s mounts Secret %s readable by every user", where, v.Name, sv.SecretName)
			}
		}
	}
	for _, m := range ctr.VolumeMounts {
		if _, ok := vols[m.Name]; !ok && m.Name != dataVolumeName {
			r.errorf("%s: mounts volume %s, which the pod does not have", where, m.Name)
		}
		if v, ok := vols[m.Name]; ok && v.Secret != nil && !m.ReadOnly {
			r.errorf("%s: mounts Secret volume %s writable", where, m.Name)
		}
	}
}

func workloadTemplate(r *report, where string, sel *metav1.LabelSelector, tmpl corev1.PodTemplateSpec) podTemplate {
	if sel == nil || len(sel.MatchLabels) != 2 || len(sel.MatchExpressions) > 0 {
		r.errorf("%s: selector %v, want exactly instance and component", where, sel)
	} else if !selects(sel.MatchLabels, tmpl.Labels) {
		r.errorf("%s: selector %v does not match its own pod labels %v", where, sel.MatchLabels, tmpl.Labels)
	}
	ports := map[string]bool{}
	for _, c := range tmpl.Spec.Containers {
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
	}
	return podTemplate{owner: where, labels: tmpl.Labels, ports: ports, spec: tmpl.Spec}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkLabels(r *report, where string, labels map[string]string, app string) {
	for _, k := range []string{LabelName, LabelInstance, LabelComponent, LabelManagedBy} {
		if labels[k] == "" {
			r.errorf("%s: label %s missing", where, k)
		}
	}
	if labels[LabelInstance] != app || labels[LabelManagedBy] != ManagedBy {
		r.errorf("%s: labels %v", where, labels)
	}
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			r.errorf("%s: label key %q: %v", where, k, errs)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			r.errorf("%s: label %s value %q: %v", where, k, v, errs)
		}
	}
}

func checkImage(r *report, where, image string) {
	tagged, err := name.NewTag(image, name.WeakValidation)
	if err != nil {
		r.errorf("%s: image %q: %v", where, image, err)
		return
	}
	if !strings.HasSuffix(image, ":"+tagged.TagStr()) {
		r.errorf("%s: image %q has no tag", where, image)
		return
	}
	if tagged.TagStr() == "latest" {
		r.errorf("%s: image %q uses latest", where, image)
	}
}

// report collects broken invariants.
type report struct{ list []string }

func (r *report) errorf(format string, args ...any) {
	r.list = append(r.list, fmt.Sprintf(format, args...))
}

// TestInvariantsCatchBugs makes sure checkInvariants is not vacuous: each
// broken output must fail it, starting with a selector that matches no pod
// (the bug of the project cupaas replaces).
func TestInvariantsCatchBugs(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(objs []runtime.Object)
		want   string
	}{
		{"selector matches no pod", func(objs []runtime.Object) {
			findService(objs, "tasks-mongodb").Spec.Selector = map[string]string{"app": "mongo"}
		}, "matches no pod template"},
		{"unknown targetPort", func(objs []runtime.Object) {
			findService(objs, "tasks").Spec.Ports[0].TargetPort = intstr.FromString("web")
		}, `targetPort "web" is not a container port`},
		{"envFrom a missing Secret", func(objs []runtime.Object) {
			findDeployment(objs).Spec.Template.Spec.Containers[0].EnvFrom[1].SecretRef.Name = "nope"
		}, "envFrom Secret nope"},
		{"secretKeyRef to a missing key", func(objs []runtime.Object) {
			findStatefulSet(objs).Spec.Template.Spec.Containers[0].Env[0].ValueFrom.SecretKeyRef.Key = "NOPE"
		}, "key NOPE of Secret"},
		{"latest image", func(objs []runtime.Object) {
			findStatefulSet(objs).Spec.Template.Spec.Containers[0].Image = "mongo:latest"
		}, "uses latest"},
		{"untagged image", func(objs []runtime.Object) {
			findStatefulSet(objs).Spec.Template.Spec.Containers[0].Image = "mongo"
		}, "has no tag"},
		{"other namespace", func(objs []runtime.Object) {
			findSecret(objs, "tasks-env").Namespace = "default"
		}, `in namespace "default"`},
		{"a Secret's variable expanded in args", func(objs []runtime.Object) {
			findStatefulSet(objs).Spec.Template.Spec.Containers[0].Args = []string{"mongod", "--auth", "--password", "$(MONGO_INITDB_ROOT_PASSWORD)"}
		}, "expands $(MONGO_INITDB_ROOT_PASSWORD), which is set from a Secret"},
		{"a password spelled out in command", func(objs []runtime.Object) {
			findStatefulSet(objs).Spec.Template.Spec.Containers[0].Command = []string{"mongod", "--password=MongoPass123"}
		}, "its command line holds a value of a Secret"},
		{"a password in an exec probe", func(objs []runtime.Object) {
			c := &findStatefulSet(objs).Spec.Template.Spec.Containers[0]
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"mongosh", "-p", "MongoPass123"}}}}
		}, "its command line holds a value of a Secret"},
		{"an app Secret value in args", func(objs []runtime.Object) {
			findDeployment(objs).Spec.Template.Spec.Containers[0].Args = []string{"--db", "$(MONGODB_URI)"}
		}, "expands $(MONGODB_URI)"},
		{"a password as a plain env value", func(objs []runtime.Object) {
			c := &findStatefulSet(objs).Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "PW", Value: "MongoPass123"})
		}, "env PW holds a value of a Secret"},
		{"a Secret volume of a missing key", func(objs []runtime.Object) {
			spec := &findStatefulSet(objs).Spec.Template.Spec
			spec.Volumes = []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tasks-mongodb", Items: []corev1.KeyToPath{{Key: "nope.conf", Path: "x"}}, DefaultMode: ptr(int32(0o440))}}}}
			spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "config", MountPath: "/etc/x", ReadOnly: true})
		}, "mounts key nope.conf of Secret tasks-mongodb"},
		{"a world-readable Secret volume", func(objs []runtime.Object) {
			spec := &findStatefulSet(objs).Spec.Template.Spec
			spec.Volumes = []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tasks-mongodb"}}}}
			spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "config", MountPath: "/etc/x"})
		}, "readable by every user"},
		{"invalid name", func(objs []runtime.Object) {
			findSecret(objs, "tasks-env").Name = "Tasks_Env"
		}, "not DNS-1123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, manifestCases[0].config)
			objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/tasks:abc", Credentials: fixedCredentials()})
			if err != nil {
				t.Fatal(err)
			}
			if problems := checkInvariants("tasks", mustEncode(t, objs)); len(problems) != 0 {
				t.Fatalf("unbroken output has problems: %q", problems)
			}
			tt.mutate(objs)
			problems := checkInvariants("tasks", mustEncode(t, objs))
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p, tt.want)
			}
			if !found {
				t.Errorf("checkInvariants = %q, want a problem containing %q", problems, tt.want)
			}
		})
	}
}

func mustEncode(t *testing.T, objs []runtime.Object) []byte {
	t.Helper()
	out, err := Encode(objs, false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func findService(objs []runtime.Object, name string) *corev1.Service {
	for _, o := range objs {
		if s, ok := o.(*corev1.Service); ok && s.Name == name {
			return s
		}
	}
	return nil
}

func findStatefulSet(objs []runtime.Object) *appsv1.StatefulSet {
	for _, o := range objs {
		if s, ok := o.(*appsv1.StatefulSet); ok {
			return s
		}
	}
	return nil
}

func TestDecodeStrictRejectsUnknownFields(t *testing.T) {
	docs := map[string]string{
		"unknown field":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {}\nextra: 1\n",
		"misspelt field":  "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  selectors: {a: b}\n",
		"duplicate field": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
		"unknown kind":    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			if _, _, err := decodeStrict([]byte(doc)); err == nil {
				t.Errorf("decoded without error:\n%s", doc)
			}
		})
	}
}
