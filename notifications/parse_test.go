package notifications_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/notifications"
)

func parseFixture(t *testing.T, name string) []notifications.Notification {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "notifications", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	notes, err := notifications.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return notes
}

func TestParseKinds(t *testing.T) {
	cases := map[string]notifications.Kind{
		"incoming-call":          notifications.KindCall,
		"call-terminated":        notifications.KindCall,
		"call-tone":              notifications.KindCall,
		"roster":                 notifications.KindParticipants,
		"op-playprompt":          notifications.KindOperation,
		"op-record":              notifications.KindOperation,
		"contentsharing-created": notifications.KindContentSharingSession,
		"contentsharing-deleted": notifications.KindContentSharingSession,
	}
	for name, kind := range cases {
		notes := parseFixture(t, name)
		if len(notes) != 1 || notes[0].Kind != kind {
			t.Errorf("%s: %+v", name, notes)
			continue
		}
		n := notes[0]
		if n.CallID != "a1b2c3d4-0000-4000-8000-00000000c001" || !strings.HasPrefix(n.ResourcePath, "/communications/calls/") {
			t.Errorf("%s: call %q path %q", name, n.CallID, n.ResourcePath)
		}
		switch kind {
		case notifications.KindCall:
			if n.Call == nil {
				t.Errorf("%s: no call", name)
			}
		case notifications.KindOperation:
			if n.Operation == nil || n.OperationID == "" || n.Operation.Base().ID != n.OperationID {
				t.Errorf("%s: operation %v id %q", name, n.Operation, n.OperationID)
			}
		case notifications.KindContentSharingSession:
			if n.SessionID != "5e55105e-0000-4000-8000-00000000e001" {
				t.Errorf("%s: session %q", name, n.SessionID)
			}
		}
	}
	roster := parseFixture(t, "roster")[0]
	if len(roster.Participants) != 3 || roster.Sequence != 7 || roster.Delta {
		t.Errorf("roster: %d participants, sequence %d", len(roster.Participants), roster.Sequence)
	}
}

func TestParseLegacyAndWild(t *testing.T) {
	notes := parseFixture(t, "legacy-wild")
	if len(notes) != 2 {
		t.Fatal(len(notes))
	}
	if n := notes[0]; n.Kind != notifications.KindCall || n.ChangeType != notifications.ChangeUpdated ||
		n.ResourcePath != "/communications/calls/57DAB8B1894C409AB240BD8BEAE78896" || n.Call.State != calls.StateEstablished {
		t.Errorf("legacy call: %+v", n)
	}
	if n := notes[1]; n.Kind != notifications.KindOperation || n.OperationID != "0FE0623F" || n.Operation.Base().Status != calls.OperationCompleted {
		t.Errorf("operation without @odata.type: %+v", n)
	}
}

func TestParseDeltaRoster(t *testing.T) {
	body := `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/c9/participants",
	  "resourceData":{"@odata.type":"#microsoft.graph.deltaParticipants","sequenceNumber":42,
	    "participants":[{"id":"p1","isMuted":true},{"id":"p2","removedState":{"reason":"left"}}]}}]}`
	notes, err := notifications.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	n := notes[0]
	if n.Kind != notifications.KindParticipants || !n.Delta || n.Sequence != 42 || len(n.Participants) != 2 ||
		n.Participants[1].RemovedState.Reason != "left" {
		t.Errorf("%+v", n)
	}
}

func TestParseUnknownKept(t *testing.T) {
	body := `{"value":[{"changeType":"updated","resourceUrl":"/communications/somethingNew/x",
	  "resourceData":{"@odata.type":"#microsoft.graph.hologram","depth":3}}]}`
	notes, err := notifications.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if notes[0].Kind != notifications.KindUnknown || !strings.Contains(string(notes[0].Raw.ResourceData), "hologram") {
		t.Errorf("%+v", notes[0])
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		body, reason, path string
		offset             int
	}{
		{`not json`, "invalid literal", "", 0},
		{`{"value":[{"changeType":"updated",}]}`, "trailing comma", "value[0]", 34},
		{`[{"value":[]}]`, "array into", "", 0},
		{`{"values":[]}`, `no "value" array`, "", -1},
		{`{"value":null}`, "value must be an array", "value", -1},
		{`{"value":{"changeType":"updated"}}`, "object into", "value", 9},
		{`{"value":[]} trailing`, "after the top-level value", "", 13},
		{`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"state":{}}}]}`, "value[0].resourceData.state (offset 76)", "value[0].resourceData.state", 76},
		{``, "empty input", "", 0},
	}
	for _, c := range cases {
		_, err := notifications.Parse([]byte(c.body))
		var pe *notifications.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: %v is not a *ParseError", c.body, err)
			continue
		}
		if !strings.Contains(pe.Reason, c.reason) || pe.Path != c.path || pe.Offset != c.offset {
			t.Errorf("%q: reason %q path %q offset %d; want %q %q %d", c.body, pe.Reason, pe.Path, pe.Offset, c.reason, c.path, c.offset)
		}
	}
}

// FuzzParse: Parse never panics, and a body it accepts yields one notification per
// value element.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "notifications", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"value":[{"resource":"app/calls/x/operations/y","resourceData":{"status":"Running"}}]}`))
	f.Add([]byte(`{"value":[]}` + "\x00garbage"))
	f.Add([]byte("{\"value\":[{\"resourceUrl\":\"/communications/calls/c\xff1\"}]}"))
	f.Add([]byte("{\"value\":[{\"resource\xc0Url\":\"x\"}]}"))
	f.Add([]byte(`{"value":[{"resourceUrl":"/communications/calls/\ud800"},{"resourceUrl":"/communications/calls/\ud83d\ude00"}]}`))
	f.Add([]byte(`{"value":[` + strings.Repeat("{},", notifications.DefaultMaxNotifications) + `{}]}`))
	f.Add([]byte(`{"value":[{"resourceUrl":"/communications/calls/c1/participants","resourceData":[` + strings.Repeat("{},", 30_000) + `{}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		notes, err := notifications.Parse(data)
		if err != nil {
			var pe *notifications.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			return
		}
		if len(notes) > notifications.DefaultMaxNotifications {
			t.Fatalf("%d notifications accepted", len(notes))
		}
		for _, n := range notes {
			if n.Kind == "" {
				t.Fatal("notification without a kind")
			}
		}
	})
}

func BenchmarkParseCallNotification(b *testing.B) {
	// A typical established-call notification, compact as Graph sends it.
	body := []byte(`{"@odata.type":"#microsoft.graph.commsNotifications","value":[{"@odata.type":"#microsoft.graph.commsNotification","changeType":"updated","resourceUrl":"/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.id":"/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896","@odata.etag":"W/\"5445\"","state":"established","mediaState":{"audio":"active"},"resultInfo":{"code":200,"subcode":0,"message":"ok"}}}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := notifications.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRoster10(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"@odata.type":"#microsoft.graph.commsNotifications","value":[{"@odata.type":"#microsoft.graph.commsNotification","changeType":"updated","resourceUrl":"/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896/participants","resourceData":[`)
	for i := range 10 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"@odata.type":"#microsoft.graph.participant","id":"p-` + string(rune('a'+i)) + `","info":{"@odata.type":"#microsoft.graph.participantInfo","identity":{"@odata.type":"#microsoft.graph.identitySet","user":{"@odata.type":"#microsoft.graph.identity","id":"u-` + string(rune('a'+i)) + `","displayName":"Person ` + string(rune('A'+i)) + `","tenantId":"11111111-2222-4333-8444-000000000001"}},"languageId":"en-US","region":"westeurope"},"mediaStreams":[{"@odata.type":"#microsoft.graph.mediaStream","mediaType":"audio","label":"main-audio","sourceId":"1","direction":"sendReceive","serverMuted":false}],"isMuted":false,"isInLobby":false}`)
	}
	sb.WriteString(`]}]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := notifications.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseTypeNameCase checks that @odata.type names are matched ignoring case, for
// resource types and operations alike, including names too long for the fast path.
func TestParseTypeNameCase(t *testing.T) {
	for _, tc := range []struct {
		odataType, url string
		want           notifications.Kind
	}{
		{"#Microsoft.Graph.ContentSharingSession", "/communications/calls/c1/contentSharingSessions/s1", notifications.KindContentSharingSession},
		{"#microsoft.graph.PLAYPROMPTOPERATION", "/communications/calls/c1/operations/o1", notifications.KindOperation},
		{"#microsoft.graph.Call", "/communications/calls/c1", notifications.KindCall},
		{"#microsoft.graph.DeltaParticipants", "/communications/calls/c1/participants", notifications.KindParticipants},
		{"#microsoft.graph." + strings.Repeat("x", 60), "/communications/calls/c1/operations/o1", notifications.KindUnknown},
	} {
		body := `{"value":[{"changeType":"updated","resourceUrl":"` + tc.url + `",
		  "resourceData":{"@odata.type":"` + tc.odataType + `","id":"o1","status":"completed"}}]}`
		notes, err := notifications.Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", tc.odataType, err)
		}
		if got := notes[0].Kind; got != tc.want {
			t.Errorf("%s: kind %v, want %v", tc.odataType, got, tc.want)
		}
	}
}

// TestParseStrict: what encoding/json would accept or repair, and Parse refuses with the
// offset and path of the problem.
func TestParseStrict(t *testing.T) {
	call := `{"changeType":"updated","resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}}`
	cases := []struct {
		name, body, reason, path string
		offset                   int
	}{
		{"NUL and garbage after the body", `{"value":[]}` + "\x00garbage", "unexpected byte 0x00 after the top-level value", "", 12},
		{"NUL after a notification", `{"value":[` + call + `]}` + "\n\x00", "unexpected byte 0x00 after the top-level value", "", len(call) + 13},
		{"NUL instead of a value", "{\"value\":[\x00]}", "expected a value, found byte 0x00", "value[0]", 10},
		{"invalid UTF-8 in a call ID", "{\"value\":[{\"resourceUrl\":\"/communications/calls/c\xff1\"}]}", "invalid UTF-8 in string (byte 0xff)", "value[0].resourceUrl", 49},
		{"invalid UTF-8 in a member name", "{\"value\":[{\"resource\xc0Url\":\"x\"}]}", "invalid UTF-8 in string (byte 0xc0)", "value[0]", 20},
		{"invalid UTF-8 in resourceData", "{\"value\":[{\"resourceUrl\":\"/communications/calls/c1\",\"resourceData\":{\"state\":\"\xe2\x82\"}}]}", "invalid UTF-8", "value[0].resourceData.state", 77},
		{"lone surrogate in a call ID", `{"value":[{"resourceUrl":"/communications/calls/\ud800"}]}`, `unpaired UTF-16 surrogate \ud800`, "value[0].resourceUrl", 48},
		{"lone low surrogate in unknown data", `{"value":[{"extra":["\udc00"]}]}`, `unpaired UTF-16 surrogate \udc00`, "value[0].extra[0]", 21},
	}
	for _, c := range cases {
		_, err := notifications.Parse([]byte(c.body))
		var pe *notifications.ParseError
		var de *graph.DecodeError
		if !errors.As(err, &pe) || !errors.As(err, &de) {
			t.Errorf("%s: %v is not a *ParseError wrapping a *graph.DecodeError", c.name, err)
			continue
		}
		if !strings.Contains(pe.Reason, c.reason) || pe.Path != c.path || pe.Offset != c.offset || de.Offset != pe.Offset || de.Path != pe.Path {
			t.Errorf("%s: reason %q path %q offset %d (decode error %q %d); want %q %q %d", c.name, pe.Reason, pe.Path, pe.Offset, de.Path, de.Offset, c.reason, c.path, c.offset)
		}
	}
	// Two different IDs never decode to the same string.
	a, errA := notifications.Parse([]byte("{\"value\":[{\"resourceUrl\":\"/communications/calls/\xff\"}]}"))
	b, errB := notifications.Parse([]byte("{\"value\":[{\"resourceUrl\":\"/communications/calls/\xfe\"}]}"))
	if errA == nil || errB == nil {
		t.Errorf("IDs with invalid UTF-8 accepted: %+v %+v", a, b)
	}
	// Valid text of any script, escaped or not, is accepted as it is.
	notes, err := notifications.Parse([]byte(`{"value":[{"resourceUrl":"/communications/calls/\u65e5\ud83d\ude00日😀"}]}`))
	if err != nil || notes[0].CallID != "日😀日😀" {
		t.Errorf("valid Unicode: %v %+v", err, notes)
	}
}

func TestParseLimits(t *testing.T) {
	note := `{"changeType":"updated","resourceUrl":"/communications/calls/c1"}`
	body := func(n int) []byte {
		return []byte(`{"value":[` + strings.TrimSuffix(strings.Repeat(note+",", n), ",") + `]}`)
	}
	if notes, err := notifications.Parse(body(notifications.DefaultMaxNotifications)); err != nil || len(notes) != notifications.DefaultMaxNotifications {
		t.Fatalf("%d notifications: %v", notifications.DefaultMaxNotifications, err)
	}
	_, err := notifications.Parse(body(notifications.DefaultMaxNotifications + 1))
	var pe *notifications.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, notifications.ErrTooManyNotifications) || !errors.Is(err, graph.ErrDecodeLimit) ||
		pe.Path != "value[100]" || pe.Offset != 10+100*(len(note)+1) || !strings.Contains(pe.Reason, "more than 100 notifications") {
		t.Fatalf("%d notifications: %#v", notifications.DefaultMaxNotifications+1, err)
	}
	if _, err := (notifications.ParseOptions{MaxNotifications: 2}).Parse(body(3)); !errors.Is(err, notifications.ErrTooManyNotifications) {
		t.Errorf("MaxNotifications 2, 3 notifications: %v", err)
	}
	if notes, err := (notifications.ParseOptions{MaxNotifications: -1}).Parse(body(1000)); err != nil || len(notes) != 1000 {
		t.Errorf("no cap, 1000 notifications: %v", err)
	}
	// Parsing stops at the notification past the cap: a body of a million is refused
	// in the time of a hundred.
	huge := []byte(`{"value":[` + strings.Repeat("{},", 1_000_000) + `{}]}`)
	allocs := testing.AllocsPerRun(3, func() { _, _ = notifications.Parse(huge) })
	if allocs > 2000 {
		t.Errorf("refusing a million notifications took %.0f allocations", allocs)
	}
	// What a body decodes into is bounded by its size, whatever the cap.
	roster := `{"value":[{"resourceUrl":"/communications/calls/c1/participants","resourceData":[` + strings.Repeat("{},", 100_000) + `{}]}]}`
	_, err = notifications.Parse([]byte(roster))
	var de *graph.DecodeError
	if !errors.Is(err, graph.ErrDecodeLimit) || !errors.As(err, &pe) || !errors.As(err, &de) || !strings.HasPrefix(pe.Path, "value[0].resourceData") || pe.Offset < 80 {
		t.Errorf("a roster of 100,000 empty objects: %v", err)
	}
	// A duplicated value member replaces the first, as in encoding/json, and is capped
	// on its own.
	if notes, err := notifications.Parse([]byte(`{"value":[` + note + `],"value":[]}`)); err != nil || len(notes) != 0 {
		t.Errorf("duplicated value: %v %v", notes, err)
	}
}
