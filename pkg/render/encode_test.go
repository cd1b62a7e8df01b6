package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	yamlv2 "go.yaml.in/yaml/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// viaJSON is what Encode wrote before it marshalled the JSON form itself:
// sigs.k8s.io/yaml.Marshal of it (JSON, decoded by the YAML library, then
// YAML). Encode must give the same bytes.
func viaJSON(t *testing.T, obj runtime.Object) []byte {
	t.Helper()
	j, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	delete(m, "status")
	prune(m)
	y, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestEncodeAsSigsYAML(t *testing.T) {
	var objs []runtime.Object
	for _, tc := range manifestCases {
		c := parse(t, tc.config)
		in := Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/" + c.Name + ":0123456789ab", Commit: "abc", Credentials: fixedCredentials(),
			Secrets: map[string]string{"TOKEN": "t", "KEY1": "yes", "KEY10": "1e6", "KEY2": "0.5", "K_true": "true", "EMPTY_X1": "", "Multi": "a\nb: c"}}
		o, err := Manifests(in)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	// Numbers of every shape, keys whose order differs between a byte sort
	// and the YAML library's, and strings YAML would read as other types.
	objs = append(objs, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Generation: 1 << 40, Labels: map[string]string{"a10": "1", "a9": "2", "a": "3", "A": "4", "_b": "null", "0": "~"}},
		Data:       map[string]string{"n": "8080", "f": "0.25", "b": "on", "d": "2026-12-02", "h": "0x1F", "s": "- x", "q": "'q'"},
	}, &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Spec:     corev1.PodSpec{TerminationGracePeriodSeconds: ptr(int64(-1 << 62)), Containers: []corev1.Container{{Name: "c", Args: []string{"1", "1.5", "true"}}}},
	}, &corev1.Secret{
		// Bytes as base64, a time, quantities, a port by name, and strings
		// that are not valid UTF-8.
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "s\xff\xfex", CreationTimestamp: metav1.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), Annotations: map[string]string{"a": "ok\xc3", "b": "\u2028<&>"}},
		Data:       map[string][]byte{"bin": {0, 255, 'x'}, "empty": {}},
		StringData: map[string]string{"s": "\x80"},
	}, &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
			Resources:      corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": resource.MustParse("250m"), "memory": resource.MustParse("1.5Gi")}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}},
		}}},
	})
	for i, obj := range objs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := Encode([]runtime.Object{obj}, false)
			if err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, obj); !bytes.Equal(got, want) {
				t.Errorf("Encode differs from sigs.k8s.io/yaml:\n%s\n---- want ----\n%s", got, want)
			}
		})
	}
}

// TestJSONFormRules holds jsonForm to encoding/json on rules the
// Kubernetes objects above do not reach: float32 text, omitzero with an
// IsZero method, inline pointers, names from the field, and refuses the
// `,string` option instead of ignoring it.
func TestJSONFormRules(t *testing.T) {
	type Inner struct {
		X int `json:"x,omitempty"`
	}
	type value struct {
		*Inner
		F32    float32
		F64    float64     `json:"f64"`
		When   metav1.Time `json:"when,omitzero"`
		Zero   metav1.Time `json:"zero,omitzero"`
		Skip   string      `json:"-"`
		hidden string
		Any    any               `json:"any,omitempty"`
		Arr    [2]uint8          `json:"arr"`
		Map    map[string]*Inner `json:"map"`
	}
	v := value{Inner: &Inner{X: 3}, F32: 0.1, F64: 5, When: metav1.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), Skip: "s", hidden: "h",
		Any: map[string]any{"n": 1.5}, Arr: [2]uint8{1, 2}, Map: map[string]*Inner{"nil": nil, "one": {X: 1}}}
	form, err := jsonForm(reflect.ValueOf(v))
	if err != nil {
		t.Fatal(err)
	}
	got, err := yamlv2.Marshal(form)
	if err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("jsonForm differs from encoding/json:\n%s\n---- want ----\n%s", got, want)
	}

	type quoted struct {
		N int `json:"n,string"`
	}
	if _, err := jsonForm(reflect.ValueOf(quoted{N: 1})); err == nil || !strings.Contains(err.Error(), `"string" is not supported`) {
		t.Errorf("the string option: err = %v, want it refused", err)
	}
}
