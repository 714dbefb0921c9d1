package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error is a failed Graph request: the HTTP status, Graph's error code and message, the
// request IDs to quote to Microsoft support, and Retry-After when Graph sent one. Every
// request method of this module returns it (wrapped in nothing) for HTTP errors; test
// for it with errors.As, or with the predicates IsBadRequest, IsUnauthorized,
// IsForbidden, IsNotFound, IsConflict, IsThrottled and IsServerError.
//
// Package graph builds on the standard library alone, so that the model
// packages stay small; the Kiota face of this error (for a Kiota ErrorMappings) is
// calls.KiotaError, made by calls.ErrorFactory.
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

var _ error = (*Error)(nil)
