package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
)

// fakeCredential hands out a token per tenant and records the requests.
type fakeCredential struct {
	mu      sync.Mutex
	tenants []string
	scopes  []string
	fail    error
}

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tenants = append(f.tenants, o.TenantID)
	f.scopes = o.Scopes
	if f.fail != nil {
		return azcore.AccessToken{}, f.fail
	}
	tenant := o.TenantID
	if tenant == "" {
		tenant = "home"
	}
	return azcore.AccessToken{Token: "token-for-" + tenant, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestPerTenantTokens(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	cred := &fakeCredential{}
	// The server is on loopback, which receives tokens only when allowed.
	adapter, err := auth.NewRequestAdapter(cred, auth.AdapterConfig{Token: auth.TokenConfig{TenantID: "bot-home", AllowLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	api := calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))
	ctx := context.Background()
	if err := api.Calls().ByID("c1").KeepAlive().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := api.Calls().ByID("c2").KeepAlive().Post(ctx, nil, calls.WithTenant("customer-a")); err != nil {
		t.Fatal(err)
	}
	want := []string{"Bearer token-for-bot-home", "Bearer token-for-customer-a"}
	if strings.Join(auths, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers %v, want %v", auths, want)
	}
	if cred.scopes[0] != auth.DefaultScope {
		t.Errorf("scopes %v", cred.scopes)
	}
}

func TestTokensOnlyToAllowedHosts(t *testing.T) {
	cred := &fakeCredential{}
	p, err := auth.NewTokenProvider(cred, auth.TokenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	adapter, _ := auth.NewRequestAdapterWithAuth(p, auth.AdapterConfig{})
	api := calls.NewAPI(adapter, calls.WithBaseURL("https://evil.example.com/v1.0"))
	ri, err := api.Calls().ByID("c1").ToGetRequestInformation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AuthenticateRequest(context.Background(), ri, nil); err != nil {
		t.Fatal(err)
	}
	if ri.Headers.ContainsKey("Authorization") || len(cred.tenants) != 0 {
		t.Error("a token was sent to a host that is not Graph")
	}
	api = calls.NewAPI(adapter)
	ri, _ = api.Calls().ByID("c1").ToGetRequestInformation(context.Background())
	_ = p.AuthenticateRequest(context.Background(), ri, nil)
	if !ri.Headers.ContainsKey("Authorization") {
		t.Error("no token for graph.microsoft.com")
	}
}

// TestTokenHosts: the token goes to Graph's hosts over https, to AllowedHosts when they
// are set, and to loopback only with AllowLoopback; never over plain http elsewhere.
func TestTokenHosts(t *testing.T) {
	cases := []struct {
		url  string
		cfg  auth.TokenConfig
		want bool
	}{
		{"https://graph.microsoft.com/v1.0/communications/calls", auth.TokenConfig{}, true},
		{"https://GRAPH.microsoft.com/v1.0/communications/calls", auth.TokenConfig{}, true},
		{"https://graph.microsoft.us/v1.0/communications/calls", auth.TokenConfig{}, true},
		{"http://graph.microsoft.com/v1.0/communications/calls", auth.TokenConfig{}, false},
		{"https://graph.microsoft.com.evil.example/v1.0", auth.TokenConfig{}, false},
		{"https://evil.example.com/v1.0", auth.TokenConfig{}, false},
		{"http://127.0.0.1:9440/v1.0/communications/calls", auth.TokenConfig{}, false},
		{"http://localhost:9440/v1.0", auth.TokenConfig{}, false},
		{"http://[::1]:9440/v1.0", auth.TokenConfig{}, false},
		{"http://127.0.0.1:9440/v1.0", auth.TokenConfig{AllowedHosts: []string{"graph.example.com"}}, false},
		{"http://127.0.0.1:9440/v1.0", auth.TokenConfig{AllowedHosts: []string{"127.0.0.1"}}, false},
		{"https://graph.example.com/v1.0", auth.TokenConfig{AllowedHosts: []string{"graph.example.com"}}, true},
		{"https://graph.microsoft.com/v1.0", auth.TokenConfig{AllowedHosts: []string{"graph.example.com"}}, false},
		{"http://127.0.0.1:9440/v1.0", auth.TokenConfig{AllowLoopback: true}, true},
		{"http://localhost:9440/v1.0", auth.TokenConfig{AllowLoopback: true}, true},
		{"http://[::1]:9440/v1.0", auth.TokenConfig{AllowLoopback: true}, true},
		{"http://10.0.0.1:9440/v1.0", auth.TokenConfig{AllowLoopback: true}, false},
	}
	for _, c := range cases {
		p, err := auth.NewTokenProvider(&fakeCredential{}, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		adapter, _ := auth.NewRequestAdapterWithAuth(p, auth.AdapterConfig{})
		ri, err := calls.NewAPI(adapter, calls.WithBaseURL(c.url)).Calls().ToGetRequestInformation(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AuthenticateRequest(context.Background(), ri, nil); err != nil {
			t.Fatal(err)
		}
		if got := ri.Headers.ContainsKey("Authorization"); got != c.want {
			t.Errorf("%s with %+v: token sent %v, want %v", c.url, c.cfg, got, c.want)
		}
	}
}

func TestTokenFailure(t *testing.T) {
	cred := &fakeCredential{fail: errors.New("AADSTS7000215: invalid client secret")}
	adapter, _ := auth.NewRequestAdapter(cred, auth.AdapterConfig{Token: auth.TokenConfig{AllowLoopback: true}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("request sent without a token") }))
	defer srv.Close()
	api := calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))
	_, err := api.Calls().ByID("c1").Get(context.Background(), calls.WithTenant("t9"))
	if err == nil || !strings.Contains(err.Error(), "tenant t9") || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("error %v", err)
	}
}

// The azidentity credentials a bot uses all satisfy azcore.TokenCredential and make an
// adapter; nothing is fetched until a request is sent.
func TestAzidentityCredentials(t *testing.T) {
	secret, err := azidentity.NewClientSecretCredential("11111111-2222-4333-8444-000000000001", "b0b0b0b0-1111-4222-8333-444455556666", "not-a-secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	managed, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cred := range []azcore.TokenCredential{secret, managed} {
		if _, err := auth.NewRequestAdapter(cred, auth.AdapterConfig{}); err != nil {
			t.Errorf("%T: %v", cred, err)
		}
	}
	var _ azcore.TokenCredential = (*azidentity.ClientCertificateCredential)(nil)
	var _ azcore.TokenCredential = (*azidentity.WorkloadIdentityCredential)(nil)
	if _, err := auth.NewRequestAdapter(nil, auth.AdapterConfig{}); err == nil {
		t.Error("nil credential accepted")
	}
}
