package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// dialer places calls from the bot to targets, from its application instance when a
// target is a phone number.
func dialer(t *testing.T, emu *emulator.Server, api *calls.API, callback string) func(targets ...participants.IdentitySet) string {
	return func(targets ...participants.IdentitySet) string {
		t.Helper()
		c := calls.NewCall(callback, nil)
		for _, who := range targets {
			c.Targets = append(c.Targets, participants.Invite(who))
			if who.Phone != nil {
				c.Source = participants.Info{Identity: emu.ApplicationInstance()}
			}
		}
		created, err := api.Calls().Post(ctxT(t), c)
		if err != nil {
			t.Fatal(err)
		}
		if created.State != calls.StateEstablishing {
			t.Errorf("created %s", created.State)
		}
		return created.ID
	}
}

// operations returns the completions of operations the bot was notified of, by
// operation ID.
func operations(s *sink) map[string]calls.Operation {
	out := map[string]calls.Operation{}
	for _, n := range s.all() {
		if n.Kind == notifications.KindOperation && n.Operation != nil {
			out[n.Operation.Base().ID] = n.Operation
		}
	}
	return out
}

// TestUnknownTargetsFail: a call to a user, phone number or application nobody declared
// does not ring a made-up person. How Graph ends a call to a user it cannot find is
// undocumented (the create-call page, application-post-calls, shows only successful
// calls): the emulator accepts it (201, establishing) and ends it at once with
// 404/8522 (CodeTargetNotFound); an invitation of such a target fails with the same
// resultInfo. A user's name is not their ID. In a group call the unknown target is
// left out and the others are called. Config.AutoCreatePeople restores made-up people.
func TestUnknownTargetsFail(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	dial := dialer(t, emu, api, s.srv.URL)
	bob := emu.AddUser("bob", emulator.Behavior{})
	typoID := strings.Replace(bob.ID(), bob.ID()[:4], "0000", 1)
	unknownPhone, _ := participants.Phone("+14255550199")

	typo := dial(participants.User(typoID, emu.TenantID()))
	byName := dial(participants.User("bob", emu.TenantID()))
	phone := dial(unknownPhone)
	app := dial(participants.Application("00000000-0000-4000-8000-0000000000fe", "Nobody's bot"))
	group := dial(bob.Identity(), participants.User(typoID, emu.TenantID()))
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"typo": typo, "name": byName, "phone": phone, "application": app} {
		if got := strings.Join(s.states(id), " "); got != "updated:establishing deleted:terminated" {
			t.Errorf("%s: states %s", name, got)
		}
		end := lastCall(s, id)
		if end == nil || end.ResultInfo.Code != emulator.CodeTargetNotFound || end.ResultInfo.Subcode != emulator.SubcodeTargetNotFound ||
			!strings.HasPrefix(end.ResultInfo.Message, emulator.MessageTargetNotFound) {
			t.Errorf("%s: end %+v", name, end)
		}
	}
	if end := lastCall(s, typo); !strings.Contains(end.ResultInfo.Message, typoID) {
		t.Errorf("the message does not name the ID: %q", end.ResultInfo.Message)
	}
	ev, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventTargetNotFound && ev.CallID == typo })
	if err != nil || ev.Data["id"] != typoID || !strings.Contains(ev.Detail, "AddUser") || !strings.Contains(ev.Detail, "AutoCreatePeople") {
		t.Errorf("target-not-found event %v %+v", err, ev)
	}
	if got := strings.Join(s.states(group), " "); got != "updated:establishing updated:established updated:established+audio:active" {
		t.Errorf("group call with one unknown target: %s", got)
	}
	if r := rosterOf(s, group); len(r) != 2 || r[1].DisplayName() != "Bob" {
		t.Errorf("group roster %+v", r)
	}
	if emu.Person(typoID) != nil || emu.Person("+14255550199") != nil {
		t.Error("an unknown target was added as a person")
	}

	// An invitation of somebody unknown: 200 with the operation, which fails.
	withBob := dial(bob.Identity())
	op, err := api.Calls().ByID(withBob).Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{
		Participants: []participants.Invitation{participants.Invite(participants.User(typoID, emu.TenantID()))}})
	if err != nil || op.Status != calls.OperationRunning {
		t.Fatalf("invite: %v %+v", err, op)
	}
	_ = emu.WaitIdle(ctx)
	got, _ := operations(s)[op.ID].(*calls.InviteParticipantsOperation)
	if got == nil || got.Status != calls.OperationFailed || got.ResultInfo.Code != emulator.CodeTargetNotFound ||
		got.ResultInfo.Subcode != emulator.SubcodeTargetNotFound {
		t.Errorf("invite completion %+v", got)
	}
	if r := rosterOf(s, withBob); len(r) != 0 {
		t.Errorf("the failed invitation changed the roster: %+v", r)
	}
}

// TestAutoCreatePeople: with Config.AutoCreatePeople, a target nobody declared is made
// up as a person who answers at once, with the target's ID and display name.
func TestAutoCreatePeople(t *testing.T) {
	emu, err := emulator.Start(emulator.Config{AutoCreatePeople: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	const zed = "7d0e3f2a-5b1c-4e8d-9a6f-3c2b1a0e9d8c"
	ids := participants.User(zed, emu.TenantID())
	ids.User.DisplayName = "Zed"
	id := dialer(t, emu, api, s.srv.URL)(ids)
	_ = emu.WaitIdle(ctx)
	if got := strings.Join(s.states(id), " "); got != "updated:establishing updated:established updated:established+audio:active" {
		t.Errorf("states %s", got)
	}
	p := emu.Person(zed)
	if p == nil || p.DisplayName() != "Zed" {
		t.Fatalf("person %+v", p)
	}
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventPersonAdded && ev.Data["id"] == zed }); err != nil {
		t.Error(err)
	}
}

// guidPattern is a GUID as Graph writes its IDs: 8-4-4-4-12 lower-case hexadecimal
// digits, RFC 4122 version 4 and variant bits (the docs' IDs, such as
// v1.0/participant-invite/02-response.json's "eec3812a-fdc3-4fb4-825c-a06c9f35414e").
var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// collectIDs adds to ids every value of an ID member in a JSON document ("id",
// "*Id" members that hold IDs), with where it was found; phone numbers (a phone
// identity's id) and content sharing session IDs (64 hexadecimal digits, as
// v1.0/application-post-calls/05-notification.json has them) are not GUIDs and are
// left out.
func collectIDs(v any, where string, ids map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if t, _ := x["@odata.type"].(string); t == "#microsoft.graph.contentSharingSession" {
			return
		}
		for k, m := range x {
			if k == "phone" {
				continue
			}
			if s, ok := m.(string); ok && s != "" && (k == "id" || k == "myParticipantId" || k == "callChainId" ||
				k == "tenantId" || k == "sourceParticipantId" || k == "observedParticipantId" || k == "replacesCallId") {
				ids[s] = where + "." + k
				continue
			}
			collectIDs(m, where+"."+k, ids)
		}
	case []any:
		for _, m := range x {
			collectIDs(m, where, ids)
		}
	}
}

// TestGeneratedIDsAreGUIDs: every ID the emulator hands out in a typical flow (users,
// applications, the application instance, calls, participants, operations, meetings,
// attendance reports, audio routing groups, call chains) is a version 4 GUID, in the
// responses and in the notifications, and derived IDs are stable.
func TestGeneratedIDsAreGUIDs(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	ids := map[string]string{}
	bob := emu.AddUser("bob", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	helper := emu.AddApplication("Contoso helper bot", emulator.Behavior{})
	ids[bob.ID()], ids[carol.ID()], ids[helper.ID()] = "AddUser", "AddUser", "AddApplication"
	ids[emu.ApplicationInstance().ApplicationInstance.ID] = "ApplicationInstance"

	// Derived IDs are the same in every emulator.
	other, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := other.AddUser("bob", emulator.Behavior{}).ID(); got != bob.ID() {
		t.Errorf("bob's ID %s in one emulator, %s in another", bob.ID(), got)
	}

	// An outgoing call with prompts, tones, an invitation and an audio routing group.
	dial := dialer(t, emu, api, s.srv.URL)
	out := dial(bob.Identity())
	ids[out] = "call"
	c := api.Calls().ByID(out)
	pp, err := c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.SubscribeToTone().Post(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := c.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{Participants: []participants.Invitation{participants.Invite(carol.Identity())}})
	if err != nil {
		t.Fatal(err)
	}
	ids[pp.ID], ids[st.ID], ids[inv.ID] = "playPrompt", "subscribeToTone", "invite"
	emu.Advance(emulator.DefaultPromptDuration)
	parts, err := c.Participants().Get(ctx)
	if err != nil || len(parts.Value) != 3 {
		t.Fatalf("participants %v %+v", err, parts)
	}
	for _, p := range parts.Value {
		ids[p.ID] = "participant"
	}
	_, _, body := graphCall(t, emu, http.MethodPost, "/communications/calls/"+out+"/audioRoutingGroups",
		[]byte(`{"routingMode":"oneToOne","sources":["`+parts.Value[0].ID+`"],"receivers":["`+parts.Value[1].ID+`"]}`), nil)
	var group map[string]any
	if err := json.Unmarshal(body, &group); err != nil {
		t.Fatalf("audio routing group %s", body)
	}
	collectIDs(group, "audioRoutingGroup", ids)

	// An incoming call, a compliance-recording invitation, a meeting and its report.
	in, err := carol.CallBot()
	if err != nil {
		t.Fatal(err)
	}
	ids[in.ID()] = "incoming call"
	rec, err := bob.StartComplianceRecording(carol)
	if err != nil {
		t.Fatal(err)
	}
	ids[rec.ID()] = "compliance call"
	m := emu.NewMeeting("Stand-up", bob)
	ids[m.ID()] = "meeting"
	carol.Join(m)
	carol.Leave(m)
	_, _, body = graphCall(t, emu, http.MethodGet, "/users/"+bob.ID()+"/onlineMeetings/"+m.ID()+"/attendanceReports", nil, nil)
	var reports map[string]any
	if err := json.Unmarshal(body, &reports); err != nil || len(toAny(reports["value"])) != 1 {
		t.Fatalf("attendance reports %s", body)
	}
	collectIDs(reports, "attendanceReports", ids)

	// Every ID in every notification.
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ev := range emu.Events() {
		if ev.Kind == emulator.EventNotificationSent {
			var v any
			if err := json.Unmarshal([]byte(ev.Data["body"]), &v); err != nil {
				t.Fatal(err)
			}
			collectIDs(v, "notification", ids)
		}
	}
	if len(ids) < 20 {
		t.Errorf("only %d IDs seen: %v", len(ids), ids)
	}
	for id, where := range ids {
		if !guidPattern.MatchString(id) {
			t.Errorf("%s: %q is not a GUID", where, id)
		}
	}
}

// TestInvitedPersonLeavesMeeting: a person the bot moves into a meeting from a
// peer-to-peer call (participants/invite with replacesCallId, as
// v1.0/participant-invite/17-request.json does; the peer-to-peer call "will be
// dropped once the participant is added successfully",
// learn.microsoft.com/graph/api/resources/invitationparticipantinfo) or invites into
// it is in the meeting: Person.Leave takes them out, and the bot's call in the meeting
// gets the roster update without them (learn.microsoft.com/graph/api/participant-invite:
// "all participants will receive a roster update"; the emulator sends the full roster,
// as for every roster change). Hanging up their handle is leaving the meeting too.
func TestInvitedPersonLeavesMeeting(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	m := emu.NewMeeting("Incident bridge", olivia)

	join := calls.NewCall(s.srv.URL, nil)
	join.ChatInfo, join.MeetingInfo = m.ChatInfo(), m.MeetingInfo()
	bridge, err := api.Calls().Post(ctx, join)
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Second) // the bot joins the meeting
	withBob := dialer(t, emu, api, s.srv.URL)(bob.Identity())
	names := func() string {
		_ = emu.WaitIdle(ctx)
		var out []string
		for _, p := range rosterOf(s, bridge.ID) {
			out = append(out, p.DisplayName())
		}
		return strings.Join(out, ",")
	}
	invite := func(inv participants.Invitation) {
		t.Helper()
		if _, err := api.Calls().ByID(bridge.ID).Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{
			Participants: []participants.Invitation{inv}}); err != nil {
			t.Fatal(err)
		}
	}
	invite(participants.InviteReplacing(bob.Identity(), withBob))
	if got := names(); got != "Emulated bot,Bob" {
		t.Fatalf("roster after the move: %s", got)
	}
	if got := strings.Join(s.states(withBob), " "); !strings.HasSuffix(got, "deleted:terminated") {
		t.Errorf("the replaced call: %s", got)
	}
	invite(participants.Invite(carol.Identity()))
	if got := names(); got != "Emulated bot,Bob,Carol" {
		t.Fatalf("roster after the invitation: %s", got)
	}

	bob.Leave(m)
	if got := names(); got != "Emulated bot,Carol" {
		t.Errorf("roster after Bob leaves: %s", got)
	}
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventLeft && ev.Who == "bob" }); err != nil {
		t.Error(err)
	}
	h, err := emu.Handle(bridge.ID)
	if err != nil || h.Person() != carol {
		t.Fatalf("handle %v %+v", err, h)
	}
	if err := h.HangUp(); err != nil {
		t.Fatal(err)
	}
	if got := names(); got != "Emulated bot" {
		t.Errorf("roster after Carol hangs up: %s", got)
	}
	bob.Leave(m) // not in the meeting any more: nothing happens
	// Both were in the meeting: the attendance report has them.
	_, _, body := graphCall(t, emu, http.MethodGet, "/users/"+olivia.ID()+"/onlineMeetings/"+m.ID()+"/attendanceReports", nil, nil)
	var reports struct{ Value []struct{ ID string } }
	if err := json.Unmarshal(body, &reports); err != nil || len(reports.Value) != 1 {
		t.Fatalf("reports %s", body)
	}
	_, _, body = graphCall(t, emu, http.MethodGet, "/users/"+olivia.ID()+"/onlineMeetings/"+m.ID()+"/attendanceReports/"+reports.Value[0].ID+"/attendanceRecords", nil, nil)
	if !strings.Contains(string(body), `"Bob"`) || !strings.Contains(string(body), `"Carol"`) {
		t.Errorf("attendance records %s", body)
	}
}

// graphStatus returns the HTTP status of a Graph error (0 for none).
func graphStatus(err error) int {
	var ge *calls.Error
	if errors.As(err, &ge) {
		return ge.StatusCode
	}
	return 0
}

// TestFailNext: a fault aimed at one route (and call) fails the next request that
// matches it, and only that one, with Graph's error body and Retry-After; requests it
// is not aimed at, including ones on other calls, go through. A route the emulator
// does not serve is refused at once.
func TestFailNext(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{MaxRetries: -1})
	bob := emu.AddUser("bob", emulator.Behavior{})
	dial := dialer(t, emu, api, s.srv.URL)
	one, two := dial(bob.Identity()), dial(bob.Identity())
	prompt := &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}}

	emu.FailNext(emulator.Match{Method: "POST", Route: "/communications/calls/{id}/playPrompt", CallID: two}, http.StatusServiceUnavailable)
	if _, err := api.Calls().ByID(one).SubscribeToTone().Post(ctx, nil); err != nil {
		t.Errorf("another route: %v", err)
	}
	if _, err := api.Calls().ByID(one).PlayPrompt().Post(ctx, prompt); err != nil {
		t.Errorf("the route on another call: %v", err)
	}
	_, err := api.Calls().ByID(two).PlayPrompt().Post(ctx, prompt)
	var ge *calls.Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusServiceUnavailable || ge.RetryAfter != time.Second || ge.RequestID == "" {
		t.Fatalf("the aimed request: %v", err)
	}
	if _, err := api.Calls().ByID(two).PlayPrompt().Post(ctx, prompt); err != nil {
		t.Errorf("the next one: %v", err)
	}
	ev, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventRequestFault })
	if err != nil || ev.CallID != two || ev.Data["status"] != "503" || ev.Data["fault"] != "FailNext" {
		t.Errorf("fault event %v %+v", err, ev)
	}

	// Placeholders, any method, the namespace, and in order with FailNextRequests.
	emu.FailNext(emulator.Match{Route: "/v1.0/communications/calls/{id}/participants/{pid}/mute"}, http.StatusForbidden)
	emu.FailNextRequests(1, http.StatusTooManyRequests)
	if _, err := api.Calls().ByID(one).Participants().Get(ctx); graphStatus(err) != http.StatusTooManyRequests {
		t.Errorf("FailNextRequests: %v", err)
	}
	parts, err := api.Calls().ByID(one).Participants().Get(ctx)
	if err != nil || len(parts.Value) != 2 {
		t.Fatalf("participants %v", err)
	}
	status, _, _ := graphCall(t, emu, http.MethodPost, "/communications/calls/"+one+"/participants/"+parts.Value[1].ID+"/microsoft.graph.mute", []byte(`{}`), nil)
	if status != http.StatusForbidden {
		t.Errorf("mute with the namespace: %d", status)
	}
	if _, err := api.Calls().ByID(one).Participants().ByID(parts.Value[1].ID).Mute().Post(ctx, nil); err != nil {
		t.Errorf("the next mute: %v", err)
	}

	// Every request on a call.
	emu.FailNext(emulator.Match{CallID: one}, http.StatusInternalServerError)
	if _, err := api.Calls().ByID(two).Get(ctx); err != nil {
		t.Errorf("another call: %v", err)
	}
	if _, err := api.Calls().ByID(one).Get(ctx); graphStatus(err) != http.StatusInternalServerError {
		t.Errorf("GET of the call: %v", err)
	}

	for _, m := range []emulator.Match{
		{Route: "/communications/calls/{id}/playPromt"},
		{Method: "GET", Route: "/communications/calls/{id}/playPrompt"},
		{Route: "/communications/cals"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "serves no") {
					t.Errorf("%+v: %v", m, r)
				}
			}()
			emu.FailNext(m, http.StatusServiceUnavailable)
		}()
	}
}

// TestFailNextOperation: an operation aimed at fails: the action is answered as usual
// (the operation running), and the completion, changeType deleted as Graph sends every
// operation's (v1.0/call-playprompt/03-notification.json), has status failed and the
// chosen resultInfo; what the action would have done is not done. Graph documents no
// code for these failures: the codes here are the test's.
func TestFailNextOperation(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	dial := dialer(t, emu, api, s.srv.URL)
	one, two := dial(bob.Identity()), dial(bob.Identity())
	prompt := &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}}
	played := calls.ResultInfo{Code: 500, Subcode: 8511, Message: "Play Prompt Failed"}

	emu.FailNextOperation(emulator.OperationFault{Action: "playPrompt", CallID: two, Result: played})
	emu.FailNextOperation(emulator.OperationFault{Action: "microsoft.graph.subscribeToTone"})
	emu.FailNextOperation(emulator.OperationFault{Action: "invite", Result: calls.ResultInfo{Code: 403, Subcode: 7504, Message: "Insufficient permissions"}})
	ok, err := api.Calls().ByID(one).PlayPrompt().Post(ctx, prompt)
	if err != nil {
		t.Fatal(err)
	}
	failed, err := api.Calls().ByID(two).PlayPrompt().Post(ctx, prompt)
	if err != nil || failed.Status != calls.OperationRunning {
		t.Fatalf("the aimed playPrompt is answered %v %+v", err, failed)
	}
	tones, err := api.Calls().ByID(one).SubscribeToTone().Post(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := api.Calls().ByID(one).Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{
		Participants: []participants.Invitation{participants.Invite(carol.Identity())}})
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(emulator.DefaultPromptDuration)
	_ = emu.WaitIdle(ctx)
	ops := operations(s)
	status := func(id string) string {
		op := ops[id]
		if op == nil {
			return "none"
		}
		return string(op.Base().Status) + " " + op.Base().ResultInfo.String()
	}
	want := map[string]string{
		ok.ID:     "completed 200/0: Action completed successfully.",
		failed.ID: "failed 500/8511: Play Prompt Failed",
		tones.ID:  "failed 500/9999: Unknown",
		inv.ID:    "failed 403/7504: Insufficient permissions",
	}
	for id, w := range want {
		if got := status(id); got != w {
			t.Errorf("operation %s: %s, want %s", id, got, w)
		}
	}
	for _, ev := range emu.Events() {
		if ev.Kind == emulator.EventPromptStarted && ev.CallID == two || ev.Kind == emulator.EventTonesSubscribed || ev.Kind == emulator.EventInvited {
			t.Errorf("the failed action was carried out: %s", ev)
		}
	}
	if r := rosterOf(s, one); len(r) != 0 {
		t.Errorf("the failed invitation changed the roster: %+v", r)
	}
	ev, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventOperationFailed })
	if err != nil || ev.Data["operationId"] != failed.ID || ev.Data["action"] != "playPrompt" || ev.Data["subcode"] != "8511" {
		t.Errorf("event %v %+v", err, ev)
	}
	// The next playPrompt on the call plays.
	again, err := api.Calls().ByID(two).PlayPrompt().Post(ctx, prompt)
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(emulator.DefaultPromptDuration)
	_ = emu.WaitIdle(ctx)
	if got := string(operations(s)[again.ID].Base().Status); got != "completed" {
		t.Errorf("the next playPrompt: %s", got)
	}

	defer func() {
		if r := recover(); r == nil {
			t.Error("no panic for an action without an operation")
		}
	}()
	emu.FailNextOperation(emulator.OperationFault{Action: "answer"})
}

// TestDeclineNextInvite: a person told to decline the bot's next invitation does, at
// once with Behavior{}: the invite operation fails with 603/0 and nobody joins; the
// next invitation rings as their Behavior says. One they never answer fails with
// 408/10057 after the ring timeout. Graph documents neither failure: 603 is Azure
// Communication Services' "declined", 408/10057 the call-delete table's "no signaling
// from callee endpoints".
func TestDeclineNextInvite(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	away := emu.AddUser("away", emulator.Behavior{NoAnswer: true})
	call := dialer(t, emu, api, s.srv.URL)(bob.Identity())
	invite := func(p *emulator.Person) string {
		t.Helper()
		op, err := api.Calls().ByID(call).Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{
			Participants: []participants.Invitation{participants.Invite(p.Identity())}})
		if err != nil {
			t.Fatal(err)
		}
		return op.ID
	}
	carol.DeclineNextInvite()
	declined := invite(carol)
	_ = emu.WaitIdle(ctx)
	if r := rosterOf(s, call); len(r) != 0 {
		t.Errorf("roster after the declined invitation: %+v", r)
	}
	accepted := invite(carol)
	unanswered := invite(away)
	emu.Advance(emulator.DefaultRingTimeout)
	_ = emu.WaitIdle(ctx)
	ops := operations(s)
	for id, want := range map[string]string{
		declined:   "failed 603/0: The invitee declined the invitation.",
		accepted:   "completed 200/0: Action completed successfully.",
		unanswered: "failed 408/10057: Call timed out due to no signaling from callee endpoints.",
	} {
		op := ops[id]
		if op == nil {
			t.Errorf("no completion of %s", id)
			continue
		}
		if got := string(op.Base().Status) + " " + op.Base().ResultInfo.String(); got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
	if r := rosterOf(s, call); len(r) != 3 {
		t.Errorf("roster after the accepted invitation: %+v", r)
	}
}

// TestZeroDelaysWithoutAdvance: what takes no emulated time happens without Advance:
// a person with Behavior{} answers the bot's call before the create request is
// answered, and the notifications keep their order (establishing, established, audio
// up; v1.0/application-post-calls and testdata/notifications/call-established.json).
func TestZeroDelaysWithoutAdvance(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	start := emu.Now()
	id := dialer(t, emu, api, s.srv.URL)(bob.Identity())
	got, err := api.Calls().ByID(id).Get(ctx)
	if err != nil || got.State != calls.StateEstablished {
		t.Fatalf("right after the create: %v %s", err, got.State)
	}
	h, err := emu.Handle(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx, emulator.EventEstablished); err != nil { // over before the handle was made
		t.Fatal(err)
	}
	_ = emu.WaitIdle(ctx)
	if got := strings.Join(s.states(id), " "); got != "updated:establishing updated:established updated:established+audio:active" {
		t.Errorf("states %s", got)
	}
	if !emu.Now().Equal(start) {
		t.Errorf("the clock moved: %s", emu.Now().Sub(start))
	}
	// A person calling the bot and escalating to one who answers at once.
	emu.SetCallbackURL(s.srv.URL)
	h2, _ := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("dora", emulator.Behavior{}))
	if err := h2.Escalate(emu.AddUser("erin", emulator.Behavior{})); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Wait(ctx, emulator.EventEscalated); err != nil {
		t.Fatal(err)
	}
}

// TestVirtualClockZeroDelay: a zero-delay timer runs without Advance, timers run one at
// a time in order of due time and scheduling, and a zero-delay timer scheduled by a
// timer during Advance runs right after it, before later timers.
func TestVirtualClockZeroDelay(t *testing.T) {
	vc := emulator.NewVirtualClock(emulator.DefaultStart)
	done := make(chan struct{})
	vc.AfterFunc(0, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a zero-delay timer did not run without Advance")
	}

	var order []string
	record := func(s string) func() { return func() { order = append(order, s) } }
	vc.AfterFunc(2*time.Second, record("2s"))
	vc.AfterFunc(time.Second, func() {
		order = append(order, "1s")
		vc.AfterFunc(0, record("1s+0"))
	})
	vc.Advance(3 * time.Second)
	vc.AfterFunc(-time.Second, record("now-a"))
	vc.AfterFunc(0, record("now-b"))
	vc.RunDue()
	if want := []string{"1s", "1s+0", "2s", "now-a", "now-b"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if got := vc.Now().Sub(emulator.DefaultStart); got != 3*time.Second {
		t.Errorf("clock at %s", got)
	}
	// A cancelled timer does not run. (A zero-delay one may run on its own goroutine
	// before cancel is called, so the timer here has a delay.)
	cancel := vc.AfterFunc(time.Second, func() { t.Error("a cancelled timer ran") })
	cancel()
	vc.Advance(time.Second)
}
