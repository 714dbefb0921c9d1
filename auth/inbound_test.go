package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/auth/authtest"
)

const (
	appID  = "b0b0b0b0-1111-4222-8333-444455556666"
	tenant = "11111111-2222-4333-8444-000000000001"
)

var (
	keysOnce     sync.Once
	issuer       *authtest.Issuer
	otherKey     *rsa.PrivateKey
	keyGenErrors error
)

func keys(t testing.TB) (*authtest.Issuer, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		issuer, keyGenErrors = authtest.NewIssuer()
		if keyGenErrors == nil {
			otherKey, keyGenErrors = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	if keyGenErrors != nil {
		t.Fatal(keyGenErrors)
	}
	return issuer, otherKey
}

// fixture is a validator over a local OpenID server, with a settable clock and counted
// fetches.
type fixture struct {
	v       *auth.Validator
	now     atomic.Pointer[time.Time]
	fetches atomic.Int32
	down    atomic.Bool
	iss     *authtest.Issuer
}

func newFixture(t testing.TB, cfg auth.ValidatorConfig) *fixture {
	iss, _ := keys(t)
	f := &fixture{iss: iss}
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.now.Store(&start)
	h := iss.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if strings.HasSuffix(r.URL.Path, "OpenIdConfiguration") {
			f.fetches.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	if cfg.AppIDs == nil {
		cfg.AppIDs = []string{appID}
	}
	cfg.OpenIDConfigURL = srv.URL + authtest.OpenIDConfigPath
	cfg.Now = func() time.Time { return *f.now.Load() }
	v, err := auth.NewValidator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

func (f *fixture) advance(d time.Duration) {
	n := f.now.Load().Add(d)
	f.now.Store(&n)
}

func (f *fixture) claims(over map[string]any) map[string]any {
	now := *f.now.Load()
	c := map[string]any{"iss": "https://graph.microsoft.com", "aud": appID, "tid": tenant,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestForgedTokens(t *testing.T) {
	iss, other := keys(t)
	f := newFixture(t, auth.ValidatorConfig{AllowedTenants: []string{tenant, "22222222-0000-4000-8000-000000000002"}})
	now := *f.now.Load()
	hdr := map[string]any{"alg": "RS256", "typ": "JWT", "kid": iss.KeyID}
	pubDER := iss.Key.PublicKey.N.Bytes()
	mac := func(signed string) []byte {
		m := hmac.New(sha256.New, pubDER)
		m.Write([]byte(signed))
		return m.Sum(nil)
	}
	hsSigned := func() string {
		h := map[string]any{"alg": "HS256", "typ": "JWT", "kid": iss.KeyID}
		tok := authtest.Unsigned(h, f.claims(nil), []byte{0})
		parts := strings.Split(tok, ".")
		return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac(parts[0]+"."+parts[1]))
	}
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"valid", iss.Sign(f.claims(nil)), nil},
		{"valid, botframework issuer, audience list", iss.Sign(f.claims(map[string]any{"iss": "https://api.botframework.com", "aud": []string{"other", appID}})), nil},
		{"valid within leeway after exp", iss.Sign(f.claims(map[string]any{"exp": now.Add(-4 * time.Minute).Unix()})), nil},
		{"wrong key, right kid", authtest.SignRS256(other, hdr, f.claims(nil)), auth.ErrBadSignature},
		{"alg none", authtest.Unsigned(map[string]any{"alg": "none", "kid": iss.KeyID}, f.claims(nil), []byte{}), auth.ErrMalformedToken},
		{"alg none with a signature", authtest.Unsigned(map[string]any{"alg": "none", "kid": iss.KeyID}, f.claims(nil), []byte{1}), auth.ErrUnsupportedAlgorithm},
		{"HS256 keyed with the public key", hsSigned(), auth.ErrUnsupportedAlgorithm},
		{"RS512", authtest.SignRS256(iss.Key, map[string]any{"alg": "RS512", "kid": iss.KeyID}, f.claims(nil)), auth.ErrUnsupportedAlgorithm},
		{"expired", iss.Sign(f.claims(map[string]any{"exp": now.Add(-6 * time.Minute).Unix()})), auth.ErrExpired},
		{"no exp", iss.Sign(f.claims(map[string]any{"exp": nil})), auth.ErrMalformedToken},
		{"not yet valid", iss.Sign(f.claims(map[string]any{"nbf": now.Add(10 * time.Minute).Unix()})), auth.ErrNotYetValid},
		{"wrong audience", iss.Sign(f.claims(map[string]any{"aud": "someone-else"})), auth.ErrWrongAudience},
		{"wrong issuer", iss.Sign(f.claims(map[string]any{"iss": "https://sts.example.com"})), auth.ErrWrongIssuer},
		{"missing tid", iss.Sign(f.claims(map[string]any{"tid": nil})), auth.ErrMissingTenant},
		{"tenant not allowed", iss.Sign(f.claims(map[string]any{"tid": "33333333-0000-4000-8000-000000000003"})), auth.ErrTenantNotAllowed},
		{"unknown kid", authtest.SignRS256(other, map[string]any{"alg": "RS256", "kid": "rotated-away"}, f.claims(nil)), auth.ErrUnknownKey},
		{"two parts", "abc.def", auth.ErrMalformedToken},
		{"bad base64", "a$c.def.ghi", auth.ErrMalformedToken},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".e30.c2ln", auth.ErrMalformedToken},
		{"exp not a number", iss.Sign(f.claims(map[string]any{"exp": "tomorrow"})), auth.ErrMalformedToken},
		{"empty", "", auth.ErrMalformedToken},
	}
	for _, c := range cases {
		claims, err := f.v.Validate(context.Background(), c.token)
		if c.want == nil {
			if err != nil || claims.TenantID != tenant {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if !auth.IsForbidden(auth.ErrWrongAudience) || !auth.IsForbidden(auth.ErrTenantNotAllowed) || auth.IsForbidden(auth.ErrExpired) {
		t.Error("IsForbidden")
	}
}

func TestUnknownKidRefreshIsRateLimited(t *testing.T) {
	iss, other := keys(t)
	f := newFixture(t, auth.ValidatorConfig{MinRefreshInterval: time.Minute})
	if _, err := f.v.Validate(context.Background(), iss.Sign(f.claims(nil))); err != nil {
		t.Fatal(err)
	}
	if f.fetches.Load() != 1 {
		t.Fatalf("fetches %d", f.fetches.Load())
	}
	forged := authtest.SignRS256(other, map[string]any{"alg": "RS256", "kid": "nope"}, f.claims(nil))
	f.advance(2 * time.Minute)
	for range 100 {
		if _, err := f.v.Validate(context.Background(), forged); !errors.Is(err, auth.ErrUnknownKey) {
			t.Fatal(err)
		}
	}
	if f.fetches.Load() != 2 {
		t.Errorf("a flood of unknown kids caused %d fetches, want 2 (1 initial + 1 refresh)", f.fetches.Load())
	}
	f.advance(2 * time.Minute)
	_, _ = f.v.Validate(context.Background(), forged)
	if f.fetches.Load() != 3 {
		t.Errorf("after the interval: %d fetches, want 3", f.fetches.Load())
	}
}

func TestKeyRotation(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{MinRefreshInterval: time.Minute})
	if _, err := f.v.Validate(context.Background(), f.iss.Sign(f.claims(nil))); err != nil {
		t.Fatal(err)
	}
	rotated, err := authtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	// Publish the new key in place of the old one.
	old := *f.iss
	*f.iss = *rotated
	t.Cleanup(func() { *f.iss = old })
	f.advance(2 * time.Minute)
	if _, err := f.v.Validate(context.Background(), rotated.Sign(f.claims(nil))); err != nil {
		t.Errorf("token with the new key: %v", err)
	}
}

func TestConcurrentColdStartFetchesOnce(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	tok := f.iss.Sign(f.claims(nil))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.v.Validate(context.Background(), tok); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.fetches.Load() != 1 {
		t.Errorf("%d fetches for 50 concurrent validations", f.fetches.Load())
	}
}

func TestCacheNeverPastExp(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	now := *f.now.Load()
	tok := f.iss.Sign(f.claims(map[string]any{"exp": now.Add(time.Minute).Unix()}))
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.advance(90 * time.Second) // within leeway, but past exp: the cache must not answer
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	f.advance(10 * time.Minute)
	if _, err := f.v.Validate(context.Background(), tok); !errors.Is(err, auth.ErrExpired) {
		t.Errorf("cached token past exp+leeway: %v", err)
	}
}

func TestKeysUnavailable(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	f.down.Store(true)
	if _, err := f.v.Validate(context.Background(), f.iss.Sign(f.claims(nil))); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Errorf("%v", err)
	}
	f.down.Store(false)
	f.advance(11 * time.Second)
	if _, err := f.v.Validate(context.Background(), f.iss.Sign(f.claims(nil))); err != nil {
		t.Errorf("after the key server is back: %v", err)
	}
}

func TestValidateRequest(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	for _, h := range []string{"", "Basic abc", "Bearer ", "Bearer"} {
		r := httptest.NewRequest(http.MethodPost, "/api/calls", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if _, err := f.v.ValidateRequest(r); !errors.Is(err, auth.ErrMissingToken) {
			t.Errorf("%q: %v", h, err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/api/calls", nil)
	r.Header.Set("Authorization", authtest.BearerHeader(f.iss.Sign(f.claims(nil))))
	if c, err := f.v.ValidateRequest(r); err != nil || c.TenantID != tenant || c.Issuer != "https://graph.microsoft.com" {
		t.Errorf("%+v %v", c, err)
	}
	if _, err := auth.NewValidator(auth.ValidatorConfig{}); err == nil {
		t.Error("a validator without app IDs was accepted")
	}
}

// FuzzParseToken: Validate never panics on any token text.
func FuzzParseToken(f *testing.F) {
	fx := newFixture(f, auth.ValidatorConfig{})
	f.Add(fx.iss.Sign(fx.claims(nil)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		_, _ = fx.v.Validate(context.Background(), token)
	})
}

func BenchmarkValidateCached(b *testing.B) {
	f := newFixture(b, auth.ValidatorConfig{})
	tok := f.iss.Sign(f.claims(nil))
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Validate(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateUncached(b *testing.B) {
	f := newFixture(b, auth.ValidatorConfig{CacheSize: -1})
	tok := f.iss.Sign(f.claims(nil))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Validate(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
