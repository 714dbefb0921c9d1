package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/participants"
)

// DefaultComplianceAnswerDeadline is how long a bot has to answer a compliance-recording
// invitation (reference §1.1 row 4, answer: "It must be answered within 15 s, or 5 s
// for policy-based recording").
const DefaultComplianceAnswerDeadline = 5 * time.Second

// StartComplianceRecording makes Teams invite the bot to record the person's call with
// other, as a compliance-recording (policy-based recording) policy assigned to the
// person does; other may be nil (the person's own call, with nobody else yet). The
// bot's callback URL gets the incoming call Graph sends for it
// (v1.0/call-answer/15-notification.json): addressed to the bot's application
// instance, with an incomingContext whose sourceParticipantId and
// observedParticipantId name the recorded person, a tokenMeetingInfo, and
// applicationMetadata.botData with inviteReasons ["PolicyBasedRecording"]. The bot
// must answer within Config.ComplianceAnswerDeadline (5 s), else the call fails as an
// unanswered call does. Once answered, updateRecordingStatus succeeds on it and the
// bot gets roster notifications; the call ends when the person hangs up.
func (p *Person) StartComplianceRecording(other *Person) (*CallHandle, error) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cfg.CallbackURL == "" {
		return nil, errors.New("emulator: no callback URL for incoming calls (Config.CallbackURL)")
	}
	if other == p {
		return nil, errors.New("emulator: a person cannot be recorded in a call with themselves")
	}
	c := e.newCall(calls.DirectionIncoming, e.cfg.CallbackURL)
	c.person, c.compliance, c.appInstance = p, true, true
	c.state = calls.StateIncoming
	observed := c.addParty(p)
	var otherParty *party
	if other != nil {
		otherParty = c.addParty(other)
	}
	c.res.Source = participants.Info{ODataType: "#microsoft.graph.participantInfo", Identity: p.Identity(),
		EndpointType: participants.EndpointTypeDefault, Region: "amer"}
	c.res.Targets = []participants.Invitation{{ODataType: "#microsoft.graph.invitationParticipantInfo",
		Identity: e.ApplicationInstance(), EndpointType: participants.EndpointTypeDefault}}
	c.res.MeetingInfo = &calls.TokenMeetingInfo{ODataType: "#microsoft.graph.tokenMeetingInfo", Token: "emulated-join-token-" + short(c.id)}
	c.res.CallChainID = stableID("call-chain:" + c.id)
	c.res.IncomingContext = &calls.IncomingContext{ODataType: "#microsoft.graph.incomingContext",
		SourceParticipantID: observed.id, ObservedParticipantID: observed.id}
	meta, _ := json.Marshal(map[string]any{"botData": complianceBotData(e, p, other, otherParty)})
	c.res.AdditionalData = map[string]json.RawMessage{"applicationMetadata": meta}

	h := &CallHandle{e: e, id: c.id, person: p, start: e.LastSeq()}
	who := p.DisplayName() + "'s call"
	if other != nil {
		who = fmt.Sprintf("%s's call with %s", p.DisplayName(), other.DisplayName())
	}
	defer e.record(EventIncomingCall, c.id, p.name, "Teams invites the bot to record "+who+" (compliance recording)",
		map[string]string{"inviteReason": "PolicyBasedRecording"})
	// The members of v1.0/call-answer/15-notification.json.
	e.notifyPlain(c, "created", func(r *calls.Call) {
		r.ID, r.Direction, r.TenantID, r.MyParticipantID = c.id, calls.DirectionIncoming, e.cfg.TenantID, c.bot.id
		r.Source, r.Targets, r.MeetingInfo = c.res.Source, c.res.Targets, c.res.MeetingInfo
		r.CallChainID, r.IncomingContext, r.AdditionalData = c.res.CallChainID, c.res.IncomingContext, c.res.AdditionalData
	})
	e.armAnswerDeadline(c, e.cfg.ComplianceAnswerDeadline)
	return h, nil
}

// complianceBotData is applicationMetadata.botData of a compliance-recording
// invitation, with the members of v1.0/call-answer/15-notification.json that the
// emulator can fill in.
func complianceBotData(e *Emulator, p, other *Person, otherParty *party) map[string]any {
	bd := map[string]any{
		"user":             map[string]any{"participationMethod": "caller", "clientLocation": "US"},
		"inviteReasons":    []string{"PolicyBasedRecording"},
		"policyIdentifier": "Emulated compliance recording policy",
	}
	if other != nil {
		bd["otherSideUser"] = map[string]any{"id": other.id, "participantId": otherParty.id, "tenantId": e.cfg.TenantID,
			"participationMethod": "callee", "clientLocation": "US"}
	}
	return bd
}

// armAnswerDeadline ends an incoming call the bot has not answered, rejected or
// redirected within d of its incoming notification (reference §1.1 row 4: 15 s, or 5 s
// for policy-based recording). Graph does not document how such a call ends for the
// bot; the emulator sends a deleted notification with the call-delete table's
// 408/10057, "Call timed out due to no signaling from callee endpoints" (the bot is
// the callee).
func (e *Emulator) armAnswerDeadline(c *call, d time.Duration) {
	c.cancelAnswer = e.clock.AfterFunc(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if c.state == calls.StateIncoming {
			e.terminate(c, noAnswerCode, noAnswerSubcode, noAnswerMsg, "answer deadline passed: the bot did not answer within "+d.String())
		}
	})
}
