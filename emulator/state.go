package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// party is one participant of a call: the bot or a person.
type party struct {
	id       string
	person   *Person // nil for the bot
	muted    bool
	inLobby  bool
	onHold   bool
	metadata string // participant.metadata (the bot's, set by updateMetadata)
}

// call is the emulator's state of one call. Every field is guarded by Emulator.mu.
type call struct {
	id          string
	res         calls.Call // the resource as created or answered, for GET
	callbackURI string
	state       calls.State
	person      *Person  // the other party of a peer-to-peer call
	meeting     *Meeting // the meeting the call is in
	parties     []*party
	bot         *party
	ops         map[string]calls.Operation
	opOrder     []string // operation IDs in the order they started
	groups      []calls.AudioRoutingGroup
	sharing     []*sharing // content sharing sessions
	media       map[string]*mediaOp
	tones       bool // subscribed to tones
	toneSeq     int64
	etag        int
	ended       bool
	// group is set for group calls: created with several targets, a meeting, or a
	// peer-to-peer call escalated by a third party joining it.
	group bool
	// compliance is set for a policy-based (compliance) recording invitation.
	compliance bool
	// appInstance is set when the bot is on the call through its application instance
	// (created with it as source, or called on its phone number).
	appInstance bool
	// mediaActive is set once the call's audio is up (mediaState audio active).
	mediaActive bool

	// order is when the call was made, among the emulator's calls.
	order int
	// ringing holds the people with Behavior.Manual whose phone rings for this call,
	// until they answer or decline (Person.Answer, Person.Decline) or it rings out.
	ringing map[*Person]*ringing

	cancelAnswer, cancelKeepAlive, cancelRing, cancelHangUp, cancelTransfer func()
}

// ringing is a manual person's phone ringing for a call: what answering or declining
// does, and how to stop the ring timeout. Guarded by Emulator.mu.
type ringing struct {
	answer, decline, ringOut func()
	stop                     func()
}

// newCall registers a call. Callers hold e.mu.
func (e *Emulator) newCall(dir calls.Direction, callbackURI string) *call {
	c := &call{id: e.newID(), callbackURI: callbackURI, ops: map[string]calls.Operation{},
		media: map[string]*mediaOp{}}
	c.bot = &party{id: e.newID()}
	c.parties = []*party{c.bot}
	c.res = calls.Call{ID: c.id, Direction: dir, CallbackURI: callbackURI, MyParticipantID: c.bot.id,
		TenantID: e.cfg.TenantID, RequestedModalities: []media.Modality{media.ModalityAudio}}
	e.calls[c.id] = c
	e.live[c.id] = c
	c.order = e.nextID
	return c
}

// liveCalls returns the calls that have not ended, in the order they were made.
// Callers hold e.mu.
func (e *Emulator) liveCalls() []*call {
	out := make([]*call, 0, len(e.live))
	for _, c := range e.live {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *call) int { return cmp.Compare(a.order, b.order) })
	return out
}

// sendsRoster reports whether the bot gets roster notifications for the call: in
// meetings and group calls (reference §1.1 row 1: "for meetings and group calls,
// roster notifications"), and in compliance-recording calls, where the roster tells
// the recorder whom it records.
func (c *call) sendsRoster() bool {
	return c.group || c.meeting != nil || c.compliance || len(c.parties) > 2
}

func (c *call) addParty(p *Person) *party {
	for _, pt := range c.parties {
		if pt.person == p {
			return pt
		}
	}
	pt := &party{id: stableID(c.id + "/" + p.id)}
	pt.person = p
	c.parties = append(c.parties, pt)
	return pt
}

func (c *call) removeParty(p *Person) bool {
	for i, pt := range c.parties {
		if pt.person == p {
			c.parties = append(c.parties[:i], c.parties[i+1:]...)
			return true
		}
	}
	return false
}

func (c *call) partyByID(id string) *party {
	for _, pt := range c.parties {
		if pt.id == id {
			return pt
		}
	}
	return nil
}

// liveCall returns a call that exists and has not ended.
func (e *Emulator) liveCall(id string) (*call, error) {
	c := e.calls[id]
	if c == nil || c.ended {
		return nil, fmt.Errorf("emulator: call %s: %w", id, errNotFound)
	}
	return c, nil
}

func (e *Emulator) botIdentity() participants.IdentitySet {
	return participants.Application(e.cfg.AppID, e.cfg.BotName)
}

// snapshot returns the call resource as GET returns it.
func (e *Emulator) snapshot(c *call) calls.Call {
	r := c.res
	r.ODataType = "#microsoft.graph.call"
	r.State = c.state
	if c.mediaActive && !c.ended {
		r.MediaState = media.CallMediaState{Audio: media.StateActive}
	}
	if r.Source.Identity.User == nil && r.Source.Identity.Phone == nil && r.Source.Identity.Application == nil {
		r.Source = participants.Info{Identity: e.botIdentity()}
	}
	return r
}

// envelope marshals one notification body.
func envelope(changeType, resourceURL string, data any) ([]byte, error) {
	raw, err := wire.Marshal(data)
	if err != nil {
		return nil, err
	}
	env := notifications.CommsNotifications{
		ODataType: "#microsoft.graph.commsNotifications",
		Value: []notifications.CommsNotification{{
			ODataType:    "#microsoft.graph.commsNotification",
			ChangeType:   notifications.ChangeType(changeType),
			ResourceURL:  resourceURL,
			ResourceData: raw,
		}},
	}
	return wire.Marshal(env)
}

func (e *Emulator) post(c *call, changeType, resourceURL string, data any, desc string) {
	if c.callbackURI == "" {
		return
	}
	body, err := envelope(changeType, resourceURL, data)
	if err != nil {
		e.log.Error("emulator: building a notification", "error", err)
		return
	}
	e.send(outgoing{url: c.callbackURI, body: body, desc: desc, callID: c.id})
}

// notifyCall sends a call notification with the current state; set adds members.
func (e *Emulator) notifyCall(c *call, changeType string, set func(*calls.Call)) {
	c.etag++
	r := calls.Call{
		ODataType: "#microsoft.graph.call",
		ODataID:   "/communications/calls/" + c.id,
		ODataEtag: fmt.Sprintf("W/\"%d\"", c.etag),
		State:     c.state,
	}
	if set != nil {
		set(&r)
	}
	e.post(c, changeType, "/communications/calls/"+c.id, r, fmt.Sprintf("call %s %s %s", short(c.id), changeType, c.state))
}

// notifyRoster sends the call's full roster.
func (e *Emulator) notifyRoster(c *call) {
	roster := make([]participants.Participant, 0, len(c.parties))
	for _, pt := range c.parties {
		roster = append(roster, e.participant(c, pt))
	}
	names := make([]string, 0, len(roster))
	for _, p := range roster {
		names = append(names, p.DisplayName())
	}
	e.post(c, "updated", "/communications/calls/"+c.id+"/participants", roster,
		fmt.Sprintf("roster of %s: %s", short(c.id), strings.Join(names, ", ")))
}

func (e *Emulator) participant(c *call, pt *party) participants.Participant {
	var ids participants.IdentitySet
	if pt.person == nil {
		ids = e.botIdentity()
	} else {
		ids = pt.person.Identity()
	}
	return participants.Participant{
		ODataType: "#microsoft.graph.participant",
		ID:        pt.id,
		Info:      participants.Info{ODataType: "#microsoft.graph.participantInfo", Identity: ids, LanguageID: "en-US", Region: "westeurope"},
		MediaStreams: []media.Stream{{
			MediaType: media.ModalityAudio, Label: "main-audio", SourceID: "1",
			Direction: media.DirectionSendReceive, ServerMuted: pt.muted && pt.person != nil,
		}},
		IsMuted:   pt.muted,
		IsInLobby: pt.inLobby,
		Metadata:  pt.metadata,
	}
}

// notifyOperation sends an operation's completion (changeType deleted).
func (e *Emulator) notifyOperation(c *call, op calls.Operation) {
	b := op.Base()
	b.ODataID = "/communications/calls/" + c.id + "/operations/" + b.ID
	c.etag++
	b.ODataEtag = fmt.Sprintf("W/\"%d\"", c.etag)
	url := "/communications/calls/" + c.id + "/operations/" + b.ID
	e.post(c, "deleted", url, op, fmt.Sprintf("%s %s %s", strings.TrimPrefix(op.ODataTypeName(), "#microsoft.graph."), short(b.ID), b.Status))
	// The annotations are the notification's (post has encoded it); GET of the
	// operation answers without them (v1.0/addlargegalleryviewoperation-get/02).
	b.ODataID, b.ODataEtag = "", ""
}

// newOp registers a running operation of the type T.
func newOp[T any, PT interface {
	*T
	calls.Operation
}](e *Emulator, c *call, clientContext string) PT {
	op := PT(new(T))
	b := op.Base()
	b.ODataType = op.ODataTypeName()
	b.ID = e.newID()
	b.ClientContext = clientContext
	b.Status = calls.OperationRunning
	c.ops[b.ID] = op
	c.opOrder = append(c.opOrder, b.ID)
	return op
}

// succeed completes an operation successfully, as Graph reports it.
func (e *Emulator) succeed(c *call, op calls.Operation) {
	e.complete(c, op, true, 200, 0, "Action completed successfully.")
}

// complete finishes an operation and notifies it.
func (e *Emulator) complete(c *call, op calls.Operation, ok bool, code, subcode int32, msg string) {
	b := op.Base()
	if ok {
		b.Status = calls.OperationCompleted
	} else {
		b.Status = calls.OperationFailed
	}
	b.ResultInfo = resultInfo(code, subcode, msg)
	if !c.ended {
		e.notifyOperation(c, op)
	}
}

// establish moves a call to established and starts its keep-alive clock.
func (e *Emulator) establish(c *call) {
	c.state = calls.StateEstablished
	e.notifyCall(c, "updated", nil)
	who := ""
	if c.person != nil {
		who = c.person.name
	}
	e.armKeepAlive(c)
	defer e.record(EventEstablished, c.id, who, "call established", nil)
	if c.sendsRoster() {
		e.notifyRoster(c)
	}
	e.notifyMediaActive(c)
	if p := c.person; p != nil && p.behavior.HangUpAfter > 0 {
		c.cancelHangUp = e.clock.AfterFunc(p.behavior.HangUpAfter, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if !c.ended {
				e.personLeaves(c, p)
			}
		})
	}
}

// notifyMediaActive sends the update Graph sends once a call's audio is up: state
// established and mediaState {"audio": "active"} (recorded in
// testdata/notifications/call-established.json; the docs' examples show mediaState only
// as null in create responses). A bot in a group call or meeting, which gets no other
// signal that it can be heard, plays its first prompt on it. The emulator sends it
// right after the established notification (and the first roster) of every call.
func (e *Emulator) notifyMediaActive(c *call) {
	c.mediaActive = true
	e.notifyCall(c, "updated", func(r *calls.Call) {
		r.MediaState = media.CallMediaState{Audio: media.StateActive}
	})
}

func (e *Emulator) armKeepAlive(c *call) {
	if c.cancelKeepAlive != nil {
		c.cancelKeepAlive()
	}
	c.cancelKeepAlive = e.clock.AfterFunc(e.cfg.KeepAliveTimeout, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if !c.ended {
			e.terminate(c, 408, 8537, "The call was ended because no keepAlive was received.", "no keepAlive for "+e.cfg.KeepAliveTimeout.String())
		}
	})
}

// terminate ends a call with a deleted notification carrying resultInfo code/subcode.
func (e *Emulator) terminate(c *call, code, subcode int32, msg, why string) {
	ri := resultInfo(code, subcode, msg)
	e.end(c, ending{info: &ri, why: why})
}

// ending is how a call ends for the bot: the shape of its deleted notification.
type ending struct {
	// info is the resultInfo; nil sends none (redirect, reject, consultative transfer).
	info *calls.ResultInfo
	// terminationReason is sent when set ("AppTransferred").
	terminationReason string
	// bare sends only @odata.type and @odata.id, as call-reject's notification does.
	bare bool
	// snapshot sends the call resource, as call-redirect's notification does.
	snapshot bool
	// plain sends no @odata.id or @odata.etag, as call-transfer's notifications do.
	plain bool
	// why is the transcript's account of it.
	why string
}

// end ends a call: its deleted notification, timers stopped.
func (e *Emulator) end(c *call, how ending) {
	if c.ended {
		return
	}
	for _, cancel := range []func(){c.cancelAnswer, c.cancelKeepAlive, c.cancelRing, c.cancelHangUp, c.cancelTransfer} {
		if cancel != nil {
			cancel()
		}
	}
	for id, m := range c.media {
		m.stop()
		delete(c.media, id)
	}
	for p, rg := range c.ringing {
		rg.stop()
		delete(c.ringing, p)
	}
	c.state = calls.StateTerminated
	switch {
	case how.bare:
		c.etag++
		e.post(c, "deleted", "/communications/calls/"+c.id,
			calls.Call{ODataType: "#microsoft.graph.call", ODataID: "/communications/calls/" + c.id},
			fmt.Sprintf("call %s deleted", short(c.id)))
	case how.snapshot:
		c.etag++
		// The members of v1.0/call-redirect/08-notification.json.
		r := calls.Call{ODataType: "#microsoft.graph.call", ID: c.id, State: c.state, Direction: c.res.Direction,
			CallbackURI: c.callbackURI, Source: endSource(c.res.Source), Targets: c.res.Targets, MyParticipantID: c.bot.id}
		if how.info != nil {
			r.ResultInfo = *how.info
		}
		r.TerminationReason = how.terminationReason
		e.post(c, "deleted", "/communications/calls/"+c.id, r, fmt.Sprintf("call %s deleted %s", short(c.id), c.state))
	default:
		notify := e.notifyCall
		if how.plain {
			notify = e.notifyPlain
		}
		notify(c, "deleted", func(r *calls.Call) {
			if how.info != nil {
				r.ResultInfo = *how.info
			}
			r.TerminationReason = how.terminationReason
		})
	}
	c.ended = true
	delete(e.live, c.id)
	who := ""
	if c.person != nil {
		who = c.person.name
	}
	detail, data := how.why, map[string]string{}
	if how.info != nil {
		code, sub := how.info.Code, how.info.Subcode
		detail += fmt.Sprintf(" (%d/%d)", code, sub)
		data["code"], data["subcode"] = fmt.Sprint(code), fmt.Sprint(sub)
	} else {
		detail += " (no resultInfo)"
	}
	if how.terminationReason != "" {
		data["terminationReason"] = how.terminationReason
	}
	e.record(EventTerminated, c.id, who, detail, data)
	if c.meeting != nil {
		c.meeting.removeCall(c)
	}
}

// endSource is the call's source as call-redirect's deleted notifications write it
// (v1.0/call-redirect/08-notification.json, 12-notification.txt): identities without
// display names, the region, no languageId.
func endSource(src participants.Info) participants.Info {
	out := participants.Info{ODataType: src.ODataType, Identity: src.Identity, Region: src.Region}
	for _, id := range []**participants.Identity{&out.Identity.User, &out.Identity.Phone, &out.Identity.Guest, &out.Identity.ApplicationInstance} {
		if *id != nil {
			cp := **id
			cp.DisplayName = ""
			*id = &cp
		}
	}
	return out
}

// resultInfo returns a resultInfo as Graph writes it: code and subcode are always
// written, zeros included, as the docs' examples have them (v1.0/call-playprompt/03:
// "subcode": 0; v1.0/call-transfer/05: "code": 0). calls.ResultInfo leaves zeros out
// (omitzero), so they go in AdditionalData, which the encoder writes for a member
// whose field is zero and skips otherwise.
func resultInfo(code, subcode int32, msg string) calls.ResultInfo {
	return calls.ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: code, Subcode: subcode, Message: msg,
		AdditionalData: map[string]json.RawMessage{"code": json.RawMessage("0"), "subcode": json.RawMessage("0")}}
}

// personLeaves handles a person hanging up or leaving. In a meeting, hanging up is
// leaving the meeting: the person is out of every bot call in it.
func (e *Emulator) personLeaves(c *call, p *Person) {
	if c.meeting == nil && (!c.group || len(c.parties) <= 2) {
		e.record(EventLeft, c.id, p.name, p.DisplayName()+" hangs up", nil)
		e.terminate(c, 200, 4521, "The call was ended by the other party.", p.DisplayName()+" hung up")
		return
	}
	if c.meeting != nil {
		c.meeting.leave(p, c.id, p.DisplayName()+" leaves "+c.meeting.subject)
		return
	}
	if c.removeParty(p) {
		e.record(EventLeft, c.id, p.name, p.DisplayName()+" leaves", nil)
		e.notifyRoster(c)
	}
}

// pressLocked handles one key press.
func (e *Emulator) pressLocked(c *call, p *Person, key byte) error {
	tone, ok := media.ToneForKey(key)
	if !ok {
		return fmt.Errorf("emulator: %q is not a DTMF key", key)
	}
	who := ""
	if p != nil {
		who = p.name
	}
	for _, m := range c.media {
		if m.stopTones != nil && m.stopTones[string(key)] {
			e.record(EventTonePressed, c.id, who, fmt.Sprintf("presses %c (a stop tone)", key), map[string]string{"keys": string(key)})
			m.finishOnTone()
			return nil
		}
	}
	if !c.tones {
		e.record(EventTonePressed, c.id, who, fmt.Sprintf("presses %c, but the bot has not subscribed to tones", key), map[string]string{"keys": string(key)})
		return nil
	}
	c.toneSeq++
	seq := c.toneSeq
	e.record(EventTonePressed, c.id, who, fmt.Sprintf("presses %c", key), map[string]string{"keys": string(key)})
	e.notifyCall(c, "updated", func(r *calls.Call) {
		r.ToneInfo = media.ToneInfo{SequenceID: seq, Tone: tone}
		r.ODataID, r.ODataEtag = "", ""
	})
	return nil
}

// short abbreviates an ID for logs.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// mediaOp is a running playPrompt or recordResponse.
type mediaOp struct {
	// kind is "prompt" or "record"; uris are a prompt's URIs; started is when it began
	// (MediaState).
	kind    string
	uris    []string
	started time.Time

	cancelTimer  func()
	stopTones    map[string]bool
	finishOnTone func()
	cancelled    func() // completes the operation as cancelled
	// speak, set on a recording, makes the person say a message now
	// (Person.SetNextRecording during the recording); false when the recording is
	// over.
	speak func(wav []byte, d time.Duration) bool
}

func (m *mediaOp) stop() {
	if m.cancelTimer != nil {
		m.cancelTimer()
	}
}

// graphError is Graph's error body: {"error": {"code", "message", "innerError":
// {"request-id", "date", "client-request-id"}}}. The IDs are the ones the response's
// headers carry (set by Emulator.graph), when h has them.
func graphError(h http.Header, code, message string) []byte {
	inner := map[string]any{"date": time.Now().UTC().Format(time.RFC3339)}
	rid := ""
	if h != nil {
		rid = h.Get("request-id")
		if crid := h.Get("client-request-id"); crid != "" {
			inner["client-request-id"] = crid
		}
	}
	if rid == "" {
		rid = requestID()
	}
	inner["request-id"] = rid
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": message, "innerError": inner}})
	return b
}
