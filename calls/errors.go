package calls

import (
	"net/http"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"

	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/retryafter"
)

// Error is a failed Graph request: graph.Error, under the name bots that place calls
// already import. Every request method of packages calls and meetings returns it for
// HTTP errors; test for it with errors.As, or with the predicates of package graph.
type Error = graph.Error

// IsNotFound reports whether err is a Graph 404, as for an action on a call that has
// ended. It is graph.IsNotFound.
func IsNotFound(err error) bool { return graph.IsNotFound(err) }

// IsThrottled reports whether err is a Graph 429 or 503; Error.RetryAfter says how long
// to wait. It is graph.IsThrottled.
func IsThrottled(err error) bool { return graph.IsThrottled(err) }

// KiotaError is a *graph.Error as Kiota's error mappings need it: it implements
// serialization.Parsable and abstractions.ApiErrorable, and unwraps to the
// *graph.Error, so errors.As finds that (and the graph predicates work) on errors a
// Kiota request adapter returns. ErrorFactory makes it.
type KiotaError struct {
	// Err is the Graph error; never nil once made by ErrorFactory.
	Err *graph.Error
}

// ErrorFactory creates a *KiotaError from a Kiota parse node, for ErrorMappings of
// Kiota request adapters: abstractions.ErrorMappings{"XXX": calls.ErrorFactory}.
func ErrorFactory(node serialization.ParseNode) (serialization.Parsable, error) {
	e := &graph.Error{}
	if node != nil {
		if errNode, err := node.GetChildNode("error"); err == nil && errNode != nil {
			e.Code = stringChild(errNode, "code")
			e.Message = stringChild(errNode, "message")
			if inner, err := errNode.GetChildNode("innerError"); err == nil && inner != nil {
				e.RequestID = stringChild(inner, "request-id")
				e.ClientRequestID = stringChild(inner, "client-request-id")
				e.Date = stringChild(inner, "date")
			}
		}
	}
	return &KiotaError{Err: e}, nil
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

// Error returns the Graph error's text.
func (k *KiotaError) Error() string { return k.Err.Error() }

// Unwrap returns the *graph.Error.
func (k *KiotaError) Unwrap() error { return k.Err }

// Serialize implements serialization.Parsable: it writes Graph's error shape.
func (k *KiotaError) Serialize(w serialization.SerializationWriter) error {
	e := k.Err
	return w.WriteAnyValue("error", map[string]any{"code": e.Code, "message": e.Message,
		"innerError": map[string]any{"request-id": e.RequestID, "client-request-id": e.ClientRequestID, "date": e.Date}})
}

// GetFieldDeserializers implements serialization.Parsable; the error is filled by
// ErrorFactory instead.
func (k *KiotaError) GetFieldDeserializers() map[string]func(serialization.ParseNode) error {
	return map[string]func(serialization.ParseNode) error{}
}

// SetStatusCode implements abstractions.ApiErrorable.
func (k *KiotaError) SetStatusCode(code int) { k.Err.StatusCode = code }

// GetStatusCode implements abstractions.ApiErrorable.
func (k *KiotaError) GetStatusCode() int { return k.Err.StatusCode }

// SetResponseHeaders implements abstractions.ApiErrorable: it copies the headers and
// reads Retry-After and the request IDs from them.
func (k *KiotaError) SetResponseHeaders(h *abs.ResponseHeaders) {
	if h == nil {
		return
	}
	e := k.Err
	e.Header = http.Header{}
	for _, key := range h.ListKeys() {
		for _, v := range h.Get(key) {
			e.Header.Add(key, v)
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
func (k *KiotaError) GetResponseHeaders() *abs.ResponseHeaders {
	h := abs.NewResponseHeaders()
	for key, vs := range k.Err.Header {
		for _, v := range vs {
			h.Add(key, v)
		}
	}
	return h
}

var (
	_ serialization.Parsable = (*KiotaError)(nil)
	_ abs.ApiErrorable       = (*KiotaError)(nil)
	_ error                  = (*KiotaError)(nil)
)
