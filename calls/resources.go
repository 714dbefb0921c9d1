package calls

import (
	"encoding/json"

	"github.com/graphcomms/graphcomms/internal/wire"
)

// AudioRoutingGroup routes audio between some participants of a call (Graph entity
// audioRoutingGroup).
type AudioRoutingGroup struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	ID             string                     `json:"id,omitzero"`
	Receivers      []string                   `json:"receivers,omitzero"`
	RoutingMode    RoutingMode                `json:"routingMode,omitzero"`
	Sources        []string                   `json:"sources,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// RoutingMode is how an audio routing group routes (Graph enum routingMode).
type RoutingMode string

// RoutingMode values.
const (
	RoutingModeOneToOne           RoutingMode = "oneToOne"
	RoutingModeMulticast          RoutingMode = "multicast"
	RoutingModeUnknownFutureValue RoutingMode = "unknownFutureValue"
)

var routingModes = wire.Enum(RoutingModeOneToOne, RoutingModeMulticast, RoutingModeUnknownFutureValue)

// IsKnown reports whether m is a documented value.
func (m RoutingMode) IsKnown() bool { return routingModes.Known(m) }

// ContentSharingSession is screen or content sharing in a call (Graph entity
// contentSharingSession).
type ContentSharingSession struct {
	ODataType string `json:"@odata.type,omitzero"`
	// ODataID and ODataEtag are the resource's OData annotations (@odata.id,
	// @odata.etag) as Graph sends them on notifications.
	ODataID   string `json:"@odata.id,omitzero"`
	ODataEtag string `json:"@odata.etag,omitzero"`
	ID        string `json:"id,omitzero"`
	// PresenterParticipantID is Beta.
	PresenterParticipantID string                     `json:"presenterParticipantId,omitzero"`
	AdditionalData         map[string]json.RawMessage `json:"-"`
}

// TeleconferenceDeviceQuality is the quality report that a Cloud Video Interop partner
// sends with logTeleconferenceDeviceQuality (Graph type teleconferenceDeviceQuality).
type TeleconferenceDeviceQuality struct {
	ODataType                         string                             `json:"@odata.type,omitzero"`
	CallChainID                       string                             `json:"callChainId,omitzero"`
	CloudServiceDeploymentEnvironment string                             `json:"cloudServiceDeploymentEnvironment,omitzero"`
	CloudServiceDeploymentID          string                             `json:"cloudServiceDeploymentId,omitzero"`
	CloudServiceInstanceName          string                             `json:"cloudServiceInstanceName,omitzero"`
	CloudServiceName                  string                             `json:"cloudServiceName,omitzero"`
	DeviceDescription                 string                             `json:"deviceDescription,omitzero"`
	DeviceName                        string                             `json:"deviceName,omitzero"`
	MediaLegID                        string                             `json:"mediaLegId,omitzero"`
	MediaQualityList                  []TeleconferenceDeviceMediaQuality `json:"mediaQualityList,omitzero"`
	ParticipantID                     string                             `json:"participantId,omitzero"`
	AdditionalData                    map[string]json.RawMessage         `json:"-"`
}

// TeleconferenceDeviceMediaQuality is the quality of one media channel (Graph abstract
// type teleconferenceDeviceMediaQuality). ODataType says which subtype it is:
// teleconferenceDeviceAudioQuality, teleconferenceDeviceVideoQuality or
// teleconferenceDeviceScreenSharingQuality; the bit- and frame-rate members belong to
// the video and screen-sharing subtypes. Durations are ISO 8601 strings ("PT0.02S").
type TeleconferenceDeviceMediaQuality struct {
	ODataType                                 string  `json:"@odata.type,omitzero"`
	AverageInboundJitter                      string  `json:"averageInboundJitter,omitzero"`
	AverageInboundPacketLossRateInPercentage  float64 `json:"averageInboundPacketLossRateInPercentage,omitzero"`
	AverageInboundRoundTripDelay              string  `json:"averageInboundRoundTripDelay,omitzero"`
	AverageOutboundJitter                     string  `json:"averageOutboundJitter,omitzero"`
	AverageOutboundPacketLossRateInPercentage float64 `json:"averageOutboundPacketLossRateInPercentage,omitzero"`
	AverageOutboundRoundTripDelay             string  `json:"averageOutboundRoundTripDelay,omitzero"`
	ChannelIndex                              int32   `json:"channelIndex,omitzero"`
	InboundPackets                            int64   `json:"inboundPackets,omitzero"`
	LocalIPAddress                            string  `json:"localIPAddress,omitzero"`
	LocalPort                                 int32   `json:"localPort,omitzero"`
	MaximumInboundJitter                      string  `json:"maximumInboundJitter,omitzero"`
	MaximumInboundPacketLossRateInPercentage  float64 `json:"maximumInboundPacketLossRateInPercentage,omitzero"`
	MaximumInboundRoundTripDelay              string  `json:"maximumInboundRoundTripDelay,omitzero"`
	MaximumOutboundJitter                     string  `json:"maximumOutboundJitter,omitzero"`
	MaximumOutboundPacketLossRateInPercentage float64 `json:"maximumOutboundPacketLossRateInPercentage,omitzero"`
	MaximumOutboundRoundTripDelay             string  `json:"maximumOutboundRoundTripDelay,omitzero"`
	MediaDuration                             string  `json:"mediaDuration,omitzero"`
	NetworkLinkSpeedInBytes                   int64   `json:"networkLinkSpeedInBytes,omitzero"`
	OutboundPackets                           int64   `json:"outboundPackets,omitzero"`
	RemoteIPAddress                           string  `json:"remoteIPAddress,omitzero"`
	RemotePort                                int32   `json:"remotePort,omitzero"`
	// Video and screen sharing only.
	AverageInboundBitRate    float64                    `json:"averageInboundBitRate,omitzero"`
	AverageInboundFrameRate  float64                    `json:"averageInboundFrameRate,omitzero"`
	AverageOutboundBitRate   float64                    `json:"averageOutboundBitRate,omitzero"`
	AverageOutboundFrameRate float64                    `json:"averageOutboundFrameRate,omitzero"`
	AdditionalData           map[string]json.RawMessage `json:"-"`
}

// ParticipantJoiningNotification is sent to a policy-based recording bot when a
// participant joins (Graph entity participantJoiningNotification); the bot answers
// with a ParticipantJoiningResponse.
type ParticipantJoiningNotification struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	ID             string                     `json:"id,omitzero"`
	Call           Call                       `json:"call,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ParticipantLeftNotification is the counterpart of ParticipantJoiningNotification
// (Graph entity participantLeftNotification).
type ParticipantLeftNotification struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	ID             string                     `json:"id,omitzero"`
	ParticipantID  string                     `json:"participantId,omitzero"`
	Call           Call                       `json:"call,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ParticipantJoiningResponse is a policy-based recording bot's answer to a joining
// participant (Graph abstract type participantJoiningResponse). ODataType says which:
// acceptJoinResponse, rejectJoinResponse (with Reason) or inviteNewBotResponse (with
// InviteURI). Use AcceptJoin, RejectJoin or InviteNewBot to build one.
type ParticipantJoiningResponse struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Reason         RejectReason               `json:"reason,omitzero"`
	InviteURI      string                     `json:"inviteUri,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AcceptJoin returns an acceptJoinResponse.
func AcceptJoin() ParticipantJoiningResponse {
	return ParticipantJoiningResponse{ODataType: "#microsoft.graph.acceptJoinResponse"}
}

// RejectJoin returns a rejectJoinResponse with a reason.
func RejectJoin(reason RejectReason) ParticipantJoiningResponse {
	return ParticipantJoiningResponse{ODataType: "#microsoft.graph.rejectJoinResponse", Reason: reason}
}

// InviteNewBot returns an inviteNewBotResponse that asks Graph to invite another bot.
func InviteNewBot(inviteURI string) ParticipantJoiningResponse {
	return ParticipantJoiningResponse{ODataType: "#microsoft.graph.inviteNewBotResponse", InviteURI: inviteURI}
}

// Collection is one page of a Graph collection response: {"value": [...]} with an
// optional @odata.nextLink to the next page.
type Collection[T any] struct {
	ODataContext   string                     `json:"@odata.context,omitzero"`
	NextLink       string                     `json:"@odata.nextLink,omitzero"`
	Value          []T                        `json:"value"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MarshalJSON encodes the page, AdditionalData included.
func (c Collection[T]) MarshalJSON() ([]byte, error) { return wire.Marshal(&c) }

// UnmarshalJSON decodes a page leniently.
func (c *Collection[T]) UnmarshalJSON(data []byte) error { return wire.Unmarshal(data, c) }
