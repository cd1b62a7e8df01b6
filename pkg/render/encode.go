package render

import (
	"bytes"
	"fmt"
	"reflect"

	yaml "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/runtime"
)

// Redacted replaces the values of Secrets in redacted output.
const Redacted = "<redacted>"

// Encode serialises objs as a multi-document YAML stream, one document per
// object in the given order, separated by `---` lines. Keys are sorted, so
// the same objects always give the same bytes. Fields that carry no
// information (an empty status, empty structs, nulls) are left out. With
// redact, every value in a Secret's data is replaced by Redacted: the output
// shows which keys exist but not their values, and is not meant to be
// applied.
func Encode(objs []runtime.Object, redact bool) ([]byte, error) {
	var out bytes.Buffer
	for i, obj := range objs {
		doc, err := encodeOne(obj, redact)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(doc)
	}
	return out.Bytes(), nil
}

func encodeOne(obj runtime.Object, redact bool) ([]byte, error) {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		return nil, fmt.Errorf("internal error: object %T has no kind", obj)
	}
	form, err := jsonForm(reflect.ValueOf(obj))
	if err != nil {
		return nil, fmt.Errorf("internal error: encoding %s: %w", kind, err)
	}
	m, ok := form.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("internal error: encoding %s: not an object", kind)
	}
	// cupaas never sets a status; the API server owns it.
	delete(m, "status")
	prune(m)
	if redact && kind == "Secret" {
		if data, ok := m["data"].(map[string]any); ok {
			for k := range data {
				data[k] = Redacted
			}
		}
	}
	// The JSON form, marshalled by the YAML library sigs.k8s.io/yaml uses,
	// gives the bytes sigs.k8s.io/yaml.Marshal would: that encodes to JSON
	// again and decodes it with that library first, which took most of a
	// render's time.
	y, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("internal error: encoding %s: %w", kind, err)
	}
	return y, nil
}

// meaningfulEmpty reports whether an empty mapping under key means
// something (an emptyDir volume is written `emptyDir: {}`), so that prune
// keeps it.
func meaningfulEmpty(key string) bool { return key == "emptyDir" }

// prune removes nulls (such as `creationTimestamp: null`) and empty
// mappings (such as `status: {}` of a volume claim template, or
// `resources: {}`) from m, deepest first, and reports whether m is empty
// afterwards.
func prune(m map[string]any) bool {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if prune(v) && !meaningfulEmpty(k) {
				delete(m, k)
			}
		case []any:
			for _, item := range v {
				if im, ok := item.(map[string]any); ok {
					prune(im)
				}
			}
		}
	}
	return len(m) == 0
}
