package wire

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/graphcomms/graphcomms/graph"
)

// Memory bounds. Decoding may allocate, for the Go values it builds, at most
// MaxAmplification bytes per byte of input plus MinBudget. Graph's payloads need about
// three (a realistic roster decodes into about 2.7 bytes per byte; a minimal call
// notification, 140 bytes for a 944-byte calls.Call, seven), while hostile input would
// take far more: a roster of empty objects 150 (a participants.Participant is 448
// bytes, "{}," is three). MinBudget lets small inputs decode into large structs.
const (
	MaxAmplification = 16
	MinBudget        = 64 << 10
)

// Budget is the memory decoding may still allocate. One Budget can be shared by the
// decodes of several parts of one input (notifications.Parse decodes some
// resourceData twice), so that together they stay within the bound of the whole.
// Values that a registered interface decoder builds with a nested Unmarshal are
// charged by their size once built (the nested decode has a budget of its own).
type Budget struct{ left, limit int }

// NewBudget returns the budget Unmarshal gives an input of size bytes:
// MaxAmplification × size + MinBudget.
func NewBudget(size int) *Budget { return NewBudgetBytes(MaxAmplification*size + MinBudget) }

// NewBudgetBytes returns a budget of n bytes, for a caller that bounds its input more
// tightly than Unmarshal does.
func NewBudgetBytes(n int) *Budget { return &Budget{left: n, limit: n} }

// charge records that decoding allocated n bytes, and fails once the budget is spent.
func (s *scanner) charge(n int) error {
	if s.budget -= n; s.budget >= 0 {
		return nil
	}
	return &graph.DecodeError{Offset: s.pos, Path: s.pathString(), Err: graph.ErrDecodeLimit,
		Reason: fmt.Sprintf("the input would decode into more than %d bytes of memory", s.limit)}
}

// Rebase adjusts the *graph.DecodeError in err, if there is one, for input that was a
// part of a larger one: offset is added to its Offset and path is put before its Path.
// It returns err.
func Rebase(err error, offset int, path string) error {
	var de *graph.DecodeError
	if errors.As(err, &de) {
		de.Offset += offset
		de.Path = joinPath(path, de.Path)
	}
	return err
}

// joinPath joins member paths: joinPath("value[0]", "state") is "value[0].state",
// joinPath("resourceData", "[1].id") is "resourceData[1].id".
func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case b[0] == '[':
		return a + b
	}
	return a + "." + b
}

// Estimated costs of what the decoder allocates besides the values themselves: a
// map's header and first group of slots, and one more entry (its slot, with the map's
// growth spread over the entries).
const (
	mapCost      = 256
	mapEntryCost = 48
)

// deepSizeOf estimates the memory held by x that a decoder allocated: the value boxed
// in the interface and everything it reaches (pointers, slices, maps, strings).
func deepSizeOf(x any) int {
	if x == nil {
		return 0
	}
	v := reflect.ValueOf(x)
	n := deepSize(v, 0)
	if v.Kind() != reflect.Pointer {
		n += int(v.Type().Size()) // boxed
	}
	return n
}

// deepSize is the memory v reaches, not counting v itself. Decoded values are trees;
// depth stops a pathological value (and time.Time's shared *Location is not counted).
func deepSize(v reflect.Value, depth int) int {
	if depth > maxDepth {
		return 0
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return int(v.Type().Elem().Size()) + deepSize(v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		n := deepSize(e, depth+1)
		if e.Kind() != reflect.Pointer {
			n += int(e.Type().Size())
		}
		return n
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := v.Cap() * int(v.Type().Elem().Size())
		if indirect(v.Type().Elem()) {
			for i := range v.Len() {
				n += deepSize(v.Index(i), depth+1)
			}
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		n := mapCost + v.Len()*(mapEntryCost+int(v.Type().Key().Size()+v.Type().Elem().Size()))
		for it := v.MapRange(); it.Next(); {
			n += deepSize(it.Key(), depth+1) + deepSize(it.Value(), depth+1)
		}
		return n
	case reflect.Struct:
		if v.Type() == timeType {
			return 0
		}
		n := 0
		for i := range v.NumField() {
			n += deepSize(v.Field(i), depth+1)
		}
		return n
	case reflect.Array:
		n := 0
		if indirect(v.Type().Elem()) {
			for i := range v.Len() {
				n += deepSize(v.Index(i), depth+1)
			}
		}
		return n
	}
	return 0
}

// indirect reports whether values of type t can reach memory outside themselves.
func indirect(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}
