// Package participants holds the people side of the Graph calls wire model: identities
// and identity sets, participantInfo and invitationParticipantInfo, the participant
// resource with its media streams and recording info, and constructors for the
// identities a bot dials or invites (users, application instances, phone numbers,
// guests).
//
// Identities are modelled as one superset struct, Identity, that carries the members of
// every identity variant (communicationsUserIdentity, communicationsPhoneIdentity,
// communicationsGuestIdentity, ...) plus ODataType, and IdentitySet carries every member
// of identitySet and communicationsIdentitySet. A value decoded from Graph is written
// back exactly as read (see package media for the conventions shared by all model
// packages).
package participants

//go:generate go run ../internal/cmd/genjson
