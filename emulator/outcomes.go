package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/participants"
)

// notifyPlain sends a call notification with only @odata.type, the state and what set
// adds: the shape of the call-transfer notifications (v1.0/call-transfer/03 to 06 and
// 09 to 12), which carry no @odata.id or @odata.etag.
func (e *Emulator) notifyPlain(c *call, changeType string, set func(*calls.Call)) {
	c.etag++
	r := calls.Call{ODataType: "#microsoft.graph.call", State: c.state}
	if set != nil {
		set(&r)
	}
	e.post(c, changeType, "/communications/calls/"+c.id, r, fmt.Sprintf("call %s %s %s", short(c.id), changeType, c.state))
}

// needsAppInstance reports whether an invitation names a phone number while the bot is
// not on the call through its application instance: Graph reaches phone numbers only
// from one (call-transfer: "Transfer to PSTN number is supported only for application
// instance"; call-redirect and participant-invite: "This call requires an application
// instance with a PSTN number assigned").
func needsAppInstance(c *call, inv participants.Invitation) bool {
	return isPhone(inv.Identity) && !c.appInstance
}

// redirect handles POST .../redirect: the call ends for the bot with a deleted
// notification carrying the call and no resultInfo
// (v1.0/call-redirect/08-notification.json).
func (e *Emulator) redirect(c *call, req *calls.RedirectRequest, who string) (reply, *apiError) {
	if c.state != calls.StateIncoming {
		return reply{}, badRequestError("Only an incoming call can be redirected.")
	}
	for _, t := range req.Targets {
		if needsAppInstance(c, t) {
			return reply{}, noAppInstance("Redirecting to a phone number")
		}
	}
	return reply{status: http.StatusAccepted, after: func() {
		target := describe(e, req.Targets[0])
		e.record(EventRedirected, c.id, who, "the bot redirects the call to "+target, map[string]string{"target": target})
		e.end(c, ending{snapshot: true, why: "redirected to " + target})
	}}, nil
}

// Transfer outcomes (v1.0/call-transfer). A blind transfer ends the call with
// resultInfo 0/7015 "GracefulTransferCompleted" (05-notification.json); a consultative
// one (transferTarget.replacesCallId set) with terminationReason "AppTransferred" and
// no resultInfo (11-notification.json). A failed transfer takes the call back to
// established with resultInfo 500 and subCode 7000 (blind, 06) or 7700 (consultative,
// 12, with replacesContext when the target is a user; 24, the phone-number example,
// has none), spelt subCode as the docs spell it.
const (
	transferDoneCode        = 0
	transferDoneSubcode     = 7015
	transferDoneMsg         = "GracefulTransferCompleted"
	transferFailedCode      = 500
	transferFailedSubcode   = 7000
	consultFailedSubcode    = 7700
	transferReasonConsulted = "AppTransferred"
)

// transfer handles POST .../transfer: transferring at once, then, when the target takes
// the call (after its Behavior.AnswerAfter), transferAccepted and the call's end; or,
// when the target declines (after a second of ringing), does not answer (after the
// ring timeout), cannot be found, or the call a consultative transfer replaces is
// gone, back to established with the failure's resultInfo. The call stays up then.
func (e *Emulator) transfer(c *call, req *calls.TransferRequest, who string) (reply, *apiError) {
	if c.state != calls.StateEstablished {
		return reply{}, badRequestError("Only an established call can be transferred.")
	}
	if needsAppInstance(c, req.TransferTarget) {
		return reply{}, noAppInstance("Transferring to a phone number")
	}
	return reply{status: http.StatusAccepted, after: func() { e.startTransfer(c, req.TransferTarget, who) }}, nil
}

// startTransfer runs a transfer to tt, once the request is answered.
func (e *Emulator) startTransfer(c *call, tt participants.Invitation, who string) {
	target := describe(e, tt)
	e.record(EventTransferred, c.id, who, "the bot transfers the call to "+target, map[string]string{"target": target})
	c.state = calls.StateTransferring
	e.notifyPlain(c, "updated", nil)

	var replaced *call
	if tt.ReplacesCallID != "" {
		replaced, _ = e.liveCall(tt.ReplacesCallID)
	}
	p := e.personFor(tt.Identity)
	voicemail := tt.EndpointType == participants.EndpointTypeVoicemail || tt.Identity.EndpointType == participants.EndpointTypeVoicemail
	after := func(d time.Duration, f func()) {
		if d <= 0 {
			f()
			return
		}
		c.cancelTransfer = e.clock.AfterFunc(d, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if !c.ended && c.state == calls.StateTransferring {
				f()
			}
		})
	}
	ok := func() { e.transferDone(c, replaced, target) }
	fail := func(why string) func() { return func() { e.transferFailed(c, tt, why) } }
	switch {
	case tt.ReplacesCallID != "" && replaced == nil:
		fail("the call it replaces (" + tt.ReplacesCallID + ") has ended or does not exist")()
	case voicemail:
		ok()
	case p == nil:
		fail(target + " could not be found")()
	case replaced != nil && replaced.hasPerson(p):
		ok() // already on the line with the bot: nothing rings
	case p.behavior.Decline:
		after(time.Second, fail(p.DisplayName()+" declined"))
	case p.behavior.NoAnswer:
		after(e.cfg.RingTimeout, fail(p.DisplayName()+" did not answer"))
	default:
		after(p.behavior.AnswerAfter, ok)
	}
}

// transferDone completes a transfer: transferAccepted, then the call's end (and, for a
// consultative transfer, the end of the call it replaces).
func (e *Emulator) transferDone(c, replaced *call, target string) {
	c.state = calls.StateTransferAccepted
	e.notifyPlain(c, "updated", nil)
	if replaced == nil {
		ri := resultInfo(transferDoneCode, transferDoneSubcode, transferDoneMsg)
		e.end(c, ending{info: &ri, plain: true, why: "transferred to " + target})
		return
	}
	e.end(c, ending{terminationReason: transferReasonConsulted, plain: true, why: "transferred to " + target})
	// The call the transfer replaced (the bot's call with the target) ends too. Graph
	// does not document its notification; the emulator sends the transferred call's:
	// terminated, terminationReason AppTransferred, no resultInfo.
	if !replaced.ended {
		e.end(replaced, ending{terminationReason: transferReasonConsulted, plain: true,
			why: "replaced by the consultative transfer of call " + short(c.id)})
	}
}

// transferFailed takes the call back to established with the failure's resultInfo.
func (e *Emulator) transferFailed(c *call, tt participants.Invitation, why string) {
	consult := tt.ReplacesCallID != ""
	sub := int32(transferFailedSubcode)
	if consult {
		sub = consultFailedSubcode
	}
	c.state = calls.StateEstablished
	ri := calls.ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: transferFailedCode,
		Message: "The transfer failed: " + why + ".",
		// The docs write "subCode" (v1.0/call-transfer/06, 12, 18, 24).
		AdditionalData: map[string]json.RawMessage{"subCode": json.RawMessage(fmt.Sprint(sub))}}
	e.notifyPlain(c, "updated", func(r *calls.Call) {
		r.ResultInfo = ri
		if consult && !isPhone(tt.Identity) {
			// v1.0/call-transfer/12 sends replacesContext, a string the docs leave as
			// "<replacesContext>"; the emulator sends the replaced call's ID.
			raw, _ := json.Marshal(tt.ReplacesCallID)
			r.AdditionalData = map[string]json.RawMessage{"replacesContext": raw}
		}
	})
	who := ""
	if c.person != nil {
		who = c.person.name
	}
	e.record(EventTransferFailed, c.id, who, fmt.Sprintf("the transfer failed: %s (%d/%d)", why, transferFailedCode, sub),
		map[string]string{"code": fmt.Sprint(transferFailedCode), "subcode": fmt.Sprint(sub)})
}

// hasPerson reports whether p is on the call.
func (c *call) hasPerson(p *Person) bool {
	for _, pt := range c.parties {
		if pt.person == p {
			return true
		}
	}
	return false
}
