package participants

import (
	"encoding/json"
	"time"

	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
)

// Info describes a party to a call (Graph type participantInfo): the call's source, a
// participant's info.
type Info struct {
	ODataType    string       `json:"@odata.type,omitzero"`
	Identity     IdentitySet  `json:"identity,omitzero"`
	CountryCode  string       `json:"countryCode,omitzero"`
	EndpointType EndpointType `json:"endpointType,omitzero"`
	LanguageID   string       `json:"languageId,omitzero"`
	// ParticipantID is the participant's ID within the call.
	ParticipantID string `json:"participantId,omitzero"`
	Region        string `json:"region,omitzero"`
	// NonAnonymizedIdentity is Beta.
	NonAnonymizedIdentity *IdentitySet `json:"nonAnonymizedIdentity,omitzero"`
	// PlatformID is Beta: the client platform, read-only.
	PlatformID     string                     `json:"platformId,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// Invitation is someone to call, invite, redirect to or transfer to (Graph type
// invitationParticipantInfo).
type Invitation struct {
	ODataType string      `json:"@odata.type,omitzero"`
	Identity  IdentitySet `json:"identity,omitzero"`
	// Hidden invites the participant without showing it in the roster.
	Hidden        bool   `json:"hidden,omitzero"`
	ParticipantID string `json:"participantId,omitzero"`
	// RemoveFromDefaultAudioRoutingGroup keeps the participant out of the default audio
	// routing group.
	RemoveFromDefaultAudioRoutingGroup bool `json:"removeFromDefaultAudioRoutingGroup,omitzero"`
	// ReplacesCallID is the ID of a call this invitation replaces: set it to move a
	// peer-to-peer call into a meeting, or for a consultative transfer.
	ReplacesCallID string `json:"replacesCallId,omitzero"`
	// EndpointType is Beta: for example EndpointTypeVoicemail to redirect to voicemail.
	EndpointType   EndpointType               `json:"endpointType,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// Invite returns an invitation for the party named by identity.
func Invite(identity IdentitySet) Invitation {
	return Invitation{ODataType: odata.Type("invitationParticipantInfo"), Identity: identity}
}

// InviteReplacing returns an invitation for identity that replaces the call with ID
// callID: the party's peer-to-peer call with the bot moves into this call.
func InviteReplacing(identity IdentitySet, callID string) Invitation {
	inv := Invite(identity)
	inv.ReplacesCallID = callID
	return inv
}

// Participant is a party in a call (Graph resource participant).
type Participant struct {
	ODataType string `json:"@odata.type,omitzero"`
	// ODataID and ODataEtag are the resource's OData annotations (@odata.id,
	// @odata.etag) as Graph sends them on notifications.
	ODataID   string `json:"@odata.id,omitzero"`
	ODataEtag string `json:"@odata.etag,omitzero"`
	ID        string `json:"id,omitzero"`
	Info      Info   `json:"info,omitzero"`
	// IsInLobby is true while the participant waits in the meeting lobby.
	IsInLobby bool `json:"isInLobby,omitzero"`
	// IsMuted is true when the participant is muted (by itself or by the server).
	IsMuted      bool           `json:"isMuted,omitzero"`
	MediaStreams []media.Stream `json:"mediaStreams,omitzero"`
	// Metadata is a blob of data the participant's client provided.
	Metadata      string         `json:"metadata,omitzero"`
	RecordingInfo *RecordingInfo `json:"recordingInfo,omitzero"`
	// RemovedState says why a participant left, when it has.
	RemovedState            RemovedState                 `json:"removedState,omitzero"`
	RestrictedExperience    *MeetingRestricted           `json:"restrictedExperience,omitzero"`
	RosterSequenceNumber    int64                        `json:"rosterSequenceNumber,omitzero"`
	IsIdentityAnonymized    bool                         `json:"isIdentityAnonymized,omitzero"`    // Beta.
	PreferredDisplayName    string                       `json:"preferredDisplayName,omitzero"`    // Beta.
	SyntheticMediaDetection *SyntheticMediaDetectionInfo `json:"syntheticMediaDetection,omitzero"` // Beta.
	AdditionalData          map[string]json.RawMessage   `json:"-"`
}

// DisplayName returns the participant's preferred display name, or the display name of
// its primary identity, or its ID.
func (p Participant) DisplayName() string {
	if p.PreferredDisplayName != "" {
		return p.PreferredDisplayName
	}
	if n := p.Info.Identity.DisplayName(); n != "" {
		return n
	}
	return p.ID
}

// RecordingInfo is a participant's recording state (Graph type recordingInfo).
type RecordingInfo struct {
	Initiator       IdentitySet           `json:"initiator,omitzero"`
	RecordingStatus media.RecordingStatus `json:"recordingStatus,omitzero"`
	// InitiatedBy is Beta (older); Initiator is the current member.
	InitiatedBy    *Info                      `json:"initiatedBy,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// RemovedState says why a participant was removed (Graph type removedState).
type RemovedState struct {
	Reason         string                     `json:"reason,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MeetingRestricted says which of a participant's media are restricted (Graph type
// onlineMeetingRestricted).
type MeetingRestricted struct {
	ContentSharingDisabled RestrictedReason           `json:"contentSharingDisabled,omitzero"`
	VideoDisabled          RestrictedReason           `json:"videoDisabled,omitzero"`
	AdditionalData         map[string]json.RawMessage `json:"-"`
}

// RestrictedReason is why content sharing or video is disabled (Graph enums
// onlineMeetingContentSharingDisabledReason and onlineMeetingVideoDisabledReason, flag
// enums sent as comma-separated names).
type RestrictedReason string

// RestrictedReason values.
const (
	RestrictedReasonWatermarkProtection RestrictedReason = "watermarkProtection"
	RestrictedReasonUnknownFutureValue  RestrictedReason = "unknownFutureValue"
)

var restrictedReasons = wire.Enum(RestrictedReasonWatermarkProtection, RestrictedReasonUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r RestrictedReason) IsKnown() bool { return restrictedReasons.Known(r) }

// SyntheticMediaDetectionInfo is Beta: the result of reportSyntheticMedia on a
// participant (Graph type syntheticMediaDetectionInfo).
type SyntheticMediaDetectionInfo struct {
	DetectionID          string                     `json:"detectionId,omitzero"`
	DetectorBot          string                     `json:"detectorBot,omitzero"`
	IsParticipantTrusted bool                       `json:"isParticipantTrusted,omitzero"`
	SyntheticConfidence  float64                    `json:"syntheticConfidence,omitzero"`
	DetectedDateTime     time.Time                  `json:"detectedDateTime,omitzero"`
	AdditionalData       map[string]json.RawMessage `json:"-"`
}

// DeltaParticipants is Beta: a roster change with a sequence number (Graph type
// deltaParticipants), sent when the call was created with isDeltaRosterEnabled.
type DeltaParticipants struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	ID             string                     `json:"id,omitzero"`
	SequenceNumber int64                      `json:"sequenceNumber,omitzero"`
	Participants   []Participant              `json:"participants,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}
