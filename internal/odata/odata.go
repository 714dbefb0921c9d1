// Package odata holds small helpers for Graph's @odata.type discriminators.
package odata

import (
	"strings"

	"github.com/graphcomms/graphcomms/internal/wire"
)

// Namespace is the prefix of every Graph type name in @odata.type.
const Namespace = "#microsoft.graph."

// Name returns the short type name of an @odata.type value: "#microsoft.graph.call" and
// "#Microsoft.Graph.call" give "call". A value without the namespace is returned as is,
// without a leading '#'.
func Name(odataType string) string {
	if len(odataType) >= len(Namespace) && strings.EqualFold(odataType[:len(Namespace)], Namespace) {
		return odataType[len(Namespace):]
	}
	return strings.TrimPrefix(odataType, "#")
}

// Type returns the @odata.type value for a short type name.
func Type(name string) string { return Namespace + name }

// TypeOf returns the short @odata.type name of a raw JSON object, or "".
func TypeOf(data []byte) string {
	t, _ := wire.PeekString(data, "@odata.type")
	return Name(t)
}

// Decode decodes data into a new T.
func Decode[T any](data []byte) (*T, error) {
	v := new(T)
	if err := wire.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// known lists the Graph type names decoded often enough to be worth sharing.
var known = []string{
	"commsNotifications", "commsNotification", "call", "participant", "participantInfo",
	"invitationParticipantInfo", "identity", "identitySet", "communicationsIdentitySet",
	"communicationsGuestIdentity", "communicationsUserIdentity", "communicationsPhoneIdentity",
	"communicationsApplicationIdentity", "communicationsApplicationInstanceIdentity",
	"mediaStream", "resultInfo", "toneInfo", "chatInfo", "incomingContext", "callRoute",
	"serviceHostedMediaConfig", "appHostedMediaConfig", "mediaPrompt", "mediaInfo",
	"organizerMeetingInfo", "tokenMeetingInfo", "joinMeetingIdMeetingInfo",
	"outgoingCallOptions", "incomingCallOptions", "contentSharingSession", "deltaParticipants",
	"commsOperation", "playPromptOperation", "recordOperation", "inviteParticipantsOperation",
	"muteParticipantOperation", "unmuteParticipantOperation", "subscribeToToneOperation",
	"cancelMediaProcessingOperation", "sendDtmfTonesOperation", "startHoldMusicOperation",
	"stopHoldMusicOperation", "updateRecordingStatusOperation", "addLargeGalleryViewOperation",
}

func init() {
	for _, k := range known {
		wire.Intern(Type(k))
	}
}
