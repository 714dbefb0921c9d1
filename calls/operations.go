package calls

import (
	"encoding/json"
	"strings"

	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/participants"
)

// Operation is an asynchronous call action (Graph abstract entity commsOperation and its
// subtypes). Actions such as playPrompt return one with Status running; its completion
// arrives later as a notification, or by GET on the operation.
type Operation interface {
	// ODataTypeName returns the @odata.type the value is written with.
	ODataTypeName() string
	// Base returns the members every operation has.
	Base() *CommsOperation
}

// CommsOperation holds the members every operation has (Graph entity commsOperation).
// Decoded on its own it is an operation whose @odata.type this package does not know,
// or the base type itself (beta configureMixer).
type CommsOperation struct {
	ODataType string `json:"@odata.type,omitzero"`
	// ODataID and ODataEtag are the resource's OData annotations (@odata.id,
	// @odata.etag) as Graph sends them on notifications.
	ODataID   string `json:"@odata.id,omitzero"`
	ODataEtag string `json:"@odata.etag,omitzero"`
	ID        string `json:"id,omitzero"`
	// ClientContext is the caller's own correlation string, echoed back.
	ClientContext  string                     `json:"clientContext,omitzero"`
	ResultInfo     ResultInfo                 `json:"resultInfo,omitzero"`
	Status         OperationStatus            `json:"status,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// Base returns o.
func (o *CommsOperation) Base() *CommsOperation { return o }

// ODataTypeName returns "#microsoft.graph.commsOperation".
func (o *CommsOperation) ODataTypeName() string { return odata.Type("commsOperation") }

// OperationStatus is the status of an operation (Graph enum operationStatus). The schema
// spells the values in PascalCase but Graph sends camelCase; both decode, to these
// constants.
type OperationStatus string

// OperationStatus values.
const (
	OperationNotStarted OperationStatus = "notStarted"
	OperationRunning    OperationStatus = "running"
	OperationCompleted  OperationStatus = "completed"
	OperationFailed     OperationStatus = "failed"
)

var operationStatuses = wire.Enum(OperationNotStarted, OperationRunning, OperationCompleted, OperationFailed)

// IsKnown reports whether s is a documented value.
func (s OperationStatus) IsKnown() bool { return operationStatuses.Known(s) }

// IsFinal reports whether the operation has finished (completed or failed).
func (s OperationStatus) IsFinal() bool { return s == OperationCompleted || s == OperationFailed }

// AddLargeGalleryViewOperation is the result of addLargeGalleryView.
type AddLargeGalleryViewOperation struct{ CommsOperation }

// CancelMediaProcessingOperation is the result of cancelMediaProcessing.
type CancelMediaProcessingOperation struct{ CommsOperation }

// InviteParticipantsOperation is the result of participants/invite.
type InviteParticipantsOperation struct {
	CommsOperation
	Participants []participants.Invitation `json:"participants,omitzero"`
}

// MuteParticipantOperation is the result of mute (self) and participants/{id}/mute.
type MuteParticipantOperation struct{ CommsOperation }

// UnmuteParticipantOperation is the result of unmute.
type UnmuteParticipantOperation struct{ CommsOperation }

// MuteParticipantsOperation is Beta: the result of participants/muteAll.
type MuteParticipantsOperation struct {
	CommsOperation
	Participants []string `json:"participants,omitzero"`
}

// PlayPromptOperation is the result of playPrompt.
type PlayPromptOperation struct {
	CommsOperation
	// CompletionReason is Beta.
	CompletionReason PlayPromptCompletionReason `json:"completionReason,omitzero"`
}

// RecordOperation is the result of recordResponse. When it completes,
// RecordingLocation is where the recording can be fetched (at once, with
// RecordingAccessToken as a bearer token).
type RecordOperation struct {
	CommsOperation
	RecordingAccessToken string `json:"recordingAccessToken,omitzero"`
	RecordingLocation    string `json:"recordingLocation,omitzero"`
	// CompletionReason is Beta (v1.0 examples show it too).
	CompletionReason RecordCompletionReason `json:"completionReason,omitzero"`
}

// SendDtmfTonesOperation is the result of sendDtmfTones.
type SendDtmfTonesOperation struct {
	CommsOperation
	CompletionReason SendDtmfCompletionReason `json:"completionReason,omitzero"`
}

// StartHoldMusicOperation is the result of participants/{id}/startHoldMusic.
type StartHoldMusicOperation struct{ CommsOperation }

// StopHoldMusicOperation is the result of participants/{id}/stopHoldMusic.
type StopHoldMusicOperation struct{ CommsOperation }

// SubscribeToToneOperation is the result of subscribeToTone.
type SubscribeToToneOperation struct{ CommsOperation }

// UpdateRecordingStatusOperation is the result of updateRecordingStatus.
type UpdateRecordingStatusOperation struct{ CommsOperation }

// StartRecordingOperation is Beta: the result of microsoft.graph.StartRecording.
type StartRecordingOperation struct{ CommsOperation }

// StopRecordingOperation is Beta: the result of microsoft.graph.StopRecording.
type StopRecordingOperation struct{ CommsOperation }

// StartTranscriptionOperation is Beta: the result of microsoft.graph.StartTranscription.
type StartTranscriptionOperation struct{ CommsOperation }

// StopTranscriptionOperation is Beta: the result of microsoft.graph.StopTranscription.
type StopTranscriptionOperation struct{ CommsOperation }

// AdmitFromLobbyOperation is Beta (schema only, no documented action).
type AdmitFromLobbyOperation struct{ CommsOperation }

// AdmitAllFromLobbyOperation is Beta (schema only, no documented action).
type AdmitAllFromLobbyOperation struct{ CommsOperation }

// RemoveFromLobbyOperation is Beta (schema only, no documented action).
type RemoveFromLobbyOperation struct{ CommsOperation }

// ODataTypeName returns "#microsoft.graph.addLargeGalleryViewOperation".
func (*AddLargeGalleryViewOperation) ODataTypeName() string {
	return odata.Type("addLargeGalleryViewOperation")
}

// ODataTypeName returns "#microsoft.graph.cancelMediaProcessingOperation".
func (*CancelMediaProcessingOperation) ODataTypeName() string {
	return odata.Type("cancelMediaProcessingOperation")
}

// ODataTypeName returns "#microsoft.graph.inviteParticipantsOperation".
func (*InviteParticipantsOperation) ODataTypeName() string {
	return odata.Type("inviteParticipantsOperation")
}

// ODataTypeName returns "#microsoft.graph.muteParticipantOperation".
func (*MuteParticipantOperation) ODataTypeName() string {
	return odata.Type("muteParticipantOperation")
}

// ODataTypeName returns "#microsoft.graph.unmuteParticipantOperation".
func (*UnmuteParticipantOperation) ODataTypeName() string {
	return odata.Type("unmuteParticipantOperation")
}

// ODataTypeName returns "#microsoft.graph.muteParticipantsOperation".
func (*MuteParticipantsOperation) ODataTypeName() string {
	return odata.Type("muteParticipantsOperation")
}

// ODataTypeName returns "#microsoft.graph.playPromptOperation".
func (*PlayPromptOperation) ODataTypeName() string { return odata.Type("playPromptOperation") }

// ODataTypeName returns "#microsoft.graph.recordOperation".
func (*RecordOperation) ODataTypeName() string { return odata.Type("recordOperation") }

// ODataTypeName returns "#microsoft.graph.sendDtmfTonesOperation".
func (*SendDtmfTonesOperation) ODataTypeName() string { return odata.Type("sendDtmfTonesOperation") }

// ODataTypeName returns "#microsoft.graph.startHoldMusicOperation".
func (*StartHoldMusicOperation) ODataTypeName() string { return odata.Type("startHoldMusicOperation") }

// ODataTypeName returns "#microsoft.graph.stopHoldMusicOperation".
func (*StopHoldMusicOperation) ODataTypeName() string { return odata.Type("stopHoldMusicOperation") }

// ODataTypeName returns "#microsoft.graph.subscribeToToneOperation".
func (*SubscribeToToneOperation) ODataTypeName() string {
	return odata.Type("subscribeToToneOperation")
}

// ODataTypeName returns "#microsoft.graph.updateRecordingStatusOperation".
func (*UpdateRecordingStatusOperation) ODataTypeName() string {
	return odata.Type("updateRecordingStatusOperation")
}

// ODataTypeName returns "#microsoft.graph.startRecordingOperation".
func (*StartRecordingOperation) ODataTypeName() string { return odata.Type("startRecordingOperation") }

// ODataTypeName returns "#microsoft.graph.stopRecordingOperation".
func (*StopRecordingOperation) ODataTypeName() string { return odata.Type("stopRecordingOperation") }

// ODataTypeName returns "#microsoft.graph.startTranscriptionOperation".
func (*StartTranscriptionOperation) ODataTypeName() string {
	return odata.Type("startTranscriptionOperation")
}

// ODataTypeName returns "#microsoft.graph.stopTranscriptionOperation".
func (*StopTranscriptionOperation) ODataTypeName() string {
	return odata.Type("stopTranscriptionOperation")
}

// ODataTypeName returns "#microsoft.graph.admitFromLobbyOperation".
func (*AdmitFromLobbyOperation) ODataTypeName() string { return odata.Type("admitFromLobbyOperation") }

// ODataTypeName returns "#microsoft.graph.admitAllFromLobbyOperation".
func (*AdmitAllFromLobbyOperation) ODataTypeName() string {
	return odata.Type("admitAllFromLobbyOperation")
}

// ODataTypeName returns "#microsoft.graph.removeFromLobbyOperation".
func (*RemoveFromLobbyOperation) ODataTypeName() string {
	return odata.Type("removeFromLobbyOperation")
}

// operationDecoders maps short @odata.type names to decoders.
var operationDecoders = map[string]func([]byte) (Operation, error){
	"commsOperation":                 decodeOp[CommsOperation],
	"addLargeGalleryViewOperation":   decodeOp[AddLargeGalleryViewOperation],
	"cancelMediaProcessingOperation": decodeOp[CancelMediaProcessingOperation],
	"inviteParticipantsOperation":    decodeOp[InviteParticipantsOperation],
	"muteParticipantOperation":       decodeOp[MuteParticipantOperation],
	"unmuteParticipantOperation":     decodeOp[UnmuteParticipantOperation],
	"muteParticipantsOperation":      decodeOp[MuteParticipantsOperation],
	"playPromptOperation":            decodeOp[PlayPromptOperation],
	"recordOperation":                decodeOp[RecordOperation],
	"sendDtmfTonesOperation":         decodeOp[SendDtmfTonesOperation],
	"startHoldMusicOperation":        decodeOp[StartHoldMusicOperation],
	"stopHoldMusicOperation":         decodeOp[StopHoldMusicOperation],
	"subscribeToToneOperation":       decodeOp[SubscribeToToneOperation],
	"updateRecordingStatusOperation": decodeOp[UpdateRecordingStatusOperation],
	"startRecordingOperation":        decodeOp[StartRecordingOperation],
	"stopRecordingOperation":         decodeOp[StopRecordingOperation],
	"startTranscriptionOperation":    decodeOp[StartTranscriptionOperation],
	"stopTranscriptionOperation":     decodeOp[StopTranscriptionOperation],
	"admitFromLobbyOperation":        decodeOp[AdmitFromLobbyOperation],
	"admitAllFromLobbyOperation":     decodeOp[AdmitAllFromLobbyOperation],
	"removeFromLobbyOperation":       decodeOp[RemoveFromLobbyOperation],
}

// NewOperation returns a new, empty operation of the concrete type that an @odata.type
// names ("#microsoft.graph.playPromptOperation" or "playPromptOperation", any case), or
// nil when it names no operation type this package knows.
func NewOperation(odataType string) Operation {
	name := odata.Name(odataType)
	dec, ok := operationDecoders[name]
	if !ok {
		for k, d := range operationDecoders {
			if strings.EqualFold(k, name) {
				dec, ok = d, true
				break
			}
		}
	}
	if !ok {
		return nil
	}
	op, _ := dec(nil)
	return op
}

func decodeOp[T any, PT interface {
	*T
	Operation
}](data []byte) (Operation, error) {
	if data == nil {
		return PT(new(T)), nil // NewOperation: an empty value
	}
	v, err := odata.Decode[T](data)
	if err != nil {
		return nil, err
	}
	return PT(v), nil
}

// DecodeOperation decodes an operation to the concrete type named by its @odata.type
// (matched ignoring case). An operation without @odata.type, or of a type this package
// does not know, decodes to *CommsOperation with ODataType kept as sent.
func DecodeOperation(data []byte) (Operation, error) {
	name := odata.TypeOf(data)
	if dec, ok := operationDecoders[name]; ok {
		return dec(data)
	}
	for k, dec := range operationDecoders {
		if strings.EqualFold(k, name) {
			return dec(data)
		}
	}
	return decodeOp[CommsOperation](data)
}

// PlayPromptCompletionReason is Beta: why a playPrompt ended (Graph enum
// playPromptCompletionReason).
type PlayPromptCompletionReason string

// PlayPromptCompletionReason values.
const (
	PlayPromptCompletionUnknown                PlayPromptCompletionReason = "unknown"
	PlayPromptCompletionCompletedSuccessfully  PlayPromptCompletionReason = "completedSuccessfully"
	PlayPromptCompletionMediaOperationCanceled PlayPromptCompletionReason = "mediaOperationCanceled"
	PlayPromptCompletionUnknownFutureValue     PlayPromptCompletionReason = "unknownFutureValue"
)

var playPromptReasons = wire.Enum(PlayPromptCompletionUnknown, PlayPromptCompletionCompletedSuccessfully,
	PlayPromptCompletionMediaOperationCanceled, PlayPromptCompletionUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r PlayPromptCompletionReason) IsKnown() bool { return playPromptReasons.Known(r) }

// RecordCompletionReason is why a recordResponse ended (Graph enum
// recordCompletionReason; Beta in the schema, seen in v1.0 payloads).
type RecordCompletionReason string

// RecordCompletionReason values.
const (
	RecordCompletionOperationCanceled        RecordCompletionReason = "operationCanceled"
	RecordCompletionStopToneDetected         RecordCompletionReason = "stopToneDetected"
	RecordCompletionMaxRecordDurationReached RecordCompletionReason = "maxRecordDurationReached"
	RecordCompletionInitialSilenceTimeout    RecordCompletionReason = "initialSilenceTimeout"
	RecordCompletionMaxSilenceTimeout        RecordCompletionReason = "maxSilenceTimeout"
	RecordCompletionPlayPromptFailed         RecordCompletionReason = "playPromptFailed"
	RecordCompletionPlayBeepFailed           RecordCompletionReason = "playBeepFailed"
	RecordCompletionMediaReceiveTimeout      RecordCompletionReason = "mediaReceiveTimeout"
	RecordCompletionUnspecifiedError         RecordCompletionReason = "unspecifiedError"
)

var recordReasons = wire.Enum(RecordCompletionOperationCanceled, RecordCompletionStopToneDetected,
	RecordCompletionMaxRecordDurationReached, RecordCompletionInitialSilenceTimeout, RecordCompletionMaxSilenceTimeout,
	RecordCompletionPlayPromptFailed, RecordCompletionPlayBeepFailed, RecordCompletionMediaReceiveTimeout,
	RecordCompletionUnspecifiedError)

// IsKnown reports whether r is a documented value.
func (r RecordCompletionReason) IsKnown() bool { return recordReasons.Known(r) }

// SendDtmfCompletionReason is why a sendDtmfTones ended (Graph enum
// sendDtmfCompletionReason).
type SendDtmfCompletionReason string

// SendDtmfCompletionReason values.
const (
	SendDtmfCompletionUnknown                SendDtmfCompletionReason = "unknown"
	SendDtmfCompletionCompletedSuccessfully  SendDtmfCompletionReason = "completedSuccessfully"
	SendDtmfCompletionMediaOperationCanceled SendDtmfCompletionReason = "mediaOperationCanceled"
	SendDtmfCompletionUnknownFutureValue     SendDtmfCompletionReason = "unknownFutureValue"
)

var sendDtmfReasons = wire.Enum(SendDtmfCompletionUnknown, SendDtmfCompletionCompletedSuccessfully,
	SendDtmfCompletionMediaOperationCanceled, SendDtmfCompletionUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r SendDtmfCompletionReason) IsKnown() bool { return sendDtmfReasons.Known(r) }
