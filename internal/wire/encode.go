package wire

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Marshal encodes v as compact JSON. Zero-valued fields are omitted; AdditionalData
// members are written after the fields, sorted by name, except those whose name (ignoring
// case) a written field already used.
func Marshal(v any) ([]byte, error) {
	bp := buffers.Get().(*[]byte)
	b, err := Append((*bp)[:0], v)
	if err != nil {
		buffers.Put(bp)
		return nil, err
	}
	out := append([]byte(nil), b...)
	if cap(b) <= 64<<10 {
		*bp = b
		buffers.Put(bp)
	}
	return out, nil
}

// buffers recycles encoding buffers: Marshal copies its result out, so each call costs
// one allocation of the exact size.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Append appends the JSON encoding of v to b.
func Append(b []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return append(b, "null"...), nil
	}
	return encoderFor(rv.Type())(b, rv)
}

type encodeFunc func(b []byte, v reflect.Value) ([]byte, error)

var encoders sync.Map // reflect.Type -> encodeFunc

func encoderFor(t reflect.Type) encodeFunc {
	if f, ok := encoders.Load(t); ok {
		return f.(encodeFunc)
	}
	var (
		wg sync.WaitGroup
		f  encodeFunc
	)
	wg.Add(1)
	fi, loaded := encoders.LoadOrStore(t, encodeFunc(func(b []byte, v reflect.Value) ([]byte, error) {
		wg.Wait()
		return f(b, v)
	}))
	if loaded {
		return fi.(encodeFunc)
	}
	f = newEncoder(t)
	wg.Done()
	encoders.Store(t, f)
	return f
}

func lazyEncoder(t reflect.Type) encodeFunc {
	var (
		once sync.Once
		e    encodeFunc
	)
	return func(b []byte, v reflect.Value) ([]byte, error) {
		once.Do(func() { e = encoderFor(t) })
		return e(b, v)
	}
}

var marshalerT = reflect.TypeFor[json.Marshaler]()

func newEncoder(t reflect.Type) encodeFunc {
	switch {
	case t == rawMessageType:
		return encodeRaw
	case t == timeType:
		return encodeTime
	}
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer &&
		t.Implements(marshalerT) && lookupEnum(t) == nil {
		return encodeMarshaler
	}
	switch t.Kind() {
	case reflect.String:
		return func(b []byte, v reflect.Value) ([]byte, error) { return AppendString(b, v.String()), nil }
	case reflect.Bool:
		return func(b []byte, v reflect.Value) ([]byte, error) { return strconv.AppendBool(b, v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(b []byte, v reflect.Value) ([]byte, error) { return strconv.AppendInt(b, v.Int(), 10), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(b []byte, v reflect.Value) ([]byte, error) { return strconv.AppendUint(b, v.Uint(), 10), nil }
	case reflect.Float32, reflect.Float64:
		return encodeFloat
	case reflect.Pointer, reflect.Interface:
		return func(b []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(b, "null"...), nil
			}
			e := v.Elem()
			return encoderFor(e.Type())(b, e)
		}
	case reflect.Slice:
		return sliceEncoder(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		return mapEncoder(t)
	case reflect.Struct:
		return structEncoder(planFor(t))
	}
	return func(b []byte, v reflect.Value) ([]byte, error) {
		return b, fmt.Errorf("wire: cannot encode Go type %s", t)
	}
}

func encodeRaw(b []byte, v reflect.Value) ([]byte, error) {
	raw := v.Bytes()
	if len(raw) == 0 {
		return append(b, "null"...), nil
	}
	if err := Valid(raw); err != nil {
		return b, fmt.Errorf("wire: invalid raw JSON: %w", err)
	}
	return appendCompact(b, raw), nil
}

func encodeMarshaler(b []byte, v reflect.Value) ([]byte, error) {
	out, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return b, err
	}
	return appendCompact(b, out), nil
}

func encodeTime(b []byte, v reflect.Value) ([]byte, error) {
	t := v.Interface().(time.Time)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func encodeFloat(b []byte, v reflect.Value) ([]byte, error) {
	f := v.Float()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("wire: cannot encode %v as JSON", f)
	}
	bits := v.Type().Bits()
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, bits), nil
	}
	return strconv.AppendFloat(b, f, 'f', -1, bits), nil
}

func sliceEncoder(t reflect.Type) encodeFunc {
	if t.Elem().Kind() == reflect.Uint8 && t != rawMessageType {
		return func(b []byte, v reflect.Value) ([]byte, error) {
			return b, fmt.Errorf("wire: cannot encode byte slice %s", t)
		}
	}
	elem := lazyEncoder(t.Elem())
	return func(b []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = elem(b, v.Index(i)); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
}

func mapEncoder(t reflect.Type) encodeFunc {
	elem := lazyEncoder(t.Elem())
	return func(b []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k.String())
			b = append(b, ':')
			var err error
			if b, err = elem(b, v.MapIndex(k)); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
}

func structEncoder(p *plan) encodeFunc {
	return func(b []byte, v reflect.Value) ([]byte, error) {
		b = append(b, '{')
		n := 0
		// Names written are tracked only when AdditionalData has members to check them
		// against.
		track := p.extra != nil && v.FieldByIndex(p.extra).Len() > 0
		var used []string
		if p.defaultType != "" && p.odataIndex != nil && v.FieldByIndex(p.odataIndex).String() == "" {
			b = append(b, `"@odata.type":`...)
			b = AppendString(b, p.defaultType)
			if track {
				used = append(used, "@odata.type")
			}
			n++
		}
		if !v.CanAddr() {
			// Fields are read through the struct's address: take an addressable copy.
			c := reflect.New(v.Type()).Elem()
			c.Set(v)
			v = c
		}
		base := v.Addr().UnsafePointer()
		for _, f := range p.fields {
			if f.fast != fastNone {
				// Primitive fields: read in place, no reflect.Value.
				fp := unsafe.Add(base, f.offset)
				start := len(b)
				if n > 0 {
					b = append(b, ',')
				}
				b = append(b, f.key...)
				switch f.fast {
				case fastString:
					str := *(*string)(fp)
					if str == "" {
						b = b[:start]
						continue
					}
					b = AppendString(b, str)
				case fastBool:
					if !*(*bool)(fp) {
						b = b[:start]
						continue
					}
					b = append(b, "true"...)
				case fastInt32:
					x := *(*int32)(fp)
					if x == 0 {
						b = b[:start]
						continue
					}
					b = strconv.AppendInt(b, int64(x), 10)
				case fastInt64:
					x := *(*int64)(fp)
					if x == 0 {
						b = b[:start]
						continue
					}
					b = strconv.AppendInt(b, x, 10)
				case fastInt:
					x := *(*int)(fp)
					if x == 0 {
						b = b[:start]
						continue
					}
					b = strconv.AppendInt(b, int64(x), 10)
				}
				if track {
					used = append(used, f.name)
				}
				n++
				continue
			}
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = v.Field(f.index[0])
			} else {
				fv = v.FieldByIndex(f.index)
			}
			if !f.isStruct && f.zero(fv) {
				continue
			}
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.key...)
			start := len(b)
			var err error
			if b, err = f.enc(b, fv); err != nil {
				return b, err
			}
			if f.isStruct && len(b)-start == 2 && b[start] == '{' {
				// A struct with nothing to write is left out, as omitzero asks; encoding
				// it and taking it back is cheaper than a deep zero test first.
				b = b[:mark]
				continue
			}
			if track {
				used = append(used, f.name)
			}
			n++
		}
		if !track {
			return append(b, '}'), nil
		}
		extra := v.FieldByIndex(p.extra)
		m := extra.Interface().(map[string]json.RawMessage)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if slices.ContainsFunc(used, func(u string) bool { return strings.EqualFold(u, k) }) {
				continue
			}
			raw := m[k]
			if len(raw) == 0 {
				continue
			}
			if err := Valid(raw); err != nil {
				return b, fmt.Errorf("wire: AdditionalData[%q]: %w", k, err)
			}
			if n > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = appendCompact(b, raw)
			n++
		}
		return append(b, '}'), nil
	}
}

// appendCompact appends valid JSON without insignificant white space.
func appendCompact(b, raw []byte) []byte {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			b = append(b, c)
			switch c {
			case '\\':
				i++
				if i < len(raw) {
					b = append(b, raw[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inString = true
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// safeByte marks ASCII bytes that a JSON string holds as they are.
var safeByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s as a JSON string: quotes, backslashes, control characters,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD, no HTML escaping.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for i < len(s) && safeByte[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if safeByte[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
