package graph

import (
	"log/slog"
	"strings"
)

// Graph base URLs.
const (
	// V1BaseURL is Graph's v1.0 endpoint, the default.
	V1BaseURL = "https://graph.microsoft.com/v1.0"
	// BetaBaseURL is Graph's beta endpoint, needed for the members and actions marked
	// Beta.
	BetaBaseURL = "https://graph.microsoft.com/beta"
)

// RequestOptions are the per-request settings the RequestOption functions set. The
// zero value sends the request as it is: a fresh client-request-id, the token of the
// default tenant, no extra headers, redirects followed, no replay of a create.
type RequestOptions struct {
	// Headers are added to the request (after graphcomms' own).
	Headers map[string]string
	// ClientRequestID, when set, is sent as client-request-id instead of a fresh UUID.
	ClientRequestID string
	// TenantID selects the tenant whose token authenticates the request.
	TenantID string
	// AllowReplay lets the retry policy replay a create after an ambiguous failure.
	AllowReplay bool
	// NoRedirect returns a redirect response as it is instead of following it.
	NoRedirect bool
}

// RequestOption changes the options of one request. Every request method of the
// builders in packages calls and meetings takes a list of them, in the style of
// aws-sdk-go-v2's per-call options; later options win.
type RequestOption func(*RequestOptions)

// CollectOptions applies opts in order to a zero RequestOptions and returns the
// result. Nil options are skipped.
func CollectOptions(opts ...RequestOption) RequestOptions {
	var o RequestOptions
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// WithHeader adds a header to the request.
func WithHeader(name, value string) RequestOption {
	return func(o *RequestOptions) {
		if o.Headers == nil {
			o.Headers = map[string]string{}
		}
		o.Headers[name] = value
	}
}

// WithClientRequestID sends id as the request's client-request-id (by default every
// request gets a fresh one), so that it can be correlated with the caller's own logs
// and quoted to Microsoft support.
func WithClientRequestID(id string) RequestOption {
	return func(o *RequestOptions) { o.ClientRequestID = id }
}

// WithTenant authenticates the request with a token for the given tenant: a
// multi-tenant bot acting on a call in a customer's tenant.
func WithTenant(tenantID string) RequestOption {
	return func(o *RequestOptions) { o.TenantID = tenantID }
}

// WithReplay lets the retry policy replay a request that creates something (a call, an
// online meeting, an audio routing group) after an ambiguous failure: a 504, a timeout
// or a reset connection, when Graph may or may not have acted. Without it such a request
// is retried only when Graph said it did not act (429, 503).
func WithReplay() RequestOption {
	return func(o *RequestOptions) { o.AllowReplay = true }
}

// WithoutRedirect returns a redirect response as it is instead of following it.
func WithoutRedirect() RequestOption {
	return func(o *RequestOptions) { o.NoRedirect = true }
}

// APISettings are what the APIOption functions set on an API root (calls.NewAPI,
// meetings.NewAPI).
type APISettings struct {
	// BaseURL is where requests go, without a trailing slash. Empty uses the request
	// adapter's base URL, or V1BaseURL when the adapter has none.
	BaseURL string
	// Logger receives, at debug level, one line per request sent: method, path,
	// status, duration and client-request-id (never a header or a body). Nil logs
	// nothing.
	Logger *slog.Logger
}

// APIOption configures an API root.
type APIOption func(*APISettings)

// CollectAPIOptions applies opts in order to zero APISettings and returns the result.
func CollectAPIOptions(opts ...APIOption) APISettings {
	var s APISettings
	for _, f := range opts {
		if f != nil {
			f(&s)
		}
	}
	return s
}

// WithBaseURL sends requests to base (for example BetaBaseURL, or an emulator's
// http://127.0.0.1:9440/v1.0) instead of the adapter's base URL.
func WithBaseURL(base string) APIOption {
	return func(s *APISettings) { s.BaseURL = strings.TrimSuffix(base, "/") }
}

// WithLogger logs every request at debug level (see APISettings.Logger).
func WithLogger(l *slog.Logger) APIOption {
	return func(s *APISettings) { s.Logger = l }
}

// WithBeta sends requests to Graph's beta endpoint.
func WithBeta() APIOption { return WithBaseURL(BetaBaseURL) }
