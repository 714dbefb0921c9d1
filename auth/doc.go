// Package auth will hold graphcomms' credentials: outbound, an azcore TokenCredential
// turned into a Kiota authentication provider with per-tenant tokens; inbound, the
// validation of the JWT that Graph puts on every callback (OpenID configuration, JWKS
// cache, issuers, audience, tenant).
//
// It is empty in this release; the wire model it builds on is in packages calls,
// participants, media, meetings and notifications.
package auth
