// Package graph is the request core that every graphcomms resource package shares:
// the options of one request ([RequestOption], [WithTenant], [WithClientRequestID],
// [WithHeader], [WithReplay]), the options of an API root ([APIOption], [WithBaseURL],
// [WithBeta]), Graph's base URLs, the error of a failed request ([Error], with
// predicates such as [IsNotFound], [IsForbidden] and [IsThrottled]), the error of a
// body that does not decode ([DecodeError]) and the check every ID passes before it
// goes into a URL path ([ValidateID]).
//
// The request builders live with their models, in package calls
// (/communications/calls) and package meetings (/me and /users/{id}/onlineMeetings);
// both take these options and return these errors. Package calls re-exports the
// request options and the error under its own names, so that a bot that only places
// calls needs one import.
//
// Every ID a builder puts into a URL path (a call, participant, operation, user or
// meeting ID) is checked by [ValidateID] first: an empty ID, ".", "..", or one with a
// slash, a backslash, a control character or invalid UTF-8 fails the request with an
// *[IDError] before anything is sent. IDs taken from notifications are therefore safe
// to pass on as they are.
package graph
