package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	nethttp "github.com/microsoft/kiota-http-go"

	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/internal/transport"
)

// DefaultScope is the scope of Graph application tokens.
const DefaultScope = "https://graph.microsoft.com/.default"

// graphHosts are the hosts that receive tokens by default: Graph in each cloud.
var graphHosts = []string{
	"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us",
	"microsoftgraph.chinacloudapi.cn",
}

// TokenProvider authenticates Kiota requests with tokens from an azcore.TokenCredential
// (any azidentity credential: client secret, certificate, managed identity, workload
// identity). It implements Kiota's authentication.AuthenticationProvider.
//
// A request sent with calls.WithTenant gets a token for that tenant, which is how a
// multi-tenant bot acts in its customers' tenants; the credential must allow it (for
// azidentity, AdditionallyAllowedTenants). Tokens are cached by the credential.
type TokenProvider struct {
	cred azcore.TokenCredential
	cfg  TokenConfig
}

// TokenConfig configures a TokenProvider.
type TokenConfig struct {
	// Scopes requested; default DefaultScope.
	Scopes []string
	// TenantID is the tenant of requests that name none; empty uses the credential's.
	TenantID string
	// AllowedHosts receive tokens over https: by default Graph's hosts in every cloud
	// (graph.microsoft.com, graph.microsoft.us, dod-graph.microsoft.us,
	// microsoftgraph.chinacloudapi.cn). Requests to any other host, and plain-http
	// requests to these, are sent without a token.
	AllowedHosts []string
	// AllowLoopback also sends tokens to loopback addresses (127.0.0.0/8, ::1,
	// localhost), over http or https: set it only when the client is configured for an
	// emulator or a local proxy. Off by default, so that a base URL pointed at loopback
	// by mistake never receives a real Graph token over plain http.
	AllowLoopback bool
}

// NewTokenProvider returns a TokenProvider over cred.
func NewTokenProvider(cred azcore.TokenCredential, cfg TokenConfig) (*TokenProvider, error) {
	if cred == nil {
		return nil, errors.New("auth: nil TokenCredential")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{DefaultScope}
	}
	if len(cfg.AllowedHosts) == 0 {
		cfg.AllowedHosts = graphHosts
	}
	return &TokenProvider{cred: cred, cfg: cfg}, nil
}

// AuthenticateRequest implements authentication.AuthenticationProvider.
func (p *TokenProvider) AuthenticateRequest(ctx context.Context, ri *abs.RequestInformation, _ map[string]any) error {
	if ri == nil {
		return errors.New("auth: nil request")
	}
	u, err := ri.GetUri()
	if err != nil {
		return err
	}
	if !p.allowed(u) {
		return nil
	}
	tenant := transport.TenantFrom(ri)
	if tenant == "" {
		tenant = p.cfg.TenantID
	}
	tok, err := p.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: p.cfg.Scopes, TenantID: tenant})
	if err != nil {
		if tenant != "" {
			return fmt.Errorf("auth: getting a token for tenant %s: %w", tenant, err)
		}
		return fmt.Errorf("auth: getting a token: %w", err)
	}
	ri.Headers.Add("Authorization", "Bearer "+tok.Token)
	return nil
}

func (p *TokenProvider) allowed(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if loopback.Host(host) {
		return p.cfg.AllowLoopback && (u.Scheme == "http" || u.Scheme == "https")
	}
	if u.Scheme != "https" {
		return false
	}
	for _, h := range p.cfg.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// AdapterConfig configures NewRequestAdapter. The zero value is ready to use.
type AdapterConfig struct {
	// BaseURL of the adapter: default Graph v1.0 (calls.NewAPI can override it per API).
	BaseURL string
	// HTTPClient is copied, and its transport wrapped by graphcomms' middleware. Nil
	// uses a client over a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// Retry is the retry policy (429 and 503 with Retry-After, 504 and transport errors
	// for requests that may be replayed).
	Retry RetryPolicy
	// UserAgent, if set, is sent before graphcomms-go/<version>.
	UserAgent string
	// Token configures the token provider made from the credential.
	Token TokenConfig
}

// RetryPolicy says when and how often the adapter retries a request; see
// AdapterConfig.Retry. The zero value is the default policy. Retries honour
// Retry-After (capped by MaxDelay) and never replay a create after an ambiguous
// failure unless the request allows it (graph.WithReplay).
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt. Default 3; a
	// negative value turns retries off.
	MaxRetries int
	// BaseDelay is the first backoff delay, doubled for each retry (with up to 20%
	// jitter). Default 1 s.
	BaseDelay time.Duration
	// MaxDelay caps one delay, whether from backoff or from Retry-After. Default 60 s.
	MaxDelay time.Duration
	// Sleep waits between attempts; nil uses a timer. Tests use it to run without
	// waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewRequestAdapter returns a Kiota request adapter for Graph that authenticates with
// cred. Its middleware runs in a fixed order (headers, retry, redirect, query-parameter
// names); it sends a fresh client-request-id and User-Agent graphcomms-go/<version> with
// every request, never gzips request bodies, and never replays a create after an
// ambiguous failure unless asked (calls.WithReplay).
func NewRequestAdapter(cred azcore.TokenCredential, cfg AdapterConfig) (abs.RequestAdapter, error) {
	tp, err := NewTokenProvider(cred, cfg.Token)
	if err != nil {
		return nil, err
	}
	return NewRequestAdapterWithAuth(tp, cfg)
}

// NewRequestAdapterWithAuth is NewRequestAdapter with any Kiota authentication
// provider, for example authentication.AnonymousAuthenticationProvider against the
// emulator.
func NewRequestAdapterWithAuth(provider authentication.AuthenticationProvider, cfg AdapterConfig) (abs.RequestAdapter, error) {
	if provider == nil {
		return nil, errors.New("auth: nil authentication provider")
	}
	client := &http.Client{}
	var parent http.RoundTripper
	if cfg.HTTPClient != nil {
		*client = *cfg.HTTPClient
		parent = cfg.HTTPClient.Transport
	}
	if parent == nil {
		parent = http.DefaultTransport.(*http.Transport).Clone()
	}
	// Redirects are followed by the middleware, which drops Authorization across hosts.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Transport = nethttp.NewCustomTransportWithParentTransport(parent,
		transport.Middlewares(cfg.UserAgent, transport.Retry{Policy: transport.RetryPolicy(cfg.Retry), Now: time.Now})...)
	adapter, err := nethttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		provider, nil, nil, client)
	if err != nil {
		return nil, err
	}
	base := cfg.BaseURL
	if base == "" {
		base = graph.V1BaseURL
	}
	adapter.SetBaseUrl(strings.TrimSuffix(base, "/"))
	return adapter, nil
}
