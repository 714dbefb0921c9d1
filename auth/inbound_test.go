package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	if _, err := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{"b0b0b0b0-1111-4222-8333-444455556666", " "}}); err == nil {
		t.Error("a validator with an empty app ID was accepted (it would accept an empty audience)")
	}
}

// strictCase is a token and the sentinel Validate must return for it (nil: valid).
type strictCase struct {
	name  string
	token string
	want  error
	noMax bool   // validate with MaxLifetime disabled
	why   string // for ErrMalformedToken: part of the message, the reason
}

// sentinels names the errors Validate returns, for the table's log.
var sentinels = []struct {
	err  error
	name string
}{
	{auth.ErrMissingToken, "ErrMissingToken"}, {auth.ErrMalformedToken, "ErrMalformedToken"},
	{auth.ErrUnsupportedAlgorithm, "ErrUnsupportedAlgorithm"}, {auth.ErrUnsupportedCritical, "ErrUnsupportedCritical"},
	{auth.ErrUnsupportedType, "ErrUnsupportedType"}, {auth.ErrUnknownKey, "ErrUnknownKey"},
	{auth.ErrBadSignature, "ErrBadSignature"}, {auth.ErrExpired, "ErrExpired"}, {auth.ErrNotYetValid, "ErrNotYetValid"},
	{auth.ErrIssuedInFuture, "ErrIssuedInFuture"}, {auth.ErrTokenLifetime, "ErrTokenLifetime"},
	{auth.ErrWrongIssuer, "ErrWrongIssuer"}, {auth.ErrWrongAudience, "ErrWrongAudience"},
	{auth.ErrMissingTenant, "ErrMissingTenant"}, {auth.ErrTenantNotAllowed, "ErrTenantNotAllowed"},
	{auth.ErrKeysUnavailable, "ErrKeysUnavailable"},
}

func sentinelName(err error) string {
	if err == nil {
		return "nil (valid)"
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "unexpected"
}

// flipTrailingBits returns part with the unused low bits of its last character set
// to v (1 <= v < 16 or 4): the same bytes, non-canonically encoded. ok is false when
// the last character has no unused bits.
func flipTrailingBits(part string, v int) (string, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	unused := map[int]int{2: 4, 3: 2}[len(part)%4]
	if unused == 0 || v <= 0 || v >= 1<<unused {
		return part, false
	}
	i := strings.IndexByte(alphabet, part[len(part)-1])
	return part[:len(part)-1] + string(alphabet[i^v]), true
}

// withSignature returns token with its signature part replaced by fn(signature).
func withSignature(token string, fn func(string) string) string {
	i := strings.LastIndexByte(token, '.')
	return token[:i+1] + fn(token[i+1:])
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strictCases are the tokens a strict validator must reject (and the controls it
// must still accept), each signed with the published key unless said otherwise.
func strictCases(t testing.TB, f *fixture) []strictCase {
	iss := f.iss
	now := *f.now.Load()
	kid := iss.KeyID
	valid := iss.Sign(f.claims(nil))
	claimsJSON := mustJSON(t, f.claims(nil))
	b64 := base64.RawURLEncoding.EncodeToString
	withHdr := func(over map[string]any) string {
		h := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
		for k, v := range over {
			h[k] = v
		}
		return authtest.SignRS256(iss.Key, h, f.claims(nil))
	}
	noTyp := func(over map[string]any) string {
		return authtest.SignRS256(iss.Key, map[string]any{"alg": "RS256", "kid": kid}, f.claims(over))
	}
	rawHdr := func(h string) string { return authtest.SignRaw(iss.Key, []byte(h), claimsJSON) }
	rawClaims := func(prefix string, over map[string]any) string { // prefix, then the members of f.claims(over)
		return authtest.SignRaw(iss.Key, mustJSON(t, map[string]any{"alg": "RS256", "kid": kid}), append([]byte("{"+prefix), mustJSON(t, f.claims(over))[1:]...))
	}
	// A header whose encoding ends in a character with 4 unused bits.
	hdr := mustJSON(t, map[string]any{"alg": "RS256", "kid": kid})
	for len(hdr)%3 != 1 {
		hdr = append(hdr, ' ')
	}
	nonCanonHdr, _ := flipTrailingBits(b64(hdr), 1)
	cl := claimsJSON
	for len(cl)%3 != 1 {
		cl = append(cl, ' ')
	}
	nonCanonClaims, _ := flipTrailingBits(b64(cl), 1)
	// Claims whose encoding has a '-' ("~~~" has a '~', 0x7E, ending a 3-byte group),
	// re-encoded in the standard alphabet.
	enc := b64(mustJSON(t, f.claims(map[string]any{"jti": "~~~"})))
	if !strings.Contains(enc, "-") {
		t.Fatal("claims encoded without '-'")
	}
	stdAlphabet := authtest.SignInput(iss.Key, b64(hdr)+"."+strings.ReplaceAll(enc, "-", "+"))
	padded := func(s string) string {
		for len(s)%4 != 0 {
			s += "="
		}
		return s
	}

	cases := []strictCase{
		// Controls.
		{"valid (typ JWT)", valid, nil, false, ""},
		{"valid, typ jwt", withHdr(map[string]any{"typ": "jwt"}), nil, false, ""},
		{"valid, typ application/JWT", withHdr(map[string]any{"typ": "application/JWT"}), nil, false, ""},
		{"valid, no typ", noTyp(nil), nil, false, ""},
		{"valid, unregistered header member x5t", withHdr(map[string]any{"x5t": kid}), nil, false, ""},
		{"valid, escaped member name \\u0061lg", rawHdr(`{"\u0061lg":"RS256","kid":"` + kid + `"}`), nil, false, ""},
		{"valid, iat within leeway in the future", noTyp(map[string]any{"iat": now.Add(4 * time.Minute).Unix()}), nil, false, ""},
		{"valid, lifetime exactly MaxLifetime", noTyp(map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(23 * time.Hour).Unix()}), nil, false, ""},
		{"valid, no iat, exp within MaxLifetime+leeway", noTyp(map[string]any{"iat": nil, "exp": now.Add(24*time.Hour + 4*time.Minute).Unix()}), nil, false, ""},
		{"valid, exp 1e17 with MaxLifetime disabled", noTyp(map[string]any{"exp": 1e17}), nil, true, ""},

		// crit: understood by no one here, so rejected whenever present.
		{"crit [urn:x]", withHdr(map[string]any{"crit": []string{"urn:x"}, "urn:x": true}), auth.ErrUnsupportedCritical, false, ""},
		{"crit [b64], b64 false", withHdr(map[string]any{"crit": []string{"b64"}, "b64": false}), auth.ErrUnsupportedCritical, false, ""},
		{"crit []", withHdr(map[string]any{"crit": []string{}}), auth.ErrUnsupportedCritical, false, ""},
		{"crit null", withHdr(map[string]any{"crit": nil}), auth.ErrUnsupportedCritical, false, ""},
		{"CRIT [urn:x] (case variant)", withHdr(map[string]any{"CRIT": []string{"urn:x"}}), auth.ErrMalformedToken, false, "header: member \"CRIT\": names are case-sensitive"},

		// Member names are exact-case and unique.
		{"ALG instead of alg", rawHdr(`{"ALG":"RS256","kid":"` + kid + `"}`), auth.ErrMalformedToken, false, "header: member \"ALG\""},
		{"alg and Alg", rawHdr(`{"alg":"RS256","Alg":"none","kid":"` + kid + `"}`), auth.ErrMalformedToken, false, "header: duplicate member \"Alg\""},
		{"KID instead of kid", rawHdr(`{"alg":"RS256","KID":"` + kid + `"}`), auth.ErrMalformedToken, false, "header: member \"KID\""},
		{"Typ at+jwt (case variant)", rawHdr(`{"alg":"RS256","kid":"` + kid + `","Typ":"at+jwt"}`), auth.ErrMalformedToken, false, "header: member \"Typ\""},
		{"duplicate alg", rawHdr(`{"alg":"none","alg":"RS256","kid":"` + kid + `"}`), auth.ErrMalformedToken, false, "header: duplicate member \"alg\""},
		{"duplicate alg, one escaped", rawHdr(`{"alg":"RS256","al\u0067":"RS256","kid":"` + kid + `"}`), auth.ErrMalformedToken, false, "header: duplicate member \"alg\""},
		{"duplicate unregistered header member", rawHdr(`{"alg":"RS256","kid":"` + kid + `","x":1,"x":2}`), auth.ErrMalformedToken, false, "header: duplicate member \"x\""},
		{"claims: duplicate aud", rawClaims(`"aud":"someone-else",`, nil), auth.ErrMalformedToken, false, "claims: duplicate member \"aud\""},
		{"claims: AUD besides aud", rawClaims(`"AUD":"someone-else",`, nil), auth.ErrMalformedToken, false, "claims: member \"AUD\""},
		{"claims: EXP instead of exp", noTyp(map[string]any{"exp": nil, "EXP": now.Add(time.Hour).Unix()}), auth.ErrMalformedToken, false, "claims: member \"EXP\""},
		{"header: data after the object", rawHdr(`{"alg":"RS256","kid":"` + kid + `"}{}`), auth.ErrMalformedToken, false, "header: data after the JSON object"},
		{"header: a JSON array", rawHdr(`["alg","RS256"]`), auth.ErrMalformedToken, false, "header: not a JSON object"},
		{"header: not UTF-8", rawHdr("{\"alg\":\"RS256\",\"kid\":\"" + kid + "\",\"x\":\"\xff\"}"), auth.ErrMalformedToken, false, "header: not UTF-8"},

		// Header values.
		{"alg rs256", withHdr(map[string]any{"alg": "rs256"}), auth.ErrUnsupportedAlgorithm, false, ""},
		{"alg not a string", withHdr(map[string]any{"alg": 256}), auth.ErrMalformedToken, false, "alg is not a string"},
		{"typ at+jwt", withHdr(map[string]any{"typ": "at+jwt"}), auth.ErrUnsupportedType, false, ""},
		{"typ JOSE", withHdr(map[string]any{"typ": "JOSE"}), auth.ErrUnsupportedType, false, ""},
		{"typ empty", withHdr(map[string]any{"typ": ""}), auth.ErrUnsupportedType, false, ""},
		{"typ null", withHdr(map[string]any{"typ": nil}), auth.ErrMalformedToken, false, "typ is not a string"},
		{"typ not a string", withHdr(map[string]any{"typ": 1}), auth.ErrMalformedToken, false, "typ is not a string"},

		// Time claims.
		{"iat ten years in the future", noTyp(map[string]any{"iat": now.AddDate(10, 0, 0).Unix()}), auth.ErrIssuedInFuture, false, ""},
		{"iat just past the leeway", noTyp(map[string]any{"iat": now.Add(6 * time.Minute).Unix()}), auth.ErrIssuedInFuture, false, ""},
		{"exp 1e17", noTyp(map[string]any{"exp": 1e17}), auth.ErrTokenLifetime, false, ""},
		{"lifetime MaxLifetime + 1 s", noTyp(map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(23*time.Hour + time.Second).Unix()}), auth.ErrTokenLifetime, false, ""},
		{"no iat, exp in 25 h", noTyp(map[string]any{"iat": nil, "exp": now.Add(25 * time.Hour).Unix()}), auth.ErrTokenLifetime, false, ""},
		{"exp 1e19 (out of range)", noTyp(map[string]any{"exp": 1e19}), auth.ErrMalformedToken, false, "exp is out of range"},
		{"exp null", rawClaims(`"exp":null,`, map[string]any{"exp": nil}), auth.ErrMalformedToken, false, "exp is not a number"},
		{"aud null", rawClaims(`"aud":null,`, map[string]any{"aud": nil}), auth.ErrMalformedToken, false, "aud is neither"},
		{"iat not a number", noTyp(map[string]any{"iat": "now"}), auth.ErrMalformedToken, false, "iat is not a number"},
		{"tid not a string", noTyp(map[string]any{"tid": 1}), auth.ErrMalformedToken, false, "tid is not a string"},

		// Encoding.
		{"signature: CR LF inside", withSignature(valid, func(s string) string { return s[:100] + "\r\n" + s[100:] }), auth.ErrMalformedToken, false, "is not base64url"},
		{"signature: LF at the end", valid + "\n", auth.ErrMalformedToken, false, "is not base64url"},
		{"signature: space inside", withSignature(valid, func(s string) string { return s[:100] + " " + s[100:] }), auth.ErrMalformedToken, false, "is not base64url"},
		{"signature: tab inside", withSignature(valid, func(s string) string { return s[:100] + "\t" + s[100:] }), auth.ErrMalformedToken, false, "is not base64url"},
		{"signature: padded with =", withSignature(valid, padded), auth.ErrMalformedToken, false, "is not base64url"},
		{"header: padded with =", authtest.SignInput(iss.Key, padded(b64(hdr))+"."+b64(claimsJSON)), auth.ErrMalformedToken, false, "is not base64url"},
		{"header: non-canonical last character", authtest.SignInput(iss.Key, nonCanonHdr+"."+b64(claimsJSON)), auth.ErrMalformedToken, false, "header: not canonical base64url"},
		{"claims: non-canonical last character", authtest.SignInput(iss.Key, b64(hdr)+"."+nonCanonClaims), auth.ErrMalformedToken, false, "claims: not canonical base64url"},
		{"claims: standard base64 alphabet", stdAlphabet, auth.ErrMalformedToken, false, "is not base64url"},
	}
	// Every other encoding of the signature's last character.
	for v := 1; ; v++ {
		tok := withSignature(valid, func(s string) string { s, _ = flipTrailingBits(s, v); return s })
		if tok == valid {
			break
		}
		cases = append(cases, strictCase{fmt.Sprintf("signature: non-canonical last character, variant %d", v), tok, auth.ErrMalformedToken, false, "signature: not canonical base64url"})
	}
	return cases
}

// TestStrictTokens: each token, signed with the published key, is accepted or
// rejected with its sentinel, twice (a token rejected is never cached).
func TestStrictTokens(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	noMax := newFixture(t, auth.ValidatorConfig{MaxLifetime: -1})
	cases := strictCases(t, f)
	// The valid token first, so that the cache holds it while its variants are tried.
	if _, err := f.v.Validate(context.Background(), cases[0].token); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		v := f.v
		if c.noMax {
			v = noMax.v
		}
		for try := range 2 {
			claims, err := v.Validate(context.Background(), c.token)
			if try == 0 {
				t.Logf("%-58s expected %-24s got %s", c.name, sentinelName(c.want), sentinelName(err))
			}
			switch {
			case c.want == nil && (err != nil || claims == nil || claims.TenantID != tenant):
				t.Errorf("%s (try %d): got %v, want valid", c.name, try+1, err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("%s (try %d): got %v, want %v", c.name, try+1, err, c.want)
			case c.why != "" && !strings.Contains(err.Error(), c.why):
				t.Errorf("%s (try %d): got %v, want the reason %q", c.name, try+1, err, c.why)
			case c.want != nil && claims != nil:
				t.Errorf("%s (try %d): claims returned with the error", c.name, try+1)
			}
		}
	}
}

// TestCacheRechecksTimeClaims: a cached token is not accepted at an instant when it
// would be rejected afresh, even when the clock goes back.
func TestCacheRechecksTimeClaims(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	tok := f.iss.Sign(f.claims(map[string]any{"nbf": nil}))
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.advance(-10 * time.Minute)
	if _, err := f.v.Validate(context.Background(), tok); !errors.Is(err, auth.ErrIssuedInFuture) {
		t.Errorf("cached token before iat-leeway: %v", err)
	}
	f.advance(10 * time.Minute)
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		t.Errorf("back at iat: %v", err)
	}
	// Without iat, the lifetime bound gives the earliest instant.
	now := *f.now.Load()
	tok = f.iss.Sign(f.claims(map[string]any{"nbf": nil, "iat": nil, "exp": now.Add(24 * time.Hour).Unix()}))
	if _, err := f.v.Validate(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.advance(-6 * time.Minute)
	if _, err := f.v.Validate(context.Background(), tok); !errors.Is(err, auth.ErrTokenLifetime) {
		t.Errorf("cached token, no iat, exp now more than MaxLifetime+leeway away: %v", err)
	}
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

// TestValidatorReady: Ready fetches the keys when none are loaded, reports a failed
// fetch with ErrKeysUnavailable without repeating it within 10 s, and stays ready once
// keys are loaded, even while the key server is down (the loaded keys are still used).
func TestValidatorReady(t *testing.T) {
	f := newFixture(t, auth.ValidatorConfig{})
	ctx := context.Background()
	f.down.Store(true)
	if err := f.v.Ready(ctx); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("Ready with the key server down = %v, want ErrKeysUnavailable", err)
	}
	f.down.Store(false)
	if err := f.v.Ready(ctx); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("Ready again within 10 s = %v, want the last failure", err)
	}
	if n := f.fetches.Load(); n != 0 {
		t.Fatalf("%d configuration fetches answered, want 0 (the server was down, then not asked again)", n)
	}
	f.advance(11 * time.Second)
	if err := f.v.Ready(ctx); err != nil {
		t.Fatalf("Ready after the server came back = %v", err)
	}
	f.down.Store(true)
	f.advance(48 * time.Hour) // keys are stale: still loaded, still ready
	if err := f.v.Ready(ctx); err != nil {
		t.Fatalf("Ready with stale keys = %v", err)
	}
	if n := f.fetches.Load(); n != 1 {
		t.Fatalf("%d configuration fetches, want 1", n)
	}
}
