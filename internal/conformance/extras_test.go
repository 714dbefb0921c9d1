package conformance

import (
	"encoding/json"
	"reflect"
	"strings"
)

// unknownMembers walks a decoded value and returns "Type.member" for every member kept
// in an AdditionalData map because no field declares it: not an @odata annotation, a
// null or an explicit zero value (those are kept for the round trip, not because they
// are unknown).
func unknownMembers(v any) []string {
	var out []string
	var walk func(rv reflect.Value)
	walk = func(rv reflect.Value) {
		switch rv.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !rv.IsNil() {
				walk(rv.Elem())
			}
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				return
			}
			for i := range rv.Len() {
				walk(rv.Index(i))
			}
		case reflect.Struct:
			for i := range rv.NumField() {
				f := rv.Type().Field(i)
				if f.Name == "AdditionalData" {
					m, _ := rv.Field(i).Interface().(map[string]json.RawMessage)
					for k, raw := range m {
						if strings.HasPrefix(k, "@odata.") || isZeroJSON(raw) || hasField(rv.Type(), k) {
							continue
						}
						out = append(out, rv.Type().Name()+"."+k)
					}
					continue
				}
				if f.IsExported() {
					walk(rv.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(v))
	return out
}

func isZeroJSON(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "null", "false", "0", `""`, "{}", "[]":
		return true
	}
	return false
}

// hasField reports whether a struct declares the JSON member (ignoring case), in which
// case the member was kept because its value did not fit the field.
func hasField(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && hasField(f.Type, name) {
			return true
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if strings.EqualFold(tag, name) {
			return true
		}
	}
	return false
}
