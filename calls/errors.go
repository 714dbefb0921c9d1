package calls

import (
	"github.com/graphcomms/graphcomms/graph"
	"github.com/microsoft/kiota-abstractions-go/serialization"
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

// ErrorFactory creates an *Error from a Kiota parse node, for ErrorMappings of Kiota
// request adapters. It is graph.ErrorFactory.
func ErrorFactory(node serialization.ParseNode) (serialization.Parsable, error) {
	return graph.ErrorFactory(node)
}
