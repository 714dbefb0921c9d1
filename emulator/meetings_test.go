package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/participants"
)

func meetingsAPI(t *testing.T, emu *emulator.Server) *meetings.API {
	t.Helper()
	adapter, err := emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return meetings.NewAPI(adapter)
}

// meetingDocs are the docs' onlineMeeting responses: every path an emulated meeting
// has must be in one of them.
var meetingDocs = []string{
	"v1.0/application-post-onlinemeetings/02-response.json", "v1.0/application-post-onlinemeetings/07-response.json",
	"v1.0/onlinemeeting-get/03-response.json", "v1.0/onlinemeeting-update/02-response.json",
	"v1.0/onlinemeeting-update/04-response.txt", "v1.0/onlinemeeting-createorget/02-response.txt",
}

// sameMeetingShape checks an onlineMeeting body against the union of meetingDocs.
// Attendees are not checked: they are returned as the bot sent them. Nor is an
// application organizer, which only a meeting created on /me has (Graph serves /me to
// delegated user tokens only; the emulator's token is the app's, which it makes the
// organizer).
func sameMeetingShape(t *testing.T, got []byte) {
	t.Helper()
	docs := map[string]bool{}
	for _, f := range meetingDocs {
		shape(docJSON(t, f), "$", docs, map[string]map[string]bool{})
	}
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	shape(v, "$", paths, map[string]map[string]bool{})
	for p := range paths {
		p = strings.Replace(p, "$.value[]", "$", 1)
		if !docs[p] && !strings.HasPrefix(p, "$.participants.attendees[]") && !strings.HasPrefix(p, "$.participants.organizer.identity.application.") {
			t.Errorf("the emulator writes %s, which no onlineMeeting response in the docs has", p)
		}
	}
}

// TestMeetingFilters follows onlinemeeting-get: on /me and /users/{id},
// $filter=JoinWebUrl eq '...' (example 3) and joinMeetingIdSettings/joinMeetingId eq
// '...' (example 4); on /communications/onlineMeetings, VideoTeleconferenceId eq '...'
// (example 1; "we currently only support filtering by VTC Id", microsoft-graph-docs#7765).
// Property names match case-insensitively; any other property, or a malformed filter,
// gets Graph's 400 InvalidArgument, "Filter expression expected ..."
// (msgraph-sdk-dotnet#2492). The filter names its property: a join URL given as
// subject finds nothing.
func TestMeetingFilters(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	mapi := meetingsAPI(t, emu)
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	m1, m2 := emu.NewMeeting("One", olivia), emu.NewMeeting("Two", olivia)
	user := mapi.User(olivia.ID()).OnlineMeetings()
	ids := func(page []meetings.OnlineMeeting) []string {
		var out []string
		for _, m := range page {
			out = append(out, m.ID)
		}
		return out
	}
	got, err := user.ByJoinWebURL(m2.JoinWebURL()).Get(ctx)
	if err != nil || !slices.Equal(ids(got.Value), []string{m2.ID()}) {
		t.Errorf("by join URL: %v %v", err, got)
	}
	joinID, _ := m1.JoinMeetingID()
	if got, err := user.ByJoinMeetingID(joinID).Get(ctx); err != nil || !slices.Equal(ids(got.Value), []string{m1.ID()}) {
		t.Errorf("by join meeting ID: %v %v", err, got)
	}
	if got, err := mapi.Communications().ByVideoTeleconferenceID(m2.VideoTeleconferenceID()).Get(ctx); err != nil ||
		!slices.Equal(ids(got.Value), []string{m2.ID()}) || got.Value[0].VideoTeleconferenceID != m2.VideoTeleconferenceID() {
		t.Errorf("by VTC ID: %v %v", err, got)
	}
	if got, err := mapi.Me().OnlineMeetings().Filter("joinweburl eq '" + m1.JoinWebURL() + "'").Get(ctx); err != nil || len(got.Value) != 1 {
		t.Errorf("lower-case property name: %v %v", err, got)
	}
	// Example 3 writes the URL encoded once more inside the quotes.
	path := "/users/" + olivia.ID() + "/onlineMeetings?$filter=" + url.QueryEscape("JoinWebUrl eq '"+url.QueryEscape(m1.JoinWebURL())+"'")
	if status, _, b := graphCall(t, emu, http.MethodGet, path, nil, nil); status != 200 || !strings.Contains(string(b), m1.ID()) {
		t.Errorf("URL-encoded join URL: %d %s", status, b)
	}
	if got, err := user.ByJoinMeetingID("000").Get(ctx); err != nil || len(got.Value) != 0 {
		t.Errorf("no match: %v %v", err, got)
	}
	for _, tc := range []struct{ path, filter string }{
		{"/users/" + olivia.ID() + "/onlineMeetings", "subject eq '" + m1.JoinWebURL() + "'"},
		{"/users/" + olivia.ID() + "/onlineMeetings", "VideoTeleconferenceId eq '" + m1.VideoTeleconferenceID() + "'"},
		{"/communications/onlineMeetings/", "JoinWebUrl eq '" + m1.JoinWebURL() + "'"},
		{"/me/onlineMeetings", "JoinWebUrl ne 'x'"},
		{"/me/onlineMeetings", "JoinWebUrl eq x"},
		{"/me/onlineMeetings", ""},
	} {
		status, _, b := graphCall(t, emu, http.MethodGet, tc.path+"?$filter="+url.QueryEscape(tc.filter), nil, nil)
		if code, msg := errorOf(t, b); status != http.StatusBadRequest || code != "InvalidArgument" || !strings.HasPrefix(msg, "Filter expression expected") {
			t.Errorf("%s %q: %d %s", tc.path, tc.filter, status, b)
		}
	}
}

// TestMeetingKeepsWhatItWasCreatedWith: a meeting created on /users/{id} keeps and
// returns every member the bot sent, start and end (in UTC) and participants
// included, with participants.organizer set to that user (role presenter), as
// application-post-onlinemeetings/07 shows; on /me the organizer is the bot's
// application (the emulator's token is the app's). Every path written is in the docs'
// onlineMeeting responses.
func TestMeetingKeepsWhatItWasCreatedWith(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	mapi := meetingsAPI(t, emu)
	olivia, carol := emu.AddUser("olivia", emulator.Behavior{}), emu.AddUser("carol", emulator.Behavior{})
	start := time.Date(2026, 3, 2, 14, 30, 0, 0, time.FixedZone("-07:00", -7*3600))
	yes := true
	req := &meetings.OnlineMeeting{Subject: "Planning", StartDateTime: start, EndDateTime: start.Add(30 * time.Minute),
		Participants:          meetings.MeetingParticipants{Attendees: []meetings.MeetingParticipantInfo{{Identity: carol.Identity(), UPN: "carol@contoso.example", Role: meetings.RoleAttendee}}},
		JoinMeetingIDSettings: meetings.JoinMeetingIDSettings{IsPasscodeRequired: &yes}, AllowedPresenters: meetings.PresentersOrganization}
	m, err := mapi.User(olivia.ID()).OnlineMeetings().Post(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, m *meetings.OnlineMeeting) {
		t.Helper()
		if !m.StartDateTime.Equal(start) || m.StartDateTime.Location() != time.UTC || !m.EndDateTime.Equal(start.Add(30*time.Minute)) {
			t.Errorf("%s: start %v end %v", what, m.StartDateTime, m.EndDateTime)
		}
		org := m.Participants.Organizer
		if org.Identity.User == nil || org.Identity.User.ID != olivia.ID() || org.Role != meetings.RolePresenter {
			t.Errorf("%s: organizer %+v", what, org)
		}
		if len(m.Participants.Attendees) != 1 || m.Participants.Attendees[0].UPN != "carol@contoso.example" || m.Participants.Attendees[0].Identity.User.ID != carol.ID() {
			t.Errorf("%s: attendees %+v", what, m.Participants.Attendees)
		}
		if m.AllowedPresenters != meetings.PresentersOrganization || m.JoinMeetingIDSettings.IsPasscodeRequired == nil || m.JoinMeetingIDSettings.JoinMeetingID == "" ||
			m.VideoTeleconferenceID == "" || m.Subject != "Planning" || !strings.Contains(m.JoinWebURL, olivia.ID()) {
			t.Errorf("%s: %+v", what, m)
		}
	}
	check("created", m)
	got, err := mapi.User(olivia.ID()).OnlineMeetings().ByID(m.ID).Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("got", got)
	_, _, b := graphCall(t, emu, http.MethodGet, "/users/"+olivia.ID()+"/onlineMeetings/"+m.ID, nil, nil)
	sameMeetingShape(t, b)

	mine, err := mapi.Me().OnlineMeetings().Post(ctx, &meetings.OnlineMeeting{Subject: "Mine"})
	if err != nil {
		t.Fatal(err)
	}
	if app := mine.Participants.Organizer.Identity.Application; app == nil || app.ID != emu.AppID() {
		t.Errorf("/me organizer %+v", mine.Participants.Organizer)
	}
	// No start and end: the creation time and an hour later (the emulator's choice).
	if !mine.StartDateTime.Equal(emu.Now()) || mine.EndDateTime.Sub(mine.StartDateTime) != time.Hour {
		t.Errorf("default times %v %v", mine.StartDateTime, mine.EndDateTime)
	}
	// createOrGet keeps its members too, and finds the meeting again by externalId.
	cog := &meetings.CreateOrGetRequest{ExternalID: "7eb8263f", Subject: "Recurring", StartDateTime: start, EndDateTime: start.Add(time.Hour),
		Participants: meetings.MeetingParticipants{Attendees: []meetings.MeetingParticipantInfo{{Identity: carol.Identity()}}}}
	first, err := mapi.User(olivia.ID()).OnlineMeetings().CreateOrGet().Post(ctx, cog)
	if err != nil || first.ExternalID != "7eb8263f" || len(first.Participants.Attendees) != 1 || !first.StartDateTime.Equal(start) {
		t.Fatalf("createOrGet: %v %+v", err, first)
	}
	again, err := mapi.User(olivia.ID()).OnlineMeetings().CreateOrGet().Post(ctx, cog)
	if err != nil || again.ID != first.ID {
		t.Errorf("createOrGet again: %v %+v", err, again)
	}
	_, _, b = graphCall(t, emu, http.MethodGet, "/users/"+olivia.ID()+"/onlineMeetings/"+first.ID, nil, nil)
	sameMeetingShape(t, b)
}

// TestMeetingPatchAndDelete follows onlinemeeting-update (the body of
// v1.0/onlinemeeting-update/01 answered as 02: 200, the subject changed, start and end
// in UTC; 03's lobbyBypassSettings merged into the meeting, as 04 shows) and
// onlinemeeting-delete (204; the meeting is gone). Start and end must be sent together
// (reference §1.2), else 400.
func TestMeetingPatchAndDelete(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	mapi := meetingsAPI(t, emu)
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	scope := meetings.LobbyBypassOrganization
	m, err := mapi.Me().OnlineMeetings().Post(ctx, &meetings.OnlineMeeting{Subject: "Before", LobbyBypassSettings: meetings.LobbyBypassSettings{Scope: scope}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/me/onlineMeetings/" + m.ID
	status, _, b := graphCall(t, emu, http.MethodPatch, path, []byte(`{"startDateTime":"2020-09-09T14:33:30.8546353-07:00","endDateTime":"2020-09-09T15:03:30.8566356-07:00","subject":"Patch Meeting Subject"}`), nil)
	var got meetings.OnlineMeeting
	if err := json.Unmarshal(b, &got); status != 200 || err != nil || got.Subject != "Patch Meeting Subject" ||
		got.StartDateTime.Format(time.RFC3339Nano) != "2020-09-09T21:33:30.8546353Z" || got.ID != m.ID {
		t.Fatalf("patch 01: %d %s", status, b)
	}
	sameMeetingShape(t, b)
	status, _, b = graphCall(t, emu, http.MethodPatch, path, []byte(`{"lobbyBypassSettings":{"isDialInBypassEnabled":true}}`), nil)
	if err := json.Unmarshal(b, &got); status != 200 || err != nil || got.LobbyBypassSettings.Scope != scope ||
		got.LobbyBypassSettings.IsDialInBypassEnabled == nil || !*got.LobbyBypassSettings.IsDialInBypassEnabled || got.Subject != "Patch Meeting Subject" {
		t.Fatalf("patch 03: %d %s", status, b)
	}
	if status, _, b := graphCall(t, emu, http.MethodPatch, path, []byte(`{"startDateTime":"2020-09-09T14:33:30Z"}`), nil); status != http.StatusBadRequest {
		t.Errorf("start without end: %d %s", status, b)
	}
	// Attendees are replaced by the list sent; read-only members are kept.
	carol := emu.AddUser("carol", emulator.Behavior{})
	patched, err := mapi.Me().OnlineMeetings().ByID(m.ID).Patch(ctx, &meetings.OnlineMeeting{JoinWebURL: "https://example.com/x",
		Participants: meetings.MeetingParticipants{Attendees: []meetings.MeetingParticipantInfo{{Identity: carol.Identity()}}}})
	if err != nil || len(patched.Participants.Attendees) != 1 || patched.JoinWebURL != m.JoinWebURL || patched.Participants.Organizer.Identity.Application == nil {
		t.Fatalf("SDK patch: %v %+v", err, patched)
	}
	if err := mapi.Me().OnlineMeetings().ByID(m.ID).Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mapi.Me().OnlineMeetings().ByID(m.ID).Get(ctx); !graph.IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
	if got, err := mapi.Me().OnlineMeetings().ByJoinWebURL(m.JoinWebURL).Get(ctx); err != nil || len(got.Value) != 0 {
		t.Errorf("filter after delete: %v %+v", err, got)
	}
	_ = olivia
}

// TestAttendanceReports: a meeting session (from the first person in to the last one
// out, in emulated time) makes an attendance report, listed as
// meetingattendancereport-list/02 shows (records as []), got with
// $expand=attendanceRecords as meetingattendancereport-get/02 and without as /04,
// its records listed as attendancerecord-list/02. The roles (Organizer, Attendee) and
// email addresses are the emulator's (see attendance.go).
func TestAttendanceReports(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	mapi := meetingsAPI(t, emu)
	olivia, carol := emu.AddUser("olivia", emulator.Behavior{}), emu.AddUser("carol", emulator.Behavior{})
	m := emu.NewMeeting("Review", olivia)
	olivia.Join(m)
	emu.Advance(time.Minute)
	carol.WaitInLobby(m)
	emu.Advance(30 * time.Second)
	m.Admit(carol)
	emu.Advance(2 * time.Minute)
	carol.Leave(m)
	emu.Advance(time.Minute)
	olivia.Leave(m)
	// A second session.
	emu.Advance(time.Hour)
	carol.Join(m)
	emu.Advance(10 * time.Second)
	carol.Leave(m)

	reports := mapi.User(olivia.ID()).OnlineMeetings().ByID(m.ID()).AttendanceReports()
	list, err := reports.Get(ctx)
	if err != nil || len(list.Value) != 2 || list.Value[1].TotalParticipantCount != 2 || list.Value[0].TotalParticipantCount != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	first := list.Value[1]
	if !first.MeetingStartDateTime.Equal(emulator.DefaultStart) || first.MeetingEndDateTime.Sub(first.MeetingStartDateTime) != 4*time.Minute+30*time.Second {
		t.Errorf("first session %v to %v", first.MeetingStartDateTime, first.MeetingEndDateTime)
	}
	base := "/users/" + olivia.ID() + "/onlineMeetings/" + m.ID() + "/attendanceReports"
	_, _, b := graphCall(t, emu, http.MethodGet, base, nil, nil)
	sameShape(t, b, "v1.0/meetingattendancereport-list/02-response.json", true)
	_, _, b = graphCall(t, emu, http.MethodGet, base+"/"+first.ID+"?$expand=attendanceRecords", nil, nil)
	sameShape(t, b, "v1.0/meetingattendancereport-get/02-response.json", true)
	_, _, b = graphCall(t, emu, http.MethodGet, base+"/"+first.ID, nil, nil)
	sameShape(t, b, "v1.0/meetingattendancereport-get/04-response.json", true)
	_, _, b = graphCall(t, emu, http.MethodGet, base+"/"+first.ID+"/attendanceRecords", nil, nil)
	sameShape(t, b, "v1.0/attendancerecord-list/02-response.json", true)
	if status, _, _ := graphCall(t, emu, http.MethodGet, base+"/"+first.ID+"?$expand=nothing", nil, nil); status != http.StatusBadRequest {
		t.Errorf("$expand=nothing: %d", status)
	}

	withRecords, err := reports.ByID(first.ID).GetWithRecords(ctx)
	if err != nil || len(withRecords.AttendanceRecords) != 2 {
		t.Fatalf("with records: %v %+v", err, withRecords)
	}
	org, att := withRecords.AttendanceRecords[0], withRecords.AttendanceRecords[1]
	if org.Role != "Organizer" || org.TotalAttendanceInSeconds != 270 || org.Identity.ID != olivia.ID() || org.EmailAddress != "olivia@emulator.example" {
		t.Errorf("organizer's record %+v", org)
	}
	// Carol's time in the lobby does not count.
	if att.Role != "Attendee" || att.TotalAttendanceInSeconds != 120 || len(att.AttendanceIntervals) != 1 || att.AttendanceIntervals[0].DurationInSeconds != 120 {
		t.Errorf("attendee's record %+v", att)
	}
	records, err := reports.ByID(first.ID).AttendanceRecords().Get(ctx)
	if err != nil || len(records.Value) != 2 {
		t.Errorf("records: %v %+v", err, records)
	}
	if _, err := reports.ByID("nope").Get(ctx); !graph.IsNotFound(err) {
		t.Errorf("unknown report: %v", err)
	}
	_ = participants.Identity{}
}
