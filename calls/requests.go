package calls

import (
	"encoding/json"
	"time"

	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// AnswerRequest is the body of POST /communications/calls/{id}/answer.
type AnswerRequest struct {
	// CallbackURI receives the call's notifications. Required.
	CallbackURI string `json:"callbackUri,omitzero"`
	// AcceptedModalities, e.g. audio. Required.
	AcceptedModalities []media.Modality `json:"acceptedModalities,omitzero"`
	// MediaConfig is required: service-hosted for prompts, recording and DTMF.
	MediaConfig media.Config `json:"mediaConfig,omitzero"`
	CallOptions CallOptions  `json:"callOptions,omitzero"`
	// ParticipantCapacity is for policy-based recording bots: how many participants the
	// bot can record.
	ParticipantCapacity int32                      `json:"participantCapacity,omitzero"`
	AdditionalData      map[string]json.RawMessage `json:"-"`
}

// NewAnswerRequest returns an answer with audio and service-hosted media, prefetching
// the given prompt URIs.
func NewAnswerRequest(callbackURI string, prefetchURIs ...string) *AnswerRequest {
	return &AnswerRequest{
		CallbackURI:        callbackURI,
		AcceptedModalities: []media.Modality{media.ModalityAudio},
		MediaConfig:        media.NewServiceHostedMediaConfig(prefetchURIs...),
	}
}

// RejectReason is why a bot rejects a call (Graph enum rejectReason).
type RejectReason string

// RejectReason values.
const (
	RejectReasonNone               RejectReason = "none"
	RejectReasonBusy               RejectReason = "busy"
	RejectReasonForbidden          RejectReason = "forbidden"
	RejectReasonUnknownFutureValue RejectReason = "unknownFutureValue"
)

var rejectReasons = wire.Enum(RejectReasonNone, RejectReasonBusy, RejectReasonForbidden, RejectReasonUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r RejectReason) IsKnown() bool { return rejectReasons.Known(r) }

// RejectRequest is the body of POST /communications/calls/{id}/reject.
type RejectRequest struct {
	Reason         RejectReason               `json:"reason,omitzero"`
	CallbackURI    string                     `json:"callbackUri,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// CallDisposition is Beta and deprecated: how a redirect rings its targets (Graph enum
// callDisposition).
type CallDisposition string

// CallDisposition values.
const (
	CallDispositionDefault          CallDisposition = "default"
	CallDispositionSimultaneousRing CallDisposition = "simultaneousRing"
	CallDispositionForward          CallDisposition = "forward"
)

var callDispositions = wire.Enum(CallDispositionDefault, CallDispositionSimultaneousRing, CallDispositionForward)

// IsKnown reports whether d is a documented value.
func (d CallDisposition) IsKnown() bool { return callDispositions.Known(d) }

// RedirectRequest is the body of POST /communications/calls/{id}/redirect.
type RedirectRequest struct {
	// Targets to ring; several ring at once. Required.
	Targets []participants.Invitation `json:"targets,omitzero"`
	// Timeout in seconds, 15 to 90.
	Timeout     int32  `json:"timeout,omitzero"`
	CallbackURI string `json:"callbackUri,omitzero"`
	// MaskCallee, MaskCaller, TargetDisposition and RoutingPolicies are Beta.
	MaskCallee        bool                       `json:"maskCallee,omitzero"`
	MaskCaller        bool                       `json:"maskCaller,omitzero"`
	TargetDisposition CallDisposition            `json:"targetDisposition,omitzero"`
	RoutingPolicies   []RoutingPolicy            `json:"routingPolicies,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// TransferRequest is the body of POST /communications/calls/{id}/transfer.
type TransferRequest struct {
	// TransferTarget is who the call goes to; set its ReplacesCallID for a consultative
	// transfer. Required.
	TransferTarget participants.Invitation `json:"transferTarget,omitzero"`
	// Transferee is required when transferring out of a group call.
	Transferee     participants.Info          `json:"transferee,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ClientContextRequest is the body of the actions whose only parameter is a client
// context: mute, unmute, subscribeToTone, cancelMediaProcessing, addLargeGalleryView,
// participants/{id}/mute and participants/{id}/stopHoldMusic.
type ClientContextRequest struct {
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// PlayPromptRequest is the body of POST /communications/calls/{id}/playPrompt.
type PlayPromptRequest struct {
	// Prompts to play in order, at most 20. Required.
	Prompts       []media.Prompt `json:"prompts,omitzero"`
	ClientContext string         `json:"clientContext,omitzero"`
	// Loop is Beta: play the prompts until cancelled.
	Loop           bool                       `json:"loop,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// RecordResponseRequest is the body of POST /communications/calls/{id}/recordResponse.
// Pointer fields are sent only when set, so Graph's defaults apply otherwise.
type RecordResponseRequest struct {
	// Prompts to play before recording, at most one.
	Prompts []media.Prompt `json:"prompts,omitzero"`
	// BargeInAllowed lets the caller start speaking before the prompt ends.
	BargeInAllowed *bool `json:"bargeInAllowed,omitzero"`
	// Timeouts in seconds, 1 to 120; Graph's default is 5.
	InitialSilenceTimeoutInSeconds int32 `json:"initialSilenceTimeoutInSeconds,omitzero"`
	MaxSilenceTimeoutInSeconds     int32 `json:"maxSilenceTimeoutInSeconds,omitzero"`
	MaxRecordDurationInSeconds     int32 `json:"maxRecordDurationInSeconds,omitzero"`
	// PlayBeep plays a beep before recording; Graph's default is true.
	PlayBeep *bool `json:"playBeep,omitzero"`
	// StopTones end the recording, e.g. "#".
	StopTones      []string                   `json:"stopTones,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ScreenSharingRole is the bot's role in screen sharing (Graph enum screenSharingRole).
type ScreenSharingRole string

// ScreenSharingRole values.
const (
	ScreenSharingRoleViewer ScreenSharingRole = "viewer"
	ScreenSharingRoleSharer ScreenSharingRole = "sharer"
)

var screenSharingRoles = wire.Enum(ScreenSharingRoleViewer, ScreenSharingRoleSharer)

// IsKnown reports whether r is a documented value.
func (r ScreenSharingRole) IsKnown() bool { return screenSharingRoles.Known(r) }

// ChangeScreenSharingRoleRequest is the body of POST
// /communications/calls/{id}/changeScreenSharingRole.
type ChangeScreenSharingRoleRequest struct {
	Role           ScreenSharingRole          `json:"role,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// UpdateRecordingStatusRequest is the body of POST
// /communications/calls/{id}/updateRecordingStatus.
type UpdateRecordingStatusRequest struct {
	Status         media.RecordingStatus      `json:"status,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// SendDtmfTonesRequest is the body of POST /communications/calls/{id}/sendDtmfTones.
type SendDtmfTonesRequest struct {
	Tones               []media.Tone               `json:"tones,omitzero"`
	DelayBetweenTonesMs int32                      `json:"delayBetweenTonesMs,omitzero"`
	ClientContext       string                     `json:"clientContext,omitzero"`
	AdditionalData      map[string]json.RawMessage `json:"-"`
}

// LogTeleconferenceDeviceQualityRequest is the body of POST
// /communications/calls/logTeleconferenceDeviceQuality.
type LogTeleconferenceDeviceQualityRequest struct {
	Quality        TeleconferenceDeviceQuality `json:"quality,omitzero"`
	AdditionalData map[string]json.RawMessage  `json:"-"`
}

// InviteParticipantsRequest is the body of POST
// /communications/calls/{id}/participants/invite.
type InviteParticipantsRequest struct {
	Participants   []participants.Invitation  `json:"participants,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// StartHoldMusicRequest is the body of POST
// /communications/calls/{id}/participants/{pid}/startHoldMusic.
type StartHoldMusicRequest struct {
	// CustomPrompt replaces the default hold music.
	CustomPrompt   media.Prompt               `json:"customPrompt,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MuteAllRequest is Beta: the body of POST
// /communications/calls/{id}/participants/muteAll.
type MuteAllRequest struct {
	Participants   []string                   `json:"participants,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// UpdateMetadataRequest is Beta (since removed from Graph's docs, as from the .NET
// SDK's ICall.UpdateMetadataAsync): the body of POST
// /communications/calls/{id}/updateMetadata, which sets the bot's own participant
// metadata in the roster. Graph answers with a commsOperation.
type UpdateMetadataRequest struct {
	// Metadata is the blob the roster shows as the bot participant's metadata.
	// Required.
	Metadata       string                     `json:"metadata,omitzero"`
	ClientContext  string                     `json:"clientContext,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ConfigureMixerRequest is Beta (since removed): the body of POST
// /communications/calls/{id}/participants/configureMixer.
type ConfigureMixerRequest struct {
	ParticipantMixerLevels []ParticipantMixerLevel    `json:"participantMixerLevels,omitzero"`
	ClientContext          string                     `json:"clientContext,omitzero"`
	AdditionalData         map[string]json.RawMessage `json:"-"`
}

// ParticipantMixerLevel is Beta (removed): the audio mix for one participant.
type ParticipantMixerLevel struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Participant    string                     `json:"participant,omitzero"`
	ExclusiveMode  bool                       `json:"exclusiveMode,omitzero"`
	Ducking        AudioDuckingConfiguration  `json:"ducking,omitzero"`
	SourceLevels   []AudioSourceLevel         `json:"sourceLevels,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AudioDuckingConfiguration is Beta (removed): ducking levels of a mixer.
type AudioDuckingConfiguration struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	LowerLevel     int64                      `json:"lowerLevel,omitzero"`
	UpperLevel     int64                      `json:"upperLevel,omitzero"`
	RampActive     int64                      `json:"rampActive,omitzero"`
	RampInactive   int64                      `json:"rampInactive,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AudioSourceLevel is Beta (removed): the level of one source in a mix.
type AudioSourceLevel struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Participant    string                     `json:"participant,omitzero"`
	Level          int64                      `json:"level,omitzero"`
	DuckOthers     bool                       `json:"duckOthers,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// StartTranscriptionRequest is Beta: the body of microsoft.graph.StartTranscription
// and StopTranscription.
type StartTranscriptionRequest struct {
	// Language such as "en-us".
	Language       string                     `json:"language,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// DetectionSeverity is Beta: the severity of a synthetic-media report (Graph enum
// detectionSeverity).
type DetectionSeverity string

// DetectionSeverity values.
const (
	DetectionSeverityLow                DetectionSeverity = "low"
	DetectionSeverityMedium             DetectionSeverity = "medium"
	DetectionSeverityHigh               DetectionSeverity = "high"
	DetectionSeverityUnknownFutureValue DetectionSeverity = "unknownFutureValue"
)

var detectionSeverities = wire.Enum(DetectionSeverityLow, DetectionSeverityMedium, DetectionSeverityHigh,
	DetectionSeverityUnknownFutureValue)

// IsKnown reports whether d is a documented value.
func (d DetectionSeverity) IsKnown() bool { return detectionSeverities.Known(d) }

// ContentModality is Beta: a kind of content in a synthetic-media report (Graph enum
// contentModality).
type ContentModality string

// ContentModality values.
const (
	ContentModalityAudio              ContentModality = "audio"
	ContentModalityVideo              ContentModality = "video"
	ContentModalityImage              ContentModality = "image"
	ContentModalityText               ContentModality = "text"
	ContentModalityMultimodal         ContentModality = "multimodal"
	ContentModalityUnknownFutureValue ContentModality = "unknownFutureValue"
)

var contentModalities = wire.Enum(ContentModalityAudio, ContentModalityVideo, ContentModalityImage,
	ContentModalityText, ContentModalityMultimodal, ContentModalityUnknownFutureValue)

// IsKnown reports whether c is a documented value.
func (c ContentModality) IsKnown() bool { return contentModalities.Known(c) }

// ReportSyntheticMediaRequest is Beta: the body of POST
// /communications/calls/{id}/participants/{pid}/reportSyntheticMedia.
type ReportSyntheticMediaRequest struct {
	// ID is a new GUID for each report. Required.
	ID                string                          `json:"id,omitzero"`
	DetectionDateTime time.Time                       `json:"detectionDateTime,omitzero"`
	Detections        []SyntheticMediaDetectionDetail `json:"detections,omitzero"`
	ContentMetadata   MediaMetadata                   `json:"contentMetadata,omitzero"`
	IsMalicious       *bool                           `json:"isMalicious,omitzero"`
	// OverallConfidence is 0 to 1.
	OverallConfidence float64                    `json:"overallConfidence,omitzero"`
	Severity          DetectionSeverity          `json:"severity,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// SyntheticMediaDetectionDetail is Beta: one detection in a synthetic-media report.
type SyntheticMediaDetectionDetail struct {
	Confidence     float64                    `json:"confidence,omitzero"`
	Modality       ContentModality            `json:"modality,omitzero"`
	ModelName      string                     `json:"modelName,omitzero"`
	ModelTasks     []string                   `json:"modelTasks,omitzero"`
	Segment        MediaSegment               `json:"segment,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MediaSegment is Beta: where in the media a detection was made.
type MediaSegment struct {
	StartTimeSec   int32                      `json:"startTimeSec,omitzero"`
	EndTimeSec     int32                      `json:"endTimeSec,omitzero"`
	FrameIndices   []int32                    `json:"frameIndices,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MediaMetadata is Beta: what was analysed in a synthetic-media report.
type MediaMetadata struct {
	ByteSize int64 `json:"byteSize,omitzero"`
	// Duration in seconds.
	Duration          int32                      `json:"duration,omitzero"`
	IsRealTime        bool                       `json:"isRealTime,omitzero"`
	MimeType          string                     `json:"mimeType,omitzero"`
	Modality          ContentModality            `json:"modality,omitzero"`
	AudioMetadata     AudioMetadata              `json:"audioMetadata,omitzero"`
	VideoMetadata     VideoMetadata              `json:"videoMetadata,omitzero"`
	StreamingMetadata StreamingMetadata          `json:"streamingMetadata,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// AudioMetadata is Beta: the format of analysed audio.
type AudioMetadata struct {
	SampleRateHz   int32                      `json:"sampleRateHz,omitzero"`
	BitDepth       int32                      `json:"bitDepth,omitzero"`
	Channels       int32                      `json:"channels,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// VideoMetadata is Beta: the format of analysed video.
type VideoMetadata struct {
	Codec          string                     `json:"codec,omitzero"`
	FrameRate      float64                    `json:"frameRate,omitzero"`
	BitrateKbps    int32                      `json:"bitrateKbps,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// StreamingMetadata is Beta: network conditions of analysed real-time media.
type StreamingMetadata struct {
	LatencyMs       int32                      `json:"latencyMs,omitzero"`
	FrameDropRate   float64                    `json:"frameDropRate,omitzero"`
	NetworkJitterMs int32                      `json:"networkJitterMs,omitzero"`
	AdditionalData  map[string]json.RawMessage `json:"-"`
}
