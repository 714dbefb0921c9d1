package emulator

import (
	"encoding/json"
	"fmt"
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
	id      string
	person  *Person // nil for the bot
	muted   bool
	inLobby bool
	onHold  bool
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
	media       map[string]*mediaOp
	tones       bool // subscribed to tones
	toneSeq     int64
	etag        int
	ended       bool

	cancelAnswer, cancelKeepAlive, cancelRing, cancelHangUp func()
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
	return c
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
	b.ResultInfo = calls.ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: code, Subcode: subcode, Message: msg}
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
	if c.meeting != nil || len(c.parties) > 2 {
		e.notifyRoster(c)
	}
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

// terminate ends a call: a deleted notification with resultInfo, timers stopped.
func (e *Emulator) terminate(c *call, code, subcode int32, msg, why string) {
	if c.ended {
		return
	}
	for _, cancel := range []func(){c.cancelAnswer, c.cancelKeepAlive, c.cancelRing, c.cancelHangUp} {
		if cancel != nil {
			cancel()
		}
	}
	for id, m := range c.media {
		m.stop()
		delete(c.media, id)
	}
	c.state = calls.StateTerminated
	e.notifyCall(c, "deleted", func(r *calls.Call) {
		r.ResultInfo = calls.ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: code, Subcode: subcode, Message: msg}
	})
	c.ended = true
	who := ""
	if c.person != nil {
		who = c.person.name
	}
	e.record(EventTerminated, c.id, who, fmt.Sprintf("%s (%d/%d)", why, code, subcode),
		map[string]string{"code": fmt.Sprint(code), "subcode": fmt.Sprint(subcode)})
	if c.meeting != nil {
		c.meeting.removeCall(c)
	}
}

// personLeaves handles a person hanging up or leaving.
func (e *Emulator) personLeaves(c *call, p *Person) {
	if c.meeting == nil && len(c.parties) <= 2 {
		e.record(EventLeft, c.id, p.name, p.DisplayName()+" hangs up", nil)
		e.terminate(c, 200, 4521, "The call was ended by the other party.", p.DisplayName()+" hung up")
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
	cancelTimer  func()
	stopTones    map[string]bool
	finishOnTone func()
	cancelled    func() // completes the operation as cancelled
}

func (m *mediaOp) stop() {
	if m.cancelTimer != nil {
		m.cancelTimer()
	}
}

// graphError is Graph's error body.
func graphError(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"request-id": requestID(), "date": time.Now().UTC().Format(time.RFC3339)},
	}})
	return b
}
