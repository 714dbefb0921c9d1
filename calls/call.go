package calls

import (
	"encoding/json"
	"time"

	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// Call is the Graph call resource: a call the bot placed, received or joined.
type Call struct {
	ODataType string `json:"@odata.type,omitzero"`
	// ODataID and ODataEtag are the resource's OData annotations (@odata.id,
	// @odata.etag) as Graph sends them on notifications.
	ODataID   string `json:"@odata.id,omitzero"`
	ODataEtag string `json:"@odata.etag,omitzero"`
	ID        string `json:"id,omitzero"`
	// CallbackURI is where Graph POSTs the call's notifications (https). Required to
	// create a call.
	CallbackURI string `json:"callbackUri,omitzero"`
	// CallChainID is shared by every leg of the same call chain.
	CallChainID         string                    `json:"callChainId,omitzero"`
	CallOptions         CallOptions               `json:"callOptions,omitzero"`
	CallRoutes          []CallRoute               `json:"callRoutes,omitzero"`
	ChatInfo            ChatInfo                  `json:"chatInfo,omitzero"`
	Direction           Direction                 `json:"direction,omitzero"`
	IncomingContext     *IncomingContext          `json:"incomingContext,omitzero"`
	MediaConfig         media.Config              `json:"mediaConfig,omitzero"`
	MediaState          media.CallMediaState      `json:"mediaState,omitzero"`
	MeetingInfo         MeetingInfo               `json:"meetingInfo,omitzero"`
	MyParticipantID     string                    `json:"myParticipantId,omitzero"`
	RequestedModalities []media.Modality          `json:"requestedModalities,omitzero"`
	ResultInfo          ResultInfo                `json:"resultInfo,omitzero"`
	Source              participants.Info         `json:"source,omitzero"`
	State               State                     `json:"state,omitzero"`
	Subject             string                    `json:"subject,omitzero"`
	Targets             []participants.Invitation `json:"targets,omitzero"`
	TenantID            string                    `json:"tenantId,omitzero"`
	// ToneInfo carries a DTMF key press on an updated-call notification.
	ToneInfo      media.ToneInfo         `json:"toneInfo,omitzero"`
	Transcription *CallTranscriptionInfo `json:"transcription,omitzero"`
	// AudioRoutingGroups, ContentSharingSessions, Operations and Participants are
	// navigation properties: present only when expanded.
	AudioRoutingGroups     []AudioRoutingGroup        `json:"audioRoutingGroups,omitzero"`
	ContentSharingSessions []ContentSharingSession    `json:"contentSharingSessions,omitzero"`
	Operations             []Operation                `json:"operations,omitzero"`
	Participants           []participants.Participant `json:"participants,omitzero"`
	// ActiveModalities is Beta, read-only.
	ActiveModalities []media.Modality `json:"activeModalities,omitzero"`
	// AnsweredBy is Beta, read-only.
	AnsweredBy *participants.Info `json:"answeredBy,omitzero"`
	// MeetingCapability is Beta, read-only.
	MeetingCapability *MeetingCapability `json:"meetingCapability,omitzero"`
	// RingingTimeoutInSeconds is Beta: outgoing peer-to-peer calls only, at most 115.
	RingingTimeoutInSeconds int32 `json:"ringingTimeoutInSeconds,omitzero"`
	// RoutingPolicies is Beta: peer-to-peer calls only.
	RoutingPolicies []RoutingPolicy `json:"routingPolicies,omitzero"`
	// TerminationReason is Beta, read-only, e.g. "AppTransferred".
	TerminationReason string                     `json:"terminationReason,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// State is the state of a call (Graph enum callState).
type State string

// State values. A call goes Incoming or Establishing, then Established; from there to
// Hold, Transferring and TransferAccepted, or Redirecting; any state can go to
// Terminating and then Terminated.
const (
	StateIncoming           State = "incoming"
	StateEstablishing       State = "establishing"
	StateEstablished        State = "established"
	StateHold               State = "hold"
	StateTransferring       State = "transferring"
	StateTransferAccepted   State = "transferAccepted"
	StateRedirecting        State = "redirecting"
	StateTerminating        State = "terminating"
	StateTerminated         State = "terminated"
	StateUnknownFutureValue State = "unknownFutureValue"
	// StateRinging is Beta.
	StateRinging State = "ringing"
)

var states = wire.Enum(StateIncoming, StateEstablishing, StateEstablished, StateHold, StateTransferring,
	StateTransferAccepted, StateRedirecting, StateTerminating, StateTerminated, StateUnknownFutureValue, StateRinging)

// IsKnown reports whether s is a documented value.
func (s State) IsKnown() bool { return states.Known(s) }

// IsTerminal reports whether the call has ended (StateTerminated).
func (s State) IsTerminal() bool { return s == StateTerminated }

// Direction says who placed a call (Graph enum callDirection).
type Direction string

// Direction values.
const (
	DirectionIncoming Direction = "incoming"
	DirectionOutgoing Direction = "outgoing"
)

var directions = wire.Enum(DirectionIncoming, DirectionOutgoing)

// IsKnown reports whether d is a documented value.
func (d Direction) IsKnown() bool { return directions.Known(d) }

// ChatInfo names the chat thread of a meeting (Graph type chatInfo).
type ChatInfo struct {
	ODataType           string                     `json:"@odata.type,omitzero"`
	MessageID           string                     `json:"messageId,omitzero"`
	ReplyChainMessageID string                     `json:"replyChainMessageId,omitzero"`
	ThreadID            string                     `json:"threadId,omitzero"`
	AdditionalData      map[string]json.RawMessage `json:"-"`
}

// CallOptions are options of a call (Graph types outgoingCallOptions for a call the bot
// creates and incomingCallOptions for one it answers). ODataType tells which.
type CallOptions struct {
	ODataType                           string                     `json:"@odata.type,omitzero"`
	HideBotAfterEscalation              bool                       `json:"hideBotAfterEscalation,omitzero"`
	IsContentSharingNotificationEnabled bool                       `json:"isContentSharingNotificationEnabled,omitzero"`
	IsDeltaRosterEnabled                bool                       `json:"isDeltaRosterEnabled,omitzero"`
	IsInteractiveRosterEnabled          bool                       `json:"isInteractiveRosterEnabled,omitzero"`
	AdditionalData                      map[string]json.RawMessage `json:"-"`
}

// OutgoingCallOptions returns empty options for a call the bot creates.
func OutgoingCallOptions() CallOptions {
	return CallOptions{ODataType: odata.Type("outgoingCallOptions")}
}

// IncomingCallOptions returns empty options for a call the bot answers.
func IncomingCallOptions() CallOptions {
	return CallOptions{ODataType: odata.Type("incomingCallOptions")}
}

// CallRoute says how an incoming call was routed to the bot (Graph type callRoute).
type CallRoute struct {
	Final          participants.IdentitySet   `json:"final,omitzero"`
	Original       participants.IdentitySet   `json:"original,omitzero"`
	RoutingType    RoutingType                `json:"routingType,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// RoutingType is how a call was routed (Graph enum routingType).
type RoutingType string

// RoutingType values.
const (
	RoutingTypeForwarded          RoutingType = "forwarded"
	RoutingTypeLookup             RoutingType = "lookup"
	RoutingTypeSelfFork           RoutingType = "selfFork"
	RoutingTypeUnknownFutureValue RoutingType = "unknownFutureValue"
)

var routingTypes = wire.Enum(RoutingTypeForwarded, RoutingTypeLookup, RoutingTypeSelfFork, RoutingTypeUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r RoutingType) IsKnown() bool { return routingTypes.Known(r) }

// RoutingPolicy is Beta: a routing policy of a peer-to-peer call (Graph enum
// routingPolicy).
type RoutingPolicy string

// RoutingPolicy values.
const (
	RoutingPolicyNone                         RoutingPolicy = "none"
	RoutingPolicyNoMissedCall                 RoutingPolicy = "noMissedCall"
	RoutingPolicyDisableForwardingExceptPhone RoutingPolicy = "disableForwardingExceptPhone"
	RoutingPolicyDisableForwarding            RoutingPolicy = "disableForwarding"
	RoutingPolicyPreferSkypeForBusiness       RoutingPolicy = "preferSkypeForBusiness"
	RoutingPolicyUnknownFutureValue           RoutingPolicy = "unknownFutureValue"
)

var routingPolicies = wire.Enum(RoutingPolicyNone, RoutingPolicyNoMissedCall, RoutingPolicyDisableForwardingExceptPhone,
	RoutingPolicyDisableForwarding, RoutingPolicyPreferSkypeForBusiness, RoutingPolicyUnknownFutureValue)

// IsKnown reports whether r is a documented value.
func (r RoutingPolicy) IsKnown() bool { return routingPolicies.Known(r) }

// IncomingContext says on whose behalf an incoming call arrived (Graph type
// incomingContext).
type IncomingContext struct {
	ODataType             string                     `json:"@odata.type,omitzero"`
	ObservedParticipantID string                     `json:"observedParticipantId,omitzero"`
	OnBehalfOf            participants.IdentitySet   `json:"onBehalfOf,omitzero"`
	SourceParticipantID   string                     `json:"sourceParticipantId,omitzero"`
	Transferor            participants.IdentitySet   `json:"transferor,omitzero"`
	AdditionalData        map[string]json.RawMessage `json:"-"`
}

// CallTranscriptionInfo is the transcription state of a call (Graph type
// callTranscriptionInfo).
type CallTranscriptionInfo struct {
	LastModifiedDateTime time.Time                  `json:"lastModifiedDateTime,omitzero"`
	State                TranscriptionState         `json:"state,omitzero"`
	AdditionalData       map[string]json.RawMessage `json:"-"`
}

// TranscriptionState is the state of a call's transcription (Graph enum
// callTranscriptionState).
type TranscriptionState string

// TranscriptionState values.
const (
	TranscriptionStateNotStarted         TranscriptionState = "notStarted"
	TranscriptionStateActive             TranscriptionState = "active"
	TranscriptionStateInactive           TranscriptionState = "inactive"
	TranscriptionStateUnknownFutureValue TranscriptionState = "unknownFutureValue"
)

var transcriptionStates = wire.Enum(TranscriptionStateNotStarted, TranscriptionStateActive,
	TranscriptionStateInactive, TranscriptionStateUnknownFutureValue)

// IsKnown reports whether s is a documented value.
func (s TranscriptionState) IsKnown() bool { return transcriptionStates.Known(s) }

// MeetingCapability is Beta: what a meeting allows (Graph type meetingCapability).
type MeetingCapability struct {
	AllowAnonymousUsersToDialOut      bool                       `json:"allowAnonymousUsersToDialOut,omitzero"`
	AllowAnonymousUsersToStartMeeting bool                       `json:"allowAnonymousUsersToStartMeeting,omitzero"`
	AutoAdmittedUsers                 AutoAdmittedUsersType      `json:"autoAdmittedUsers,omitzero"`
	AdditionalData                    map[string]json.RawMessage `json:"-"`
}

// AutoAdmittedUsersType is Beta: who is admitted to a meeting without the lobby (Graph
// enum autoAdmittedUsersType).
type AutoAdmittedUsersType string

// AutoAdmittedUsersType values.
const (
	AutoAdmittedUsersEveryoneInCompany AutoAdmittedUsersType = "everyoneInCompany"
	AutoAdmittedUsersEveryone          AutoAdmittedUsersType = "everyone"
)

var autoAdmitted = wire.Enum(AutoAdmittedUsersEveryoneInCompany, AutoAdmittedUsersEveryone)

// IsKnown reports whether a is a documented value.
func (a AutoAdmittedUsersType) IsKnown() bool { return autoAdmitted.Known(a) }

// MeetingInfo says which meeting a call joins (Graph abstract type meetingInfo):
// *OrganizerMeetingInfo, *TokenMeetingInfo or *JoinMeetingIDMeetingInfo. A value of
// another @odata.type decodes to *UnknownMeetingInfo.
type MeetingInfo interface {
	// ODataTypeName returns the @odata.type the value is written with.
	ODataTypeName() string
	meetingInfo()
}

// OrganizerMeetingInfo joins a meeting by its organizer (with ChatInfo naming the
// meeting's thread) (Graph type organizerMeetingInfo).
type OrganizerMeetingInfo struct {
	ODataType string                   `json:"@odata.type,omitzero"`
	Organizer participants.IdentitySet `json:"organizer,omitzero"`
	// AllowConversationWithoutHost is Beta (v1.0 examples send it too).
	AllowConversationWithoutHost bool                       `json:"allowConversationWithoutHost,omitzero"`
	AdditionalData               map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.organizerMeetingInfo".
func (*OrganizerMeetingInfo) ODataTypeName() string { return odata.Type("organizerMeetingInfo") }
func (*OrganizerMeetingInfo) meetingInfo()          {}

// TokenMeetingInfo names a meeting by a token (Graph type tokenMeetingInfo); it arrives
// on incoming calls.
type TokenMeetingInfo struct {
	ODataType string `json:"@odata.type,omitzero"`
	Token     string `json:"token,omitzero"`
	// AllowConversationWithoutHost is Beta.
	AllowConversationWithoutHost bool                       `json:"allowConversationWithoutHost,omitzero"`
	AdditionalData               map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.tokenMeetingInfo".
func (*TokenMeetingInfo) ODataTypeName() string { return odata.Type("tokenMeetingInfo") }
func (*TokenMeetingInfo) meetingInfo()          {}

// JoinMeetingIDMeetingInfo joins a meeting by its numeric meeting ID and passcode (Graph
// type joinMeetingIdMeetingInfo).
type JoinMeetingIDMeetingInfo struct {
	ODataType     string `json:"@odata.type,omitzero"`
	JoinMeetingID string `json:"joinMeetingId,omitzero"`
	Passcode      string `json:"passcode,omitzero"`
	// AllowConversationWithoutHost is Beta.
	AllowConversationWithoutHost bool                       `json:"allowConversationWithoutHost,omitzero"`
	AdditionalData               map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.joinMeetingIdMeetingInfo".
func (*JoinMeetingIDMeetingInfo) ODataTypeName() string {
	return odata.Type("joinMeetingIdMeetingInfo")
}
func (*JoinMeetingIDMeetingInfo) meetingInfo() {}

// UnknownMeetingInfo is meeting info of a type this package does not know, kept verbatim.
type UnknownMeetingInfo struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns the value's own @odata.type.
func (u *UnknownMeetingInfo) ODataTypeName() string { return u.ODataType }
func (*UnknownMeetingInfo) meetingInfo()            {}

// NewOrganizerMeetingInfo returns meeting info naming a meeting by its organizer, a
// user of the given tenant.
func NewOrganizerMeetingInfo(organizerID, tenantID string) *OrganizerMeetingInfo {
	return &OrganizerMeetingInfo{ODataType: odata.Type("organizerMeetingInfo"), Organizer: participants.User(organizerID, tenantID)}
}

// NewJoinMeetingIDMeetingInfo returns meeting info naming a meeting by its meeting ID and
// passcode (the passcode may be empty when the meeting needs none).
func NewJoinMeetingIDMeetingInfo(joinMeetingID, passcode string) *JoinMeetingIDMeetingInfo {
	return &JoinMeetingIDMeetingInfo{ODataType: odata.Type("joinMeetingIdMeetingInfo"), JoinMeetingID: joinMeetingID, Passcode: passcode}
}

// DecodeMeetingInfo decodes meeting info by its @odata.type. Without one, the members
// decide: organizer, token or joinMeetingId.
func DecodeMeetingInfo(data []byte) (MeetingInfo, error) {
	name := odata.TypeOf(data)
	if name == "" {
		switch {
		case wire.HasMember(data, "token"):
			name = "tokenMeetingInfo"
		case wire.HasMember(data, "joinMeetingId"):
			name = "joinMeetingIdMeetingInfo"
		default:
			name = "organizerMeetingInfo"
		}
	}
	switch name {
	case "organizerMeetingInfo":
		return odata.Decode[OrganizerMeetingInfo](data)
	case "tokenMeetingInfo":
		return odata.Decode[TokenMeetingInfo](data)
	case "joinMeetingIdMeetingInfo":
		return odata.Decode[JoinMeetingIDMeetingInfo](data)
	default:
		return odata.Decode[UnknownMeetingInfo](data)
	}
}

func init() {
	wire.RegisterInterface(DecodeMeetingInfo)
	wire.RegisterInterface(DecodeOperation)
}

// NewCall returns a call to create with service-hosted media: the caller sets Targets
// (peer-to-peer or group), or ChatInfo and MeetingInfo (to join a meeting), and Source
// for PSTN calls.
func NewCall(callbackURI string, mc media.Config) *Call {
	if mc == nil {
		mc = media.NewServiceHostedMediaConfig()
	}
	return &Call{
		ODataType:           odata.Type("call"),
		CallbackURI:         callbackURI,
		RequestedModalities: []media.Modality{media.ModalityAudio},
		MediaConfig:         mc,
	}
}
