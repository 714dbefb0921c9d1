package notifications_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
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
		{`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"state":{}}}]}`, "value[0].resourceData", "value[0].resourceData.state", -1},
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
	f.Fuzz(func(t *testing.T, data []byte) {
		notes, err := notifications.Parse(data)
		if err != nil {
			var pe *notifications.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			return
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
