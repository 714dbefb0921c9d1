package callstate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// The tests are in package callstate (not callstate_test) only so that the cap on
// early completions can be checked directly (len(s.early)); everything else goes
// through the exported API.

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const callURL = "/communications/calls/c-1"

// ---------------------------------------------------------------------------
// Helpers: callback bodies, applying them, and describing effects.

var kindNames = map[Kind]string{
	Updated: "Updated", Tone: "Tone", Roster: "Roster", Changed: "Changed",
	OperationDone: "OperationDone", ArmKeepAlive: "ArmKeepAlive", ReadRoster: "ReadRoster",
	Terminated: "Terminated",
}

func kinds(fx []Effect) []string {
	out := []string{}
	for _, e := range fx {
		n, ok := kindNames[e.Kind]
		if !ok {
			n = fmt.Sprintf("Kind(%d)", e.Kind)
		}
		out = append(out, n)
	}
	return out
}

func ks(names ...string) []string {
	if names == nil {
		return []string{}
	}
	return names
}

// body wraps one notification in a commsNotifications callback body.
func body(changeType, url, resourceData string) string {
	return fmt.Sprintf(`{"value":[{"changeType":%q,"resourceUrl":%q,"resourceData":%s}]}`, changeType, url, resourceData)
}

// callBody is a call notification for c-1; etag "" sends none; members is a JSON
// fragment of more call members (may be empty).
func callBody(changeType, etag, members string) string {
	rd := `{"@odata.type":"#microsoft.graph.call"`
	if etag != "" {
		rd += fmt.Sprintf(`,"@odata.etag":"W/\"%s\""`, etag)
	}
	if members != "" {
		rd += "," + members
	}
	return body(changeType, callURL, rd+"}")
}

func stateBody(etag string, st calls.State) string {
	return callBody("updated", etag, fmt.Sprintf(`"state":%q`, st))
}

func toneBody(seq int64) string {
	return callBody("updated", "", fmt.Sprintf(`"state":"established","toneInfo":{"@odata.type":"#microsoft.graph.toneInfo","sequenceId":%d,"tone":"tone1"}`, seq))
}

// part is one participant as JSON.
func part(id string, muted bool, seq int64, extra string) string {
	s := fmt.Sprintf(`{"@odata.type":"#microsoft.graph.participant","id":%q,"isMuted":%t`, id, muted)
	if seq > 0 {
		s += fmt.Sprintf(`,"rosterSequenceNumber":%d`, seq)
	}
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func removed(id string) string {
	return fmt.Sprintf(`{"@odata.type":"#microsoft.graph.participant","id":%q,"removedState":{"reason":"left"}}`, id)
}

// fullRoster is a (non-delta) roster notification: resourceData is an array.
func fullRoster(ps ...string) string {
	return body("updated", callURL+"/participants", "["+strings.Join(ps, ",")+"]")
}

// deltaRoster is a beta deltaParticipants roster (call created with
// isDeltaRosterEnabled): only the participants that changed, ordered by
// sequenceNumber.
func deltaRoster(seq int64, ps ...string) string {
	return body("updated", callURL+"/participants", fmt.Sprintf(
		`{"@odata.type":"#microsoft.graph.deltaParticipants","sequenceNumber":%d,"participants":[%s]}`, seq, strings.Join(ps, ",")))
}

// opBody is an operation notification; cc "" sends no clientContext.
func opBody(changeType, typ, id, cc string, status calls.OperationStatus) string {
	rd := fmt.Sprintf(`{"@odata.type":"#microsoft.graph.%s","id":%q,"status":%q`, typ, id, status)
	if cc != "" {
		rd += fmt.Sprintf(`,"clientContext":%q`, cc)
	}
	return body(changeType, callURL+"/operations/"+id, rd+"}")
}

func parse(t *testing.T, b string) []notifications.Notification {
	t.Helper()
	notes, err := notifications.Parse([]byte(b))
	if err != nil {
		t.Fatalf("Parse(%s): %v", b, err)
	}
	return notes
}

// apply applies every notification of every body in order.
func apply(t *testing.T, s *State, bodies ...string) []Effect {
	t.Helper()
	var fx []Effect
	for _, b := range bodies {
		for _, n := range parse(t, b) {
			fx = s.Apply(&n, fx)
		}
	}
	return fx
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "notifications", name))
	if os.IsNotExist(err) {
		t.Skipf("fixture %s missing", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureNotes(t *testing.T, name string) []notifications.Notification {
	t.Helper()
	notes, err := notifications.Parse(fixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return notes
}

func newCall(st calls.State, etag int64) *State {
	c := calls.Call{State: st, Direction: calls.Direction("incoming")}
	if etag > 0 {
		c.ODataEtag = fmt.Sprintf(`W/"%d"`, etag)
	}
	return New("c-1", "tenant-1", c, t0)
}

func ids(ps []participants.Participant) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func rosterOf(t *testing.T, fx []Effect) RosterEvent {
	t.Helper()
	for _, e := range fx {
		if e.Kind == Roster {
			return e.Roster
		}
	}
	t.Fatalf("no Roster effect in %v", kinds(fx))
	return RosterEvent{}
}

func find(fx []Effect, k Kind) (Effect, bool) {
	for _, e := range fx {
		if e.Kind == k {
			return e, true
		}
	}
	return Effect{}, false
}

func count(fx []Effect, k Kind) int {
	n := 0
	for _, e := range fx {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// 1. Call states, etags, the end.

// A call moves incoming/establishing -> established -> hold/transferring ->
// terminating -> terminated (Graph docs, call resource: callState). Notifications can
// arrive out of order, so an update to an earlier state is dropped, except a return
// to established after hold (unhold) or after a failed transfer. The @odata.etag of a
// notification grows with each change of the resource; an update whose etag is not
// newer than the one applied is a redelivery or out of order and is dropped. The end
// (state terminated, or changeType deleted) is always applied.
func TestCallStateOrder(t *testing.T) {
	tests := []struct {
		name      string
		start     calls.State
		etag      int64
		bodies    []string
		want      []string
		wantState calls.State
		wantEtag  int64
	}{
		{
			name:  "incoming then establishing then established",
			start: calls.StateIncoming, etag: 1,
			bodies:    []string{stateBody("2", calls.StateEstablishing), stateBody("3", calls.StateEstablished)},
			want:      ks("Updated", "Changed", "Updated", "Changed", "ArmKeepAlive", "ReadRoster"),
			wantState: calls.StateEstablished, wantEtag: 3,
		},
		{
			name:      "stale establishing after established dropped (no etags)",
			start:     calls.StateEstablished,
			bodies:    []string{stateBody("", calls.StateEstablishing)},
			want:      ks(),
			wantState: calls.StateEstablished,
		},
		{
			name:  "lower rank dropped even with a newer etag",
			start: calls.StateEstablished, etag: 3,
			bodies:    []string{stateBody("4", calls.StateEstablishing), stateBody("5", calls.StateIncoming)},
			want:      ks(),
			wantState: calls.StateEstablished, wantEtag: 3,
		},
		{
			name:  "established after hold accepted (unhold)",
			start: calls.StateEstablished, etag: 1,
			bodies:    []string{stateBody("2", calls.StateHold), stateBody("3", calls.StateEstablished)},
			want:      ks("Updated", "Changed", "Updated", "Changed", "ArmKeepAlive", "ReadRoster"),
			wantState: calls.StateEstablished, wantEtag: 3,
		},
		{
			name:  "established after a failed transfer accepted",
			start: calls.StateEstablished, etag: 1,
			bodies:    []string{stateBody("2", calls.StateTransferring), stateBody("3", calls.StateEstablished)},
			want:      ks("Updated", "Changed", "Updated", "Changed", "ArmKeepAlive", "ReadRoster"),
			wantState: calls.StateEstablished, wantEtag: 3,
		},
		{
			name:  "established after terminating dropped",
			start: calls.StateEstablished, etag: 1,
			bodies:    []string{stateBody("2", calls.StateTerminating), stateBody("3", calls.StateEstablished)},
			want:      ks("Updated", "Changed"),
			wantState: calls.StateTerminating, wantEtag: 2,
		},
		{
			name:  "equal etag dropped",
			start: calls.StateEstablishing, etag: 5,
			bodies:    []string{stateBody("5", calls.StateEstablished)},
			want:      ks(),
			wantState: calls.StateEstablishing, wantEtag: 5,
		},
		{
			name:  "lower etag dropped",
			start: calls.StateEstablishing, etag: 5,
			bodies:    []string{stateBody("4", calls.StateEstablished)},
			want:      ks(),
			wantState: calls.StateEstablishing, wantEtag: 5,
		},
		{
			name:  "redelivered update dropped by its etag",
			start: calls.StateEstablished, etag: 1,
			bodies: []string{
				callBody("updated", "2", `"mediaState":{"audio":"inactive"}`),
				callBody("updated", "2", `"mediaState":{"audio":"inactive"}`),
			},
			want:      ks("Updated", "Changed"),
			wantState: calls.StateEstablished, wantEtag: 2,
		},
		{
			name:  "update without etag applied",
			start: calls.StateEstablishing, etag: 5,
			bodies:    []string{stateBody("", calls.StateEstablished)},
			want:      ks("Updated", "Changed", "ArmKeepAlive", "ReadRoster"),
			wantState: calls.StateEstablished, wantEtag: 5,
		},
		{
			name:  "terminated applied",
			start: calls.StateEstablished, etag: 1,
			bodies:    []string{callBody("updated", "2", `"state":"terminated"`)},
			want:      ks("Updated", "Terminated"),
			wantState: calls.StateTerminated, wantEtag: 2,
		},
		{
			name:  "deleted with an older etag still applied",
			start: calls.StateEstablished, etag: 9,
			bodies:    []string{callBody("deleted", "3", `"state":"terminated"`)},
			want:      ks("Updated", "Terminated"),
			wantState: calls.StateTerminated, wantEtag: 9,
		},
		{
			name:  "deleted without a state ends the call",
			start: calls.StateEstablished, etag: 1,
			bodies:    []string{callBody("deleted", "2", `"resultInfo":{"code":200,"subcode":4521}`)},
			want:      ks("Updated", "Terminated"),
			wantState: calls.StateTerminated, wantEtag: 2,
		},
		{
			name:  "nothing applied after the end",
			start: calls.StateEstablished, etag: 1,
			bodies: []string{
				callBody("deleted", "2", `"state":"terminated"`),
				stateBody("3", calls.StateEstablished),
				toneBody(1),
				fullRoster(part("p1", false, 0, "")),
				opBody("deleted", "playPromptOperation", "op-1", "cc-1", calls.OperationCompleted),
				callBody("deleted", "4", `"state":"terminated"`),
			},
			want:      ks("Updated", "Terminated"),
			wantState: calls.StateTerminated, wantEtag: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(tc.start, tc.etag)
			fx := apply(t, s, tc.bodies...)
			if d := cmp.Diff(tc.want, kinds(fx)); d != "" {
				t.Errorf("effects (-want +got):\n%s", d)
			}
			if s.Call.State != tc.wantState {
				t.Errorf("state %q, want %q", s.Call.State, tc.wantState)
			}
			if s.Etag != tc.wantEtag {
				t.Errorf("etag %d, want %d", s.Etag, tc.wantEtag)
			}
			if s.Call.ID != "c-1" {
				t.Errorf("call ID %q", s.Call.ID)
			}
		})
	}
}

// The Updated effect carries the resource before and after, as distinct values: the
// old one is never changed in place (callbacks may still hold it).
func TestUpdatedOldNew(t *testing.T) {
	s := newCall(calls.StateEstablishing, 1)
	before := s.Call
	fx := apply(t, s, stateBody("2", calls.StateEstablished))
	e, ok := find(fx, Updated)
	if !ok {
		t.Fatalf("no Updated: %v", kinds(fx))
	}
	if e.Old != before || e.Old.State != calls.StateEstablishing || e.New.State != calls.StateEstablished || e.New != s.Call {
		t.Errorf("old %+v new %+v", e.Old, e.New)
	}
}

// A call ends with a notification whose changeType is deleted and whose resourceData
// is the call in state terminated with a resultInfo saying why (Graph docs, "Hang up
// a call" / call resource, resultInfo codes: 200/4521 = the other party hung up).
func TestTerminatedEnd(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantReason calls.EndReason
		wantInfo   calls.ResultInfo
	}{
		{
			name:       "remote hang up",
			body:       callBody("deleted", "7", `"state":"terminated","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":200,"subcode":4521,"message":"hung up"}`),
			wantReason: calls.EndReasonRemoteHangUp,
			wantInfo:   calls.ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: 200, Subcode: 4521, Message: "hung up"},
		},
		{
			name:       "keep-alive timeout",
			body:       callBody("updated", "7", `"state":"terminated","resultInfo":{"code":408,"subcode":8537}`),
			wantReason: calls.EndReasonKeepAliveTimeout,
			wantInfo:   calls.ResultInfo{Code: 408, Subcode: 8537},
		},
		{
			name:       "unknown code",
			body:       callBody("deleted", "7", `"state":"terminated","resultInfo":{"code":599,"subcode":1}`),
			wantReason: calls.EndReasonUnknown,
			wantInfo:   calls.ResultInfo{Code: 599, Subcode: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(calls.StateEstablished, 1)
			s.StartOperation("cc-1", "#microsoft.graph.playPromptOperation", t0)
			s.KeepAliveArmed = true
			fx := apply(t, s, tc.body)
			if d := cmp.Diff(ks("Updated", "Terminated"), kinds(fx)); d != "" {
				t.Fatalf("effects (-want +got):\n%s", d)
			}
			end := fx[1].End
			if end.Reason != tc.wantReason || end.Err != nil {
				t.Errorf("end %+v, want reason %q", end, tc.wantReason)
			}
			if d := cmp.Diff(tc.wantInfo, end.ResultInfo); d != "" {
				t.Errorf("resultInfo (-want +got):\n%s", d)
			}
			if !s.Ended || s.End.Reason != tc.wantReason || fx[0].New.State != calls.StateTerminated {
				t.Errorf("state after end: ended %v end %+v call %q", s.Ended, s.End, s.Call.State)
			}
			if s.Pending("cc-1") || s.KeepAliveArmed || len(s.Snapshot(1, t0, "w").Operations) != 0 {
				t.Error("pending operations or keep-alive survive the end")
			}
		})
	}
}

// Graph documents the end of a call as a notification with changeType deleted for the
// call's resource URL; notifications.Parse types one without resourceData as KindCall
// with a nil Call ("a call notification without resourceData"). Such a notification
// must still end the call: "terminated/deleted always applied".
func TestDeletedWithoutResourceData(t *testing.T) {
	notes := parse(t, `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c-1"}]}`)
	if len(notes) != 1 || notes[0].Kind != notifications.KindCall || notes[0].Call != nil {
		t.Fatalf("parse: %+v", notes)
	}
	s := newCall(calls.StateEstablished, 1)
	fx := s.Apply(&notes[0], nil)
	if !s.Ended || count(fx, Terminated) != 1 {
	}
}

// ---------------------------------------------------------------------------
// 2. Merge.

// Call notifications are partial: an updated-call notification usually carries only
// the members that changed (state, mediaState, resultInfo...) (Graph docs, call
// notifications). What it does not carry is kept.
func TestMergePartialUpdate(t *testing.T) {
	notes := fixtureNotes(t, "incoming-call.json")
	inc := notes[0].Call
	s := New("c-1", "tenant-1", *inc, t0)
	s.Etag = 0 // the fixtures all carry etag 101; let the next one apply
	oldCall := s.Call
	oldCopy := *oldCall
	upd := `"state":"established","mediaState":{"audio":"active"}`
	fx := apply(t, s, callBody("updated", "", upd))
	if d := cmp.Diff(ks("Updated", "Changed", "ArmKeepAlive", "ReadRoster"), kinds(fx)); d != "" {
		t.Fatalf("effects (-want +got):\n%s", d)
	}
	got := s.Call
	if got.State != calls.StateEstablished || got.MediaState.Audio != media.State("active") {
		t.Errorf("update not applied: %+v", got)
	}
	if got.Direction != inc.Direction || got.Direction == "" {
		t.Errorf("direction %q, want %q", got.Direction, inc.Direction)
	}
	if d := cmp.Diff(inc.Source, got.Source); d != "" || got.Source.Identity.DisplayName() == "" {
		t.Errorf("source not kept (-want +got):\n%s", d)
	}
	if got.CallbackURI != inc.CallbackURI || got.MyParticipantID != inc.MyParticipantID || got.CallChainID != inc.CallChainID ||
		got.TenantID != inc.TenantID || len(got.Targets) != 1 {
		t.Errorf("members not kept: %+v", got)
	}
	if !reflect.DeepEqual(*oldCall, oldCopy) || oldCall.State != calls.StateIncoming {
		t.Errorf("old resource changed in place: %+v", oldCall)
	}
}

// Members Graph does not know yet arrive in AdditionalData; they are merged member by
// member, and neither input is changed.
func TestMergeAdditionalData(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	old := &calls.Call{ID: "c-1", State: calls.StateEstablished, Subject: "s",
		AdditionalData: map[string]json.RawMessage{"a": raw("1"), "b": raw("2")}}
	upd := &calls.Call{State: calls.StateHold, AdditionalData: map[string]json.RawMessage{"b": raw("3"), "c": raw("4")}}
	oldAD, updAD := maps2(old.AdditionalData), maps2(upd.AdditionalData)
	oldCopy, updCopy := *old, *upd

	got := Merge(old, upd)
	want := map[string]json.RawMessage{"a": raw("1"), "b": raw("3"), "c": raw("4")}
	if d := cmp.Diff(want, got.AdditionalData); d != "" {
		t.Errorf("additional data (-want +got):\n%s", d)
	}
	if got.State != calls.StateHold || got.Subject != "s" || got.ID != "c-1" {
		t.Errorf("merged %+v", got)
	}
	if d := cmp.Diff(oldAD, old.AdditionalData); d != "" {
		t.Errorf("old additional data changed:\n%s", d)
	}
	if d := cmp.Diff(updAD, upd.AdditionalData); d != "" {
		t.Errorf("update's additional data changed:\n%s", d)
	}
	if !reflect.DeepEqual(oldCopy, *old) || !reflect.DeepEqual(updCopy, *upd) || got == old || got == upd {
		t.Error("Merge changed or returned an input")
	}

	// An update without additional data keeps the old members.
	got = Merge(old, &calls.Call{Subject: "t"})
	if d := cmp.Diff(oldAD, got.AdditionalData); d != "" || got.Subject != "t" {
		t.Errorf("additional data not kept:\n%s", d)
	}

	// The legacy fixture's unknown member lands in AdditionalData and is merged.
	notes := fixtureNotes(t, "legacy-wild.json")
	s := newCall(calls.StateEstablishing, 0)
	s.Call = Merge(s.Call, &calls.Call{AdditionalData: map[string]json.RawMessage{"mine": raw(`true`)}})
	s.Apply(&notes[0], nil)
	if _, ok := s.Call.AdditionalData["someFutureProperty"]; !ok {
		t.Errorf("unknown member lost: %v", s.Call.AdditionalData)
	}
	if _, ok := s.Call.AdditionalData["mine"]; !ok {
		t.Errorf("earlier member lost: %v", s.Call.AdditionalData)
	}
}

func maps2(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// ifaceImpls are the concrete values used to set interface-typed members.
var ifaceImpls = []any{
	&media.ServiceHostedMediaConfig{},
	&media.MediaPrompt{},
	&calls.OrganizerMeetingInfo{},
	&calls.CommsOperation{},
}

// fill sets v (settable) to a non-zero value derived from seed; equal seeds give equal
// values, different seeds different strings and numbers.
func fill(t *testing.T, v reflect.Value, seed, depth int) {
	t.Helper()
	typ := v.Type()
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d", seed))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(seed))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed))
	case reflect.Slice:
		s := reflect.MakeSlice(typ, 1, 1)
		if depth < 6 {
			fill(t, s.Index(0), seed, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(typ)
		if depth < 6 {
			k, e := reflect.New(typ.Key()).Elem(), reflect.New(typ.Elem()).Elem()
			fill(t, k, seed, depth+1)
			fill(t, e, seed, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(typ.Elem())
		if depth < 6 {
			fill(t, p.Elem(), seed, depth+1)
		}
		v.Set(p)
	case reflect.Struct:
		if typ == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(t0.Add(time.Duration(seed) * time.Second)))
			return
		}
		set := false
		for i := range typ.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(t, f, seed, depth+1)
				set = true
			}
		}
		if !set {
			t.Fatalf("cannot set a member of %s", typ)
		}
	case reflect.Interface:
		for _, impl := range ifaceImpls {
			it := reflect.TypeOf(impl)
			if it.Implements(typ) {
				p := reflect.New(it.Elem())
				if depth < 6 {
					fill(t, p.Elem(), seed, depth+1)
				}
				v.Set(p)
				return
			}
		}
		t.Fatalf("no implementation of %s in ifaceImpls: add one", typ)
	default:
		t.Fatalf("cannot fill a %s (%s)", typ, v.Kind())
	}
}

func filledCall(t *testing.T, seed int) calls.Call {
	var c calls.Call
	fill(t, reflect.ValueOf(&c).Elem(), seed, 0)
	return c
}

// Every member a partial update carries (non-zero) replaces the known one, whatever
// its type, and every other member is kept: checked by reflection over every exported
// field of calls.Call, so that a member added to calls.Call later is covered too.
func TestMergeEveryField(t *testing.T) {
	typ := reflect.TypeFor[calls.Call]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() || f.Name == "AdditionalData" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			old := filledCall(t, 1)
			var upd calls.Call
			fill(t, reflect.ValueOf(&upd).Elem().Field(i), 2, 1)
			updCopy := upd
			if reflect.DeepEqual(reflect.ValueOf(old).Field(i).Interface(), reflect.ValueOf(upd).Field(i).Interface()) {
				t.Fatalf("test values for %s are equal", f.Name)
			}
			got := Merge(&old, &upd)
			gv, ov, uv := reflect.ValueOf(*got), reflect.ValueOf(old), reflect.ValueOf(upd)
			for j := range typ.NumField() {
				want := ov.Field(j).Interface()
				if j == i {
					want = uv.Field(j).Interface()
				}
				if !reflect.DeepEqual(gv.Field(j).Interface(), want) {
					t.Errorf("merged %s = %#v, want %#v", typ.Field(j).Name, gv.Field(j).Interface(), want)
				}
			}
			if !reflect.DeepEqual(old, filledCall(t, 1)) || !reflect.DeepEqual(upd, updCopy) {
				t.Error("Merge changed an input")
			}
		})
	}

	// All at once.
	old, upd := filledCall(t, 1), filledCall(t, 2)
	upd.AdditionalData = nil
	got := Merge(&old, &upd)
	want := upd
	want.AdditionalData = old.AdditionalData
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("merge of a full update:\n got %+v\nwant %+v", *got, want)
	}
}

// ---------------------------------------------------------------------------
// 3. Tones.

// After subscribeToTone, each DTMF key press arrives as an updated-call notification
// with toneInfo, whose sequenceId grows with each press (Graph docs, toneInfo:
// "sequenceId: an incremental identifier used for ordering DTMF events"). Graph may
// redeliver a notification (retries) and deliver them out of order.
func TestTones(t *testing.T) {
	tests := []struct {
		name    string
		restore int64 // when > 0: Restore from a state whose ToneSequence is this
		seqs    []int64
		want    []int64 // sequence IDs delivered, in order
	}{
		{name: "in order", seqs: []int64{1, 2, 3}, want: []int64{1, 2, 3}},
		{name: "duplicates dropped", seqs: []int64{1, 1, 2, 2, 1, 3, 3}, want: []int64{1, 2, 3}},
		{name: "reordered within the window delivered once", seqs: []int64{1, 3, 2, 5, 4, 2, 3, 4}, want: []int64{1, 3, 2, 5, 4}},
		{name: "window edge: 63 back delivered, 64 back dropped", seqs: []int64{100, 37, 36, 37}, want: []int64{100, 37}},
		{name: "older than the window dropped", seqs: []int64{1, 200, 1, 100, 137}, want: []int64{1, 200, 137}},
		{name: "a jump beyond the window forgets the old ones", seqs: []int64{5, 6, 300, 299, 299}, want: []int64{5, 6, 300, 299}},
		{name: "floor after restore", restore: 10, seqs: []int64{3, 9, 10, 11, 11, 12}, want: []int64{11, 12}},
		{name: "floor after restore, reordered above it", restore: 10, seqs: []int64{13, 11, 10, 12}, want: []int64{13, 11, 12}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(calls.StateEstablished, 1)
			if tc.restore > 0 {
				st := s.Snapshot(1, t0, "w")
				st.ToneSequence = tc.restore
				s = Restore(st)
				if s.ToneFloor != tc.restore {
					t.Fatalf("ToneFloor %d", s.ToneFloor)
				}
			}
			var bodies []string
			for _, q := range tc.seqs {
				bodies = append(bodies, toneBody(q))
			}
			fx := apply(t, s, bodies...)
			got := []int64{}
			for _, e := range fx {
				if e.Kind != Tone {
					t.Errorf("unexpected %v", kinds([]Effect{e}))
					continue
				}
				if e.Tone.Tone != media.Tone("tone1") {
					t.Errorf("tone %q", e.Tone.Tone)
				}
				got = append(got, e.Tone.SequenceID)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("delivered (-want +got):\n%s", d)
			}
			if s.Call.ToneInfo.Tone != "" || s.Call.ToneInfo.SequenceID != 0 {
				t.Errorf("ToneInfo kept in the call: %+v", s.Call.ToneInfo)
			}
		})
	}
}

// A tone notification carries the call's state too, but is only a tone: it changes
// neither the call nor its etag.
func TestToneFixture(t *testing.T) {
	notes := fixtureNotes(t, "call-tone.json")
	s := newCall(calls.StateEstablished, 200)
	fx := s.Apply(&notes[0], nil)
	if d := cmp.Diff(ks("Tone"), kinds(fx)); d != "" {
		t.Fatalf("effects (-want +got):\n%s", d)
	}
	if fx[0].Tone.SequenceID != 3 || fx[0].Tone.Tone != media.Tone("tone1") || s.ToneSeq != 3 || s.Etag != 200 {
		t.Errorf("tone %+v, seq %d etag %d", fx[0].Tone, s.ToneSeq, s.Etag)
	}
	if fx := s.Apply(&notes[0], nil); len(fx) != 0 {
		t.Errorf("redelivered tone: %v", kinds(fx))
	}
}

// ---------------------------------------------------------------------------
// 4. Roster.

// Roster notifications (resource .../participants) carry the whole roster, as an
// array of participants, unless the call was created with isDeltaRosterEnabled (beta),
// when they carry a deltaParticipants object with only the participants that changed
// (removed ones with removedState) and a sequenceNumber (Graph docs, participant
// notifications / deltaParticipants).
func TestRoster(t *testing.T) {
	type step struct {
		body       string
		want       []string
		added, upd []string
		removed    []string
		wantRoster []string // IDs after the step, in order
		wantSeq    int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "full rosters",
			steps: []step{
				{body: fullRoster(part("p1", false, 1, ""), part("p2", false, 1, "")), want: ks("Roster", "Changed"),
					added: []string{"p1", "p2"}, wantRoster: []string{"p1", "p2"}, wantSeq: 1},
				{body: fullRoster(part("p1", true, 2, ""), part("p3", false, 2, "")), want: ks("Roster", "Changed"),
					added: []string{"p3"}, upd: []string{"p1"}, removed: []string{"p2"}, wantRoster: []string{"p1", "p3"}, wantSeq: 2},
				// Only the etag and sequence numbers differ: nothing changed.
				{body: fullRoster(part("p1", true, 3, `"@odata.etag":"W/\"9\""`), part("p3", false, 3, "")), want: ks(),
					wantRoster: []string{"p1", "p3"}, wantSeq: 3},
				// An older full roster than the one applied is dropped.
				{body: fullRoster(part("p9", false, 2, "")), want: ks(), wantRoster: []string{"p1", "p3"}, wantSeq: 3},
				// A full roster without sequence numbers is applied.
				{body: fullRoster(part("p3", false, 0, "")), want: ks("Roster", "Changed"),
					removed: []string{"p1"}, wantRoster: []string{"p3"}, wantSeq: 3},
			},
		},
		{
			name: "deltas",
			steps: []step{
				{body: fullRoster(part("p1", false, 5, ""), part("p2", false, 5, "")), want: ks("Roster", "Changed"),
					added: []string{"p1", "p2"}, wantRoster: []string{"p1", "p2"}, wantSeq: 5},
				{body: deltaRoster(6, part("p3", false, 0, ""), part("p1", true, 0, ""), removed("p2")), want: ks("Roster", "Changed"),
					added: []string{"p3"}, upd: []string{"p1"}, removed: []string{"p2"}, wantRoster: []string{"p1", "p3"}, wantSeq: 6},
				// Stale (already applied, or older) deltas are dropped.
				{body: deltaRoster(6, removed("p1")), want: ks(), wantRoster: []string{"p1", "p3"}, wantSeq: 6},
				{body: deltaRoster(4, removed("p1")), want: ks(), wantRoster: []string{"p1", "p3"}, wantSeq: 6},
				// The next one applies; removing an unknown participant changes nothing.
				{body: deltaRoster(7, removed("p7"), part("p3", false, 0, "")), want: ks(), wantRoster: []string{"p1", "p3"}, wantSeq: 7},
				{body: deltaRoster(8, removed("p1")), want: ks("Roster", "Changed"),
					removed: []string{"p1"}, wantRoster: []string{"p3"}, wantSeq: 8},
				// A gap: the roster is re-read (it includes this delta), and later deltas go on
				// from its sequence number.
				{body: deltaRoster(10, part("p4", false, 0, "")), want: ks("ReadRoster"), wantRoster: []string{"p3"}, wantSeq: 10},
			},
		},
		{
			name: "first delta applies whatever its sequence",
			steps: []step{
				{body: deltaRoster(41, part("p1", false, 0, "")), want: ks("Roster", "Changed"),
					added: []string{"p1"}, wantRoster: []string{"p1"}, wantSeq: 41},
				{body: deltaRoster(42, part("p2", false, 0, "")), want: ks("Roster", "Changed"),
					added: []string{"p2"}, wantRoster: []string{"p1", "p2"}, wantSeq: 42},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(calls.StateEstablished, 1)
			for i, st := range tc.steps {
				fx := apply(t, s, st.body)
				if d := cmp.Diff(st.want, kinds(fx)); d != "" {
					t.Fatalf("step %d effects (-want +got):\n%s", i, d)
				}
				if e, ok := find(fx, Roster); ok {
					if d := cmp.Diff([][]string{ks(st.added...), ks(st.upd...), ks(st.removed...)},
						[][]string{ids(e.Roster.Added), ids(e.Roster.Updated), ids(e.Roster.Removed)}); d != "" {
						t.Errorf("step %d added/updated/removed (-want +got):\n%s", i, d)
					}
				}
				if d := cmp.Diff(ks(st.wantRoster...), ids(s.Participants())); d != "" {
					t.Errorf("step %d roster (-want +got):\n%s", i, d)
				}
				if got := s.Snapshot(1, t0, "w").RosterSequence; got != st.wantSeq {
					t.Errorf("step %d roster sequence %d, want %d", i, got, st.wantSeq)
				}
			}
		})
	}
}

// Roster snapshots handed out are never changed in place by later rosters.
func TestRosterSnapshotsImmutable(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	apply(t, s, fullRoster(part("p1", false, 1, ""), part("p2", false, 1, "")))
	snap := s.Participants()
	keep := slices.Clone(snap)
	apply(t, s, deltaRoster(2, removed("p1"), part("p2", true, 0, "")), deltaRoster(3, part("p3", false, 0, "")))
	if !reflect.DeepEqual(snap, keep) {
		t.Errorf("snapshot changed: %+v", snap)
	}
	if p, ok := s.Participant("p2"); !ok || !p.IsMuted {
		t.Errorf("p2 %+v %v", p, ok)
	}
	if _, ok := s.Participant("p1"); ok {
		t.Error("p1 still there")
	}
}

// The real roster fixture: three participants, all new.
func TestRosterFixture(t *testing.T) {
	notes := fixtureNotes(t, "roster.json")
	s := newCall(calls.StateEstablished, 1)
	fx := s.Apply(&notes[0], nil)
	ev := rosterOf(t, fx)
	if d := cmp.Diff([]string{"p-bot-1", "p-alice-2", "p-guest-3"}, ids(ev.Added)); d != "" || len(ev.Updated)+len(ev.Removed) != 0 {
		t.Errorf("added (-want +got):\n%s", d)
	}
	if p, _ := s.Participant("p-guest-3"); !p.IsInLobby {
		t.Errorf("guest %+v", p)
	}
	if s.Snapshot(1, t0, "w").RosterSequence != 7 {
		t.Error("sequence not taken from rosterSequenceNumber")
	}
	// Redelivered: no change.
	if fx := s.Apply(&notes[0], nil); len(fx) != 0 {
		t.Errorf("redelivered roster: %v", kinds(fx))
	}
}

// Roster reads are coalesced: one in flight, at most one queued behind it.
func TestRosterReadCoalescing(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	apply(t, s, deltaRoster(1, part("p1", false, 0, "")))
	fx := apply(t, s, deltaRoster(5, part("p2", false, 0, "")))
	if d := cmp.Diff(ks("ReadRoster"), kinds(fx)); d != "" {
		t.Fatalf("gap (-want +got):\n%s", d)
	}
	gen := fx[0].Gen
	// More gaps (and an established update, which also wants the roster) while the
	// read is in flight: no more reads now.
	fx = apply(t, s, deltaRoster(7), deltaRoster(9), deltaRoster(11))
	fx = append(fx, apply(t, s, stateBody("2", calls.StateHold), stateBody("3", calls.StateEstablished))...)
	if n := count(fx, ReadRoster); n != 0 {
		t.Fatalf("%d reads while one is in flight: %v", n, kinds(fx))
	}
	page := []participants.Participant{{ID: "p1"}, {ID: "p2"}}
	fx = s.RosterRead(page, gen, true, nil)
	if d := cmp.Diff(ks("Roster", "Changed", "ReadRoster"), kinds(fx)); d != "" {
		t.Fatalf("first read (-want +got):\n%s", d)
	}
	if ev := fx[0].Roster; !slices.Equal(ids(ev.Added), []string{"p2"}) {
		t.Errorf("read roster %+v", ev)
	}
	gen2 := fx[2].Gen
	if gen2 == gen {
		t.Errorf("follow-up read has the same gen %d", gen)
	}
	fx = s.RosterRead(page, gen2, true, nil)
	if len(fx) != 0 {
		t.Errorf("second read: %v", kinds(fx))
	}
	// Nothing in flight now: the next gap reads again.
	if fx := apply(t, s, deltaRoster(20)); count(fx, ReadRoster) != 1 {
		t.Errorf("next gap: %v", kinds(fx))
	}
}

// A read answered after a roster notification was applied is older than what is
// known: dropped. A failed read changes nothing but the queued follow-up still runs.
func TestRosterReadOvertaken(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	apply(t, s, deltaRoster(1, part("p1", false, 0, "")))
	fx := apply(t, s, deltaRoster(3))
	gen := fx[0].Gen
	if fx := apply(t, s, fullRoster(part("p1", false, 0, ""), part("p5", false, 0, ""))); count(fx, Roster) != 1 {
		t.Fatalf("full roster: %v", kinds(fx))
	}
	fx = s.RosterRead([]participants.Participant{{ID: "p1"}}, gen, true, nil)
	if len(fx) != 0 {
		t.Errorf("overtaken read applied: %v", kinds(fx))
	}
	if d := cmp.Diff([]string{"p1", "p5"}, ids(s.Participants())); d != "" {
		t.Errorf("roster (-want +got):\n%s", d)
	}

	// A failed read, with a follow-up queued.
	fx = apply(t, s, deltaRoster(9))
	fx = append(fx, apply(t, s, deltaRoster(12))...)
	if count(fx, ReadRoster) != 1 {
		t.Fatalf("reads %v", kinds(fx))
	}
	fx = s.RosterRead(nil, fx[0].Gen, false, nil)
	if d := cmp.Diff(ks("ReadRoster"), kinds(fx)); d != "" {
		t.Errorf("after a failed read (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"p1", "p5"}, ids(s.Participants())); d != "" {
		t.Errorf("failed read changed the roster (-want +got):\n%s", d)
	}
	// A read answered after the end does nothing.
	s.EndLocally(End{Err: fmt.Errorf("gone")}, nil)
	if fx := s.RosterRead([]participants.Participant{{ID: "x"}}, fx[0].Gen, true, nil); len(fx) != 0 {
		t.Errorf("read after end: %v", kinds(fx))
	}
}

// After a sequence gap the whole roster is re-read; once it is, the following deltas
// should apply again. Graph numbers deltaParticipants consecutively, so after a gap at
// N and a re-read, delta N+1 is the next one.
func TestRosterDeltaAfterGapResyncs(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	apply(t, s, deltaRoster(1, part("p1", false, 0, "")))
	fx := apply(t, s, deltaRoster(5, part("p2", false, 0, "")))
	if count(fx, ReadRoster) != 1 {
		t.Fatalf("gap: %v", kinds(fx))
	}
	s.RosterRead([]participants.Participant{{ID: "p1"}, {ID: "p2"}}, fx[0].Gen, true, nil)
	fx = apply(t, s, deltaRoster(6, part("p3", false, 0, "")))
	if count(fx, ReadRoster) != 0 || count(fx, Roster) != 1 {
	}
}

// Two descriptions of a participant are the same apart from their etag and roster
// sequence number, which change with every roster.
func TestSameParticipant(t *testing.T) {
	base := func() participants.Participant {
		var p participants.Participant
		if err := json.Unmarshal([]byte(part("p1", false, 3, `"@odata.etag":"W/\"1\"","metadata":"m",`+
			`"info":{"identity":{"user":{"id":"u1","displayName":"Alice"}}}`)), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		change func(p *participants.Participant)
		same   bool
	}{
		{"identical", func(*participants.Participant) {}, true},
		{"etag", func(p *participants.Participant) { p.ODataEtag = `W/"2"` }, true},
		{"roster sequence number", func(p *participants.Participant) { p.RosterSequenceNumber = 99 }, true},
		{"etag and sequence", func(p *participants.Participant) { p.ODataEtag, p.RosterSequenceNumber = "", 0 }, true},
		{"muted", func(p *participants.Participant) { p.IsMuted = true }, false},
		{"lobby", func(p *participants.Participant) { p.IsInLobby = true }, false},
		{"metadata", func(p *participants.Participant) { p.Metadata = "n" }, false},
		{"display name", func(p *participants.Participant) { p.PreferredDisplayName = "Bob" }, false},
		{"media streams", func(p *participants.Participant) { p.MediaStreams = []media.Stream{{}} }, false},
		{"removed", func(p *participants.Participant) { p.RemovedState.Reason = "left" }, false},
		{"additional data", func(p *participants.Participant) {
			p.AdditionalData = map[string]json.RawMessage{"x": json.RawMessage("1")}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.change(&b)
			bCopy := b
			if got := SameParticipant(&a, &b); got != tc.same {
				t.Errorf("SameParticipant = %v, want %v", got, tc.same)
			}
			if got := SameParticipant(&b, &a); got != tc.same {
				t.Errorf("SameParticipant (swapped) = %v, want %v", got, tc.same)
			}
			if !reflect.DeepEqual(a, base()) || !reflect.DeepEqual(b, bCopy) {
				t.Error("SameParticipant changed an input")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 5. Operations.

// Operations (playPrompt, record, subscribeToTone, mute...) answer the request with
// the operation (status running, with its id) and later report completion in a
// notification with changeType deleted and status completed or failed, carrying the
// clientContext the bot sent (Graph docs, playPrompt / commsOperation). The
// notification can arrive before the answer to the request.
func TestOperations(t *testing.T) {
	const typ = "#microsoft.graph.playPromptOperation"
	type step struct {
		do        string // "start", "started", "body", "finished"
		cc, id    string
		body      string
		want      []string
		wantEarly string // for "started": the ID of the completion returned
		wantCC    string // for OperationDone
	}
	done := func(id, cc string) string {
		return opBody("deleted", "playPromptOperation", id, cc, calls.OperationCompleted)
	}
	tests := []struct {
		name        string
		steps       []step
		wantPending []string
	}{
		{
			name: "matched by ID after OperationStarted",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1"},
				{do: "body", body: done("op-1", ""), want: ks("OperationDone"), wantCC: "cc-1"},
				{do: "body", body: done("op-1", "cc-1"), want: ks()}, // redelivered: not pending any more
			},
		},
		{
			name: "matched by ID even when the client context differs",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1"},
				{do: "body", body: done("op-1", "other"), want: ks("OperationDone"), wantCC: "cc-1"},
			},
		},
		{
			name: "matched by client context before the ID is known",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "body", body: done("op-1", "cc-1"), want: ks("OperationDone"), wantCC: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1"}, // no longer pending: nil
			},
		},
		{
			name: "completion before StartOperation is returned by OperationStarted",
			steps: []step{
				{do: "body", body: done("op-1", "cc-1"), want: ks()},
				{do: "start", cc: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1", wantEarly: "op-1"},
			},
		},
		{
			name: "completion without client context before OperationStarted matched by ID",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "body", body: done("op-1", ""), want: ks()},
				{do: "started", cc: "cc-1", id: "op-1", wantEarly: "op-1"},
			},
		},
		{
			name: "early completion of another operation not returned",
			steps: []step{
				{do: "body", body: done("op-9", "cc-9"), want: ks()},
				{do: "start", cc: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1"},
			},
			wantPending: []string{"cc-1"},
		},
		{
			name: "non-final status gives nothing and is not kept",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "body", body: opBody("updated", "playPromptOperation", "op-1", "cc-1", calls.OperationRunning), want: ks()},
				{do: "body", body: opBody("updated", "playPromptOperation", "op-1", "cc-1", calls.OperationNotStarted), want: ks()},
				{do: "started", cc: "cc-1", id: "op-1"},
				{do: "body", body: opBody("updated", "playPromptOperation", "op-1", "", calls.OperationRunning), want: ks()},
			},
			wantPending: []string{"cc-1"},
		},
		{
			name: "failed is final",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "started", cc: "cc-1", id: "op-1"},
				{do: "body", body: opBody("deleted", "playPromptOperation", "op-1", "cc-1", calls.OperationFailed), want: ks("OperationDone"), wantCC: "cc-1"},
			},
		},
		{
			name: "finished (request failed) is no longer pending",
			steps: []step{
				{do: "start", cc: "cc-1"},
				{do: "start", cc: "cc-2"},
				{do: "finished", cc: "cc-1"},
				{do: "body", body: done("op-1", "cc-1"), want: ks()},
			},
			wantPending: []string{"cc-2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(calls.StateEstablished, 1)
			for i, st := range tc.steps {
				switch st.do {
				case "start":
					s.StartOperation(st.cc, typ, t0)
				case "finished":
					s.OperationFinished(st.cc)
				case "started":
					o := s.OperationStarted(st.cc, st.id)
					gotID := ""
					if o != nil {
						gotID = o.Base().ID
					}
					if gotID != st.wantEarly {
						t.Errorf("step %d: OperationStarted returned %q, want %q", i, gotID, st.wantEarly)
					}
					if o != nil && s.Pending(st.cc) {
						t.Errorf("step %d: still pending after its early completion", i)
					}
				case "body":
					fx := apply(t, s, st.body)
					if d := cmp.Diff(st.want, kinds(fx)); d != "" {
						t.Errorf("step %d effects (-want +got):\n%s", i, d)
					}
					if e, ok := find(fx, OperationDone); ok {
						if e.ClientContext != st.wantCC || e.Operation == nil || !e.Operation.Base().Status.IsFinal() {
							t.Errorf("step %d: done %+v", i, e)
						}
					}
				}
			}
			ccs, _, _ := s.PendingOperations()
			if d := cmp.Diff(tc.wantPending, ccs); d != "" {
				t.Errorf("pending (-want +got):\n%s", d)
			}
		})
	}
}

// Completions of unknown operations are kept, but at most MaxEarly, oldest dropped
// first.
func TestOperationsEarlyCap(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	for i := range MaxEarly + 1 {
		fx := apply(t, s, opBody("deleted", "playPromptOperation", fmt.Sprintf("op-%d", i), fmt.Sprintf("cc-%d", i), calls.OperationCompleted))
		if len(fx) != 0 {
			t.Fatalf("early completion gave %v", kinds(fx))
		}
	}
	if len(s.early) != MaxEarly {
		t.Fatalf("%d early completions kept, want %d", len(s.early), MaxEarly)
	}
	for _, tc := range []struct {
		i    int
		want bool
	}{{0, false}, {1, true}, {MaxEarly, true}, {MaxEarly / 2, true}} {
		cc, id := fmt.Sprintf("cc-%d", tc.i), fmt.Sprintf("op-%d", tc.i)
		s.StartOperation(cc, "#microsoft.graph.playPromptOperation", t0)
		o := s.OperationStarted(cc, id)
		if got := o != nil; got != tc.want {
			t.Errorf("%s: early completion returned %v, want %v", id, got, tc.want)
		}
		if o != nil && o.Base().ID != id {
			t.Errorf("%s: got %s", id, o.Base().ID)
		}
	}
	if len(s.early) != MaxEarly-3 {
		t.Errorf("%d early left", len(s.early))
	}
}

// Pending operations are stored with the call (so that another replica can finish
// them) and vanish from the stored state once done.
func TestOperationsInSnapshot(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	t1, t2 := t0.Add(time.Second), t0.Add(2*time.Second)
	s.StartOperation("cc-1", "#microsoft.graph.playPromptOperation", t1)
	s.StartOperation("cc-2", "#microsoft.graph.recordOperation", t2)
	want := []store.PendingOperation{
		{ClientContext: "cc-1", Type: "#microsoft.graph.playPromptOperation", StartedAt: t1},
		{ClientContext: "cc-2", Type: "#microsoft.graph.recordOperation", StartedAt: t2},
	}
	if d := cmp.Diff(want, s.Snapshot(1, t0, "w").Operations); d != "" {
		t.Errorf("started (-want +got):\n%s", d)
	}
	s.OperationStarted("cc-1", "op-1")
	want[0].ID = "op-1"
	if d := cmp.Diff(want, s.Snapshot(2, t0, "w").Operations); d != "" {
		t.Errorf("with ID (-want +got):\n%s", d)
	}
	fx := apply(t, s, opBody("deleted", "playPromptOperation", "op-1", "", calls.OperationCompleted))
	if count(fx, OperationDone) != 1 {
		t.Fatalf("done: %v", kinds(fx))
	}
	if d := cmp.Diff(want[1:], s.Snapshot(3, t0, "w").Operations); d != "" {
		t.Errorf("after completion (-want +got):\n%s", d)
	}
	s.OperationFinished("cc-2")
	if ops := s.Snapshot(4, t0, "w").Operations; len(ops) != 0 {
		t.Errorf("after finish: %+v", ops)
	}
}

// Real operation completion payloads (Graph docs examples for each operation): each
// one finishes the operation the bot started with that client context.
func TestOperationFixtures(t *testing.T) {
	files := []struct {
		file   string
		status calls.OperationStatus
	}{
		{"op-playprompt.json", calls.OperationCompleted},
		{"op-playprompt-failed.json", calls.OperationFailed},
		{"op-record.json", calls.OperationCompleted},
		{"op-subscribetotone.json", calls.OperationCompleted},
		{"op-mute.json", calls.OperationCompleted},
		{"op-invite.json", calls.OperationCompleted},
		{"op-senddtmf.json", calls.OperationCompleted},
	}
	for _, f := range files {
		t.Run(f.file, func(t *testing.T) {
			notes := fixtureNotes(t, f.file)
			if len(notes) != 1 || notes[0].Kind != notifications.KindOperation {
				t.Fatalf("fixture: %+v", notes)
			}
			b := notes[0].Operation.Base()
			for _, order := range []string{"started first", "completion first"} {
				s := newCall(calls.StateEstablished, 1)
				if order == "completion first" {
					if fx := s.Apply(&notes[0], nil); len(fx) != 0 {
						t.Fatalf("%s: %v", order, kinds(fx))
					}
				}
				s.StartOperation(b.ClientContext, notes[0].Operation.ODataTypeName(), t0)
				early := s.OperationStarted(b.ClientContext, b.ID)
				if order == "completion first" {
					if early == nil || early.Base().Status != f.status {
						t.Errorf("%s: early %v", order, early)
					}
					continue
				}
				fx := s.Apply(&notes[0], nil)
				if d := cmp.Diff(ks("OperationDone"), kinds(fx)); d != "" {
					t.Fatalf("%s (-want +got):\n%s", order, d)
				}
				if fx[0].ClientContext != b.ClientContext || fx[0].Operation.Base().Status != f.status {
					t.Errorf("%s: %+v", order, fx[0])
				}
				if s.Pending(b.ClientContext) {
					t.Errorf("%s: still pending", order)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 6. Answer deadline, local end.

// An incoming call must be answered (or rejected/redirected) within a limit (Graph
// docs, "Answer a call": the bot must answer within 15 seconds, else the call is
// dropped).
func TestUnanswered(t *testing.T) {
	const limit = 15 * time.Second
	tests := []struct {
		name  string
		start calls.State
		setup func(t *testing.T, s *State)
		at    time.Duration
		want  bool
	}{
		{name: "incoming, past the limit", start: calls.StateIncoming, at: limit, want: true},
		{name: "incoming, well past the limit", start: calls.StateIncoming, at: time.Minute, want: true},
		{name: "incoming, before the limit", start: calls.StateIncoming, at: limit - time.Millisecond, want: false},
		{name: "answered", start: calls.StateIncoming, setup: func(_ *testing.T, s *State) { s.Answered() }, at: time.Minute},
		{name: "establishing update", start: calls.StateIncoming, setup: func(t *testing.T, s *State) {
			apply(t, s, stateBody("", calls.StateEstablishing))
		}, at: time.Minute},
		{name: "stale incoming update after establishing", start: calls.StateIncoming, setup: func(t *testing.T, s *State) {
			apply(t, s, stateBody("", calls.StateEstablishing), stateBody("", calls.StateIncoming))
		}, at: time.Minute},
		{name: "created by the bot", start: calls.StateEstablishing, at: time.Minute},
		{name: "ended locally", start: calls.StateIncoming, setup: func(_ *testing.T, s *State) {
			s.EndLocally(End{Err: fmt.Errorf("x")}, nil)
		}, at: time.Minute},
		{name: "ended by Graph", start: calls.StateIncoming, setup: func(t *testing.T, s *State) {
			apply(t, s, callBody("deleted", "", `"state":"terminated"`))
		}, at: time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCall(tc.start, 0)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			if got := s.Unanswered(t0.Add(tc.at), limit); got != tc.want {
				t.Errorf("Unanswered = %v, want %v", got, tc.want)
			}
		})
	}
}

// A call ended without a terminated notification (failed answer, 404, deadline) ends
// once.
func TestEndLocally(t *testing.T) {
	s := newCall(calls.StateEstablished, 1)
	s.StartOperation("cc-1", "t", t0)
	errGone := fmt.Errorf("gone")
	fx := s.EndLocally(End{Reason: calls.EndReasonUnknown, Err: errGone}, nil)
	if d := cmp.Diff(ks("Terminated"), kinds(fx)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if fx[0].End.Err != errGone || !s.Ended || s.Call.State != calls.StateTerminated || s.Pending("cc-1") {
		t.Errorf("end %+v, state %+v", fx[0].End, s)
	}
	if fx := s.EndLocally(End{Err: fmt.Errorf("again")}, nil); len(fx) != 0 {
		t.Errorf("second EndLocally: %v", kinds(fx))
	}
	if s.End.Err != errGone {
		t.Errorf("end replaced: %+v", s.End)
	}
	if fx := apply(t, s, callBody("deleted", "9", `"state":"terminated"`)); len(fx) != 0 {
		t.Errorf("terminated after a local end: %v", kinds(fx))
	}
}

// ---------------------------------------------------------------------------
// 7. Snapshot / Restore.

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	s := newCall(calls.StateIncoming, 1)
	apply(t, s,
		stateBody("2", calls.StateEstablishing),
		callBody("updated", "3", `"state":"established","mediaState":{"audio":"active"},"subject":"hello","x-future":{"a":1}`),
		fullRoster(part("p1", false, 4, `"info":{"identity":{"user":{"id":"u1","displayName":"Alice"}}}`), part("p2", true, 4, "")),
		deltaRoster(5, part("p3", false, 0, ""), removed("p2")),
		toneBody(1), toneBody(2), toneBody(4),
	)
	s.StartOperation("cc-1", "#microsoft.graph.playPromptOperation", t0.Add(time.Second))
	s.OperationStarted("cc-1", "op-1")
	s.StartOperation("cc-2", "#microsoft.graph.recordOperation", t0.Add(2*time.Second))
	s.SetData([]byte(`{"bot":"data"}`))
	s.Position = "1700000000000-3"
	s.KeepAliveAt = t0.Add(15 * time.Minute)

	now := t0.Add(time.Hour)
	snap := s.Snapshot(7, now, "replica-a")
	if snap.Version != 7 || snap.UpdatedAt != now || snap.Writer != "replica-a" || snap.CallID != "c-1" || snap.TenantID != "tenant-1" {
		t.Errorf("snapshot header %+v", snap)
	}
	if snap.Etag != 3 || snap.RosterSequence != 5 || snap.ToneSequence != 4 || len(snap.Operations) != 2 ||
		string(snap.Data) != `{"bot":"data"}` || snap.LogPosition != "1700000000000-3" {
		t.Errorf("snapshot %+v", snap)
	}
	if d := cmp.Diff([]string{"p1", "p3"}, ids(snap.Participants)); d != "" {
		t.Errorf("participants (-want +got):\n%s", d)
	}

	r := Restore(snap)
	if d := cmp.Diff(snap, r.Snapshot(7, now, "replica-a")); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if r.Call.Subject != "hello" || r.Etag != 3 || r.ToneFloor != 4 || !r.Pending("cc-2") {
		t.Errorf("restored %+v", r)
	}

	// The restored state carries on where the first one stopped.
	if fx := apply(t, r, stateBody("3", calls.StateHold)); len(fx) != 0 {
		t.Errorf("stale etag applied after restore: %v", kinds(fx))
	}
	if fx := apply(t, r, toneBody(3), toneBody(4)); len(fx) != 0 {
		t.Errorf("tones up to the stored sequence redelivered: %v", kinds(fx))
	}
	if fx := apply(t, r, toneBody(5)); count(fx, Tone) != 1 {
		t.Errorf("next tone: %v", kinds(fx))
	}
	if fx := apply(t, r, deltaRoster(5, removed("p1"))); len(fx) != 0 {
		t.Errorf("stale delta after restore: %v", kinds(fx))
	}
	if fx := apply(t, r, deltaRoster(6, removed("p1"))); count(fx, Roster) != 1 {
		t.Errorf("next delta after restore: %v", kinds(fx))
	}
	if fx := apply(t, r, opBody("deleted", "playPromptOperation", "op-1", "", calls.OperationCompleted)); count(fx, OperationDone) != 1 || fx[0].ClientContext != "cc-1" {
		t.Errorf("restored operation not matched by ID: %v", kinds(fx))
	}
	// The first state is untouched by what the restored one did.
	if d := cmp.Diff(snap, s.Snapshot(7, now, "replica-a")); d != "" {
		t.Errorf("original changed (-want +got):\n%s", d)
	}
}

// An incoming call restored before it was answered keeps its answer deadline.
func TestRestoreIncoming(t *testing.T) {
	s := newCall(calls.StateIncoming, 1)
	r := Restore(s.Snapshot(1, t0, "w"))
	if !r.Unanswered(t0.Add(20*time.Second), 15*time.Second) || r.Unanswered(t0.Add(time.Second), 15*time.Second) {
		t.Errorf("deadline lost: IncomingAt %v", r.IncomingAt)
	}
}

// ---------------------------------------------------------------------------
// 8. Real payloads.

// An incoming call (changeType created, state incoming; Graph docs, "Incoming call
// notifications"), the call's life through the fixtures, and its end.
func TestFixtureCallLife(t *testing.T) {
	notes := fixtureNotes(t, "incoming-call.json")
	n := notes[0]
	if n.Kind != notifications.KindCall || n.ChangeType != notifications.ChangeCreated {
		t.Fatalf("incoming: %+v", n)
	}
	s := New(n.CallID, "11111111-2222-4333-8444-000000000001", *n.Call, t0)
	if s.Etag != 101 || s.Call.State != calls.StateIncoming || s.IncomingAt != t0 || s.Call.ID != n.CallID {
		t.Fatalf("new %+v", s)
	}
	if !s.Unanswered(t0.Add(time.Minute), 15*time.Second) {
		t.Error("incoming call not subject to the answer deadline")
	}

	// The fixtures share etag 101: each one is applied to a state that knows an older
	// etag, as a live call would.
	for _, tc := range []struct {
		file  string
		want  []string
		state calls.State
	}{
		{"call-establishing.json", ks("Updated", "Changed"), calls.StateEstablishing},
		{"call-established.json", ks("Updated", "Changed", "ArmKeepAlive", "ReadRoster"), calls.StateEstablished},
		{"call-terminated.json", ks("Updated", "Terminated"), calls.StateTerminated},
	} {
		ns := fixtureNotes(t, tc.file)
		s.Etag = 100
		fx := s.Apply(&ns[0], nil)
		if d := cmp.Diff(tc.want, kinds(fx)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, d)
		}
		if s.Call.State != tc.state {
			t.Errorf("%s: state %q", tc.file, s.Call.State)
		}
		// Partial updates keep what the incoming notification said.
		if s.Call.Direction != calls.Direction("incoming") || s.Call.Source.Region != "euno" || s.Call.MyParticipantID != "p-bot-1" {
			t.Errorf("%s: members lost: %+v", tc.file, s.Call)
		}
	}
	if s.Unanswered(t0.Add(time.Minute), 15*time.Second) {
		t.Error("answer deadline after establishing")
	}
	if s.End.Reason != calls.EndReasonRemoteHangUp || s.End.ResultInfo.Code != 200 || s.End.ResultInfo.Subcode != 4521 ||
		s.End.ResultInfo.Message != "The other party hung up." {
		t.Errorf("end %+v", s.End)
	}
	if s.Call.MediaState.Audio != media.State("active") {
		t.Errorf("mediaState from call-established lost: %+v", s.Call.MediaState)
	}
}

// A legacy-shaped body (resource instead of resourceUrl, PascalCase enums, codes as
// strings, no @odata.type on the operation) drives the machine like a modern one.
func TestFixtureLegacy(t *testing.T) {
	notes := fixtureNotes(t, "legacy-wild.json")
	s := New("57DAB8B1894C409AB240BD8BEAE78896", "t", calls.Call{State: calls.StateEstablishing}, t0)
	s.StartOperation("legacy", "#microsoft.graph.commsOperation", t0)
	var fx []Effect
	for i := range notes {
		fx = s.Apply(&notes[i], fx)
	}
	if d := cmp.Diff(ks("Updated", "Changed", "ArmKeepAlive", "ReadRoster", "OperationDone"), kinds(fx)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if e, ok := find(fx, OperationDone); !ok || e.ClientContext != "legacy" || e.Operation.Base().Status != calls.OperationCompleted {
		t.Errorf("operation %+v", e)
	}
	if s.Call.State != calls.StateEstablished {
		t.Errorf("state %q", s.Call.State)
	}
}

// The legacy fixture's operation has no id in its resourceData: its ID is only in the
// resource URL (.../operations/0FE0623F), which notifications.Parse puts in
// Notification.OperationID. Without a clientContext, such a completion can only be
// matched by that ID.
func TestOperationIDFromResourceURL(t *testing.T) {
	const id = "0FE0623F"
	notes := parse(t, body("deleted", callURL+"/operations/"+id, `{"@odata.type":"#microsoft.graph.playPromptOperation","status":"completed"}`))
	if notes[0].Kind != notifications.KindOperation || notes[0].OperationID != id || notes[0].Operation.Base().ID != "" {
		t.Fatalf("parse: %+v", notes[0])
	}
	s := newCall(calls.StateEstablished, 1)
	s.StartOperation("cc-1", "#microsoft.graph.playPromptOperation", t0)
	if o := s.OperationStarted("cc-1", id); o != nil {
		t.Fatalf("early %v", o)
	}
	fx := s.Apply(&notes[0], nil)
	if count(fx, OperationDone) != 1 {
	}
}
