package wire

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/graphcomms/graphcomms/graph"
)

// Decoder gives a custom type decoder (see RegisterType) access to the input at the
// position of its value. It decodes in place, without copying the value first.
type Decoder struct{ s *scanner }

var (
	customMu sync.RWMutex
	customs  = map[reflect.Type]decodeFunc{}
)

// RegisterType makes dec decode every value of type T, wherever T appears in a decoded
// structure. dec must consume exactly one JSON value. Call it from package
// initialisation.
func RegisterType[T any](dec func(d *Decoder, v *T) error) {
	f := func(s *scanner, v reflect.Value) (keepKind, error) {
		return keepNone, dec(&Decoder{s: s}, v.Addr().Interface().(*T))
	}
	customMu.Lock()
	customs[reflect.TypeFor[T]()] = f
	customMu.Unlock()
}

func lookupCustom(t reflect.Type) decodeFunc {
	customMu.RLock()
	defer customMu.RUnlock()
	return customs[t]
}

// Peek returns the first byte of the next value ('{', '[', '"', 'n', ...), or 0 at the
// end of the input. A NUL byte also gives 0: no value starts with one, and Skip or
// Decode reports it.
func (d *Decoder) Peek() byte { return d.s.peek() }

// Charge records that the custom decoder allocated n bytes for the value it decodes
// (Decode charges for what it allocates itself). It fails with a *graph.DecodeError
// wrapping graph.ErrDecodeLimit once the budget of the decode (see Budget) is spent.
func (d *Decoder) Charge(n int) error { return d.s.charge(n) }

// Fail returns a *graph.DecodeError for the next value, at its offset and member path,
// with the reason given and cause as its Err (nil for a plain syntax or content
// error).
func (d *Decoder) Fail(cause error, format string, args ...any) error {
	d.s.skipWS()
	return &graph.DecodeError{Offset: d.s.pos, Path: d.s.pathString(), Reason: fmt.Sprintf(format, args...), Err: cause}
}

// Offset returns the byte offset of the next value.
func (d *Decoder) Offset() int {
	d.s.skipWS()
	return d.s.pos
}

// Since returns the input from offset start to the current position, sharing memory
// with the input.
func (d *Decoder) Since(start int) []byte { return d.s.data[start:d.s.pos] }

// PeekString returns the string member name of the object that is the next value,
// without consuming anything.
func (d *Decoder) PeekString(name string) (string, bool) {
	d.s.skipWS()
	return PeekString(d.s.data[d.s.pos:], name)
}

// HasMember reports whether the object that is the next value has a member name,
// without consuming anything.
func (d *Decoder) HasMember(name string) bool {
	d.s.skipWS()
	return HasMember(d.s.data[d.s.pos:], name)
}

// Decode decodes the next value into v, a non-nil pointer.
func (d *Decoder) Decode(v any) error {
	_, err := decodeInto(d.s, reflect.ValueOf(v).Elem())
	return err
}

// Skip consumes the next value, validating it, and returns it (sharing memory with the
// input).
func (d *Decoder) Skip() ([]byte, error) { return d.s.rawValue() }

// Array consumes an array, calling fn once per element with the decoder positioned at
// it; fn must consume the element.
func (d *Decoder) Array(fn func(i int) error) error {
	if null, err := d.s.nullOr('[', "array"); null || err != nil {
		return err
	}
	empty, err := d.s.beginArray()
	if err != nil || empty {
		return err
	}
	for i := 0; ; i++ {
		d.s.path = append(d.s.path, pathElem{index: i})
		err := fn(i)
		d.s.path = d.s.path[:len(d.s.path)-1]
		if err != nil {
			return err
		}
		done, err := d.s.endElement()
		if err != nil || done {
			return err
		}
	}
}
