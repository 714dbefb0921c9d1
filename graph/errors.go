package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"

	"github.com/graphcomms/graphcomms/internal/retryafter"
)

// Error is a failed Graph request: the HTTP status, Graph's error code and message, the
// request IDs to quote to Microsoft support, and Retry-After when Graph sent one. Every
// request method of this module returns it (wrapped in nothing) for HTTP errors; test
// for it with errors.As, or with the predicates IsBadRequest, IsUnauthorized,
// IsForbidden, IsNotFound, IsConflict, IsThrottled and IsServerError.
//
// Error also implements Kiota's serialization.Parsable and abstractions.ApiErrorable, so
// ErrorFactory can be used in a Kiota ErrorMappings.
type Error struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Code is Graph's error code, e.g. "itemNotFound" or "7504".
	Code string
	// Message is Graph's error message.
	Message string
	// RequestID, ClientRequestID and Date come from the error's innerError (or, failing
	// that, from the response headers).
	RequestID       string
	ClientRequestID string
	Date            string
	// RetryAfter is the delay Graph asked for on 429 and 503 responses, or 0.
	RetryAfter time.Duration
	// Header holds the response headers.
	Header http.Header
	// Body is the response body as received (at most 32 MiB).
	Body []byte
}

// Error returns "graph: 404 itemNotFound: Call not found (request-id ...)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(": " + t)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id " + e.RequestID)
		if e.ClientRequestID != "" {
			b.WriteString(", client-request-id " + e.ClientRequestID)
		}
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// statusIs reports whether err is an *Error with one of the statuses.
func statusIs(err error, statuses ...int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, s := range statuses {
		if e.StatusCode == s {
			return true
		}
	}
	return false
}

// IsBadRequest reports whether err is a Graph 400: a request body or parameter Graph
// refused (Code and Message say which).
func IsBadRequest(err error) bool { return statusIs(err, http.StatusBadRequest) }

// IsUnauthorized reports whether err is a Graph 401: the request's token was missing,
// expired or not accepted. It is about the bot's outbound token, not about a callback's
// token (for those, see package auth).
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a Graph 403: the app lacks a permission or a
// tenant's consent, or an application access policy does not cover the user.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsNotFound reports whether err is a Graph 404, as for an action on a call that has
// ended.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports whether err is a Graph 409, as for an action that clashes with
// one in progress on the same call.
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsThrottled reports whether err is a Graph 429 or 503; RetryAfter says how long to
// wait.
func IsThrottled(err error) bool {
	return statusIs(err, http.StatusTooManyRequests, http.StatusServiceUnavailable)
}

// IsServerError reports whether err is a Graph 5xx (503 included).
func IsServerError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode >= 500 && e.StatusCode <= 599
}

// ErrorFactory creates an *Error from a Kiota parse node, for ErrorMappings of Kiota
// request adapters: abstractions.ErrorMappings{"XXX": graph.ErrorFactory}.
func ErrorFactory(node serialization.ParseNode) (serialization.Parsable, error) {
	e := &Error{}
	if node == nil {
		return e, nil
	}
	errNode, err := node.GetChildNode("error")
	if err != nil || errNode == nil {
		return e, nil
	}
	e.Code = stringChild(errNode, "code")
	e.Message = stringChild(errNode, "message")
	if inner, err := errNode.GetChildNode("innerError"); err == nil && inner != nil {
		e.RequestID = stringChild(inner, "request-id")
		e.ClientRequestID = stringChild(inner, "client-request-id")
		e.Date = stringChild(inner, "date")
	}
	return e, nil
}

func stringChild(n serialization.ParseNode, name string) string {
	c, err := n.GetChildNode(name)
	if err != nil || c == nil {
		return ""
	}
	s, err := c.GetStringValue()
	if err != nil || s == nil {
		return ""
	}
	return *s
}

// Serialize implements serialization.Parsable: it writes Graph's error shape.
func (e *Error) Serialize(w serialization.SerializationWriter) error {
	return w.WriteAnyValue("error", map[string]any{"code": e.Code, "message": e.Message,
		"innerError": map[string]any{"request-id": e.RequestID, "client-request-id": e.ClientRequestID, "date": e.Date}})
}

// GetFieldDeserializers implements serialization.Parsable; Error is filled by
// ErrorFactory instead.
func (e *Error) GetFieldDeserializers() map[string]func(serialization.ParseNode) error {
	return map[string]func(serialization.ParseNode) error{}
}

// SetStatusCode implements abstractions.ApiErrorable.
func (e *Error) SetStatusCode(code int) { e.StatusCode = code }

// GetStatusCode implements abstractions.ApiErrorable.
func (e *Error) GetStatusCode() int { return e.StatusCode }

// SetResponseHeaders implements abstractions.ApiErrorable: it copies the headers and
// reads Retry-After and the request IDs from them.
func (e *Error) SetResponseHeaders(h *abs.ResponseHeaders) {
	if h == nil {
		return
	}
	e.Header = http.Header{}
	for _, k := range h.ListKeys() {
		for _, v := range h.Get(k) {
			e.Header.Add(k, v)
		}
	}
	if e.RequestID == "" {
		e.RequestID = e.Header.Get("request-id")
	}
	if e.ClientRequestID == "" {
		e.ClientRequestID = e.Header.Get("client-request-id")
	}
	e.RetryAfter = retryafter.Parse(e.Header, time.Now())
}

// GetResponseHeaders implements abstractions.ApiErrorable.
func (e *Error) GetResponseHeaders() *abs.ResponseHeaders {
	h := abs.NewResponseHeaders()
	for k, vs := range e.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

var (
	_ serialization.Parsable = (*Error)(nil)
	_ abs.ApiErrorable       = (*Error)(nil)
	_ error                  = (*Error)(nil)
)
