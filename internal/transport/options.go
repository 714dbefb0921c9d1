package transport

import (
	abs "github.com/microsoft/kiota-abstractions-go"
)

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
