package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/participants"
)

func (e *Emulator) routes() {
	mux := http.NewServeMux()
	g := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, e.graph(h))
	}
	const calls = "/{ver}/communications/calls"
	g("POST "+calls, e.createCall)
	g("GET "+calls, e.listCalls)
	g("POST "+calls+"/logTeleconferenceDeviceQuality", e.logDeviceQuality)
	g("GET "+calls+"/{id}", e.getCall)
	g("PATCH "+calls+"/{id}", e.patchCall)
	g("DELETE "+calls+"/{id}", e.deleteCall)
	g("POST "+calls+"/{id}/{action}", e.callAction)
	g("GET "+calls+"/{id}/participants", e.listParticipants)
	g("GET "+calls+"/{id}/participants/{pid}", e.getParticipant)
	g("DELETE "+calls+"/{id}/participants/{pid}", e.deleteParticipant)
	g("POST "+calls+"/{id}/participants/invite", e.invite)
	g("POST "+calls+"/{id}/participants/muteAll", e.muteAll)
	g("POST "+calls+"/{id}/participants/{pid}/{action}", e.participantAction)
	g("GET "+calls+"/{id}/operations", e.listOperations)
	g("GET "+calls+"/{id}/operations/{op}", e.getOperation)
	g("DELETE "+calls+"/{id}/operations/{op}", e.deleteOperation)
	g("GET "+calls+"/{id}/audioRoutingGroups", e.listAudioRoutingGroups)
	g("POST "+calls+"/{id}/audioRoutingGroups", e.createAudioRoutingGroup)
	g("GET "+calls+"/{id}/audioRoutingGroups/{gid}", e.getAudioRoutingGroup)
	g("PATCH "+calls+"/{id}/audioRoutingGroups/{gid}", e.patchAudioRoutingGroup)
	g("DELETE "+calls+"/{id}/audioRoutingGroups/{gid}", e.deleteAudioRoutingGroup)
	g("GET "+calls+"/{id}/contentSharingSessions", e.listContentSharingSessions)
	g("GET "+calls+"/{id}/contentSharingSessions/{sid}", e.getContentSharingSession)
	for _, owner := range []string{"/{ver}/me", "/{ver}/users/{user}"} {
		const om = "/onlineMeetings"
		g("POST "+owner+om, e.createMeeting)
		g("POST "+owner+om+"/createOrGet", e.createOrGetMeeting)
		g("GET "+owner+om, e.findMeetings)
		g("GET "+owner+om+"/{mid}", e.getMeeting)
		g("PATCH "+owner+om+"/{mid}", e.patchMeeting)
		g("DELETE "+owner+om+"/{mid}", e.deleteMeeting)
		g("GET "+owner+om+"/{mid}/attendanceReports", e.listAttendanceReports)
		g("GET "+owner+om+"/{mid}/attendanceReports/{rid}", e.getAttendanceReport)
		g("GET "+owner+om+"/{mid}/attendanceReports/{rid}/attendanceRecords", e.listAttendanceRecords)
	}
	// Application access to meetings by video-teleconference ID (onlinemeeting-get,
	// example 1, written with a trailing slash).
	g("GET /{ver}/communications/onlineMeetings", e.findMeetings)
	g("GET /{ver}/communications/onlineMeetings/{$}", e.findMeetings)
	g("GET /{ver}/communications/onlineMeetings/{mid}", e.getMeeting)
	h := e.issuer.Handler()
	mux.Handle("GET /v1/.well-known/OpenIdConfiguration", h)
	mux.Handle("GET /v1/keys", h)
	mux.HandleFunc("GET /_emulator/recordings/{id}", e.serveRecording)
	e.controlRoutes(mux)
	e.mux = mux
}

// graph wraps a Graph API handler: API faults, logging, and the base URL of absolute
// Location headers. ServeHTTP has already set the request IDs, checked the token and
// read the body.
func (e *Emulator) graph(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		f := e.faults.Faults
		status, by := e.requestFault(r)
		if status != 0 {
			e.record(EventRequestFault, requestCallID(r.URL.Path), "", fmt.Sprintf("%s %s -> %d (%s)", r.Method, r.URL.Path, status, by),
				map[string]string{"method": r.Method, "path": r.URL.Path, "status": fmt.Sprint(status), "fault": by})
		}
		base := e.baseURL + "/" + r.PathValue("ver")
		e.mu.Unlock()
		if f.Latency > 0 {
			time.Sleep(f.Latency)
		}
		if status != 0 {
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(ra/time.Second))))
			}
			writeError(w, status, http.StatusText(status), "Injected by the emulator.")
			return
		}
		// ServeHTTP wrapped w in the requestTap that records the request; it keeps the
		// answer's status, and the base URL for location.
		status = http.StatusOK
		tap, _ := w.(*requestTap)
		if tap != nil {
			tap.base = base
		}
		h(w, r)
		// What the request set off without delay (a person who answers at once, an
		// operation that completes at once) happens before the bot has the answer,
		// on a virtual clock as on a real one.
		e.runDue()
		if tap != nil {
			status = tap.status
		}
		e.log.Info(fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, status))
	}
}

// runDue runs a virtual clock's zero-delay timers now, on the caller's goroutine.
// Callers do not hold e.mu.
func (e *Emulator) runDue() {
	if vc, ok := e.clock.(*VirtualClock); ok {
		vc.RunDue()
	}
}

// location returns the absolute URL of a Graph path (starting with /communications or
// /users) for a Location header: the emulator's base URL and the request's API version
// before it, as Graph writes them (https://graph.microsoft.com/v1.0/communications/...).
func location(w http.ResponseWriter, path string) string {
	if t, ok := w.(*requestTap); ok && t.base != "" {
		return t.base + path
	}
	return path
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := wire.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	writeRaw(w, status, b)
}

// writeError answers status with Graph's error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeRaw(w, status, graphError(w.Header(), code, message))
}

func badRequest(w http.ResponseWriter, msg string) { writeAPIError(w, badRequestError(msg)) }

func notFound(w http.ResponseWriter, what string) { writeAPIError(w, notFoundError(what)) }

// validator is a request body with Graph's documented rules (package calls' Validate
// methods).
type validator interface{ Validate() error }

// valid checks a decoded request body against the limits Graph documents (see
// calls/limits.go) and answers 400 naming the field and the limit when one is broken
// (see validate).
func valid(w http.ResponseWriter, v validator) bool { return !failed(w, validate(v, "")) }

// decode reads a JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool { return !failed(w, readRequest(r, v)) }

// unmarshalBody decodes a request body into v; an empty body leaves v as it is. It
// answers 400 and returns false for invalid JSON.
func unmarshalBody(w http.ResponseWriter, body []byte, v any) bool {
	return !failed(w, unmarshal(body, v))
}

func (e *Emulator) createCall(w http.ResponseWriter, r *http.Request) {
	var req calls.Call
	if !decode(w, r, &req) || failed(w, validCreate(&req)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkCreate(w, &req) {
		return
	}
	respond(w, e.placeCall(req), nil)
}

// validCreate checks a call the bot creates against Graph's rules
// (calls.Call.ValidateCreate).
func validCreate(req *calls.Call) *apiError {
	err := req.ValidateCreate()
	if err == nil {
		return nil
	}
	var re *calls.RequestError
	if errors.As(err, &re) {
		return badRequestError(fmt.Sprintf("Invalid call: %s: %s.", re.Field, re.Reason))
	}
	return badRequestError(err.Error())
}

// placeCall is the transition of POST /communications/calls: the call is created,
// establishing; once the request is answered, it joins its meeting or rings its
// targets (dial). Callers hold e.mu.
func (e *Emulator) placeCall(req calls.Call) reply {
	c := e.newCall(calls.DirectionOutgoing, req.CallbackURI)
	res := req
	res.ID, res.State, res.Direction, res.MyParticipantID = c.id, calls.StateEstablishing, calls.DirectionOutgoing, c.bot.id
	res.ODataType = "#microsoft.graph.call"
	if res.TenantID == "" {
		res.TenantID = e.cfg.TenantID
	}
	if res.Source.Identity.Application == nil && res.Source.Identity.ApplicationInstance == nil {
		res.Source = participants.Info{Identity: e.botIdentity()}
	}
	c.appInstance = res.Source.Identity.ApplicationInstance != nil
	c.res = res
	c.state = calls.StateEstablishing
	// 201 with the call's absolute URL (v1.0/application-post-calls/02-response.http).
	return reply{status: http.StatusCreated, body: e.snapshot(c), location: "/communications/calls/" + c.id, after: func() {
		e.notifyCall(c, "updated", nil)
		e.dial(c, req)
	}}
}

// dial joins the meeting a call the bot created names, or rings its targets.
func (e *Emulator) dial(c *call, req calls.Call) {
	if req.MeetingInfo != nil || req.ChatInfo.ThreadID != "" {
		m := e.meetingFor(req)
		c.meeting, c.group = m, true
		m.calls = append(m.calls, c)
		for _, p := range m.members {
			c.addParty(p).inLobby = m.lobby[p]
		}
		c.cancelRing = e.clock.AfterFunc(time.Second, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if !c.ended {
				e.establish(c)
			}
		})
		e.record(EventCallCreated, c.id, "", "the bot joins "+m.subject, map[string]string{"meeting": m.id})
		return
	}
	var names []string
	var known []*Person
	var unknown []participants.IdentitySet
	for _, t := range req.Targets {
		if p := e.personFor(t.Identity); p != nil {
			known = append(known, p)
			names = append(names, p.DisplayName())
		} else {
			unknown = append(unknown, t.Identity)
			names = append(names, targetName(t.Identity))
		}
	}
	e.record(EventCallCreated, c.id, "", "the bot calls "+strings.Join(names, ", "), nil)
	group := len(req.Targets) > 1
	c.group = group
	for _, ids := range unknown {
		e.record(EventTargetNotFound, c.id, "", targetNotFound(ids), map[string]string{"id": identityID(ids)})
	}
	if len(known) == 0 {
		// Nobody to call. How Graph ends a call to a user it cannot find is not
		// documented; the emulator ends it at once with 404/8522 (see
		// CodeTargetNotFound). In a group call, a target that cannot be found is left
		// out and the call goes on with the others (undocumented too).
		e.terminate(c, CodeTargetNotFound, SubcodeTargetNotFound, targetNotFoundMessage(unknown[0]), "nobody to call")
		return
	}
	for _, p := range known {
		if !group {
			c.person = p
		}
		e.ring(c, p, group, false, nil)
	}
}

// The end of a call, and the failure of an invitation, whose target the emulator does
// not know: a user, phone number or application nobody declared with AddUser,
// AddPhone or AddApplication (unless Config.AutoCreatePeople is set). Graph documents
// neither how a call to a user it cannot find ends nor the code: the emulator accepts
// the create request (201, the call establishing), as Graph accepts a call before it
// routes it, and then ends the call at once with a deleted notification whose
// resultInfo is 404/8522. 8522 is the subcode Graph's media platform uses for "not
// found" (bots see it as "Call not found", graph-comms-samples#173 and #332; Azure
// Communication Services, which shares the platform and its subcodes, documents 8522
// as "Not Found", learn.microsoft.com/azure/communication-services/concepts/troubleshooting-codes).
// An invitation of such a target (participants/invite) answers 200 with the operation,
// which fails at once with the same resultInfo.
const (
	// CodeTargetNotFound is the resultInfo code.
	CodeTargetNotFound = 404
	// SubcodeTargetNotFound is the resultInfo subcode.
	SubcodeTargetNotFound = 8522
	// MessageTargetNotFound starts the resultInfo message, which goes on with the
	// target's kind and ID.
	MessageTargetNotFound = "The call target could not be found:"
)

// targetNotFoundMessage is the resultInfo message for a target nobody declared.
func targetNotFoundMessage(ids participants.IdentitySet) string {
	kind, id := targetKind(ids), identityID(ids)
	if id == "" {
		return MessageTargetNotFound + " the " + kind + " has no ID."
	}
	return fmt.Sprintf("%s %s %s.", MessageTargetNotFound, kind, id)
}

// The outcomes of a call the bot places that the callee does not take. Graph does
// not document either: the call-delete page's table of end codes has no "declined",
// and lists 408/10057 for "Call timed out due to no signaling from callee endpoints".
const (
	// declineCode is a declined call's resultInfo code: 603, "decline", the code Azure
	// Communication Services documents for a call a Teams user declines (subcode 0).
	declineCode = 603
	declineMsg  = "The callee declined the call."
	// inviteDeclinedMsg is the message of a declined invitation (603/0).
	inviteDeclinedMsg = "The invitee declined the invitation."
	// noAnswerCode/noAnswerSubcode end a call nobody answers within the ring timeout
	// (the call-delete table's 408/10057).
	noAnswerCode    = 408
	noAnswerSubcode = 10057
	noAnswerMsg     = "Call timed out due to no signaling from callee endpoints."
)

// ringOutcome is how a ringing person reacts.
type ringOutcome int

const (
	ringAnswered   ringOutcome = iota // they answer (and are on the call)
	ringDeclined                      // they decline
	ringUnanswered                    // the ring timeout passes
)

// ring rings a person for call c; answered, they join it. done, when set, reports the
// outcome (for invitations and escalations) instead of the call's start or end. A
// bot's invitation (invite) is declined when the person is to decline their next one
// (Person.DeclineNextInvite): after Behavior.AnswerAfter, the time they take to react.
func (e *Emulator) ring(c *call, p *Person, group, invite bool, done func(ringOutcome)) {
	defer e.record(EventRinging, c.id, p.name, p.DisplayName()+"'s phone rings", nil)
	b := p.behavior
	declineAfter := time.Second
	if invite && p.declineInvites > 0 {
		p.declineInvites--
		b.Decline, declineAfter = true, b.AnswerAfter
	}
	declined := func() {
		e.record(EventDeclined, c.id, p.name, p.DisplayName()+" declines", nil)
		if done != nil {
			done(ringDeclined)
		} else if !group {
			e.terminate(c, declineCode, 0, declineMsg, p.DisplayName()+" declined")
		}
	}
	unanswered := func() {
		if done != nil {
			done(ringUnanswered)
		} else if !group {
			e.terminate(c, noAnswerCode, noAnswerSubcode, noAnswerMsg, p.DisplayName()+" did not answer")
		}
	}
	answered := func() {
		if c.ended {
			return
		}
		e.record(EventJoined, c.id, p.name, p.DisplayName()+" answers", nil)
		c.addParty(p)
		if done != nil {
			done(ringAnswered)
			return
		}
		if c.state == calls.StateEstablishing {
			e.establish(c)
		} else if group {
			e.notifyRoster(c)
		}
	}
	locked := func(f func()) func() {
		return func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			f()
		}
	}
	switch {
	case b.Decline:
		e.clock.AfterFunc(declineAfter, locked(declined))
	case b.NoAnswer:
		e.clock.AfterFunc(e.cfg.RingTimeout, locked(unanswered))
	case b.Manual:
		// The phone rings until Person.Answer or Person.Decline (the console's
		// buttons), or the ring timeout.
		// A second ring for the same call (the bot invites them again, or names them
		// twice) ends the first one as unanswered: one phone rings once per call.
		if old := c.ringing[p]; old != nil {
			delete(c.ringing, p)
			old.stop()
			old.ringOut()
		}
		rg := &ringing{answer: answered, decline: declined, ringOut: unanswered}
		rg.stop = e.clock.AfterFunc(e.cfg.RingTimeout, locked(func() {
			if c.ringing[p] == rg {
				delete(c.ringing, p)
				unanswered()
			}
		}))
		if c.ringing == nil {
			c.ringing = map[*Person]*ringing{}
		}
		c.ringing[p] = rg
	default:
		e.clock.AfterFunc(b.AnswerAfter, locked(answered))
	}
}

func (e *Emulator) listCalls(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	writeJSON(w, http.StatusOK, e.callsPage())
}

// callsPage is the list of the live calls. Callers hold e.mu.
func (e *Emulator) callsPage() calls.Collection[calls.Call] {
	page := calls.Collection[calls.Call]{Value: []calls.Call{}}
	for _, c := range e.liveCalls() {
		page.Value = append(page.Value, e.snapshot(c))
	}
	return page
}

func (e *Emulator) getCall(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, e.snapshot(c))
}

func (e *Emulator) deleteCall(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	respond(w, e.hangUp(c), nil)
}

// hangUp is the transition of DELETE /communications/calls/{id}: 204, and the call
// ends. Callers hold e.mu.
func (e *Emulator) hangUp(c *call) reply {
	return reply{status: http.StatusNoContent, after: func() {
		c.state = calls.StateTerminating
		e.notifyCall(c, "updated", nil)
		e.terminate(c, 200, 7000, "The call was ended by the application.", "the bot hangs up")
	}}
}

// callAction handles POST /communications/calls/{id}/{action}: an action of
// actionTable on a call (405 for a collection under the call, 404 for what the
// emulator does not serve). The body is decoded and validated, and prompts probed,
// before e.mu is taken; then the bot's permission is checked, the call found, and the
// action's transition run and answered.
func (e *Emulator) callAction(w http.ResponseWriter, r *http.Request) {
	sentAs := r.PathValue("action")
	name := actionKey(sentAs)
	body := readActionBody(r)
	a := callActions[name]
	if a == nil {
		if allow, ok := callNavigations[name]; ok {
			methodNotAllowed(w, r, allow)
		} else {
			e.notServed(w, r)
		}
		return
	}
	run, err := a.prepare(e, body, sentAs)
	if failed(w, err) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkAction(w, name, sentAs) {
		return
	}
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	rep, err := run(c, nil)
	respond(w, rep, err)
}

// participantAction handles POST /communications/calls/{id}/participants/{pid}/{action}:
// an action of actionTable on a participant, as callAction does.
func (e *Emulator) participantAction(w http.ResponseWriter, r *http.Request) {
	sentAs := r.PathValue("action")
	a := participantActions[actionKey(sentAs)]
	if a == nil {
		e.notServed(w, r)
		return
	}
	run, err := a.prepare(e, readActionBody(r), sentAs)
	if failed(w, err) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	pt := requestedParticipant(w, r, c)
	if pt == nil {
		return
	}
	rep, err := run(c, pt)
	respond(w, rep, err)
}

// describe names an invitation target for transcripts.
func describe(e *Emulator, inv participants.Invitation) string {
	if inv.EndpointType == participants.EndpointTypeVoicemail || inv.Identity.EndpointType == participants.EndpointTypeVoicemail {
		if p := e.knownPerson(inv.Identity); p != nil {
			return p.DisplayName() + "'s voicemail"
		}
		return "voicemail"
	}
	if p := e.knownPerson(inv.Identity); p != nil {
		return p.DisplayName()
	}
	if n := inv.Identity.DisplayName(); n != "" {
		return n
	}
	return "an unknown target"
}

func (e *Emulator) listParticipants(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, e.participantsPage(c))
}

// participantsPage is the list of c's participants. Callers hold e.mu.
func (e *Emulator) participantsPage(c *call) calls.Collection[participants.Participant] {
	page := calls.Collection[participants.Participant]{Value: []participants.Participant{}}
	for _, pt := range c.parties {
		page.Value = append(page.Value, e.participant(c, pt))
	}
	return page
}

func (e *Emulator) getParticipant(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	pt := requestedParticipant(w, r, c)
	if pt == nil {
		return
	}
	writeJSON(w, http.StatusOK, e.participant(c, pt))
}

func (e *Emulator) deleteParticipant(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	rep, err := e.removeParticipant(c, r.PathValue("pid"))
	respond(w, rep, err)
}

// removeParticipant is the transition of DELETE .../participants/{pid}: 204, and the
// person leaves the call (and its meeting); the bot's own participant is not found.
// Callers hold e.mu.
func (e *Emulator) removeParticipant(c *call, pid string) (reply, *apiError) {
	pt := c.partyByID(pid)
	if pt == nil || pt.person == nil {
		return reply{}, notFoundError("Participant")
	}
	return reply{status: http.StatusNoContent, after: func() {
		c.removeParty(pt.person)
		if c.meeting != nil {
			c.meeting.removeMember(pt.person)
		}
		e.record(EventLeft, c.id, pt.person.name, pt.person.DisplayName()+" is removed by the bot", nil)
		e.notifyRoster(c)
	}}, nil
}

func (e *Emulator) invite(w http.ResponseWriter, r *http.Request) {
	var req calls.InviteParticipantsRequest
	if !decode(w, r, &req) || !valid(w, &req) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkAction(w, "invite", "participants/invite") {
		return
	}
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	rep, err := e.inviteParticipants(c, &req)
	respond(w, rep, err)
}

// muteAll handles POST .../participants/muteAll (beta; reference §1.4: participants,
// the IDs to mute, and clientContext; 200 with the operation). The IDs of people on
// the call are muted (an empty list mutes everybody but the bot), with a roster
// notification; the operation is a muteParticipantsOperation, as the beta schema has
// it (the beta page's example answers a commsOperation).
func (e *Emulator) muteAll(w http.ResponseWriter, r *http.Request) {
	var req calls.MuteAllRequest
	if !decode(w, r, &req) || !valid(w, &req) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkAction(w, "muteall", "participants/muteAll") {
		return
	}
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	respond(w, e.muteParticipants(c, &req), nil)
}

func (e *Emulator) getOperation(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[r.PathValue("id")]
	if c == nil {
		notFound(w, "Call")
		return
	}
	op := c.ops[r.PathValue("op")]
	if op == nil {
		notFound(w, "Operation")
		return
	}
	writeJSON(w, http.StatusOK, op)
}

// requestedCall returns the live call named by the request path's {id}, or answers 404
// and returns nil.
func (e *Emulator) requestedCall(w http.ResponseWriter, r *http.Request) *call {
	if isCollectionAction(r) {
		methodNotAllowed(w, r, "POST")
		return nil
	}
	c, err := e.liveCall(r.PathValue("id"))
	if err != nil {
		notFound(w, "Call")
		return nil
	}
	return c
}

// isCollectionAction reports whether the path's {id} is the collection-bound action
// logTeleconferenceDeviceQuality, which only POST reaches (its own route).
func isCollectionAction(r *http.Request) bool {
	return strings.EqualFold(r.PathValue("id"), "logTeleconferenceDeviceQuality")
}

// requestedParticipant returns the participant of c named by the request path's {pid},
// or answers 404 and returns nil.
func requestedParticipant(w http.ResponseWriter, r *http.Request, c *call) *party {
	pt := c.partyByID(r.PathValue("pid"))
	if pt == nil {
		notFound(w, "Participant")
	}
	return pt
}
