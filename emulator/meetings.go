package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/participants"
)

// Meeting is an emulated Teams meeting. People join and leave it; bots join it with a
// call.
type Meeting struct {
	e        *Emulator
	id       string
	threadID string
	joinID   string
	passcode string
	vtcID    string // videoTeleconferenceId
	subject  string
	// organizer is the organizer's ID (a user's, or the app's for a meeting created on
	// /me), the Oid of the join URL; org is their identity.
	organizer string
	org       participants.IdentitySet
	external  string
	created   time.Time
	// req is the meeting as the bot created or last patched it: every member it sent
	// is kept and returned (the emulator's own members override it in resource).
	req     meetings.OnlineMeeting
	members []*Person
	// lobby holds the members waiting in the lobby (WaitInLobby) until Admit.
	lobby map[*Person]bool
	calls []*call // bot calls in the meeting
	att   attendance
}

// NewMeeting creates a meeting organised by a user of the emulated tenant.
func (e *Emulator) NewMeeting(subject string, organizer *Person) *Meeting {
	e.mu.Lock()
	defer e.mu.Unlock()
	var org participants.IdentitySet
	if organizer != nil {
		org = organizer.Identity()
	}
	return e.newMeetingLocked(subject, org, "")
}

func (e *Emulator) newMeetingLocked(subject string, org participants.IdentitySet, externalID string) *Meeting {
	id := e.newID()
	m := &Meeting{e: e, id: id, subject: subject, organizer: identityID(org), org: org, external: externalID, created: e.clock.Now(),
		threadID: "19:meeting_" + strings.ReplaceAll(id, "-", "") + "@thread.v2",
		joinID:   fmt.Sprintf("%012d", e.rng.Uint64()%1_000_000_000_000), passcode: fmt.Sprintf("%06d", e.rng.Uint32()%1_000_000),
		vtcID: fmt.Sprintf("%010d", e.rng.Uint64()%10_000_000_000)}
	e.meetings[m.id] = m
	e.record(EventMeetingCreated, "", "", "meeting "+subject+" created", map[string]string{"joinWebUrl": m.JoinWebURL()})
	return m
}

// identityID returns the ID of the user, application or other identity an identity
// set names.
func identityID(ids participants.IdentitySet) string {
	for _, id := range []*participants.Identity{ids.User, ids.Application, ids.ApplicationInstance, ids.Phone, ids.Guest} {
		if id != nil && id.ID != "" {
			return id.ID
		}
	}
	return ""
}

// ID returns the meeting's ID; ThreadID its chat thread.
func (m *Meeting) ID() string { return m.id }

// ThreadID returns the meeting's chat thread ID.
func (m *Meeting) ThreadID() string { return m.threadID }

// JoinWebURL returns the meeting's Teams join URL.
func (m *Meeting) JoinWebURL() string {
	ctx := fmt.Sprintf(`{"Tid":"%s","Oid":"%s"}`, m.e.cfg.TenantID, m.organizer)
	return "https://teams.microsoft.com/l/meetup-join/" + url.PathEscape(m.threadID) + "/0?context=" + url.QueryEscape(ctx)
}

// JoinMeetingID returns the numeric meeting ID and its passcode.
func (m *Meeting) JoinMeetingID() (id, passcode string) { return m.joinID, m.passcode }

// VideoTeleconferenceID returns the meeting's video-teleconference (CVI) conference
// ID, by which GET /communications/onlineMeetings?$filter=VideoTeleconferenceId eq
// '...' finds it (meetings.API.Communications().ByVideoTeleconferenceID).
func (m *Meeting) VideoTeleconferenceID() string { return m.vtcID }

// ChatInfo and MeetingInfo return what a bot puts in a call to join the meeting.
func (m *Meeting) ChatInfo() calls.ChatInfo {
	return calls.ChatInfo{ODataType: "#microsoft.graph.chatInfo", ThreadID: m.threadID, MessageID: "0"}
}

// MeetingInfo returns organizer meeting info for the meeting.
func (m *Meeting) MeetingInfo() calls.MeetingInfo {
	if m.org.User == nil && m.org.Application != nil {
		return &calls.OrganizerMeetingInfo{ODataType: "#microsoft.graph.organizerMeetingInfo", Organizer: m.org}
	}
	return calls.NewOrganizerMeetingInfo(m.organizer, m.e.cfg.TenantID)
}

// resource returns the onlineMeeting resource: what the bot sent, with the members the
// emulator owns (ID, join URL and IDs, chat, organizer, creation time). Start and end
// default to the creation time and an hour later, and are written in UTC, as the
// docs' responses have them (v1.0/onlinemeeting-update/02-response.json answers a
// -07:00 request in UTC); the defaults are the emulator's choice.
func (m *Meeting) resource() meetings.OnlineMeeting {
	res := m.req
	res.ODataType = "#microsoft.graph.onlineMeeting"
	res.ID, res.Subject, res.JoinWebURL, res.ExternalID = m.id, m.subject, m.JoinWebURL(), m.external
	res.ChatInfo, res.CreationDateTime = m.ChatInfo(), m.created.UTC()
	res.JoinMeetingIDSettings.JoinMeetingID, res.JoinMeetingIDSettings.Passcode = m.joinID, m.passcode
	res.VideoTeleconferenceID = m.vtcID
	if res.StartDateTime.IsZero() {
		res.StartDateTime = m.created
	}
	if res.EndDateTime.IsZero() {
		res.EndDateTime = res.StartDateTime.Add(time.Hour)
	}
	res.StartDateTime, res.EndDateTime = res.StartDateTime.UTC(), res.EndDateTime.UTC()
	if identityID(m.org) != "" {
		res.Participants.Organizer = meetings.MeetingParticipantInfo{Identity: organizerIdentity(m.org), Role: meetings.RolePresenter}
	}
	return res
}

// organizerIdentity is the organizer as the docs' meetings write it: the identity
// without @odata.type annotations (v1.0/application-post-onlinemeetings/07: user id,
// tenantId, displayName).
func organizerIdentity(ids participants.IdentitySet) participants.IdentitySet {
	strip := func(id *participants.Identity) *participants.Identity {
		if id == nil {
			return nil
		}
		return &participants.Identity{ID: id.ID, DisplayName: id.DisplayName, TenantID: id.TenantID}
	}
	return participants.IdentitySet{User: strip(ids.User), Application: strip(ids.Application)}
}

// Join makes the person join the meeting: every bot call in it gets a roster update.
func (p *Person) Join(m *Meeting) { p.join(m, false) }

func (p *Person) join(m *Meeting, lobby bool) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range m.members {
		if x == p {
			return
		}
	}
	m.members = append(m.members, p)
	if lobby {
		if m.lobby == nil {
			m.lobby = map[*Person]bool{}
		}
		m.lobby[p] = true
		e.record(EventJoined, "", p.name, p.DisplayName()+" waits in the lobby of "+m.subject, nil)
	} else {
		m.att.enter(p, e.clock.Now())
		e.record(EventJoined, "", p.name, p.DisplayName()+" joins "+m.subject, nil)
	}
	for _, c := range m.calls {
		c.addParty(p).inLobby = lobby
		if c.state == calls.StateEstablished {
			e.notifyRoster(c)
		}
	}
}

// WaitInLobby makes the person join the meeting's lobby: bots in the meeting see them
// with isInLobby until Admit.
func (p *Person) WaitInLobby(m *Meeting) { p.join(m, true) }

// Admit lets a person in from the lobby. It does nothing when they are not waiting
// there (WaitInLobby).
func (m *Meeting) Admit(p *Person) {
	e := m.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if !m.lobby[p] {
		return // not waiting in the lobby
	}
	delete(m.lobby, p)
	e.record(EventJoined, "", p.name, p.DisplayName()+" is admitted from the lobby", nil)
	for _, x := range m.members {
		if x == p {
			m.att.enter(p, e.clock.Now())
		}
	}
	for _, c := range m.calls {
		for _, pt := range c.parties {
			if pt.person == p {
				pt.inLobby = false
			}
		}
		if c.state == calls.StateEstablished {
			e.notifyRoster(c)
		}
	}
}

// Leave makes the person leave the meeting, however they came in: by Join or
// WaitInLobby, or moved or invited into it by a bot (participants/invite). Every bot
// call in the meeting gets a roster update without them, as Graph sends one whenever
// the roster changes (participant-invite: "all participants will receive a roster
// update"). It does nothing when the person is not in the meeting.
func (p *Person) Leave(m *Meeting) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	m.leave(p, "", p.DisplayName()+" leaves "+m.subject)
}

// leave takes p out of the meeting and out of every bot call in it, with a roster
// update for each established call, and records why (on callID, when p left by
// hanging up a call). Callers hold e.mu.
func (m *Meeting) leave(p *Person, callID, why string) {
	e := m.e
	inCall := false
	for _, c := range m.calls {
		inCall = c.hasPerson(p) || inCall
	}
	if !m.removeMember(p) && !inCall {
		return
	}
	e.record(EventLeft, callID, p.name, why, nil)
	for _, c := range m.calls {
		if c.removeParty(p) && c.state == calls.StateEstablished {
			e.notifyRoster(c)
		}
	}
}

// addInvited makes p, whom a bot brought into call c in the meeting (invited, or moved
// from a peer-to-peer call with replacesCallId), a member of the meeting, as if they
// had joined it: they count in its attendance, the other bot calls in the meeting get
// a roster update with them, and Person.Leave or CallHandle.HangUp takes them out
// again. c's own roster update is its caller's. Callers hold e.mu.
func (m *Meeting) addInvited(p *Person, c *call) {
	if slices.Contains(m.members, p) {
		return
	}
	e := m.e
	m.members = append(m.members, p)
	m.att.enter(p, e.clock.Now())
	for _, other := range m.calls {
		if other == c {
			continue
		}
		other.addParty(p)
		if other.state == calls.StateEstablished {
			e.notifyRoster(other)
		}
	}
}

// removeMember takes p out of the meeting (and its attendance). Callers hold e.mu.
func (m *Meeting) removeMember(p *Person) bool {
	delete(m.lobby, p)
	for i, x := range m.members {
		if x == p {
			m.members = append(m.members[:i], m.members[i+1:]...)
			m.att.exit(m, p, m.e.clock.Now())
			return true
		}
	}
	return false
}

func (m *Meeting) removeCall(c *call) {
	for i, x := range m.calls {
		if x == c {
			m.calls = append(m.calls[:i], m.calls[i+1:]...)
			return
		}
	}
}

// meetingFor finds the meeting a join request names (by thread ID or numeric ID), or
// creates an ad-hoc one so that any join URL works in the emulator.
func (e *Emulator) meetingFor(c calls.Call) *Meeting {
	thread := c.ChatInfo.ThreadID
	joinID := ""
	if mi, ok := c.MeetingInfo.(*calls.JoinMeetingIDMeetingInfo); ok {
		joinID = mi.JoinMeetingID
	}
	for _, m := range e.meetings {
		if thread != "" && m.threadID == thread || joinID != "" && m.joinID == joinID {
			return m
		}
	}
	var org participants.IdentitySet
	if mi, ok := c.MeetingInfo.(*calls.OrganizerMeetingInfo); ok {
		org = mi.Organizer
	}
	m := e.newMeetingLocked("Ad hoc meeting", org, "")
	if thread != "" {
		m.threadID = thread
	}
	if joinID != "" {
		m.joinID = joinID
	}
	return m
}

// Meetings returns the emulator's meetings.
func (e *Emulator) Meetings() []*Meeting {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Meeting, 0, len(e.meetings))
	for _, m := range e.meetings {
		out = append(out, m)
	}
	return out
}

// organizerFor returns the organizer of a meeting the request creates: the user of
// /users/{id}/onlineMeetings (with their display name when the emulator knows them),
// or, for /me/onlineMeetings, the bot's application, the only principal an emulator
// token stands for. Callers hold e.mu.
func (e *Emulator) organizerFor(r *http.Request) participants.IdentitySet {
	user := r.PathValue("user")
	if user == "" {
		return e.botIdentity()
	}
	if p := e.personLocked(user); p != nil {
		return p.Identity()
	}
	return participants.User(user, e.cfg.TenantID)
}

// createMeeting handles POST /me/onlineMeetings and /users/{id}/onlineMeetings
// (application-post-onlinemeetings): 201 with the meeting, every member the bot sent
// kept (start and end, participants, settings), the organizer being the user (or app)
// it is created for.
func (e *Emulator) createMeeting(w http.ResponseWriter, r *http.Request) {
	var req meetings.OnlineMeeting
	if !decode(w, r, &req) || !validTimes(w, req.StartDateTime, req.EndDateTime) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.newMeetingLocked(req.Subject, e.organizerFor(r), "")
	m.req = req
	writeJSON(w, http.StatusCreated, m.resource())
}

// validTimes answers 400 when a meeting would end before it starts (undocumented: the
// emulator's rule).
func validTimes(w http.ResponseWriter, start, end time.Time) bool {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		badRequest(w, "The meeting's endDateTime is before its startDateTime.")
		return false
	}
	return true
}

// createOrGetMeeting handles POST .../onlineMeetings/createOrGet
// (onlinemeeting-createorget): the organizer's meeting with this externalId, 200, or a
// new one, 201 (reference §1.2).
func (e *Emulator) createOrGetMeeting(w http.ResponseWriter, r *http.Request) {
	var req meetings.CreateOrGetRequest
	if !decode(w, r, &req) || !validTimes(w, req.StartDateTime, req.EndDateTime) {
		return
	}
	if req.ExternalID == "" {
		badRequest(w, "externalId is required.")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	org := e.organizerFor(r)
	for _, m := range e.meetings {
		if m.external == req.ExternalID && m.organizer == identityID(org) {
			writeJSON(w, http.StatusOK, m.resource())
			return
		}
	}
	m := e.newMeetingLocked(req.Subject, org, req.ExternalID)
	m.req = meetings.OnlineMeeting{StartDateTime: req.StartDateTime, EndDateTime: req.EndDateTime, Subject: req.Subject,
		Participants: req.Participants}
	writeJSON(w, http.StatusCreated, m.resource())
}

// requestedMeeting returns the meeting the path's {mid} names, or answers 404 and
// returns nil. Callers hold e.mu.
func (e *Emulator) requestedMeeting(w http.ResponseWriter, r *http.Request) *Meeting {
	m := e.meetings[r.PathValue("mid")]
	if m == nil {
		if r.PathValue("mid") == "createOrGet" {
			methodNotAllowed(w, r, "POST")
			return nil
		}
		notFound(w, "Online meeting")
	}
	return m
}

func (e *Emulator) getMeeting(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.requestedMeeting(w, r); m != nil {
		writeJSON(w, http.StatusOK, m.resource())
	}
}

// readOnlyMeeting are the onlineMeeting members a PATCH cannot change: the emulator
// keeps its own values of them (undocumented whether Graph refuses or ignores them; the
// emulator ignores them).
var readOnlyMeeting = []string{"id", "joinWebUrl", "chatInfo", "creationDateTime", "videoTeleconferenceId", "externalId", "@odata.type"}

// patchMeeting handles PATCH .../onlineMeetings/{id} (onlinemeeting-update): 200 with
// the updated meeting. The patch is merged into the meeting member by member (a nested
// object such as lobbyBypassSettings is merged, an array such as participants.attendees
// replaced, as the page describes: attendees are "the full list"). startDateTime and
// endDateTime must be sent together (reference §1.2: "start/end (sent together)"),
// else 400.
func (e *Emulator) patchMeeting(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		badRequest(w, "invalid request body: "+err.Error())
		return
	}
	var check meetings.OnlineMeeting
	if !unmarshalBody(w, body, &check) {
		return
	}
	_, hasStart := memberFold(patch, "startDateTime")
	_, hasEnd := memberFold(patch, "endDateTime")
	if hasStart != hasEnd {
		badRequest(w, "startDateTime and endDateTime must be updated together.")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.requestedMeeting(w, r)
	if m == nil {
		return
	}
	for _, k := range readOnlyMeeting {
		if k, ok := memberFold(patch, k); ok {
			delete(patch, k)
		}
	}
	cur, err := json.Marshal(m.req)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	merged, err := mergePatch(cur, patch)
	if err != nil {
		badRequest(w, "invalid request body: "+err.Error())
		return
	}
	var next meetings.OnlineMeeting
	if !unmarshalBody(w, merged, &next) {
		return
	}
	if !validTimes(w, next.StartDateTime, next.EndDateTime) {
		return
	}
	m.req = next
	if _, ok := memberFold(patch, "subject"); ok {
		m.subject = next.Subject
	}
	e.record(EventMeetingUpdated, "", "", "meeting "+m.subject+" updated", nil)
	writeJSON(w, http.StatusOK, m.resource())
}

// memberFold finds a member of an object by name, case-insensitively (Graph matches
// property names so), returning the name as it is spelt there.
func memberFold(obj map[string]json.RawMessage, name string) (string, bool) {
	for k := range obj {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// mergePatch applies patch to the JSON object doc as a JSON merge patch (RFC 7396):
// objects merge member by member, null removes a member, anything else replaces it.
func mergePatch(doc []byte, patch map[string]json.RawMessage) ([]byte, error) {
	var cur map[string]json.RawMessage
	if err := json.Unmarshal(doc, &cur); err != nil || cur == nil {
		cur = map[string]json.RawMessage{}
	}
	for k, v := range patch {
		if name, ok := memberFold(cur, k); ok && name != k {
			cur[k] = cur[name]
			delete(cur, name)
		}
		if string(v) == "null" {
			delete(cur, k)
			continue
		}
		var sub map[string]json.RawMessage
		if json.Unmarshal(v, &sub) == nil && sub != nil {
			if old, ok := cur[k]; ok {
				if b, err := mergePatch(old, sub); err == nil {
					cur[k] = b
					continue
				}
			}
		}
		cur[k] = v
	}
	return json.Marshal(cur)
}

// deleteMeeting handles DELETE .../onlineMeetings/{id} (onlinemeeting-delete): 204;
// the meeting is gone for GET and $filter. Bot calls in it are not ended (Graph does
// not document what happens to them; the emulator leaves them up).
func (e *Emulator) deleteMeeting(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.requestedMeeting(w, r)
	if m == nil {
		return
	}
	delete(e.meetings, m.id)
	e.record(EventMeetingDeleted, "", "", "meeting "+m.subject+" deleted", nil)
	w.WriteHeader(http.StatusNoContent)
}

// The $filter properties Graph supports on each collection: on /me and /users/{id},
// JoinWebUrl and joinMeetingIdSettings/joinMeetingId (onlinemeeting-get, examples 3 and
// 4); on /communications/onlineMeetings, VideoTeleconferenceId only (example 1, and
// Microsoft's answer in microsoft-graph-docs#7765: "we currently only support
// filtering by VTC Id"). Property names match case-insensitively, as in Graph's OData.
const (
	filterJoinWebURL = "joinweburl"
	filterJoinID     = "joinmeetingidsettings/joinmeetingid"
	filterVTC        = "videoteleconferenceid"
)

// Graph's answer to a $filter it does not support: 400 InvalidArgument, "Filter
// expression expected - /onlineMeetings?$filter={ParameterName} eq '{id}'." (as
// reported in msgraph-sdk-dotnet#2492). The emulator adds which properties the
// collection supports.
const (
	errCodeInvalidArgument = "InvalidArgument"
	msgFilterExpected      = "Filter expression expected - /onlineMeetings?$filter={ParameterName} eq '{id}'."
)

// parseFilter splits "<property> eq '<value>'" into the property (lower case) and the
// value (with ” unescaped).
func parseFilter(f string) (prop, value string, ok bool) {
	f = strings.TrimSpace(f)
	i := strings.Index(strings.ToLower(f), " eq ")
	if i < 0 {
		return "", "", false
	}
	prop = strings.ToLower(strings.TrimSpace(f[:i]))
	v := strings.TrimSpace(f[i+len(" eq "):])
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' || prop == "" {
		return "", "", false
	}
	return prop, strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
}

// findMeetings handles GET .../onlineMeetings?$filter=<property> eq '<value>' on /me,
// /users/{id} and /communications: {"value": [...]} with the meetings whose property
// has the value (none: an empty list). A join URL matches as written or once more
// URL-decoded (onlinemeeting-get example 3 sends it URL-encoded inside the quotes).
func (e *Emulator) findMeetings(w http.ResponseWriter, r *http.Request) {
	supported := []string{"JoinWebUrl", "joinMeetingIdSettings/joinMeetingId"}
	allowed := map[string]bool{filterJoinWebURL: true, filterJoinID: true}
	if strings.Contains(r.URL.Path, "/communications/onlineMeetings") {
		supported, allowed = []string{"VideoTeleconferenceId"}, map[string]bool{filterVTC: true}
	}
	prop, value, ok := parseFilter(r.URL.Query().Get("$filter"))
	if !ok || !allowed[prop] {
		writeError(w, http.StatusBadRequest, errCodeInvalidArgument,
			fmt.Sprintf("%s This collection supports %s.", msgFilterExpected, strings.Join(supported, " and ")))
		return
	}
	unescaped, err := url.QueryUnescape(value)
	if err != nil {
		unescaped = value
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	page := calls.Collection[meetings.OnlineMeeting]{Value: []meetings.OnlineMeeting{}}
	for _, m := range e.meetings {
		var match bool
		switch prop {
		case filterJoinWebURL:
			match = m.JoinWebURL() == value || m.JoinWebURL() == unescaped
		case filterJoinID:
			match = m.joinID == value
		case filterVTC:
			match = m.vtcID == value
		}
		if match {
			page.Value = append(page.Value, m.resource())
		}
	}
	writeJSON(w, http.StatusOK, page)
}
