// Package transport executes graphcomms requests over a Kiota RequestAdapter and holds
// the HTTP middleware graphcomms installs: client-request-id and User-Agent headers,
// and a retry policy that honours Retry-After and never replays a create blindly.
//
// Requests are sent with SendPrimitive and a response handler, so that bodies are
// marshalled and unmarshalled by package wire (not by Kiota's parse nodes) and every
// failed response is turned into the caller's error type with its status, headers and
// Graph error body.
package transport
