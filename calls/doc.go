// Package calls holds the call side of the Graph calls wire model: the call resource
// and its enums, chat and meeting info, call options and routes, resultInfo and the
// table of end reasons, commsOperation and every subtype, audio routing groups, content
// sharing sessions, teleconference device quality, the policy-based recording join
// types, and the request bodies of every call and participant action.
//
// Operation is polymorphic: DecodeOperation returns the concrete subtype named by
// @odata.type (*PlayPromptOperation, *RecordOperation, ...). MeetingInfo is polymorphic
// too (*OrganizerMeetingInfo, *TokenMeetingInfo, *JoinMeetingIDMeetingInfo). Values
// decoded from Graph are written back exactly as read; see package media for the
// conventions shared by all model packages.
//
// Members marked Beta exist only on the beta endpoint.
package calls

//go:generate go run ../internal/cmd/genjson
