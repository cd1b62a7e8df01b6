package render

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// jsonForm returns v as encoding/json would encode it, decoded again into
// maps, slices, strings, bools, nil and numbers (int, int64, uint64,
// float64): the form Encode prunes and marshals to YAML. It follows
// encoding/json's rules for what the Kubernetes types use (json tags with
// omitempty and omitzero, embedded structs, json.Marshaler and
// encoding.TextMarshaler, []byte as base64, invalid UTF-8 replaced); the
// `,string` option, which they do not use, is refused rather than
// ignored. It visits only the values the object holds, where
// encoding/json first builds an encoder for every type reachable from the
// object's type: for a PodSpec hundreds of types, which was most of a
// `cupaas render` (a process builds each once). TestEncodeAsSigsYAML holds
// the result to sigs.k8s.io/yaml's.
func jsonForm(v reflect.Value) (any, error) {
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}
		if m, ok, err := marshaled(v); ok {
			return m, err
		}
		return jsonForm(v.Elem())
	}
	if m, ok, err := marshaled(v); ok {
		return m, err
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		if err := structFields(v, out); err != nil {
			return nil, err
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s is not a string", v.Type().Key())
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			item, err := jsonForm(it.Value())
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = item
		}
		return out, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			item, err := jsonForm(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case reflect.String:
		return validUTF8(v.String()), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint(), nil
	case reflect.Float32:
		// As encoding/json writes it (the shortest text that reads back
		// as the same float32), read as a float64.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(v.Float(), 'g', -1, 32), 64)
		return f, nil
	case reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("cannot encode a value of type %s", v.Type())
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

// marshaled is v's own encoding, when its type (or, v being addressable,
// its pointer type) has one: MarshalJSON decoded, or MarshalText as a
// string.
func marshaled(v reflect.Value) (any, bool, error) {
	t := v.Type()
	switch {
	case t.Implements(marshalerType):
	case v.CanAddr() && reflect.PointerTo(t).Implements(marshalerType):
		v = v.Addr()
	case t.Implements(textMarshalerType):
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		return string(text), true, err
	case v.CanAddr() && reflect.PointerTo(t).Implements(textMarshalerType):
		text, err := v.Addr().Interface().(encoding.TextMarshaler).MarshalText()
		return string(text), true, err
	default:
		return nil, false, nil
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, true, nil
	}
	data, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return nil, true, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, true, err
	}
	return numbers(out), true, nil
}

// numbers replaces the JSON numbers in v by the int or float64 that the
// YAML library decodes from their text, and returns v.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			if int64(int(i)) == i {
				return int(i)
			}
			return i
		}
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f
		}
		return string(v)
	case map[string]any:
		for k, item := range v {
			v[k] = numbers(item)
		}
	case []any:
		for i, item := range v {
			v[i] = numbers(item)
		}
	}
	return v
}

// field is how a struct field is encoded.
type field struct {
	index               int
	name                string
	inline              bool // an embedded struct without a name: its fields are promoted
	omitEmpty, omitZero bool
}

// fieldsOf caches the fields of the struct types met.
var fieldsOf sync.Map // reflect.Type -> []field

func structFieldsOf(t reflect.Type) ([]field, error) {
	if f, ok := fieldsOf.Load(t); ok {
		return f.([]field), nil
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, field{index: i, inline: true})
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := field{index: i, name: name}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				return nil, fmt.Errorf("field %s.%s: the json option \"string\" is not supported", t, sf.Name)
			}
		}
		out = append(out, f)
	}
	fieldsOf.Store(t, out)
	return out, nil
}

// structFields adds the fields of the struct v to out.
func structFields(v reflect.Value, out map[string]any) error {
	fields, err := structFieldsOf(v.Type())
	if err != nil {
		return err
	}
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.inline {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if err := structFields(fv, out); err != nil {
				return err
			}
			continue
		}
		if f.omitEmpty && isEmpty(fv) || f.omitZero && isZero(fv) {
			continue
		}
		item, err := jsonForm(fv)
		if err != nil {
			return err
		}
		out[f.name] = item
	}
	return nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero is encoding/json's omitzero test: the type's IsZero method when
// it has one, else the zero value.
func isZero(v reflect.Value) bool {
	t := v.Type()
	switch {
	case (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil():
		return true
	case t.Implements(isZeroerType):
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

// validUTF8 is s with each byte that is not part of valid UTF-8 replaced
// by U+FFFD, as encoding/json writes it.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
