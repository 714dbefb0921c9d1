package transport

import (
	abs "github.com/microsoft/kiota-abstractions-go"
)

// Options are the per-request options of every graphcomms request method.
type Options struct {
	// Headers are added to the request.
	Headers map[string]string
	// ClientRequestID, when set, is sent as client-request-id instead of a fresh one.
	ClientRequestID string
	// TenantID selects the tenant whose token authenticates the request.
	TenantID string
	// AllowReplay lets the retry policy replay a create after an ambiguous failure.
	AllowReplay bool
	// NoRedirect returns a redirect response as it is instead of following it.
	NoRedirect bool
}

// TenantOptionKey is the Kiota request-option key of TenantOption.
var TenantOptionKey = abs.RequestOptionKey{Key: "graphcomms.TenantOption"}

// TenantOption carries the tenant to authenticate a request for.
type TenantOption struct{ TenantID string }

// GetKey implements abs.RequestOption.
func (TenantOption) GetKey() abs.RequestOptionKey { return TenantOptionKey }

// ReplayOptionKey is the Kiota request-option key of ReplayOption.
var ReplayOptionKey = abs.RequestOptionKey{Key: "graphcomms.ReplayOption"}

// ReplayOption tells the retry middleware whether a request may be replayed after an
// ambiguous failure (a 504, a timeout, a reset connection).
type ReplayOption struct{ Allowed bool }

// GetKey implements abs.RequestOption.
func (ReplayOption) GetKey() abs.RequestOptionKey { return ReplayOptionKey }

// TenantFrom returns the tenant option of a request, or "".
func TenantFrom(ri *abs.RequestInformation) string {
	for _, o := range ri.GetRequestOptions() {
		if t, ok := o.(TenantOption); ok {
			return t.TenantID
		}
	}
	return ""
}

// Option changes the Options of one request. Package calls exposes it as
// calls.RequestOption.
type Option func(*Options)

// Collect applies opts in order.
func Collect(opts []Option) Options {
	var o Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}
