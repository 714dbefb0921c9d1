package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms/graph"
)

type color string

var colors = Enum[color]("red", "darkBlue")

type shape interface{ area() int }

type square struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Side           int                        `json:"side,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

func (square) area() int                { return 0 }
func (square) ODataTypeName() string    { return "#test.square" }
func (c *circle) area() int             { return 0 }
func (c *circle) ODataTypeName() string { return "#test.circle" }

type circle struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Radius         float64                    `json:"radius,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

func init() {
	RegisterInterface(func(b []byte) (shape, error) {
		t, _ := PeekString(b, "@odata.type")
		if t == "#test.circle" {
			var c circle
			return &c, Unmarshal(b, &c)
		}
		var s square
		return s, Unmarshal(b, &s)
	})
}

type base struct {
	ID             string                     `json:"id,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

type thing struct {
	base
	Name    string            `json:"name,omitzero"`
	Code    int32             `json:"code,omitzero"`
	Color   color             `json:"color,omitzero"`
	Flag    *bool             `json:"flag,omitzero"`
	On      bool              `json:"on,omitzero"`
	Tags    []string          `json:"tags,omitzero"`
	Shape   shape             `json:"shape,omitzero"`
	Shapes  []shape           `json:"shapes,omitzero"`
	When    time.Time         `json:"when,omitzero"`
	Labels  map[string]string `json:"labels,omitzero"`
	Child   *thing            `json:"child,omitzero"`
	Ratio   float64           `json:"ratio,omitzero"`
	Counter int64             `json:"counter,omitzero"`
}

func roundTrip(t *testing.T, in string) (thing, string) {
	t.Helper()
	var v thing
	if err := Unmarshal([]byte(in), &v); err != nil {
		t.Fatalf("Unmarshal(%s): %v", in, err)
	}
	out, err := Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("output is not JSON: %s", out)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("round trip of %s changed it (-in +out):\n%s", in, d)
	}
	return v, string(out)
}

func TestRoundTripKeepsEverything(t *testing.T) {
	cases := []string{
		`{"id":"1","name":"x","code":200,"tags":["a"],"on":true,"flag":false}`,
		`{"unknown":{"deep":[1,2,{"x":null}]},"name":"n"}`,
		`{"name":null,"code":0,"on":false,"tags":[],"labels":{},"child":null}`,
		`{"code":"transferring"}`,
		`{"when":"2019-07-11T14:57:30.06Z"}`,
		`{"when":"2019-07-11T14:57:30"}`,
		`{"when":"not a time"}`,
		`{"shape":{"@odata.type":"#test.circle","radius":1.5,"extra":true}}`,
		`{"shapes":[{"@odata.type":"#test.square","side":2},{"@odata.type":"#test.circle"}]}`,
		`{"child":{"id":"c","child":{"name":"gc","zz":1}}}`,
		`{"ratio":1e-9,"counter":9007199254740993}`,
		`{"name":"esc \" \\ \n \u00e9 \ud83d\ude00 \u2028"}`,
		`{}`,
	}
	for _, in := range cases {
		roundTrip(t, in)
	}
}

func TestLenientInput(t *testing.T) {
	var v thing
	if err := Unmarshal([]byte(`{"Name":"x","CODE":"200","color":"RED"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "x" || v.Code != 200 || v.Color != "red" {
		t.Errorf("got %+v", v)
	}
	v, out := roundTrip(t, `{"color":"purple"}`)
	if v.Color != "purple" || !strings.Contains(out, "purple") {
		t.Errorf("unknown enum value lost: %+v %s", v, out)
	}
	if !colors.Known("darkBlue") || colors.Known("darkblue") || colors.Parse("DARKBLUE") != "darkBlue" {
		t.Error("EnumSet")
	}
	v, _ = roundTrip(t, `{"code":"transferring"}`)
	if v.Code != 0 || string(v.AdditionalData["code"]) != `"transferring"` {
		t.Errorf("unparsable code not kept: %+v", v)
	}
}

func TestExplicitZeroKept(t *testing.T) {
	v, _ := roundTrip(t, `{"on":false}`)
	v.On = true
	out, _ := Marshal(v)
	if string(out) != `{"on":true}` {
		t.Errorf("field should win over kept zero: %s", out)
	}
}

func TestODataTypeDefault(t *testing.T) {
	out, err := Marshal(thing{Shape: &circle{Radius: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"shape":{"@odata.type":"#test.circle","radius":2}}`; string(out) != want {
		t.Errorf("got %s want %s", out, want)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"name":"x",}`, "trailing comma before '}'"},
		{`{"tags":["a",]}`, "trailing comma before ']'"},
		{`{"name":"x" // c
}`, "comment"},
		{`{"name":1}`, "cannot decode JSON number into string at name"},
		{`{"child":{"tags":{}}}`, "at child.tags"},
		{`[1]`, "cannot decode JSON array into object"},
		{`{"a":1} x`, "after the top-level value"},
		{``, "empty input"},
		{`{"a":"\x"}`, "invalid escape"},
		{`{"a":tru}`, "invalid literal"},
		{`{"a":01}`, "expected ',' or '}'"},
		{`{"shape":{"radius":"x","side":{}}}`, "offset"},
		{`{"x":` + strings.Repeat("[", 300), "nesting deeper"},
		{`{"a":"unterminated`, "unterminated string"},
	}
	for _, c := range cases {
		var v thing
		err := Unmarshal([]byte(c.in), &v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Unmarshal(%q) = %v, want error containing %q", c.in, err, c.want)
		}
	}
	var de *graph.DecodeError
	if err := Unmarshal([]byte(`{"x":[1,]}`), new(thing)); !errors.As(err, &de) || de.Offset != 8 || de.Path != "x" || de.Want != "" {
		t.Errorf("syntax error details: %#v", err)
	}
	if err := Unmarshal([]byte(`{"child":{"tags":{}}}`), new(thing)); !errors.As(err, &de) ||
		de.Offset != 17 || de.Path != "child.tags" || de.Want != "array" || de.Got != "object" {
		t.Errorf("kind mismatch details: %#v", err)
	}
	// A problem inside a polymorphic value is reported at its offset in the whole input.
	if err := Unmarshal([]byte(`{"shapes":[{},{"side":{}}]}`), new(thing)); !errors.As(err, &de) ||
		de.Offset != 22 || de.Path != "shapes[1].side" || de.Got != "object" {
		t.Errorf("error inside an interface value: %#v", err)
	}
}

// TestStrict: what encoding/json would accept or repair, and the wire codec refuses.
func TestStrict(t *testing.T) {
	cases := []struct {
		name, in, reason string
		offset           int
		path             string
	}{
		{"NUL after the value", "{\"name\":\"x\"}\x00garbage", "unexpected byte 0x00 after the top-level value", 12, ""},
		{"NUL after white space", "{} \n\x00", "unexpected byte 0x00 after the top-level value", 4, ""},
		{"only NUL", "\x00", "expected a value, found byte 0x00", 0, ""},
		{"NUL as a member value", "{\"name\":\x00}", "expected a value, found byte 0x00", 8, "name"},
		{"NUL in an array", "{\"tags\":[\"a\",\x00]}", "expected a value, found byte 0x00", 13, "tags[1]"},
		{"invalid UTF-8 in a value", "{\"name\":\"a\xffb\"}", "invalid UTF-8 in string (byte 0xff)", 10, "name"},
		{"invalid UTF-8 in a key", "{\"na\xc3me\":1}", "invalid UTF-8 in string (byte 0xc3)", 4, ""},
		{"truncated UTF-8 sequence", "{\"name\":\"\xe6\x97\"}", "invalid UTF-8 in string (byte 0xe6)", 9, "name"},
		{"UTF-8 encoded surrogate", "{\"name\":\"\xed\xa0\x80\"}", "invalid UTF-8", 9, "name"},
		{"overlong UTF-8", "{\"name\":\"\xc0\xaf\"}", "invalid UTF-8", 9, "name"},
		{"lone high surrogate", `{"name":"x\ud800"}`, `unpaired UTF-16 surrogate \ud800`, 10, "name"},
		{"high surrogate then text", `{"name":"\ud83dx"}`, `unpaired UTF-16 surrogate \ud83d`, 9, "name"},
		{"two high surrogates", `{"name":"\ud83d\ud83d"}`, `unpaired UTF-16 surrogate \ud83d`, 9, "name"},
		{"lone low surrogate", `{"name":"\ude00"}`, `unpaired UTF-16 surrogate \ude00`, 9, "name"},
		{"lone surrogate in a key", `{"\udfff":1}`, `unpaired UTF-16 surrogate \udfff`, 2, ""},
		{"lone surrogate kept raw", `{"other":["\ud800"]}`, `unpaired UTF-16 surrogate`, 11, "other[0]"},
	}
	for _, c := range cases {
		var v thing
		err := Unmarshal([]byte(c.in), &v)
		var de *graph.DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %v is not a *graph.DecodeError", c.name, err)
			continue
		}
		if !strings.Contains(de.Reason, c.reason) || de.Offset != c.offset || de.Path != c.path {
			t.Errorf("%s: reason %q offset %d path %q; want %q %d %q", c.name, de.Reason, de.Offset, de.Path, c.reason, c.offset, c.path)
		}
		if err := Valid([]byte(c.in)); err == nil {
			t.Errorf("%s: Valid accepts it", c.name)
		}
	}
	// What is valid stays valid: paired surrogates, every UTF-8 length, NUL escaped.
	v, _ := roundTrip(t, `{"name":"\ud83d\ude00 \u00e9 é 日本 😀 \u0000 \uffff"}`)
	if v.Name != "😀 é é 日本 😀 \x00 \uffff" {
		t.Errorf("name %q", v.Name)
	}
}

// TestBudget: what decodes into many times its size in memory is refused, and the
// budget of several decodes can be shared.
func TestBudget(t *testing.T) {
	empties := "[" + strings.Repeat("{},", 100_000) + "{}]"
	var many []thing
	err := Unmarshal([]byte(empties), &many)
	var de *graph.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, graph.ErrDecodeLimit) || de.Offset <= 0 {
		t.Fatalf("100,000 empty things (%d bytes each): %v", reflect.TypeFor[thing]().Size(), err)
	}
	var few []thing
	if err := Unmarshal([]byte("["+strings.Repeat("{},", 99)+"{}]"), &few); err != nil || len(few) != 100 {
		t.Fatalf("100 empty things fit the minimum budget: %v", err)
	}
	b := NewBudget(10)
	if err := UnmarshalBudget([]byte(`{"name":"x"}`), new(thing), b); err != nil {
		t.Fatal(err)
	}
	for err == nil {
		err = UnmarshalBudget([]byte(`{"tags":["a","b","c"],"zz":1}`), new(thing), b)
	}
	if !errors.Is(err, graph.ErrDecodeLimit) {
		t.Fatalf("shared budget: %v", err)
	}
}

func TestRebase(t *testing.T) {
	err := Unmarshal([]byte(`{"child":{"name":1}}`), new(thing))
	Rebase(err, 100, "value[0].resourceData")
	var de *graph.DecodeError
	if !errors.As(err, &de) || de.Offset != 117 || de.Path != "value[0].resourceData.child.name" {
		t.Errorf("%#v", err)
	}
	if got := joinPath("resourceData", "[1].id"); got != "resourceData[1].id" {
		t.Error(got)
	}
	if Rebase(nil, 1, "x") != nil {
		t.Error("Rebase(nil)")
	}
}

func TestPeek(t *testing.T) {
	data := []byte(`{"a":{"@odata.type":"no"},"@odata.type":"#x","b":1}`)
	if v, ok := PeekString(data, "@odata.type"); !ok || v != "#x" {
		t.Errorf("PeekString = %q %v", v, ok)
	}
	if !HasMember(data, "b") || HasMember(data, "c") || HasMember([]byte(`[]`), "b") {
		t.Error("HasMember")
	}
}

func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "tab\t", "\x01", "<&>", "\xff", "日本"} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, got, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"id":"1","shape":{"@odata.type":"#test.circle"},"tags":["a"]}`))
	f.Add([]byte(`{"code":"200","child":{"child":null}}`))
	f.Add([]byte(`{"x":[1,2,],}`))
	f.Add([]byte("{\"name\":\"x\"}\x00garbage"))
	f.Add([]byte("{\"name\":\"\xff\"}"))
	f.Add([]byte("{\"n\xc3me\":1}"))
	f.Add([]byte(`{"name":"\ud83d\ude00","other":"\ud800"}`))
	f.Add([]byte("[" + strings.Repeat("{},", 5000) + "{}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v thing
		if err := Unmarshal(data, &v); err != nil {
			return
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal after Unmarshal(%q): %v", data, err)
		}
		var again thing
		if err := Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		out2, err := Marshal(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("encoding is not stable:\n%s\n%s (%v)", out, out2, err)
		}
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	data := []byte(`{"id":"57DAB8B1894C409AB240BD8BEAE78896","name":"established","code":200,"tags":["audio"],"child":{"name":"x"},"@odata.etag":"W/\"5445\""}`)
	for b.Loop() {
		var v thing
		if err := Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
