// Package graphcomms is a Go SDK for the Microsoft Graph calls and online-meetings API:
// the building blocks of calling bots for Microsoft Teams that answer and place calls,
// play prompts, collect DTMF, record, join meetings and watch their rosters.
//
// The module is organised by layer, leaves first:
//
//   - media: media configurations, prompts, media streams, DTMF tones;
//   - participants: identities, participant info, invitations, the participant resource;
//   - calls: the call resource, operations (playPrompt, recordResponse, ...), resultInfo
//     and end reasons, and the request body of every call action;
//   - meetings: online meetings, attendance reports, presence;
//   - notifications: the bodies Graph POSTs to a bot's callback URL;
//   - auth: outbound credentials and inbound callback validation.
//
// # The wire model
//
// Every Graph type is a plain Go struct with value fields and json tags. Three rules hold
// for all of them:
//
//   - Lenient in: member names and enum values match ignoring case ("Established",
//     "subCode"), numbers sent as strings decode, and a member whose value does not fit
//     its field (a null, or "transferring" where a number is declared) is kept rather
//     than rejected.
//   - Nothing lost: what a struct's fields do not carry is kept verbatim in its
//     AdditionalData map and written back, so decoding then encoding a Graph payload
//     gives the same payload.
//   - Exact out: encoding writes the documented spelling of every enum and the
//     @odata.type that polymorphic members (media.Config, media.Prompt,
//     calls.MeetingInfo, calls.Operation) need.
//
// Malformed JSON is an error that says what is wrong and where (byte offset and member
// path); decoding never panics.
//
// The module is tested against the 572 request, response and notification examples of
// the Graph documentation; see internal/conformance.
package graphcomms

import "github.com/graphcomms/graphcomms/internal/version"

// Version is the version of this module, sent in the User-Agent of its requests.
const Version = version.Version
