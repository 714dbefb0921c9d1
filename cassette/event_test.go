package cassette_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/cassette"
)

func TestDecodeErrors(t *testing.T) {
	good := `{"kind":"callback","time":"2026-01-05T09:00:00Z","body":{"value":[]}}`
	for _, tc := range []struct {
		in, want string
	}{
		{good + "\n{\"kind\":\"request\",\"method\":\"GET\"}\n", `cassette: line 2: request without "method" or "path"`},
		{good + "\n\n{\"kind\":\"callback\",\"body\":{\"value\":[]},}\n", "cassette: line 3: invalid JSON at offset"},
		{`{"kind":"tape"}`, `cassette: line 1: unknown kind "tape" (want "callback" or "request")`},
		{`{"time":"2026-01-05T09:00:00Z"}`, `cassette: line 1: no "kind"`},
		{`{"kind":"callback"}`, `cassette: line 1: callback without a body`},
		{good + ` {"kind":"callback"}`, "cassette: line 1: more than one JSON value on the line"},
		{`{"kind":"request","method":"GET","path":"/x","seq":"one"}`, "cassette: line 1: not an event"},
		{`{"kind":"request","method":"GET","path":"/x","response":{}}`, "cassette: line 1: response status 0 is not an HTTP status"},
	} {
		_, err := cassette.Decode(strings.NewReader(tc.in))
		var le *cassette.LineError
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.As(err, &le) {
			t.Errorf("Decode(%q) = %v, want %q...", tc.in, err, tc.want)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(path, []byte(good+"\nnot json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cassette.Read(path); err == nil || !strings.HasPrefix(err.Error(), "cassette: "+path+":2: invalid JSON") {
		t.Errorf("Read: %v", err)
	}
}

func TestEncodeDecodeAndStartOrder(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	evs := []cassette.Event{
		// As a recorder writes them: the answer's response came after the callback
		// it caused, so it was written after it.
		{Kind: cassette.KindCallback, Recording: "r1", Seq: 1, Time: at, Body: []byte(`{"value":[{"changeType":"created"}]}`)},
		{Kind: cassette.KindCallback, Recording: "r1", Seq: 3, Time: at, Body: []byte(`{"value":[{"changeType":"updated"}]}`)},
		{Kind: cassette.KindRequest, Recording: "r1", Seq: 2, Time: at, Method: "POST", Path: "/v1.0/communications/calls/c1/answer",
			Response: &cassette.Response{Status: 202}},
		// A second recording (the bot restarted) appended to the same file.
		{Kind: cassette.KindCallback, Recording: "r2", Seq: 1, Time: at.Add(time.Hour), Body: []byte(`{"value":[]}`)},
	}
	var b bytes.Buffer
	if err := cassette.Encode(&b, evs); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b.Bytes(), []byte("\n")); n != len(evs) {
		t.Fatalf("%d lines", n)
	}
	back, err := cassette.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	for _, ev := range cassette.StartOrder(back) {
		order = append(order, ev.Line)
	}
	if len(order) != 4 || order[0] != 1 || order[1] != 3 || order[2] != 2 || order[3] != 4 {
		t.Errorf("start order %v", order)
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	if err := cassette.WriteFile(path, back); err != nil {
		t.Fatal(err)
	}
	again, err := cassette.Read(path)
	if err != nil || len(again) != len(evs) || again[2].Response.Status != 202 {
		t.Errorf("WriteFile then Read: %v %+v", err, again)
	}
}

func TestRedactJSON(t *testing.T) {
	out, err := cassette.RedactJSON([]byte(`{"b":1,"a":{"Password":"p","list":[{"token":{"x":1}},"s"]},"url":"https://x/y?code=abc&keep=1"}`), "list2")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":1,"a":{"Password":"REDACTED","list":[{"token":"REDACTED"},"s"]},"url":"https://x/y?code=REDACTED&keep=1"}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if _, err := cassette.RedactJSON([]byte(`{"a":`)); err == nil {
		t.Error("no error for bad JSON")
	}
}

// Every member survives Encode then Decode, strings of every kind included.
func TestEncodeRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", `quote " and \ backslash`, "control \x00\x01\x1f\t\n\r", "html <a href='x'>&amp;</a>",
		"unicode é 漢字 😀 \u2028", "/v1.0/communications/calls/c%2F1?x=1&y=2"} {
		ev := cassette.Event{
			Kind: cassette.KindRequest, Recording: "r", Seq: 7, Time: time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC),
			Method: "POST", Path: s, Query: s, Headers: map[string]string{"b": s, "a": "1"},
			Body: []byte(`{"a": [1, 2.5, "x"],  "s": ` + mustJSON(s) + `}`), Text: s, Size: 12, Truncated: true,
			Response:   &cassette.Response{Status: 201, Headers: map[string]string{"location": s}, Body: []byte(`[true,null]`), Text: s, Size: 3, Truncated: true},
			DurationMS: 0.845, Error: s,
		}
		var b bytes.Buffer
		if err := cassette.Encode(&b, []cassette.Event{ev}); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(b.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", b.String())
		}
		back, err := cassette.Decode(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("%q: %v\n%s", s, err, b.String())
		}
		got := back[0]
		got.Line = 0
		ev.Body = []byte(`{"a":[1,2.5,"x"],"s":` + mustJSON(s) + `}`) // compacted
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%q:\ngot  %+v\nwant %+v\nline %s", s, got, ev, b.String())
		}
	}
	// Invalid UTF-8 is replaced, as encoding/json does.
	var b bytes.Buffer
	_ = cassette.Encode(&b, []cassette.Event{{Kind: cassette.KindRequest, Method: "GET", Path: "/x\xff"}})
	if back, err := cassette.Decode(&b); err != nil || back[0].Path != "/x\uFFFD" {
		t.Errorf("invalid UTF-8: %v %+v", err, back)
	}
	// A body that is not JSON is refused.
	if err := cassette.Encode(io.Discard, []cassette.Event{{Kind: cassette.KindCallback, Body: []byte("{")}}); err == nil {
		t.Error("bad body encoded")
	}
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Without secrets, RedactJSON is json.Compact, byte for byte: checked over the
// module's notification fixtures and this package's own shapes.
func TestRedactJSONIsCompact(t *testing.T) {
	files, _ := filepath.Glob("../testdata/notifications/*.json")
	bodies := [][]byte{[]byte(" { \"a\" : [ 1 , { \"b\" : \"x\\\"y\" } , \"\\u00e9\" ] , \"c\" : null } "), []byte(`"s"`), []byte(`12`)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	for i, b := range bodies {
		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := cassette.RedactJSON(b)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !bytes.Equal(got, want.Bytes()) && !bytes.Contains(got, []byte(cassette.Redacted)) {
			t.Errorf("%d:\ngot  %s\nwant %s", i, got, want.Bytes())
		}
	}
	if len(files) == 0 {
		t.Log("no fixtures in ../testdata/notifications")
	}
}

// RedactJSON turns any JSON into JSON without the secret, and refuses the rest.
func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{`{"token":"x"}`, `{"a":{"Password":[1,{"b":"}"}]},"u":"https://x/?sig=1&a=2"}`, `[{"token":null},""]`,
		`{"\u0074oken":"esc"}`, `{"token" : { "x" : [ "]" ] } , "k":1}`, `"x"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := cassette.RedactJSON(b)
		if !json.Valid(b) {
			if err == nil {
				t.Fatalf("accepted %q", b)
			}
			return
		}
		if err != nil || !json.Valid(out) {
			t.Fatalf("RedactJSON(%q) = %q, %v", b, out, err)
		}
		var v any
		_ = json.Unmarshal(out, &v)
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					if strings.EqualFold(k, "token") && e != nil && e != "" && e != cassette.Redacted {
						t.Fatalf("RedactJSON(%q) = %q: token kept", b, out)
					}
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(v)
	})
}
