package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// ExtraField is the name of the field that keeps members the other fields do not carry.
const ExtraField = "AdditionalData"

type field struct {
	name  string // JSON member name
	index []int
	typ   reflect.Type
	dec   decodeFunc
	enc   encodeFunc
	zero  func(reflect.Value) bool // reports whether the field holds its zero value
	key   []byte                   // the member name as JSON, followed by ':'
	// isStruct fields are left out when they encode to {} (see structEncoder).
	isStruct bool
	// offset is the field's offset in the outermost struct (embedded structs are value
	// fields, so offsets add up); fast names the encoder's shortcut for its kind.
	offset uintptr
	fast   fastKind
}

// fastKind selects an encoding shortcut that reads a field through its address.
type fastKind uint8

const (
	fastNone fastKind = iota
	fastString
	fastBool
	fastInt32
	fastInt64
	fastInt
)

func fastKindOf(t reflect.Type) fastKind {
	if t.Implements(marshalerT) && lookupEnum(t) == nil {
		return fastNone
	}
	switch t.Kind() {
	case reflect.String:
		return fastString
	case reflect.Bool:
		return fastBool
	case reflect.Int32:
		return fastInt32
	case reflect.Int64:
		return fastInt64
	case reflect.Int:
		return fastInt
	}
	return fastNone
}

// zeroFunc returns a fast zero test for values of type t.
func zeroFunc(t reflect.Type) func(reflect.Value) bool {
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value) bool { return v.Len() == 0 }
	case reflect.Bool:
		return func(v reflect.Value) bool { return !v.Bool() }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) bool { return v.Int() == 0 }
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return reflect.Value.IsNil
	}
	return reflect.Value.IsZero
}

// plan is the cached description of one struct type.
type plan struct {
	fields []*field          // in declaration order (embedded fields flattened in place)
	exact  map[string]*field // by JSON name
	folded map[string]*field // by lower-cased JSON name
	extra  []int             // index of AdditionalData, or nil
	// defaultType is the @odata.type written when the ODataType field is empty.
	defaultType string
	odataIndex  []int
}

var plans sync.Map // reflect.Type -> *plan

var rawMapType = reflect.TypeFor[map[string]json.RawMessage]()

type odataTyped interface{ ODataTypeName() string }

var odataTypedT = reflect.TypeFor[odataTyped]()

func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{exact: map[string]*field{}, folded: map[string]*field{}}
	collectFields(p, t, nil)
	if reflect.PointerTo(t).Implements(odataTypedT) {
		p.defaultType = reflect.New(t).Interface().(odataTyped).ODataTypeName()
	}
	if f := p.exact["@odata.type"]; f != nil {
		p.odataIndex = f.index
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

func collectFields(p *plan, t reflect.Type, prefix []int) {
	collectFieldsAt(p, t, prefix, 0)
}

func collectFieldsAt(p *plan, t reflect.Type, prefix []int, base uintptr) {
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, hasTag := sf.Tag.Lookup("json")
		if sf.Anonymous && !hasTag && sf.Type.Kind() == reflect.Struct {
			collectFieldsAt(p, sf.Type, index, base+sf.Offset)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if sf.Name == ExtraField && sf.Type == rawMapType {
			if p.extra == nil {
				p.extra = index
			}
			continue
		}
		if !hasTag || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if _, dup := p.exact[name]; dup {
			continue // an outer field shadows a promoted one
		}
		f := &field{name: name, index: index, typ: sf.Type}
		f.dec = lazyDecoder(sf.Type)
		f.zero = zeroFunc(sf.Type)
		f.key = append(AppendString(nil, name), ':')
		f.isStruct = sf.Type.Kind() == reflect.Struct && sf.Type != timeType
		f.offset = base + sf.Offset
		f.fast = fastKindOf(sf.Type)
		f.enc = lazyEncoder(sf.Type)
		p.fields = append(p.fields, f)
		p.exact[name] = f
		if _, dup := p.folded[strings.ToLower(name)]; !dup {
			p.folded[strings.ToLower(name)] = f
		}
	}
}

func lazyDecoder(t reflect.Type) decodeFunc {
	var (
		once sync.Once
		d    decodeFunc
	)
	return func(s *scanner, v reflect.Value) (keepKind, error) {
		once.Do(func() { d = decoderFor(t) })
		return d(s, v)
	}
}

// lookup finds the field for a raw member name: exact match first, then ignoring case.
func (p *plan) lookup(key []byte, escaped bool) *field {
	if !escaped {
		if f, ok := p.exact[string(key)]; ok {
			return f
		}
		var buf [64]byte
		if len(key) <= len(buf) {
			lower := buf[:len(key)]
			for i, c := range key {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				lower[i] = c
			}
			return p.folded[string(lower)]
		}
	}
	name := keyString(key, escaped)
	if f, ok := p.exact[name]; ok {
		return f
	}
	return p.folded[strings.ToLower(name)]
}

// keep puts a member into AdditionalData, charging s for the memory it takes.
func (p *plan) keep(s *scanner, v reflect.Value, name string, raw []byte) error {
	m := v.FieldByIndex(p.extra).Interface().(map[string]json.RawMessage)
	cost := mapEntryCost + 40 + len(name) // 40: a string key and a slice value
	if m == nil {
		cost += mapCost
	}
	c, constant := constantJSON[string(raw)]
	if !constant {
		cost += len(raw)
	}
	if err := s.charge(cost); err != nil {
		return err
	}
	if m == nil {
		m = make(map[string]json.RawMessage, 2)
		v.FieldByIndex(p.extra).Set(reflect.ValueOf(m))
	}
	if constant {
		m[name] = c // shared and never modified: no copy needed
		return nil
	}
	m[name] = append(json.RawMessage(nil), raw...)
	return nil
}

// constantJSON holds the small values kept most often (explicit zeros and nulls), so
// that keeping them costs no copy.
var constantJSON = map[string]json.RawMessage{
	"0": json.RawMessage("0"), "false": json.RawMessage("false"), "null": json.RawMessage("null"),
	`""`: json.RawMessage(`""`), "{}": json.RawMessage("{}"), "[]": json.RawMessage("[]"),
}

// interned holds strings decoded often (registered @odata.type values), so that
// decoding them costs no allocation. It is written only during package initialisation.
var interned = map[string]string{}

// Intern registers strings that decoding should share rather than allocate. Call it
// only from package initialisation.
func Intern(values ...string) {
	for _, v := range values {
		interned[v] = v
	}
}

// enumInfo canonicalises the values of one string enum type.
type enumInfo struct {
	byLower map[string]string
}

func (e *enumInfo) canonical(s string) string {
	if c, ok := e.byLower[s]; ok {
		return c
	}
	if c, ok := e.byLower[strings.ToLower(s)]; ok {
		return c
	}
	return s
}

var (
	registryMu sync.RWMutex
	enums      = map[reflect.Type]*enumInfo{}
	ifaces     = map[reflect.Type]func([]byte) (any, error){}
)

// Enum registers the documented values of a string enum type. Decoding canonicalises a
// value that matches one of them ignoring case; any other value is kept as sent. It
// returns a set for Known checks. Call it from a package-level variable initialiser.
func Enum[T ~string](values ...T) EnumSet[T] {
	e := &enumInfo{byLower: make(map[string]string, len(values)*2)}
	for _, v := range values {
		e.byLower[string(v)] = string(v)
		e.byLower[strings.ToLower(string(v))] = string(v)
	}
	registryMu.Lock()
	enums[reflect.TypeFor[T]()] = e
	registryMu.Unlock()
	return EnumSet[T]{e: e}
}

// EnumSet answers questions about a registered enum type.
type EnumSet[T ~string] struct{ e *enumInfo }

// Known reports whether v is one of the registered values (exact spelling).
func (s EnumSet[T]) Known(v T) bool {
	c, ok := s.e.byLower[string(v)]
	return ok && c == string(v)
}

// Parse returns the canonical spelling of v if it matches a registered value ignoring
// case, and v unchanged otherwise.
func (s EnumSet[T]) Parse(v string) T { return T(s.e.canonical(v)) }

func lookupEnum(t reflect.Type) *enumInfo {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return enums[t]
}

// RegisterInterface registers the decoder for fields of interface type T. decode gets
// the raw JSON object and returns the concrete value (nil for a value to keep raw).
// Call it from a package-level variable initialiser or init.
func RegisterInterface[T any](decode func(data []byte) (T, error)) {
	t := reflect.TypeFor[T]()
	registryMu.Lock()
	ifaces[t] = func(b []byte) (any, error) {
		v, err := decode(b)
		if err != nil {
			return nil, err
		}
		rv := reflect.ValueOf(&v).Elem()
		if rv.IsNil() {
			return nil, nil
		}
		return v, nil
	}
	registryMu.Unlock()
}

func lookupInterface(t reflect.Type) (func([]byte) (any, error), bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	d, ok := ifaces[t]
	return d, ok
}

// PeekString returns the string value of a top-level member of a JSON object, matching
// the name exactly, without decoding anything else. ok is false when the member is
// missing or not a string, or data is not an object.
func PeekString(data []byte, name string) (value string, ok bool) {
	s := scanner{data: data, noPath: true}
	if !findMember(&s, name) || s.peek() != '"' {
		return "", false
	}
	start := s.pos
	escaped, err := s.skipString()
	if err != nil {
		return "", false
	}
	raw := s.data[start+1 : s.pos-1]
	if !escaped {
		if c, ok := interned[string(raw)]; ok {
			return c, true
		}
	}
	return keyString(raw, escaped), true
}

// HasMember reports whether a JSON object has a top-level member of that name (exact).
func HasMember(data []byte, name string) bool {
	s := scanner{data: data, noPath: true}
	return findMember(&s, name)
}

// findMember scans a JSON object's top-level members for name and leaves s positioned
// at its value.
func findMember(s *scanner, name string) bool {
	if s.peek() != '{' {
		return false
	}
	empty, err := s.beginObject()
	if err != nil || empty {
		return false
	}
	for {
		key, escaped, err := s.readKey()
		if err != nil {
			return false
		}
		if !escaped && string(key) == name || escaped && unquote(key) == name {
			return true
		}
		if err := s.skipValue(); err != nil {
			return false
		}
		if done, err := s.endMember(); err != nil || done {
			return false
		}
	}
}
