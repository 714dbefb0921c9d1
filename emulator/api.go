package emulator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
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
		rec := &statusRecorder{ResponseWriter: w, status: 200, base: base}
		h(rec, r)
		// What the request set off without delay (a person who answers at once, an
		// operation that completes at once) happens before the bot has the answer,
		// on a virtual clock as on a real one.
		e.runDue()
		e.log.Info(fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, rec.status))
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
	if s, ok := w.(*statusRecorder); ok {
		return s.base + path
	}
	return path
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	base   string // the emulator's URL and the request's API version, for location
}

// WriteHeader records the status.
func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
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

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, "BadRequest", msg)
}

func notFound(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotFound, "itemNotFound", what+" not found.")
}

// validator is a request body with Graph's documented rules (package calls' Validate
// methods).
type validator interface{ Validate() error }

// valid checks a decoded request body against the limits Graph documents (see
// calls/limits.go) and answers 400 naming the field and the limit when one is broken.
// Graph's error code for these is not documented; the emulator answers "BadRequest",
// as for its other invalid requests.
func valid(w http.ResponseWriter, v validator) bool { return validAction(w, v, "") }

// validAction is valid for a request body shared by several actions (clientContext
// only), naming the action the request was sent to.
func validAction(w http.ResponseWriter, v validator, action string) bool {
	err := v.Validate()
	if err == nil {
		return true
	}
	var re *calls.RequestError
	if errors.As(err, &re) {
		name := re.Action
		if action != "" && (name == "" || name == "action") {
			name = action
		}
		badRequest(w, fmt.Sprintf("Invalid %s request: %s: %s.", name, re.Field, re.Reason))
	} else {
		badRequest(w, err.Error())
	}
	return false
}

// decode reads a JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if err != nil {
		badRequest(w, "reading the body: "+err.Error())
		return false
	}
	return unmarshalBody(w, b, v)
}

// unmarshalBody decodes a request body into v; an empty body leaves v as it is. It
// answers 400 and returns false for invalid JSON.
func unmarshalBody(w http.ResponseWriter, body []byte, v any) bool {
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	if err := wire.Unmarshal(body, v); err != nil {
		badRequest(w, "invalid request body: "+err.Error())
		return false
	}
	return true
}

// opResponse answers an action with its operation, running: 200, and a Location
// header with the operation's absolute URL, as the action pages show it
// (v1.0/call-playprompt/02-response.http and the other operation actions).
func opResponse(w http.ResponseWriter, c *call, op calls.Operation) {
	opResponseStatus(w, c, op, http.StatusOK)
}

// opResponseStatus is opResponse with another status: 202 for addLargeGalleryView and
// hold music (v1.0/call-addlargegalleryview/02-response.http,
// participant-startholdmusic/02 and participant-stopholdmusic/02).
func opResponseStatus(w http.ResponseWriter, c *call, op calls.Operation, status int) {
	w.Header().Set("Location", location(w, "/communications/calls/"+c.id+"/operations/"+op.Base().ID))
	writeJSON(w, status, op)
}

func (e *Emulator) createCall(w http.ResponseWriter, r *http.Request) {
	var req calls.Call
	if !decode(w, r, &req) {
		return
	}
	if err := req.ValidateCreate(); err != nil {
		var re *calls.RequestError
		if errors.As(err, &re) {
			badRequest(w, fmt.Sprintf("Invalid call: %s: %s.", re.Field, re.Reason))
		} else {
			badRequest(w, err.Error())
		}
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkCreate(w, &req) {
		return
	}
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
	w.Header().Set("Location", location(w, "/communications/calls/"+c.id))
	writeJSON(w, http.StatusCreated, e.snapshot(c))
	e.notifyCall(c, "updated", nil)

	if req.MeetingInfo != nil || req.ChatInfo.ThreadID != "" {
		m := e.meetingFor(req)
		c.meeting, c.group = m, true
		m.calls = append(m.calls, c)
		for _, p := range m.members {
			c.addParty(p)
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
		rg := &ringing{answer: answered, decline: declined}
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
	page := calls.Collection[calls.Call]{Value: []calls.Call{}}
	for _, c := range e.calls {
		if !c.ended {
			page.Value = append(page.Value, e.snapshot(c))
		}
	}
	writeJSON(w, http.StatusOK, page)
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
	w.WriteHeader(http.StatusNoContent)
	c.state = calls.StateTerminating
	e.notifyCall(c, "updated", nil)
	e.terminate(c, 200, 7000, "The call was ended by the application.", "the bot hangs up")
}

// promptURIs lists the media URIs of prompts.
func promptURIs(ps []media.Prompt) []string {
	var out []string
	for _, p := range ps {
		if mp, ok := p.(*media.MediaPrompt); ok {
			out = append(out, mp.MediaInfo.URI)
		}
	}
	return out
}

// callNavigations are the collections under a call, with the methods they allow: a
// POST to one reaches callAction, which answers 405 with them.
var callNavigations = map[string]string{
	"participants": "GET, HEAD", "operations": "GET, HEAD", "contentsharingsessions": "GET, HEAD",
	"audioroutinggroups": "GET, HEAD, POST",
}

// participantActions are the actions on a participant the emulator serves.
var participantActions = map[string]bool{"mute": true, "startholdmusic": true, "stopholdmusic": true}

// knownAction reports whether a path segment names an action the emulator serves (on
// a call, a participant, or the participants collection), in any case, with or without
// the microsoft.graph. namespace.
func knownAction(seg string) bool {
	a := strings.ToLower(strings.TrimPrefix(strings.ToLower(seg), "microsoft.graph."))
	return a == "keepalive" || a == "invite" || a == "muteall" || a == "logteleconferencedevicequality" ||
		actionBody(a) != nil || participantActions[a]
}

// actionBody returns an empty request body of the type an action takes, or nil for an
// action without one (keepAlive) or unknown to the emulator.
func actionBody(action string) validator {
	switch action {
	case "answer":
		return &calls.AnswerRequest{}
	case "reject":
		return &calls.RejectRequest{}
	case "redirect":
		return &calls.RedirectRequest{}
	case "transfer":
		return &calls.TransferRequest{}
	case "mute", "unmute", "subscribetotone", "cancelmediaprocessing", "addlargegalleryview":
		return &calls.ClientContextRequest{}
	case "playprompt":
		return &calls.PlayPromptRequest{}
	case "recordresponse":
		return &calls.RecordResponseRequest{}
	case "changescreensharingrole":
		return &calls.ChangeScreenSharingRoleRequest{}
	case "updaterecordingstatus":
		return &calls.UpdateRecordingStatusRequest{}
	case "senddtmftones":
		return &calls.SendDtmfTonesRequest{}
	case "updatemetadata":
		return &calls.UpdateMetadataRequest{}
	}
	return nil
}

func (e *Emulator) callAction(w http.ResponseWriter, r *http.Request) {
	action := strings.ToLower(strings.TrimPrefix(r.PathValue("action"), "microsoft.graph."))
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	}
	req := actionBody(action)
	if req == nil && action != "keepalive" {
		if allow, ok := callNavigations[action]; ok {
			methodNotAllowed(w, r, allow)
		} else {
			e.notServed(w, r)
		}
		return
	}
	if req != nil && (!unmarshalBody(w, body, req) || !validAction(w, req, r.PathValue("action"))) {
		return
	}
	// Prompts are probed before taking the lock: it may fetch a WAV file from loopback.
	var probe promptProbe
	switch x := req.(type) {
	case *calls.PlayPromptRequest:
		probe = e.probePrompts(x.Prompts)
	case *calls.RecordResponseRequest:
		probe = e.probePrompts(x.Prompts)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checkAction(w, action, r.PathValue("action")) {
		return
	}
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	who := ""
	if c.person != nil {
		who = c.person.name
	}
	switch req := req.(type) {
	case nil: // keepAlive
		w.WriteHeader(http.StatusOK)
		e.record(EventKeepAlive, c.id, who, "keepAlive", nil)
		if c.state == calls.StateEstablished {
			e.armKeepAlive(c)
		}
	case *calls.AnswerRequest:
		e.answer(w, c, req, who)
	case *calls.RejectRequest:
		if c.state != calls.StateIncoming {
			badRequest(w, "Only an incoming call can be rejected.")
			return
		}
		w.WriteHeader(http.StatusAccepted)
		e.record(EventRejected, c.id, who, "the bot rejects the call ("+string(req.Reason)+")", map[string]string{"reason": string(req.Reason)})
		// v1.0/call-reject/06-notification.json: deleted, with only @odata.type and
		// @odata.id (no state, no resultInfo).
		e.end(c, ending{bare: true, why: "rejected"})
	case *calls.RedirectRequest:
		e.redirect(w, c, req, who)
	case *calls.TransferRequest:
		e.transfer(w, c, req, who)
	case *calls.ClientContextRequest:
		e.simpleAction(w, c, action, req.ClientContext, who)
	case *calls.PlayPromptRequest:
		e.playPrompt(w, c, req, probe, who)
	case *calls.RecordResponseRequest:
		if probe.err != nil && c.state == calls.StateEstablished {
			op := newOp[calls.RecordOperation](e, c, req.ClientContext)
			if !e.failArmed(c, op, "recordResponse", func() { opResponse(w, c, op) }) {
				e.failedMedia(w, c, op, probe, who)
			}
			return
		}
		e.recordResponse(w, c, *req, probe.total)
	case *calls.ChangeScreenSharingRoleRequest:
		w.WriteHeader(http.StatusAccepted)
	case *calls.UpdateRecordingStatusRequest:
		e.updateRecordingStatus(w, c, req, who)
	case *calls.SendDtmfTonesRequest:
		op := newOp[calls.SendDtmfTonesOperation](e, c, req.ClientContext)
		if e.failArmed(c, op, "sendDtmfTones", func() { opResponse(w, c, op) }) {
			return
		}
		opResponse(w, c, op)
		delay := time.Duration(req.DelayBetweenTonesMs) * time.Millisecond
		if delay <= 0 {
			delay = 500 * time.Millisecond
		}
		var keys []byte
		for _, t := range req.Tones {
			keys = append(keys, t.Key())
		}
		e.clock.AfterFunc(delay*time.Duration(len(req.Tones)), func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			op.CompletionReason = calls.SendDtmfCompletionCompletedSuccessfully
			e.succeed(c, op)
		})
		e.record(EventTonesSent, c.id, who, "the bot sends tones "+string(keys), map[string]string{"keys": string(keys)})
	case *calls.UpdateMetadataRequest:
		e.updateMetadata(w, c, req, who)
	}
}

// answer handles POST .../answer.
func (e *Emulator) answer(w http.ResponseWriter, c *call, req *calls.AnswerRequest, who string) {
	if c.state != calls.StateIncoming {
		badRequest(w, fmt.Sprintf("The call is %s; only an incoming call can be answered.", c.state))
		return
	}
	c.callbackURI, c.res.CallbackURI, c.res.MediaConfig = req.CallbackURI, req.CallbackURI, req.MediaConfig
	if req.CallOptions.ODataType != "" || req.CallOptions.IsContentSharingNotificationEnabled {
		c.res.CallOptions = req.CallOptions
	}
	if c.cancelAnswer != nil {
		c.cancelAnswer()
	}
	w.WriteHeader(http.StatusAccepted)
	detail, data := "the bot answers", map[string]string(nil)
	if req.ParticipantCapacity > 0 {
		// participantCapacity is for policy-based recording bots: how many
		// participants the bot can record (call-answer).
		detail += fmt.Sprintf(" (participantCapacity %d)", req.ParticipantCapacity)
		data = map[string]string{"participantCapacity": fmt.Sprint(req.ParticipantCapacity)}
	}
	e.record(EventAnswered, c.id, who, detail, data)
	c.state = calls.StateEstablishing
	e.notifyCall(c, "updated", nil)
	e.establish(c)
}

// simpleAction handles the actions whose body is only a client context.
func (e *Emulator) simpleAction(w http.ResponseWriter, c *call, action, clientContext, who string) {
	switch action {
	case "mute", "unmute":
		var op calls.Operation
		if action == "mute" {
			op = newOp[calls.MuteParticipantOperation](e, c, clientContext)
		} else {
			op = newOp[calls.UnmuteParticipantOperation](e, c, clientContext)
		}
		if e.failArmed(c, op, action, func() { opResponse(w, c, op) }) {
			return
		}
		if action == "mute" {
			e.record(EventMuted, c.id, "", "the bot mutes itself", nil)
		} else {
			e.record(EventUnmuted, c.id, "", "the bot unmutes itself", nil)
		}
		c.bot.muted = action == "mute"
		opResponse(w, c, op)
		e.succeed(c, op)
		if c.sendsRoster() {
			e.notifyRoster(c)
		}
	case "subscribetotone":
		op := newOp[calls.SubscribeToToneOperation](e, c, clientContext)
		if e.failArmed(c, op, action, func() { opResponse(w, c, op) }) {
			return
		}
		opResponse(w, c, op)
		c.tones = true
		e.record(EventTonesSubscribed, c.id, who, "the bot subscribes to tones", nil)
		e.succeed(c, op)
	case "cancelmediaprocessing":
		op := newOp[calls.CancelMediaProcessingOperation](e, c, clientContext)
		if e.failArmed(c, op, action, func() { opResponse(w, c, op) }) {
			return
		}
		opResponse(w, c, op)
		e.record(EventMediaCancelled, c.id, who, "the bot cancels media processing", nil)
		for id, m := range c.media {
			m.stop()
			delete(c.media, id)
			m.cancelled()
		}
		e.succeed(c, op)
	case "addlargegalleryview":
		// 202 Accepted with the operation and its Location
		// (v1.0/call-addlargegalleryview/02-response.http).
		op := newOp[calls.AddLargeGalleryViewOperation](e, c, clientContext)
		if e.failArmed(c, op, action, func() { opResponseStatus(w, c, op, http.StatusAccepted) }) {
			return
		}
		opResponseStatus(w, c, op, http.StatusAccepted)
		e.succeed(c, op)
	}
}

// playPrompt handles POST .../playPrompt.
func (e *Emulator) playPrompt(w http.ResponseWriter, c *call, req *calls.PlayPromptRequest, probe promptProbe, who string) {
	if c.state != calls.StateEstablished {
		badRequest(w, "Prompts can be played on an established call only.")
		return
	}
	op := newOp[calls.PlayPromptOperation](e, c, req.ClientContext)
	if e.failArmed(c, op, "playPrompt", func() { opResponse(w, c, op) }) {
		return
	}
	if probe.err != nil {
		e.failedMedia(w, c, op, probe, who)
		return
	}
	opResponse(w, c, op)
	uris := strings.Join(promptURIs(req.Prompts), ", ")
	// Events are recorded after the timers they imply are set, so that a test that
	// sees the event and advances the clock sees them fire.
	defer e.record(EventPromptStarted, c.id, who, "the bot plays "+uris, map[string]string{"uri": uris, "operationId": op.ID})
	// The completion carries completionReason (a beta member of playPromptOperation that
	// Graph sends on v1.0 too, as testdata/notifications/op-playprompt-failed.json
	// records): completedSuccessfully, or mediaOperationCanceled when cancelled.
	e.startMedia(c, op, probe.total, nil, func(cancelled bool) {
		if cancelled {
			op.CompletionReason = calls.PlayPromptCompletionMediaOperationCanceled
			e.record(EventPromptCompleted, c.id, who, "prompt cancelled", map[string]string{"operationId": op.ID, "reason": "cancelled"})
			e.complete(c, op, false, 400, 8508, "Action failed, the operation was cancelled.")
			return
		}
		op.CompletionReason = calls.PlayPromptCompletionCompletedSuccessfully
		e.record(EventPromptCompleted, c.id, who, "prompt finished", map[string]string{"operationId": op.ID})
		e.succeed(c, op)
	})
}

// failedMedia answers a playPrompt or recordResponse whose prompt Graph could not play:
// the operation starts (200, running) and fails at once.
func (e *Emulator) failedMedia(w http.ResponseWriter, c *call, op calls.Operation, probe promptProbe, who string) {
	opResponse(w, c, op)
	id := op.Base().ID
	kind := EventPromptCompleted
	if _, rec := op.(*calls.RecordOperation); rec {
		kind = EventRecordCompleted
	}
	e.record(kind, c.id, who, "prompt not played: "+probe.err.Error(),
		map[string]string{"operationId": id, "reason": "unplayable", "uri": probe.uri})
	e.complete(c, op, false, CodePromptNotPlayable, SubcodePromptNotPlayable,
		fmt.Sprintf("%s %s: %v", MessagePromptNotPlayable, probe.uri, probe.err))
}

// updateRecordingStatus handles POST .../updateRecordingStatus.
func (e *Emulator) updateRecordingStatus(w http.ResponseWriter, c *call, req *calls.UpdateRecordingStatusRequest, who string) {
	if !c.compliance && !e.cfg.LenientRecordingStatus {
		// Graph answers 8506 "API call not allowed for non-Compliance Recording call"
		// (reported in graph-comms-samples#444 and OfficeDocs-SkypeForBusiness#8528; not
		// in Graph's docs, whose call-updaterecordingstatus page says only that the API
		// "requires the use of the Teams policy-based recording solution"). The HTTP
		// status, 403, is the emulator's choice.
		writeError(w, http.StatusForbidden, "8506", "API call not allowed for non-Compliance Recording call")
		return
	}
	op := newOp[calls.UpdateRecordingStatusOperation](e, c, req.ClientContext)
	if e.failArmed(c, op, "updateRecordingStatus", func() { opResponse(w, c, op) }) {
		return
	}
	opResponse(w, c, op)
	e.record(EventRecordingStatus, c.id, who, "recording status: "+string(req.Status), map[string]string{"status": string(req.Status)})
	e.succeed(c, op)
}

// startMedia runs a media operation for d; done(true) runs if it is cancelled first.
func (e *Emulator) startMedia(c *call, op calls.Operation, d time.Duration, m *mediaOp, done func(cancelled bool)) *mediaOp {
	if m == nil {
		m = &mediaOp{}
	}
	id := op.Base().ID
	m.cancelled = func() { done(true) }
	m.cancelTimer = e.clock.AfterFunc(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, running := c.media[id]; !running || c.ended {
			return
		}
		delete(c.media, id)
		done(false)
	})
	c.media[id] = m
	return m
}

func (e *Emulator) recordResponse(w http.ResponseWriter, c *call, req calls.RecordResponseRequest, promptDur time.Duration) {
	if c.state != calls.StateEstablished {
		badRequest(w, "Recording needs an established call.")
		return
	}
	op := newOp[calls.RecordOperation](e, c, req.ClientContext)
	if e.failArmed(c, op, "recordResponse", func() { opResponse(w, c, op) }) {
		return
	}
	opResponse(w, c, op)
	who, speech := "", time.Duration(0)
	speaker := c.person
	if speaker == nil && len(c.parties) > 1 {
		speaker = c.parties[1].person
	}
	var message []byte
	if speaker != nil {
		who, speech = speaker.name, speaker.speech()
		if wav, d := speaker.takeMessage(); wav != nil {
			message, speech = wav, d
		}
	}
	secs := func(n int32, def int32) time.Duration {
		if n <= 0 {
			n = def
		}
		return time.Duration(n) * time.Second
	}
	maxDur := secs(req.MaxRecordDurationInSeconds, 5)
	initialSilence := secs(req.InitialSilenceTimeoutInSeconds, 5)
	maxSilence := secs(req.MaxSilenceTimeoutInSeconds, 5)
	beep := time.Duration(0)
	if req.PlayBeep == nil || *req.PlayBeep {
		beep = 500 * time.Millisecond
	}
	start := promptDur + beep
	var recorded time.Duration
	switch {
	case speech == 0:
		recorded = 0
		op.CompletionReason = calls.RecordCompletionInitialSilenceTimeout
	case speech >= maxDur:
		recorded = maxDur
		op.CompletionReason = calls.RecordCompletionMaxRecordDurationReached
	default:
		recorded = speech
		op.CompletionReason = calls.RecordCompletionMaxSilenceTimeout
	}
	end := start + recorded
	switch op.CompletionReason {
	case calls.RecordCompletionInitialSilenceTimeout:
		end = start + initialSilence
	case calls.RecordCompletionMaxSilenceTimeout:
		end += maxSilence
	}
	defer e.record(EventRecordStarted, c.id, who, fmt.Sprintf("the bot records (max %s)", maxDur), map[string]string{"operationId": op.ID})
	stops := map[string]bool{}
	for _, t := range req.StopTones {
		stops[strings.ToLower(t)] = true
		if len(t) != 1 {
			continue
		}
		if tone, ok := media.ToneForKey(t[0]); ok {
			stops[string(tone.Key())] = true
		}
	}
	finish := func(d time.Duration) {
		audio := WAV(d, true)
		if message != nil {
			audio = cutWAV(message, d)
		}
		op.RecordingLocation = e.baseURL + "/_emulator/recordings/" + op.ID
		op.RecordingAccessToken = e.recs.put(op.ID, audio)
		sub := int32(0)
		if op.CompletionReason == calls.RecordCompletionMaxRecordDurationReached {
			sub = 8515
		}
		e.record(EventRecordCompleted, c.id, who, fmt.Sprintf("recorded %s (%s)", d.Round(100*time.Millisecond), op.CompletionReason),
			map[string]string{"operationId": op.ID, "recordingLocation": op.RecordingLocation, "reason": string(op.CompletionReason)})
		e.complete(c, op, true, 200, sub, "Action completed successfully.")
	}
	m := &mediaOp{stopTones: stops}
	began := e.clock.Now()
	m.finishOnTone = func() {
		m.stop()
		delete(c.media, op.ID)
		op.CompletionReason = calls.RecordCompletionStopToneDetected
		d := e.clock.Now().Sub(began) - start
		finish(max(0, min(d, recorded)))
	}
	e.startMedia(c, op, end, m, func(cancelled bool) {
		if cancelled {
			op.CompletionReason = calls.RecordCompletionOperationCanceled
			e.record(EventRecordCompleted, c.id, who, "recording cancelled", map[string]string{"operationId": op.ID, "reason": "cancelled"})
			e.complete(c, op, false, 400, 8508, "Action failed, the operation was cancelled.")
			return
		}
		finish(recorded)
	})
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
	page := calls.Collection[participants.Participant]{Value: []participants.Participant{}}
	for _, pt := range c.parties {
		page.Value = append(page.Value, e.participant(c, pt))
	}
	writeJSON(w, http.StatusOK, page)
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
	pt := c.partyByID(r.PathValue("pid"))
	if pt == nil || pt.person == nil {
		notFound(w, "Participant")
		return
	}
	w.WriteHeader(http.StatusNoContent)
	c.removeParty(pt.person)
	if c.meeting != nil {
		c.meeting.removeMember(pt.person)
	}
	e.record(EventLeft, c.id, pt.person.name, pt.person.DisplayName()+" is removed by the bot", nil)
	e.notifyRoster(c)
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
	for _, inv := range req.Participants {
		if needsAppInstance(c, inv) {
			noAppInstance(w, "Inviting a phone number")
			return
		}
	}
	op := newOp[calls.InviteParticipantsOperation](e, c, req.ClientContext)
	op.Participants = req.Participants
	// 200 with the operation and no Location (v1.0/participant-invite/02-response.http).
	if e.failArmed(c, op, "invite", func() { writeJSON(w, http.StatusOK, op) }) {
		return
	}
	writeJSON(w, http.StatusOK, op)
	inv := req.Participants[0]
	p := e.personFor(inv.Identity)
	if p == nil {
		// Undocumented: see CodeTargetNotFound.
		e.record(EventTargetNotFound, c.id, "", "the bot invites "+targetName(inv.Identity)+": "+targetNotFound(inv.Identity),
			map[string]string{"id": identityID(inv.Identity), "operationId": op.ID})
		e.complete(c, op, false, CodeTargetNotFound, SubcodeTargetNotFound, targetNotFoundMessage(inv.Identity))
		return
	}
	e.record(EventInvited, c.id, p.name, "the bot invites "+p.DisplayName(), map[string]string{"replacesCallId": inv.ReplacesCallID})
	joined := func() {
		if !c.group && c.meeting == nil {
			// The bot invited a third party into a peer-to-peer call: it is a group
			// call now (calls overview: "three or more participants"), and the bot,
			// having invited, stays in it with roster notifications (participant-invite:
			// "all participants will receive a roster update").
			c.group = true
			e.record(EventEscalated, c.id, "", "the call is now a group call: the bot invited "+p.DisplayName(), nil)
		}
		if c.meeting != nil {
			c.meeting.addInvited(p, c)
		}
		e.succeed(c, op)
		e.notifyRoster(c)
	}
	if inv.ReplacesCallID != "" {
		// Moving a peer-to-peer call: the person is already on the line.
		if other, err := e.liveCall(inv.ReplacesCallID); err == nil {
			e.terminate(other, 200, 7015, "The call was moved into another call.", p.DisplayName()+" moved into another call")
		}
		e.record(EventJoined, c.id, p.name, p.DisplayName()+" joins", nil)
		c.addParty(p)
		joined()
		return
	}
	// How an invitation the invitee declines or does not answer fails is not
	// documented: the operation fails with the codes of an outgoing call's same fate,
	// 603/0 when declined and the call-delete table's 408/10057 when unanswered.
	e.ring(c, p, true, true, func(o ringOutcome) {
		switch o {
		case ringDeclined:
			e.complete(c, op, false, declineCode, 0, inviteDeclinedMsg)
		case ringUnanswered:
			e.complete(c, op, false, noAnswerCode, noAnswerSubcode, noAnswerMsg)
		default:
			joined()
		}
	})
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
	op := newOp[calls.MuteParticipantsOperation](e, c, req.ClientContext)
	op.Participants = req.Participants
	if e.failArmed(c, op, "muteAll", func() { opResponse(w, c, op) }) {
		return
	}
	opResponse(w, c, op)
	for _, pt := range c.parties {
		if pt.person == nil || len(req.Participants) > 0 && !slices.Contains(req.Participants, pt.id) {
			continue
		}
		pt.muted = true
		e.record(EventMuted, c.id, pt.person.name, "the bot mutes "+pt.person.DisplayName(), map[string]string{"operation": "muteAll"})
	}
	e.succeed(c, op)
	e.notifyRoster(c)
}

// updateMetadata handles POST .../updateMetadata (beta, since removed from Graph's
// docs; the .NET SDK's ICall.UpdateMetadataAsync): 200 with a commsOperation, which
// completes; the bot's participant carries the metadata (participant.metadata) in
// the roster notification that follows.
func (e *Emulator) updateMetadata(w http.ResponseWriter, c *call, req *calls.UpdateMetadataRequest, who string) {
	op := newOp[calls.CommsOperation](e, c, req.ClientContext)
	if e.failArmed(c, op, "updateMetadata", func() { opResponse(w, c, op) }) {
		return
	}
	opResponse(w, c, op)
	c.bot.metadata = req.Metadata
	e.record(EventMetadataUpdated, c.id, who, "the bot sets its participant metadata", map[string]string{"metadata": req.Metadata})
	e.succeed(c, op)
	e.notifyRoster(c)
}

func (e *Emulator) participantAction(w http.ResponseWriter, r *http.Request) {
	var req calls.ClientContextRequest
	var hold calls.StartHoldMusicRequest
	action := strings.ToLower(strings.TrimPrefix(r.PathValue("action"), "microsoft.graph."))
	if !participantActions[action] {
		e.notServed(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if action == "startholdmusic" {
		if !unmarshalBody(w, body, &hold) || !valid(w, &hold) {
			return
		}
		req.ClientContext = hold.ClientContext
	} else if !unmarshalBody(w, body, &req) || !validAction(w, &req, r.PathValue("action")) {
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
	name := "the bot"
	who := ""
	if pt.person != nil {
		name, who = pt.person.DisplayName(), pt.person.name
	}
	switch action {
	case "mute":
		op := newOp[calls.MuteParticipantOperation](e, c, req.ClientContext)
		if e.failArmed(c, op, action, func() { opResponse(w, c, op) }) {
			return
		}
		opResponse(w, c, op)
		pt.muted = true
		e.record(EventMuted, c.id, who, "the bot mutes "+name, nil)
		e.succeed(c, op)
		e.notifyRoster(c)
	case "startholdmusic", "stopholdmusic":
		var op calls.Operation
		if action == "startholdmusic" {
			op = newOp[calls.StartHoldMusicOperation](e, c, req.ClientContext)
		} else {
			op = newOp[calls.StopHoldMusicOperation](e, c, req.ClientContext)
		}
		if e.failArmed(c, op, action, func() { opResponseStatus(w, c, op, http.StatusAccepted) }) {
			return
		}
		opResponseStatus(w, c, op, http.StatusAccepted)
		pt.onHold = action == "startholdmusic"
		e.record(EventHoldMusic, c.id, who, fmt.Sprintf("%s on hold: %v", name, pt.onHold), nil)
		e.succeed(c, op)
	default:
		e.notServed(w, r)
	}
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
