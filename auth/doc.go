// Package auth holds graphcomms' credentials.
//
// Outbound: NewRequestAdapter turns an azcore.TokenCredential (any azidentity
// credential) into a Kiota request adapter for Graph, with per-tenant tokens
// (calls.WithTenant), a fixed middleware order, a fresh client-request-id and a
// graphcomms-go User-Agent on every request, and a retry policy that honours
// Retry-After and never replays a create blindly.
//
//	cred, _ := azidentity.NewClientSecretCredential(tenantID, appID, secret, nil)
//	adapter, err := auth.NewRequestAdapter(cred, auth.AdapterConfig{})
//	api := calls.NewAPI(adapter)
//
// Inbound validation of the JWT Graph puts on every callback comes with the callback
// handler (package notifications).
package auth
