package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/communications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/graphcomms/graphcomms/emulator"
)

// TestConformanceMsgraph drives the emulator with msgraph-sdk-go, Microsoft's
// generated client, through every calls and online-meetings operation the emulator
// serves, with the client's default pipeline (Kiota's default middleware: gzip
// compression of request bodies, retry, redirect, parameter-name decoding, user agent)
// and its Azure token provider, pointed at the emulator's GraphURL. Every callback the
// emulator posts is parsed with msgraph's models (the JSON parse node and
// models.CreateEntityFromDiscriminatorValue, as decodeMsgraph does: msgraph has no
// commsNotification model) and must come out as a typed call, participant, operation
// or content sharing session. It needs no corpus and no network beyond loopback.
func TestConformanceMsgraph(t *testing.T) {
	emu, err := emulator.New(emulator.Config{BotName: "Conformance bot"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	// The emulator behind a counter of gzip-encoded request bodies, to show that the
	// default pipeline's compression reached it.
	var mu sync.Mutex
	gzipped, requests := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		if r.Header.Get("Content-Encoding") == "gzip" {
			gzipped++
		}
		mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)

	cb := newCallbacks(t)
	emu.SetCallbackURL(cb.srv.URL)

	client, err := msgraphsdk.NewGraphServiceClientWithCredentialsAndHosts(emu.Credential(), nil, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	client.GetAdapter().SetBaseUrl(emu.GraphURL())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %s", what, describeErr(err))
		}
	}
	calls := client.Communications().Calls()

	bob := emu.AddUser("bob", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	alice := emu.AddUser("alice", emulator.Behavior{})

	// --- a call the bot places, and everything on it.
	call := models.NewCall()
	call.SetCallbackUri(ptr(cb.srv.URL))
	call.SetTargets([]models.InvitationParticipantInfoable{invite(bob.ID(), "Bob")})
	call.SetRequestedModalities([]models.Modality{models.AUDIO_MODALITY})
	call.SetMediaConfig(models.NewServiceHostedMediaConfig())
	opts := models.NewOutgoingCallOptions()
	opts.SetIsContentSharingNotificationEnabled(ptr(true))
	call.SetCallOptions(opts)
	created, err := calls.Post(ctx, call, nil)
	must("create call", err)
	id := deref(created.GetId())
	if s := created.GetState(); s == nil || *s != models.ESTABLISHING_CALLSTATE {
		t.Errorf("created in state %v", s)
	}
	emu.Advance(time.Second)
	c := calls.ByCallId(id)

	list, err := calls.Get(ctx, nil)
	must("list calls", err)
	if len(list.GetValue()) != 1 {
		t.Errorf("listed %d calls", len(list.GetValue()))
	}
	n, err := calls.Count().Get(ctx, nil)
	must("count calls", err)
	if n == nil || *n != 1 {
		t.Errorf("$count %v", n)
	}
	got, err := c.Get(ctx, nil)
	must("get call", err)
	if s := got.GetState(); s == nil || *s != models.ESTABLISHED_CALLSTATE {
		t.Errorf("state %v", s)
	}
	patch := models.NewCall()
	patch.SetSubject(ptr("Renamed by PATCH"))
	patched, err := c.Patch(ctx, patch, nil)
	must("patch call", err)
	if deref(patched.GetSubject()) != "Renamed by PATCH" {
		t.Errorf("patched subject %v", patched.GetSubject())
	}

	tone := communications.NewCallsItemSubscribeToTonePostRequestBody()
	tone.SetClientContext(ptr("tones"))
	_, err = c.SubscribeToTone().Post(ctx, tone, nil)
	must("subscribeToTone", err)
	play := communications.NewCallsItemPlayPromptPostRequestBody()
	play.SetPrompts([]models.Promptable{prompt("https://cdn.example.com/menu.wav")})
	play.SetClientContext(ptr("menu"))
	op, err := c.PlayPrompt().Post(ctx, play, nil)
	must("playPrompt", err)
	if deref(op.GetId()) == "" {
		t.Error("playPrompt: no operation ID")
	}
	emu.Advance(emulator.DefaultPromptDuration)
	rec := communications.NewCallsItemRecordResponsePostRequestBody()
	rec.SetMaxRecordDurationInSeconds(ptr(int32(10)))
	rec.SetStopTones([]string{"#"})
	_, err = c.RecordResponse().Post(ctx, rec, nil)
	must("recordResponse", err)
	emu.Advance(time.Minute)
	_, err = c.Mute().Post(ctx, communications.NewCallsItemMutePostRequestBody(), nil)
	must("mute", err)
	_, err = c.Unmute().Post(ctx, communications.NewCallsItemUnmutePostRequestBody(), nil)
	must("unmute", err)
	dtmf := communications.NewCallsItemSendDtmfTonesPostRequestBody()
	dtmf.SetTones([]models.Tone{models.TONE1_TONE, models.TONE2_TONE})
	_, err = c.SendDtmfTones().Post(ctx, dtmf, nil)
	must("sendDtmfTones", err)
	emu.Advance(5 * time.Second)
	_, err = c.PlayPrompt().Post(ctx, play, nil)
	must("playPrompt", err)
	_, err = c.CancelMediaProcessing().Post(ctx, communications.NewCallsItemCancelMediaProcessingPostRequestBody(), nil)
	must("cancelMediaProcessing", err)
	gallery, err := c.AddLargeGalleryView().Post(ctx, communications.NewCallsItemAddLargeGalleryViewPostRequestBody(), nil)
	must("addLargeGalleryView", err)
	role := communications.NewCallsItemChangeScreenSharingRolePostRequestBody()
	viewer := models.VIEWER_SCREENSHARINGROLE
	role.SetRole(&viewer)
	must("changeScreenSharingRole", c.ChangeScreenSharingRole().Post(ctx, role, nil))
	must("keepAlive", c.KeepAlive().Post(ctx, nil))
	status := communications.NewCallsItemUpdateRecordingStatusPostRequestBody()
	recording := models.RECORDING_RECORDINGSTATUS
	status.SetStatus(&recording)
	_, err = c.UpdateRecordingStatus().Post(ctx, status, nil)
	if code := odataCode(err); code != "8506" {
		t.Errorf("updateRecordingStatus on a plain call: %s, want Graph's 403 8506", describeErr(err))
	}

	// Participants.
	parts, err := c.Participants().Get(ctx, nil)
	must("list participants", err)
	if len(parts.GetValue()) != 2 {
		t.Fatalf("%d participants", len(parts.GetValue()))
	}
	pn, err := c.Participants().Count().Get(ctx, nil)
	must("count participants", err)
	if pn == nil || *pn != 2 {
		t.Errorf("participants $count %v", pn)
	}
	botID, bobID := deref(parts.GetValue()[0].GetId()), deref(parts.GetValue()[1].GetId())
	p, err := c.Participants().ByParticipantId(bobID).Get(ctx, nil)
	must("get participant", err)
	if u := p.GetInfo().GetIdentity().GetUser(); u == nil || deref(u.GetId()) != bob.ID() {
		t.Errorf("participant %v", deref(p.GetId()))
	}
	inv := communications.NewCallsItemParticipantsInvitePostRequestBody()
	inv.SetParticipants([]models.InvitationParticipantInfoable{invite(carol.ID(), "Carol")})
	_, err = c.Participants().Invite().Post(ctx, inv, nil)
	must("invite", err)
	emu.Advance(time.Second)
	_, err = c.Participants().ByParticipantId(bobID).Mute().Post(ctx, communications.NewCallsItemParticipantsItemMutePostRequestBody(), nil)
	must("mute participant", err)
	_, err = c.Participants().ByParticipantId(bobID).StartHoldMusic().Post(ctx, communications.NewCallsItemParticipantsItemStartHoldMusicPostRequestBody(), nil)
	must("startHoldMusic", err)
	_, err = c.Participants().ByParticipantId(bobID).StopHoldMusic().Post(ctx, communications.NewCallsItemParticipantsItemStopHoldMusicPostRequestBody(), nil)
	must("stopHoldMusic", err)

	// Audio routing groups.
	group := models.NewAudioRoutingGroup()
	group.SetId(ptr("oneToOne"))
	oneToOne := models.ONETOONE_ROUTINGMODE
	group.SetRoutingMode(&oneToOne)
	group.SetSources([]string{botID})
	group.SetReceivers([]string{bobID})
	_, err = c.AudioRoutingGroups().Post(ctx, group, nil)
	must("create audio routing group", err)
	groups, err := c.AudioRoutingGroups().Get(ctx, nil)
	must("list audio routing groups", err)
	if len(groups.GetValue()) != 1 {
		t.Errorf("%d audio routing groups", len(groups.GetValue()))
	}
	g, err := c.AudioRoutingGroups().ByAudioRoutingGroupId("oneToOne").Get(ctx, nil)
	must("get audio routing group", err)
	if m := g.GetRoutingMode(); m == nil || *m != models.ONETOONE_ROUTINGMODE {
		t.Errorf("routing mode %v", m)
	}
	gpatch := models.NewAudioRoutingGroup()
	gpatch.SetReceivers([]string{bobID, botID})
	g, err = c.AudioRoutingGroups().ByAudioRoutingGroupId("oneToOne").Patch(ctx, gpatch, nil)
	must("patch audio routing group", err)
	if len(g.GetReceivers()) != 2 {
		t.Errorf("patched receivers %v", g.GetReceivers())
	}
	must("delete audio routing group", c.AudioRoutingGroups().ByAudioRoutingGroupId("oneToOne").Delete(ctx, nil))

	// Content sharing.
	h, err := emu.Handle(id)
	must("handle", err)
	sid, err := h.StartSharing()
	must("start sharing", err)
	sessions, err := c.ContentSharingSessions().Get(ctx, nil)
	must("list content sharing sessions", err)
	if len(sessions.GetValue()) != 1 {
		t.Errorf("%d sessions", len(sessions.GetValue()))
	}
	session, err := c.ContentSharingSessions().ByContentSharingSessionId(sid).Get(ctx, nil)
	must("get content sharing session", err)
	if deref(session.GetId()) != sid {
		t.Errorf("session %v", session.GetId())
	}
	must("stop sharing", h.StopSharing(sid))

	// Operations.
	ops, err := c.Operations().Get(ctx, nil)
	must("list operations", err)
	if len(ops.GetValue()) < 10 {
		t.Errorf("%d operations", len(ops.GetValue()))
	}
	for _, o := range ops.GetValue() {
		if _, generic := o.(*models.CommsOperation); generic && deref(o.GetOdataType()) != "#microsoft.graph.commsOperation" {
			t.Errorf("operation %s read as a plain commsOperation", deref(o.GetOdataType()))
		}
	}
	gotOp, err := c.Operations().ByCommsOperationId(deref(gallery.GetId())).Get(ctx, nil)
	must("get operation", err)
	if _, ok := gotOp.(models.AddLargeGalleryViewOperationable); !ok {
		t.Errorf("operation read as %T", gotOp)
	}
	must("delete operation", c.Operations().ByCommsOperationId(deref(gallery.GetId())).Delete(ctx, nil))

	must("delete participant", c.Participants().ByParticipantId(bobID).Delete(ctx, nil))
	quality := communications.NewCallsLogTeleconferenceDeviceQualityPostRequestBody()
	quality.SetQuality(deviceQuality())
	must("logTeleconferenceDeviceQuality", calls.LogTeleconferenceDeviceQuality().Post(ctx, quality, nil))
	must("hang up", c.Delete(ctx, nil))

	// A route the emulator does not serve gets Graph's error, which msgraph maps to
	// an ODataError.
	_, err = c.Participants().Post(ctx, models.NewParticipant(), nil)
	if code := odataCode(err); code != "MethodNotAllowed" {
		t.Errorf("POST participants: %s, want a 405 ODataError", describeErr(err))
	}

	// --- incoming calls: answer, reject, redirect, transfer.
	incoming := func() *communications.CallsCallItemRequestBuilder {
		t.Helper()
		hi, err := alice.CallBot()
		must("incoming call", err)
		return calls.ByCallId(hi.ID())
	}
	answer := func(c *communications.CallsCallItemRequestBuilder) {
		t.Helper()
		a := communications.NewCallsItemAnswerPostRequestBody()
		a.SetCallbackUri(ptr(cb.srv.URL))
		a.SetAcceptedModalities([]models.Modality{models.AUDIO_MODALITY})
		a.SetMediaConfig(models.NewServiceHostedMediaConfig())
		must("answer", c.Answer().Post(ctx, a, nil))
	}
	answered := incoming()
	answer(answered)
	tr := communications.NewCallsItemTransferPostRequestBody()
	tr.SetTransferTarget(invite(bob.ID(), "Bob"))
	must("transfer", answered.Transfer().Post(ctx, tr, nil))
	rj := communications.NewCallsItemRejectPostRequestBody()
	none := models.NONE_REJECTREASON
	rj.SetReason(&none)
	must("reject", incoming().Reject().Post(ctx, rj, nil))
	// A compliance-recording invitation, on which updateRecordingStatus succeeds.
	hc, err := alice.StartComplianceRecording(bob)
	must("compliance recording invitation", err)
	answer(calls.ByCallId(hc.ID()))
	_, err = calls.ByCallId(hc.ID()).UpdateRecordingStatus().Post(ctx, status, nil)
	must("updateRecordingStatus on a compliance call", err)
	must("hang up the recording", hc.HangUp())
	rd := communications.NewCallsItemRedirectPostRequestBody()
	rd.SetTargets([]models.InvitationParticipantInfoable{invite(bob.ID(), "Bob")})
	must("redirect", incoming().Redirect().Post(ctx, rd, nil))

	// --- online meetings.
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	meetings := client.Users().ByUserId(olivia.ID()).OnlineMeetings()
	start := time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)
	om := models.NewOnlineMeeting()
	om.SetSubject(ptr("Conformance meeting"))
	om.SetStartDateTime(&start)
	end := start.Add(30 * time.Minute)
	om.SetEndDateTime(&end)
	mps := models.NewMeetingParticipants()
	att := models.NewMeetingParticipantInfo()
	att.SetIdentity(identity(carol.ID(), "Carol"))
	att.SetUpn(ptr("carol@contoso.example"))
	mps.SetAttendees([]models.MeetingParticipantInfoable{att})
	om.SetParticipants(mps)
	meeting, err := meetings.Post(ctx, om, nil)
	must("create meeting", err)
	mid := deref(meeting.GetId())
	if s := meeting.GetStartDateTime(); s == nil || !s.Equal(start) {
		t.Errorf("start %v", s)
	}
	if o := meeting.GetParticipants().GetOrganizer(); o == nil || deref(o.GetIdentity().GetUser().GetId()) != olivia.ID() {
		t.Errorf("organizer %v", o)
	}
	if len(meeting.GetParticipants().GetAttendees()) != 1 {
		t.Errorf("attendees %v", meeting.GetParticipants().GetAttendees())
	}
	_, err = meetings.ByOnlineMeetingId(mid).Get(ctx, nil)
	must("get meeting", err)
	mpatch := models.NewOnlineMeeting()
	mpatch.SetSubject(ptr("Patched"))
	mp, err := meetings.ByOnlineMeetingId(mid).Patch(ctx, mpatch, nil)
	must("patch meeting", err)
	if deref(mp.GetSubject()) != "Patched" || len(mp.GetParticipants().GetAttendees()) != 1 {
		t.Errorf("patched meeting %v", mp.GetSubject())
	}
	filter := func(expr string) []models.OnlineMeetingable {
		t.Helper()
		page, err := meetings.Get(ctx, &users.ItemOnlineMeetingsRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemOnlineMeetingsRequestBuilderGetQueryParameters{Filter: &expr}})
		must("filter "+expr, err)
		return page.GetValue()
	}
	if got := filter("JoinWebUrl eq '" + strings.ReplaceAll(deref(meeting.GetJoinWebUrl()), "'", "''") + "'"); len(got) != 1 || deref(got[0].GetId()) != mid {
		t.Errorf("by join URL: %d", len(got))
	}
	if got := filter("joinMeetingIdSettings/joinMeetingId eq '" + deref(meeting.GetJoinMeetingIdSettings().GetJoinMeetingId()) + "'"); len(got) != 1 {
		t.Errorf("by join meeting ID: %d", len(got))
	}
	vtc := "VideoTeleconferenceId eq '" + deref(meeting.GetVideoTeleconferenceId()) + "'"
	byVTC, err := client.Communications().OnlineMeetings().Get(ctx, &communications.OnlineMeetingsRequestBuilderGetRequestConfiguration{
		QueryParameters: &communications.OnlineMeetingsRequestBuilderGetQueryParameters{Filter: &vtc}})
	must("filter by VTC ID", err)
	if len(byVTC.GetValue()) != 1 {
		t.Errorf("by VTC ID: %d", len(byVTC.GetValue()))
	}
	if got, err := client.Communications().OnlineMeetings().ByOnlineMeetingId(mid).Get(ctx, nil); err != nil || deref(got.GetId()) != mid {
		t.Errorf("GET /communications/onlineMeetings/{id}: %s", describeErr(err))
	}
	bad := "subject eq 'x'"
	_, err = meetings.Get(ctx, &users.ItemOnlineMeetingsRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemOnlineMeetingsRequestBuilderGetQueryParameters{Filter: &bad}})
	if code := odataCode(err); code != "InvalidArgument" {
		t.Errorf("unsupported filter: %s", describeErr(err))
	}
	cog := users.NewItemOnlineMeetingsCreateOrGetPostRequestBody()
	cog.SetExternalId(ptr("7eb8263f-d0e0-4149-bb1c-1f0476083c56"))
	cog.SetSubject(ptr("Create or get"))
	first, err := meetings.CreateOrGet().Post(ctx, cog, nil)
	must("createOrGet", err)
	again, err := meetings.CreateOrGet().Post(ctx, cog, nil)
	must("createOrGet again", err)
	if deref(first.GetId()) != deref(again.GetId()) {
		t.Error("createOrGet made a second meeting")
	}
	mine, err := client.Me().OnlineMeetings().Post(ctx, models.NewOnlineMeeting(), nil)
	must("create meeting on /me", err)
	_ = mine

	// A bot in the meeting gets rosters; attendance is reported once everybody left.
	m := emuMeeting(t, emu, mid)
	join := models.NewCall()
	join.SetCallbackUri(ptr(cb.srv.URL))
	join.SetRequestedModalities([]models.Modality{models.AUDIO_MODALITY})
	join.SetMediaConfig(models.NewServiceHostedMediaConfig())
	chat := models.NewChatInfo()
	chat.SetThreadId(ptr(m.ThreadID()))
	chat.SetMessageId(ptr("0"))
	join.SetChatInfo(chat)
	mi := models.NewOrganizerMeetingInfo()
	mi.SetOrganizer(identity(olivia.ID(), "Olivia"))
	join.SetMeetingInfo(mi)
	joined, err := calls.Post(ctx, join, nil)
	must("join meeting", err)
	emu.Advance(time.Second)
	olivia.Join(m)
	emu.Advance(time.Minute)
	carol.Join(m)
	emu.Advance(time.Minute)
	carol.Leave(m)
	olivia.Leave(m)
	must("leave meeting", calls.ByCallId(deref(joined.GetId())).Delete(ctx, nil))
	reports := meetings.ByOnlineMeetingId(mid).AttendanceReports()
	rs, err := reports.Get(ctx, nil)
	must("list attendance reports", err)
	if len(rs.GetValue()) != 1 {
		t.Fatalf("%d attendance reports", len(rs.GetValue()))
	}
	rid := deref(rs.GetValue()[0].GetId())
	withRecords, err := reports.ByMeetingAttendanceReportId(rid).Get(ctx, &users.ItemOnlineMeetingsItemAttendanceReportsMeetingAttendanceReportItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemOnlineMeetingsItemAttendanceReportsMeetingAttendanceReportItemRequestBuilderGetQueryParameters{Expand: []string{"attendanceRecords"}}})
	must("get attendance report", err)
	if len(withRecords.GetAttendanceRecords()) != 2 || deref(withRecords.GetTotalParticipantCount()) != 2 {
		t.Errorf("report: %d records", len(withRecords.GetAttendanceRecords()))
	}
	records, err := reports.ByMeetingAttendanceReportId(rid).AttendanceRecords().Get(ctx, nil)
	must("list attendance records", err)
	if len(records.GetValue()) != 2 || deref(records.GetValue()[0].GetTotalAttendanceInSeconds()) != 120 {
		t.Errorf("records %d", len(records.GetValue()))
	}
	must("delete meeting", meetings.ByOnlineMeetingId(mid).Delete(ctx, nil))
	if _, err := meetings.ByOnlineMeetingId(mid).Get(ctx, nil); odataCode(err) != "itemNotFound" {
		t.Errorf("deleted meeting: %s", describeErr(err))
	}

	// --- every callback, through msgraph's models.
	emu.Advance(time.Hour)
	must("wait for callbacks", emu.WaitIdle(ctx))
	kinds, problems := cb.result()
	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range []string{"call", "participant[]", "#microsoft.graph.playPromptOperation", "#microsoft.graph.recordOperation",
		"#microsoft.graph.sendDtmfTonesOperation", "#microsoft.graph.inviteParticipantsOperation", "#microsoft.graph.startHoldMusicOperation",
		"#microsoft.graph.addLargeGalleryViewOperation", "#microsoft.graph.updateRecordingStatusOperation", "contentSharingSession[]"} {
		if kinds[want] == 0 {
			t.Errorf("no %s callback was parsed", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if gzipped == 0 {
		t.Errorf("none of %d requests had a gzip-encoded body: the default pipeline was not exercised", requests)
	}
	var names []string
	for k, n := range kinds {
		names = append(names, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(names)
	t.Logf("%d requests (%d with gzip bodies); callbacks parsed with msgraph's models: %s", requests, gzipped, strings.Join(names, " "))
}

// callbacks is the bot's callback endpoint: it parses every notification with msgraph's
// models and keeps what it read.
type callbacks struct {
	srv      *httptest.Server
	mu       sync.Mutex
	kinds    map[string]int
	problems []string
}

func newCallbacks(t *testing.T) *callbacks {
	cb := &callbacks{kinds: map[string]int{}}
	cb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb.read(body, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(cb.srv.Close)
	return cb
}

func (cb *callbacks) read(body []byte, authorization string) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	fail := func(format string, args ...any) {
		cb.problems = append(cb.problems, fmt.Sprintf(format, args...)+"\n"+string(body))
	}
	if !strings.HasPrefix(authorization, "Bearer ") {
		fail("a callback without a bearer token")
	}
	notes, err := decodeMsgraph(body)
	if err != nil || len(notes) == 0 {
		fail("msgraph cannot read the callback: %v", err)
		return
	}
	for _, x := range notes {
		n := x.(*mgNotification)
		if n.changeType == "" || n.resourceURL == "" {
			fail("no changeType or resourceUrl")
		}
		array := len(n.data) > 1 || strings.HasSuffix(n.resourceURL, "/participants") || strings.HasSuffix(n.resourceURL, "/contentsharingsessions")
		for _, d := range n.data {
			kind, err := typed(d, n.changeType)
			if err != nil {
				fail("%s: %v", n.resourceURL, err)
				continue
			}
			if array {
				kind += "[]"
			}
			cb.kinds[kind]++
		}
	}
}

// typed names what msgraph's discriminator made of a resourceData, failing for what it
// could not type. The concrete types are matched (ContentSharingSessionable has no
// member of its own, so every entity implements it). A deleted call may carry no state:
// the rejected call's end has only @odata.type and @odata.id, as
// v1.0/call-reject/06-notification.json.
func typed(v abstractions.Parsable, changeType string) (string, error) {
	switch x := v.(type) {
	case *models.Call:
		if x.GetState() == nil && changeType != "deleted" {
			return "", errors.New("a call without a state msgraph can read")
		}
		return "call", nil
	case *models.Participant:
		if x.GetInfo() == nil || x.GetInfo().GetIdentity() == nil {
			return "", errors.New("a participant without info.identity")
		}
		return "participant", nil
	case *models.ContentSharingSession:
		return "contentSharingSession", nil
	case models.CommsOperationable:
		t := deref(x.GetOdataType())
		if t == "" || x.GetId() == nil {
			return "", errors.New("an operation without @odata.type or id")
		}
		if ri := x.GetResultInfo(); ri != nil && (ri.GetCode() == nil || ri.GetSubcode() == nil) {
			return "", fmt.Errorf("%s: resultInfo without code or subcode", t)
		}
		return t, nil
	}
	return "", fmt.Errorf("msgraph read resourceData as %T", v)
}

func emuMeeting(t *testing.T, emu *emulator.Emulator, id string) *emulator.Meeting {
	t.Helper()
	all := emu.Meetings()
	i := slices.IndexFunc(all, func(m *emulator.Meeting) bool { return m.ID() == id })
	if i < 0 {
		t.Fatalf("no meeting %s in the emulator", id)
	}
	return all[i]
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func identity(id, name string) models.IdentitySetable {
	ids := models.NewIdentitySet()
	u := models.NewIdentity()
	u.SetId(&id)
	u.SetDisplayName(&name)
	ids.SetUser(u)
	return ids
}

func invite(id, name string) models.InvitationParticipantInfoable {
	inv := models.NewInvitationParticipantInfo()
	inv.SetIdentity(identity(id, name))
	return inv
}

func prompt(uri string) models.Promptable {
	p := models.NewMediaPrompt()
	info := models.NewMediaInfo()
	info.SetUri(&uri)
	p.SetMediaInfo(info)
	return p
}

func deviceQuality() models.TeleconferenceDeviceQualityable {
	q := models.NewTeleconferenceDeviceQuality()
	for _, s := range []struct {
		set func(*string)
		v   string
	}{{q.SetDeviceName, "TestAgent"}, {q.SetDeviceDescription, "TestDescription"}} {
		s.set(ptr(s.v))
	}
	for _, u := range []struct {
		set func(*uuid.UUID)
		v   string
	}{{q.SetCallChainId, "0622673d-9f69-49b3-9d4f-5ec64f42ecce"}, {q.SetParticipantId, "ea078406-b5d4-4d3c-b85e-90103dcec7f6"},
		{q.SetMediaLegId, "bd9ee398-4b9d-42c7-8b8d-4e8efad9435f"}} {
		id := uuid.MustParse(u.v)
		u.set(&id)
	}
	audio := models.NewTeleconferenceDeviceAudioQuality()
	audio.SetChannelIndex(ptr(int32(1)))
	q.SetMediaQualityList([]models.TeleconferenceDeviceMediaQualityable{audio})
	return q
}

// odataCode returns the Graph error code of an msgraph error ("" for none).
func odataCode(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		return deref(oe.GetErrorEscaped().GetCode())
	}
	return ""
}

func describeErr(err error) string {
	if err == nil {
		return "no error"
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		return fmt.Sprintf("%d %s: %s", oe.ResponseStatusCode, deref(oe.GetErrorEscaped().GetCode()), deref(oe.GetErrorEscaped().GetMessage()))
	}
	return err.Error()
}

// result returns how many resourceData of each kind were read, and what went wrong.
func (cb *callbacks) result() (map[string]int, []string) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return maps.Clone(cb.kinds), slices.Clone(cb.problems)
}
