package calls

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ResultInfo is the outcome of a call or operation (Graph type resultInfo): an HTTP-like
// Code, a Subcode that says more, and a Message. Graph sometimes sends the numbers as
// strings; they decode all the same. A non-numeric subcode (seen in old transfer
// notifications) stays in AdditionalData under its original name.
type ResultInfo struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Code           int32                      `json:"code,omitzero"`
	Subcode        int32                      `json:"subcode,omitzero"`
	Message        string                     `json:"message,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// String returns "code/subcode: message".
func (r ResultInfo) String() string {
	if r.Message == "" {
		return fmt.Sprintf("%d/%d", r.Code, r.Subcode)
	}
	return fmt.Sprintf("%d/%d: %s", r.Code, r.Subcode, r.Message)
}

// EndReason classifies why a call ended, from its resultInfo code and subcode.
type EndReason string

// EndReason values, from the codes Graph documents for ended calls. EndReasonUnknown is
// returned for any other code; the ResultInfo itself keeps the numbers.
const (
	EndReasonUnknown                  EndReason = "unknown"
	EndReasonRemoteHangUp             EndReason = "remoteHangUp"           // another party ended the call
	EndReasonRemovedByParticipant     EndReason = "removedByParticipant"   // removed by another participant
	EndReasonConversationEnded        EndReason = "conversationEnded"      // the meeting or group call ended
	EndReasonAllOthersLeft            EndReason = "allOthersLeft"          // everybody else left
	EndReasonNoOtherParticipants      EndReason = "noOtherParticipants"    // nobody else joined or remained
	EndReasonLobbyTimeout             EndReason = "lobbyTimeout"           // waited in the lobby too long
	EndReasonBreakoutRoomEnded        EndReason = "breakoutRoomEnded"      // breakout-room time elapsed
	EndReasonBotHangUp                EndReason = "botHangUp"              // the bot ended the call
	EndReasonTransferred              EndReason = "transferred"            // a transfer completed
	EndReasonKeepAliveTimeout         EndReason = "keepAliveTimeout"       // no keepAlive for 45 minutes
	EndReasonAcceptanceTimeout        EndReason = "acceptanceTimeout"      // no ack for the call acceptance
	EndReasonNoAnswer                 EndReason = "noAnswer"               // nobody answered: no signaling from the callee's endpoints
	EndReasonDeclined                 EndReason = "declined"               // the callee declined (see EndReason)
	EndReasonRedirected               EndReason = "redirected"             // the bot redirected the call
	EndReasonRejected                 EndReason = "rejected"               // the bot rejected the call
	EndReasonMediaFailure             EndReason = "mediaFailure"           // media connectivity failed
	EndReasonCalleeUnavailable        EndReason = "calleeUnavailable"      // no endpoint, unreachable, or cannot route
	EndReasonPrivateCallingDisabled   EndReason = "privateCallingDisabled" // the callee's policy forbids it
	EndReasonTransferFailed           EndReason = "transferFailed"
	EndReasonOperationCanceled        EndReason = "operationCanceled"
	EndReasonMaxRecordDurationReached EndReason = "maxRecordDurationReached"

	// EndReasonNoSignaling is the former name of EndReasonNoAnswer (408/10057, "Call
	// timed out due to no signaling from callee endpoints").
	//
	// Deprecated: use EndReasonNoAnswer.
	EndReasonNoSignaling = EndReasonNoAnswer
)

// TerminationReasonAppTransferred is the call's terminationReason (beta, but sent on
// v1.0 too) when a consultative transfer completed; that notification carries no
// resultInfo (call-transfer, "Notification - transfer completed", consultative).
const TerminationReasonAppTransferred = "AppTransferred"

type codePair struct{ code, subcode int32 }

// endReasons is the table in reference/graph-calls-api.md §2.4.
var endReasons = map[codePair]EndReason{
	{200, 4097}: EndReasonRemoteHangUp, {200, 4521}: EndReasonRemoteHangUp,
	{200, 5000}: EndReasonRemovedByParticipant, {200, 5300}: EndReasonRemovedByParticipant,
	{200, 5001}: EndReasonConversationEnded, {200, 5003}: EndReasonConversationEnded,
	{200, 5007}: EndReasonConversationEnded,
	{200, 5002}: EndReasonAllOthersLeft, {200, 18503}: EndReasonRemoteHangUp,
	{200, 5010}: EndReasonNoOtherParticipants, {200, 5012}: EndReasonNoOtherParticipants,
	{200, 5013}: EndReasonNoOtherParticipants, {200, 5014}: EndReasonNoOtherParticipants,
	{200, 5020}: EndReasonNoOtherParticipants,
	{200, 5030}: EndReasonBreakoutRoomEnded, {200, 5855}: EndReasonLobbyTimeout,
	{200, 7000}: EndReasonBotHangUp, {200, 10550}: EndReasonBotHangUp,
	{200, 7015}: EndReasonTransferred,
	// call-transfer sends a completed blind transfer as code 0 (not 200), subcode
	// 7015, "GracefulTransferCompleted" (v1.0 and beta).
	{0, 7015}:     EndReasonTransferred,
	{200, 540000}: EndReasonRemoteHangUp, {200, 560000}: EndReasonRemoteHangUp,
	{408, 8537}: EndReasonKeepAliveTimeout, {408, 1106}: EndReasonAcceptanceTimeout,
	{408, 10057}: EndReasonNoAnswer, {410, 301005}: EndReasonMediaFailure,
	{500, 1005}:  EndReasonMediaFailure,
	{480, 10037}: EndReasonCalleeUnavailable, {480, 10076}: EndReasonCalleeUnavailable,
	{480, 10134}: EndReasonCalleeUnavailable, {480, 10199}: EndReasonPrivateCallingDisabled,
	{500, 7000}: EndReasonTransferFailed, {500, 7700}: EndReasonTransferFailed,
	{400, 8508}: EndReasonOperationCanceled, {200, 8515}: EndReasonMaxRecordDurationReached,
}

// EndReason classifies the code and subcode. Codes Graph does not document give
// EndReasonUnknown; inspect Code and Subcode for those.
//
// Graph does not document how an outgoing call the callee declines ends: any code 603
// ("decline", the code Azure Communication Services documents for a call declined by
// a Teams user) gives EndReasonDeclined. The call-delete table's 408/10057 ("no
// signaling from callee endpoints") is what a call nobody answers ends with, and
// gives EndReasonNoAnswer.
func (r ResultInfo) EndReason() EndReason {
	if e, ok := endReasons[codePair{r.Code, r.Subcode}]; ok {
		return e
	}
	if r.Code == 603 {
		return EndReasonDeclined
	}
	return EndReasonUnknown
}

// IsZero reports whether r carries nothing: no code, subcode or message (a
// notification without resultInfo decodes to it).
func (r ResultInfo) IsZero() bool { return r.Code == 0 && r.Subcode == 0 && r.Message == "" }

// EndReason classifies why c ended, from what Graph sent: a terminationReason of
// "AppTransferred" (a consultative transfer, which carries no resultInfo) gives
// EndReasonTransferred; otherwise its ResultInfo decides. A terminated call with
// neither (Graph sends a redirected or rejected call so) gives EndReasonUnknown: the
// stateful client, which knows what the bot asked for, fills in EndReasonRedirected
// or EndReasonRejected.
func (c *Call) EndReason() EndReason {
	if strings.EqualFold(c.TerminationReason, TerminationReasonAppTransferred) {
		return EndReasonTransferred
	}
	return c.ResultInfo.EndReason()
}

// Succeeded reports whether Code is a 2xx code.
func (r ResultInfo) Succeeded() bool { return r.Code >= 200 && r.Code < 300 }
