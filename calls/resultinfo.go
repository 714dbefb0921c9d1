package calls

import (
	"encoding/json"
	"fmt"
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
	EndReasonNoSignaling              EndReason = "noSignaling"            // no signaling from the callee
	EndReasonMediaFailure             EndReason = "mediaFailure"           // media connectivity failed
	EndReasonCalleeUnavailable        EndReason = "calleeUnavailable"      // no endpoint, unreachable, or cannot route
	EndReasonPrivateCallingDisabled   EndReason = "privateCallingDisabled" // the callee's policy forbids it
	EndReasonTransferFailed           EndReason = "transferFailed"
	EndReasonOperationCanceled        EndReason = "operationCanceled"
	EndReasonMaxRecordDurationReached EndReason = "maxRecordDurationReached"
)

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
	{200, 7015}:   EndReasonTransferred,
	{200, 540000}: EndReasonRemoteHangUp, {200, 560000}: EndReasonRemoteHangUp,
	{408, 8537}: EndReasonKeepAliveTimeout, {408, 1106}: EndReasonAcceptanceTimeout,
	{408, 10057}: EndReasonNoSignaling, {410, 301005}: EndReasonMediaFailure,
	{500, 1005}:  EndReasonMediaFailure,
	{480, 10037}: EndReasonCalleeUnavailable, {480, 10076}: EndReasonCalleeUnavailable,
	{480, 10134}: EndReasonCalleeUnavailable, {480, 10199}: EndReasonPrivateCallingDisabled,
	{500, 7000}: EndReasonTransferFailed, {500, 7700}: EndReasonTransferFailed,
	{400, 8508}: EndReasonOperationCanceled, {200, 8515}: EndReasonMaxRecordDurationReached,
}

// EndReason classifies the code and subcode. Codes Graph does not document give
// EndReasonUnknown; inspect Code and Subcode for those.
func (r ResultInfo) EndReason() EndReason {
	if e, ok := endReasons[codePair{r.Code, r.Subcode}]; ok {
		return e
	}
	return EndReasonUnknown
}

// Succeeded reports whether Code is a 2xx code.
func (r ResultInfo) Succeeded() bool { return r.Code >= 200 && r.Code < 300 }
