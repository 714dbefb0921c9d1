package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	var se *SyntaxError
	if err := Unmarshal([]byte(`{"x":[1,]}`), new(thing)); !errors.As(err, &se) || se.Offset != 8 || se.Path != "x" {
		t.Errorf("SyntaxError details: %#v", err)
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
		got := appendString(nil, s)
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
