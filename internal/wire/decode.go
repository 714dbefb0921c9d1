package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/graph"
)

// Unmarshal decodes one JSON value from data into v, which must be a non-nil pointer.
// Trailing data other than white space is an error, and so is a NUL byte anywhere
// outside a string. Every problem with the input is reported as a *graph.DecodeError,
// including input that would decode into more memory than NewBudget(len(data))
// allows.
func Unmarshal(data []byte, v any) error {
	n := MaxAmplification*len(data) + MinBudget
	b := Budget{left: n, limit: n}
	return UnmarshalBudget(data, v, &b)
}

// UnmarshalBudget is Unmarshal drawing on the budget b, which it reduces by what it
// allocated; when b runs out it fails with a *graph.DecodeError whose Err is
// graph.ErrDecodeLimit.
func UnmarshalBudget(data []byte, v any, b *Budget) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("wire: Unmarshal needs a non-nil pointer")
	}
	s := scanners.Get().(*scanner)
	defer func() {
		b.left = s.budget
		clear(s.path[:cap(s.path)]) // drop references into data
		s.data, s.pos, s.depth, s.path = nil, 0, 0, s.path[:0]
		scanners.Put(s)
	}()
	s.data, s.budget, s.limit = data, b.left, b.limit
	if s.limit == 0 {
		s.limit = b.left
	}
	if s.atEnd() {
		return s.errorf("empty input")
	}
	if _, err := decodeInto(s, rv.Elem()); err != nil {
		return err
	}
	return s.end()
}

// scanners recycles decoding state (the scanner and its path stack) between calls.
var scanners = sync.Pool{New: func() any { return &scanner{path: make([]pathElem, 0, 16)} }}

// keep is returned by a decoder when the value could not be carried by the Go field
// (null, or a string that is not a number or a time); the caller keeps the raw member in
// AdditionalData instead.
type keepKind int

const (
	keepNone keepKind = iota
	keepRaw
)

type decodeFunc func(s *scanner, v reflect.Value) (keepKind, error)

var decoders sync.Map // reflect.Type -> decodeFunc

func decodeInto(s *scanner, v reflect.Value) (keepKind, error) {
	return decoderFor(v.Type())(s, v)
}

func decoderFor(t reflect.Type) decodeFunc {
	if f, ok := decoders.Load(t); ok {
		return f.(decodeFunc)
	}
	// Break recursion for self-referential types with an indirect placeholder.
	var (
		wg sync.WaitGroup
		f  decodeFunc
	)
	wg.Add(1)
	fi, loaded := decoders.LoadOrStore(t, decodeFunc(func(s *scanner, v reflect.Value) (keepKind, error) {
		wg.Wait()
		return f(s, v)
	}))
	if loaded {
		return fi.(decodeFunc)
	}
	f = newDecoder(t)
	wg.Done()
	decoders.Store(t, f)
	return f
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	timeType       = reflect.TypeFor[time.Time]()
	unmarshalerT   = reflect.TypeFor[json.Unmarshaler]()
)

func newDecoder(t reflect.Type) decodeFunc {
	if f := lookupCustom(t); f != nil {
		return f
	}
	if t == rawMessageType {
		return decodeRaw
	}
	if t == timeType {
		return decodeTime
	}
	if t.Kind() == reflect.Interface {
		if d, ok := lookupInterface(t); ok {
			return interfaceDecoder(d)
		}
		if t.NumMethod() == 0 {
			return decodeAny
		}
	}
	if t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerT) && lookupEnum(t) == nil {
		return decodeUnmarshaler
	}
	switch t.Kind() {
	case reflect.String:
		if e := lookupEnum(t); e != nil {
			return enumDecoder(e)
		}
		return decodeString
	case reflect.Bool:
		return decodeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return decodeInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return decodeUint
	case reflect.Float32, reflect.Float64:
		return decodeFloat
	case reflect.Pointer:
		return pointerDecoder(t)
	case reflect.Slice:
		return sliceDecoder(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return unsupported(t)
		}
		return mapDecoder(t)
	case reflect.Struct:
		return structDecoder(planFor(t))
	}
	return unsupported(t)
}

func unsupported(t reflect.Type) decodeFunc {
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		return keepNone, fmt.Errorf("wire: cannot decode into Go type %s", t)
	}
}

func decodeRaw(s *scanner, v reflect.Value) (keepKind, error) {
	raw, err := s.rawValue()
	if err != nil {
		return keepNone, err
	}
	if err := s.charge(len(raw)); err != nil {
		return keepNone, err
	}
	v.SetBytes(append([]byte(nil), raw...))
	return keepNone, nil
}

func decodeAny(s *scanner, v reflect.Value) (keepKind, error) {
	raw, err := s.rawValue()
	if err != nil {
		return keepNone, err
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil { // raw is valid JSON: a number out of range
		return keepNone, &graph.DecodeError{Offset: s.pos - len(raw), Path: s.pathString(), Reason: err.Error()}
	}
	if x == nil {
		return keepRaw, nil
	}
	if err := s.charge(deepSizeOf(x)); err != nil {
		return keepNone, err
	}
	v.Set(reflect.ValueOf(x))
	return keepNone, nil
}

func decodeUnmarshaler(s *scanner, v reflect.Value) (keepKind, error) {
	raw, err := s.rawValue()
	if err != nil {
		return keepNone, err
	}
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		return keepNone, Rebase(err, s.pos-len(raw), s.pathString())
	}
	return keepNone, s.charge(deepSize(v, 0))
}

func decodeString(s *scanner, v reflect.Value) (keepKind, error) {
	switch s.peek() {
	case '"':
		start := s.pos
		escaped, err := s.skipString()
		if err != nil {
			return keepNone, err
		}
		raw := s.data[start+1 : s.pos-1]
		if !escaped {
			if c, ok := interned[string(raw)]; ok {
				v.SetString(c)
				return keepNone, nil
			}
		}
		if err := s.charge(len(raw)); err != nil {
			return keepNone, err
		}
		v.SetString(keyString(raw, escaped))
		return keepNone, nil
	case 'n':
		return keepRaw, s.skipLiteral("null")
	}
	return keepNone, s.typeError("string")
}

func enumDecoder(e *enumInfo) decodeFunc {
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		switch s.peek() {
		case '"':
			start := s.pos
			escaped, err := s.skipString()
			if err != nil {
				return keepNone, err
			}
			raw := s.data[start+1 : s.pos-1]
			if !escaped {
				// Known values in their usual spelling cost no allocation.
				if c, ok := e.byLower[string(raw)]; ok {
					v.SetString(c)
					return keepNone, nil
				}
			}
			if err := s.charge(len(raw)); err != nil {
				return keepNone, err
			}
			v.SetString(e.canonical(keyString(raw, escaped)))
			return keepNone, nil
		case 'n':
			return keepRaw, s.skipLiteral("null")
		}
		return keepNone, s.typeError("enum string")
	}
}

func decodeBool(s *scanner, v reflect.Value) (keepKind, error) {
	switch s.peek() {
	case 't':
		v.SetBool(true)
		return keepNone, s.skipLiteral("true")
	case 'f':
		v.SetBool(false)
		return keepNone, s.skipLiteral("false")
	case 'n':
		return keepRaw, s.skipLiteral("null")
	case '"':
		str, err := s.readString()
		if err != nil {
			return keepNone, err
		}
		if b, perr := strconv.ParseBool(str); perr == nil {
			v.SetBool(b)
			return keepNone, nil
		}
		return keepRaw, nil
	}
	return keepNone, s.typeError("boolean")
}

// numberText reads a number, or a string holding one. ok is false for null or for a
// string that is not a number; the caller then keeps the raw member.
// The text is returned as bytes of the input, so that the common case costs no
// allocation (strconv's parsers do not keep it).
func numberText(s *scanner, want string) (text []byte, ok bool, err error) {
	switch c := s.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		b, err := s.skipNumber()
		return b, err == nil, err
	case c == '"':
		str, err := s.readString()
		return []byte(strings.TrimSpace(str)), err == nil, err
	case c == 'n':
		return nil, false, s.skipLiteral("null")
	}
	return nil, false, s.typeError(want)
}

func decodeInt(s *scanner, v reflect.Value) (keepKind, error) {
	text, ok, err := numberText(s, "integer")
	if err != nil || !ok {
		return keepRaw, err
	}
	n, perr := strconv.ParseInt(string(text), 10, v.Type().Bits())
	if perr != nil {
		f, ferr := strconv.ParseFloat(string(text), 64)
		if ferr != nil || f != float64(int64(f)) || v.OverflowInt(int64(f)) {
			return keepRaw, nil
		}
		n = int64(f)
	}
	v.SetInt(n)
	return keepNone, nil
}

func decodeUint(s *scanner, v reflect.Value) (keepKind, error) {
	text, ok, err := numberText(s, "integer")
	if err != nil || !ok {
		return keepRaw, err
	}
	n, perr := strconv.ParseUint(string(text), 10, v.Type().Bits())
	if perr != nil {
		return keepRaw, nil
	}
	v.SetUint(n)
	return keepNone, nil
}

func decodeFloat(s *scanner, v reflect.Value) (keepKind, error) {
	text, ok, err := numberText(s, "number")
	if err != nil || !ok {
		return keepRaw, err
	}
	f, perr := strconv.ParseFloat(string(text), v.Type().Bits())
	if perr != nil {
		return keepRaw, nil
	}
	v.SetFloat(f)
	return keepNone, nil
}

// timeLayouts are the date-time shapes Graph sends, most common first.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

func decodeTime(s *scanner, v reflect.Value) (keepKind, error) {
	switch s.peek() {
	case '"':
		str, err := s.readString()
		if err != nil {
			return keepNone, err
		}
		for _, layout := range timeLayouts {
			if t, perr := time.Parse(layout, str); perr == nil {
				if layout != time.RFC3339Nano {
					return keepRaw, nil // no zone: keep the text exactly
				}
				v.Set(reflect.ValueOf(t))
				return keepNone, nil
			}
		}
		return keepRaw, nil
	case 'n':
		return keepRaw, s.skipLiteral("null")
	}
	return keepNone, s.typeError("date-time string")
}

func pointerDecoder(t reflect.Type) decodeFunc {
	elem := t.Elem()
	size := int(elem.Size())
	dec := lazyDecoder(elem) // resolved once, not looked up per value
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		if s.peek() == 'n' {
			v.SetZero()
			return keepRaw, s.skipLiteral("null")
		}
		if err := s.charge(size); err != nil {
			return keepNone, err
		}
		p := reflect.New(elem)
		k, err := dec(s, p.Elem())
		if err != nil || k == keepRaw {
			return k, err
		}
		v.Set(p)
		return keepNone, nil
	}
}

func sliceDecoder(t reflect.Type) decodeFunc {
	elem := t.Elem()
	size := int(elem.Size())
	initialCap := 4 // small elements: room for a few without growing
	if size > 64 {
		initialCap = 1
	}
	dec := lazyDecoder(elem)
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		if null, err := s.nullOr('[', "array"); null || err != nil {
			return keepRaw, err
		}
		empty, err := s.beginArray()
		if err != nil {
			return keepNone, err
		}
		if empty {
			v.Set(reflect.MakeSlice(t, 0, 0))
			return keepNone, nil
		}
		if err := s.charge(initialCap * size); err != nil {
			return keepNone, err
		}
		v.Set(reflect.MakeSlice(t, 0, initialCap))
		for i := 0; ; i++ {
			if i == v.Cap() {
				if err := s.charge(2 * i * size); err != nil {
					return keepNone, err
				}
				grown := reflect.MakeSlice(t, i, 2*i)
				reflect.Copy(grown, v)
				v.Set(grown)
			}
			v.SetLen(i + 1)
			s.path = append(s.path, pathElem{index: i})
			start := s.pos
			k, err := dec(s, v.Index(i))
			if err == nil && k == keepRaw && !isNullAt(s.data, start) {
				err = kindError(start, s.pathString(), elem.String(), "unparsable value")
			}
			s.path = s.path[:len(s.path)-1]
			if err != nil {
				return keepNone, err
			}
			done, err := s.endElement()
			if err != nil {
				return keepNone, err
			}
			if done {
				return keepNone, nil
			}
		}
	}
}

func isNullAt(data []byte, pos int) bool {
	for pos < len(data) && (data[pos] == ' ' || data[pos] == '\t' || data[pos] == '\n' || data[pos] == '\r') {
		pos++
	}
	return len(data)-pos >= 4 && string(data[pos:pos+4]) == "null"
}

func mapDecoder(t reflect.Type) decodeFunc {
	elem := t.Elem()
	entry := mapEntryCost + int(t.Key().Size()+elem.Size())
	dec := lazyDecoder(elem)
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		if null, err := s.nullOr('{', "object"); null || err != nil {
			return keepRaw, err
		}
		empty, err := s.beginObject()
		if err != nil {
			return keepNone, err
		}
		if err := s.charge(mapCost); err != nil {
			return keepNone, err
		}
		m := reflect.MakeMap(t)
		v.Set(m)
		if empty {
			return keepNone, nil
		}
		for {
			key, escaped, err := s.readKey()
			if err != nil {
				return keepNone, err
			}
			if err := s.charge(entry + len(key)); err != nil {
				return keepNone, err
			}
			name := keyString(key, escaped)
			s.path = append(s.path, pathElem{name: name})
			ev := reflect.New(elem).Elem()
			_, err = dec(s, ev)
			s.path = s.path[:len(s.path)-1]
			if err != nil {
				return keepNone, err
			}
			m.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), ev)
			if done, err := s.endMember(); err != nil || done {
				return keepNone, err
			}
		}
	}
}

func structDecoder(p *plan) decodeFunc {
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		if null, err := s.nullOr('{', "object"); null || err != nil {
			return keepRaw, err
		}
		empty, err := s.beginObject()
		if err != nil {
			return keepNone, err
		}
		if empty {
			return keepNone, nil
		}
		for {
			key, escaped, err := s.readKey()
			if err != nil {
				return keepNone, err
			}
			f := p.lookup(key, escaped)
			valueStart := s.pos
			if f != nil {
				s.path = append(s.path, pathElem{name: f.name})
				fv := v.FieldByIndex(f.index)
				k, err := f.dec(s, fv)
				s.path = s.path[:len(s.path)-1]
				if err != nil {
					return keepNone, err
				}
				if k == keepRaw || p.extra != nil && f.zero(fv) {
					// Keep what the field cannot show (null, unparsable text, an
					// explicit zero) so that encoding writes the member back.
					if p.extra == nil {
						if k == keepRaw && !isNullAt(s.data, valueStart) {
							return keepNone, kindError(valueStart, joinPath(s.pathString(), f.name), fv.Type().String(), "unparsable value")
						}
					} else {
						name := f.name
						if escaped || string(key) != name {
							name = keyString(key, escaped)
						}
						if err := p.keep(s, v, name, trimSpace(s.data[valueStart:s.pos])); err != nil {
							return keepNone, err
						}
					}
				}
			} else {
				name := keyString(key, escaped)
				s.path = append(s.path, pathElem{name: name})
				raw, err := s.rawValue()
				s.path = s.path[:len(s.path)-1]
				if err != nil {
					return keepNone, err
				}
				if p.extra != nil {
					if err := p.keep(s, v, name, raw); err != nil {
						return keepNone, err
					}
				}
			}
			done, err := s.endMember()
			if err != nil {
				return keepNone, err
			}
			if done {
				return keepNone, nil
			}
		}
	}
}

func keyString(key []byte, escaped bool) string {
	if escaped {
		return unquote(key)
	}
	return string(key)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func interfaceDecoder(d func([]byte) (any, error)) decodeFunc {
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		if s.peek() == 'n' {
			return keepRaw, s.skipLiteral("null")
		}
		if s.peek() != '{' {
			return keepNone, s.typeError("object")
		}
		start := s.pos
		raw, err := s.rawValue()
		if err != nil {
			return keepNone, err
		}
		x, err := d(raw)
		if err != nil {
			return keepNone, Rebase(err, start, s.pathString())
		}
		if x == nil {
			return keepRaw, nil
		}
		if err := s.charge(deepSizeOf(x)); err != nil {
			return keepNone, err
		}
		v.Set(reflect.ValueOf(x))
		return keepNone, nil
	}
}

// nullOr consumes a null (null is true), or checks that the next value starts with open
// (an error otherwise, naming want).
func (s *scanner) nullOr(open byte, want string) (null bool, err error) {
	switch s.peek() {
	case 'n':
		return true, s.skipLiteral("null")
	case open:
		return false, nil
	}
	return false, s.typeError(want)
}
