package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults for validating Graph's callback tokens.
const (
	// DefaultOpenIDConfigURL is where Graph's (Skype's) callback signing keys are
	// published.
	DefaultOpenIDConfigURL = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration"
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 5 * time.Minute
	// DefaultMaxLifetime is the longest lifetime a callback token may claim (see
	// ValidatorConfig.MaxLifetime). Graph's callback tokens live about an hour; a day
	// leaves ample room should Graph lengthen them, yet bounds how long a captured
	// token can be replayed.
	DefaultMaxLifetime = 24 * time.Hour
)

// DefaultIssuers are the issuers of Graph's callback tokens.
var DefaultIssuers = []string{"https://graph.microsoft.com", "https://api.botframework.com"}

// Errors returned by Validator. Each rejection wraps exactly one of them; test with
// errors.Is.
var (
	ErrMissingToken         = errors.New("auth: no bearer token")
	ErrMalformedToken       = errors.New("auth: malformed token")
	ErrUnsupportedAlgorithm = errors.New("auth: token algorithm is not RS256")
	ErrUnknownKey           = errors.New("auth: token signed with an unknown key")
	ErrBadSignature         = errors.New("auth: token signature does not verify")
	ErrExpired              = errors.New("auth: token expired")
	ErrNotYetValid          = errors.New("auth: token not yet valid")
	ErrWrongIssuer          = errors.New("auth: token issuer not accepted")
	ErrWrongAudience        = errors.New("auth: token audience is not this bot")
	ErrMissingTenant        = errors.New("auth: token has no tid claim")
	ErrTenantNotAllowed     = errors.New("auth: tenant not allowed")
	ErrKeysUnavailable      = errors.New("auth: signing keys unavailable")

	// ErrUnsupportedCritical means the header has a crit member. Validator
	// understands no JWS extension, so it rejects every crit, whatever it lists
	// (RFC 7515 §4.1.11).
	ErrUnsupportedCritical = errors.New("auth: token requires an unsupported JWS extension (crit)")
	// ErrUnsupportedType means the header has a typ other than JWT (or
	// application/jwt), in any case.
	ErrUnsupportedType = errors.New("auth: token typ is not JWT")
	// ErrIssuedInFuture means iat is later than now plus the leeway.
	ErrIssuedInFuture = errors.New("auth: token issued in the future")
	// ErrTokenLifetime means the token claims a lifetime longer than
	// ValidatorConfig.MaxLifetime.
	ErrTokenLifetime = errors.New("auth: token lifetime too long")
)

// IsForbidden reports whether err means the caller is authenticated but not for this
// bot (wrong audience or tenant): HTTP 403 rather than 401.
func IsForbidden(err error) bool {
	return errors.Is(err, ErrWrongAudience) || errors.Is(err, ErrTenantNotAllowed)
}

// Claims are the checked claims of a callback token.
type Claims struct {
	Issuer    string
	Audience  []string
	TenantID  string
	Subject   string
	AppID     string // appid or azp, when present
	IssuedAt  time.Time
	NotBefore time.Time
	ExpiresAt time.Time
	// Raw holds every claim as sent.
	Raw map[string]json.RawMessage
}

// ValidatorConfig configures a Validator. AppIDs is required.
type ValidatorConfig struct {
	// AppIDs are the bot's Microsoft Entra app IDs: the accepted audiences.
	AppIDs []string
	// OpenIDConfigURL is the OpenID configuration that names the JWKS; default
	// DefaultOpenIDConfigURL. The emulator serves its own.
	OpenIDConfigURL string
	// Issuers accepted; default DefaultIssuers.
	Issuers []string
	// AllowedTenants, when set, are the only tenants (tid) accepted.
	AllowedTenants []string
	// Leeway is the clock skew allowed on exp, nbf and iat; default DefaultLeeway. A
	// negative value means none.
	Leeway time.Duration
	// MaxLifetime is the longest lifetime a token may claim: exp-iat or, for a token
	// without iat, exp-now, which may exceed it by Leeway. Default DefaultMaxLifetime
	// (24 h; Graph's callback tokens live about an hour). A negative value disables
	// the check, which is not recommended: a leaked token would then be good until
	// whatever exp it names. iat is checked against the clock either way.
	MaxLifetime time.Duration
	// KeyTTL is how long fetched keys are used before they are fetched again; default
	// 24 h.
	KeyTTL time.Duration
	// MinRefreshInterval is the least time between two fetches caused by tokens with an
	// unknown key ID, so a flood of forged tokens cannot hammer the key server; default
	// 5 minutes.
	MinRefreshInterval time.Duration
	// CacheSize bounds the cache of verified tokens (a token seen again is accepted
	// without re-verifying its signature, until it expires); default 1024, negative
	// disables it.
	CacheSize int
	// HTTPClient fetches the configuration and keys; default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives key refreshes and failures; nil discards them.
	Logger *slog.Logger
}

// Validator checks the bearer tokens Graph sends on callbacks: RS256 signatures by
// the published keys, issuer, audience, expiry and tenant. It is safe for concurrent
// use.
type Validator struct {
	cfg ValidatorConfig

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time
	lastRefresh time.Time
	inflight    chan struct{} // closed when the running refresh ends
	refreshErr  error

	cacheMu sync.Mutex
	cache   map[string]cacheEntry
}

// cacheEntry is a verified token's claims and the instant from which its time claims
// (nbf, iat, lifetime) accept it; it is answered from the cache only between that
// instant and exp.
type cacheEntry struct {
	claims *Claims
	from   time.Time
}

// NewValidator returns a Validator. It fetches no keys until the first token arrives.
func NewValidator(cfg ValidatorConfig) (*Validator, error) {
	if len(cfg.AppIDs) == 0 {
		return nil, errors.New("auth: ValidatorConfig.AppIDs is required (the bot's app IDs)")
	}
	for _, id := range cfg.AppIDs {
		// An empty app ID would accept a token whose audience is empty.
		if strings.TrimSpace(id) == "" {
			return nil, errors.New("auth: ValidatorConfig.AppIDs holds an empty app ID")
		}
	}
	if cfg.OpenIDConfigURL == "" {
		cfg.OpenIDConfigURL = DefaultOpenIDConfigURL
	}
	if len(cfg.Issuers) == 0 {
		cfg.Issuers = DefaultIssuers
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	} else if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	if cfg.MaxLifetime == 0 {
		cfg.MaxLifetime = DefaultMaxLifetime
	}
	if cfg.KeyTTL <= 0 {
		cfg.KeyTTL = 24 * time.Hour
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = 5 * time.Minute
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 1024
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Validator{cfg: cfg, cache: map[string]cacheEntry{}}, nil
}

// ValidateRequest checks the Authorization header of a callback request: "Bearer",
// in any case, a space, and the token (surrounding spaces and tabs are ignored).
func (v *Validator) ValidateRequest(r *http.Request) (*Claims, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.Trim(token, " \t")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, ErrMissingToken
	}
	return v.Validate(r.Context(), token)
}

// Validate checks a token and returns its claims.
//
// The token must be in JWS compact form, strictly: three parts of unpadded,
// canonical base64url (no '=', no whitespace or line breaks, no stray trailing
// bits), a header and claims that are JSON objects in UTF-8 with unique member
// names (even ignoring case: a parser that matches names case-insensitively must
// not read another token than this one). Header and claim names are matched
// exactly ("ALG" is not "alg"), and a member whose name differs only in case from
// one Validator reads is rejected. The header must have alg "RS256", no crit
// member (ErrUnsupportedCritical), and, when it has typ, typ "JWT" or
// "application/jwt" in any case (media types are case-insensitive, RFC 7515
// §4.1.9, RFC 7519 §5.1). The claims must have exp; iat, when present, must not be
// later than now plus the leeway (ErrIssuedInFuture), and the lifetime is bounded
// by ValidatorConfig.MaxLifetime (ErrTokenLifetime).
//
// A token accepted is cached under its exact text; a token rejected never is.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	now := v.cfg.Now()
	if c := v.cached(token, now); c != nil {
		return c, nil
	}
	header, claims, signed, sig, err := splitToken(token)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	key, err := v.key(ctx, h.kid, now)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(signed)
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, ErrBadSignature
	}
	c, from, err := v.check(claims, now)
	if err != nil {
		return nil, err
	}
	v.remember(token, c, from)
	return c, nil
}

// jwtHeader is the part of the JOSE header Validator uses once it is checked.
type jwtHeader struct {
	kid string
}

// headerNames are the header members Validator reads (or rejects, for crit). A
// member named like one of them in another case is rejected.
var headerNames = []string{"alg", "kid", "typ", "crit"}

// claimNames are the claims Validator reads.
var claimNames = []string{"iss", "aud", "tid", "sub", "appid", "azp", "exp", "nbf", "iat"}

// parseHeader checks the members of a decoded header.
func parseHeader(m map[string]json.RawMessage) (jwtHeader, error) {
	var h jwtHeader
	if _, ok := m["crit"]; ok {
		return h, ErrUnsupportedCritical
	}
	alg, ok, err := stringMember(m, "alg")
	if err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	if !ok || alg != "RS256" {
		return h, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, short(alg))
	}
	typ, ok, err := stringMember(m, "typ")
	if err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	if ok && !strings.EqualFold(typ, "JWT") && !strings.EqualFold(typ, "application/jwt") {
		return h, fmt.Errorf("%w: %q", ErrUnsupportedType, short(typ))
	}
	kid, _, err := stringMember(m, "kid")
	if err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	h.kid = kid
	return h, nil
}

// stringMember returns member name of m, which must be a JSON string when present
// (null is not one).
func stringMember(m map[string]json.RawMessage, name string) (s string, ok bool, err error) {
	raw, ok := m[name]
	if !ok {
		return "", false, nil
	}
	var p *string
	if json.Unmarshal(raw, &p) != nil || p == nil {
		return "", true, fmt.Errorf("%s is not a string", name)
	}
	return *p, true, nil
}

// short returns s, cut to 40 bytes, for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// splitToken parses the compact form strictly: three canonical base64url parts, a
// JSON object header and claims.
func splitToken(token string) (header, claims map[string]json.RawMessage, signed, sig []byte, err error) {
	fail := func(format string, a ...any) (map[string]json.RawMessage, map[string]json.RawMessage, []byte, []byte, error) {
		return nil, nil, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformedToken}, a...)...)
	}
	if len(token) > 16<<10 {
		return fail("longer than 16 KiB")
	}
	// base64.Encoding skips '\r' and '\n' even when strict, and the alphabet
	// check also rejects padding and whitespace up front.
	for i := 0; i < len(token); i++ {
		if c := token[i]; c != '.' && !isBase64URL(c) {
			return fail("byte %d is not base64url", i)
		}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("%d parts, want 3", len(parts))
	}
	var dec [3][]byte
	for i, name := range []string{"header", "claims", "signature"} {
		b, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil {
			return fail("%s: not canonical base64url", name)
		}
		dec[i] = b
	}
	if header, err = decodeObject(dec[0], headerNames); err != nil {
		return fail("header: %v", err)
	}
	if claims, err = decodeObject(dec[1], claimNames); err != nil {
		return fail("claims: %v", err)
	}
	if len(dec[2]) == 0 {
		return fail("no signature")
	}
	return header, claims, []byte(token[:len(parts[0])+1+len(parts[1])]), dec[2], nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// decodeObject decodes b, which must be exactly one JSON object in UTF-8, into its
// members. Member names must be unique even ignoring case, and none may differ only
// in case from one of known.
func decodeObject(b []byte, known []string) (map[string]json.RawMessage, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	folded := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name := t.(string) // object keys are strings
		f := strings.ToLower(name)
		if folded[f] {
			return nil, fmt.Errorf("duplicate member %q", short(name))
		}
		folded[f] = true
		if !slices.Contains(known, name) && slices.Contains(known, f) {
			return nil, fmt.Errorf("member %q: names are case-sensitive", short(name))
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, errors.New("not a JSON object")
		}
		m[name] = raw
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// maxNumericDate bounds the NumericDate claims, so that time arithmetic on them
// cannot overflow (about 3e10 years).
const maxNumericDate = 1e18

// check checks the claims at now. It returns them, and the instant from which their
// time claims accept them (for the cache).
func (v *Validator) check(raw map[string]json.RawMessage, now time.Time) (*Claims, time.Time, error) {
	c := &Claims{Raw: raw}
	var from time.Time
	fail := func(err error) (*Claims, time.Time, error) { return nil, from, err }
	str := func(name string, dst *string) error {
		s, _, err := stringMember(raw, name)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedToken, err)
		}
		*dst = s
		return nil
	}
	num := func(name string) (time.Time, bool, error) {
		r, ok := raw[name]
		if !ok {
			return time.Time{}, false, nil
		}
		var f *float64
		if err := json.Unmarshal(r, &f); err != nil || f == nil {
			return time.Time{}, true, fmt.Errorf("%w: %s is not a number", ErrMalformedToken, name)
		}
		if *f > maxNumericDate || *f < -maxNumericDate {
			return time.Time{}, true, fmt.Errorf("%w: %s is out of range", ErrMalformedToken, name)
		}
		sec := int64(*f)
		return time.Unix(sec, int64((*f-float64(sec))*1e9)), true, nil
	}
	var azp string
	for _, m := range []struct {
		name string
		dst  *string
	}{{"iss", &c.Issuer}, {"tid", &c.TenantID}, {"sub", &c.Subject}, {"appid", &c.AppID}, {"azp", &azp}} {
		if err := str(m.name, m.dst); err != nil {
			return fail(err)
		}
	}
	if c.AppID == "" {
		c.AppID = azp
	}
	if a, ok := raw["aud"]; ok {
		var one *string
		var list *[]string
		switch {
		case json.Unmarshal(a, &one) == nil && one != nil:
			c.Audience = []string{*one}
		case json.Unmarshal(a, &list) == nil && list != nil:
			c.Audience = *list
		default:
			return fail(fmt.Errorf("%w: aud is neither a string nor a list of strings", ErrMalformedToken))
		}
	}
	exp, hasExp, err := num("exp")
	if err != nil {
		return fail(err)
	}
	nbf, hasNbf, err := num("nbf")
	if err != nil {
		return fail(err)
	}
	iat, hasIat, err := num("iat")
	if err != nil {
		return fail(err)
	}
	c.ExpiresAt, c.NotBefore, c.IssuedAt = exp, nbf, iat
	leeway, maxLife := v.cfg.Leeway, v.cfg.MaxLifetime
	// from is when the time checks below start to pass: the latest of nbf-leeway,
	// iat-leeway and, without iat, exp-MaxLifetime-leeway.
	later := func(t time.Time) {
		if from.IsZero() || t.After(from) {
			from = t
		}
	}
	if hasNbf {
		later(nbf.Add(-leeway))
	}
	if hasIat {
		later(iat.Add(-leeway))
	} else if hasExp && maxLife >= 0 {
		later(exp.Add(-addSat(maxLife, leeway)))
	}
	switch {
	case !hasExp:
		return fail(fmt.Errorf("%w: no exp claim", ErrMalformedToken))
	case now.After(exp.Add(leeway)):
		return fail(fmt.Errorf("%w: at %s", ErrExpired, exp.UTC().Format(time.RFC3339)))
	case hasNbf && now.Add(leeway).Before(nbf):
		return fail(fmt.Errorf("%w: until %s", ErrNotYetValid, nbf.UTC().Format(time.RFC3339)))
	case hasIat && now.Add(leeway).Before(iat):
		return fail(fmt.Errorf("%w: at %s", ErrIssuedInFuture, iat.UTC().Format(time.RFC3339)))
	case maxLife >= 0 && hasIat && exp.Sub(iat) > maxLife:
		return fail(fmt.Errorf("%w: %s from iat to exp, at most %s", ErrTokenLifetime, exp.Sub(iat), maxLife))
	case maxLife >= 0 && !hasIat && exp.Sub(now) > addSat(maxLife, leeway):
		return fail(fmt.Errorf("%w: no iat, and exp is %s away, at most %s", ErrTokenLifetime, exp.Sub(now), addSat(maxLife, leeway)))
	}
	if !slices.Contains(v.cfg.Issuers, c.Issuer) {
		return fail(fmt.Errorf("%w: %q", ErrWrongIssuer, short(c.Issuer)))
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.cfg.AppIDs, a) }) {
		return fail(fmt.Errorf("%w: %q", ErrWrongAudience, c.Audience))
	}
	if c.TenantID == "" {
		return fail(ErrMissingTenant)
	}
	if len(v.cfg.AllowedTenants) > 0 && !slices.ContainsFunc(v.cfg.AllowedTenants, func(t string) bool { return strings.EqualFold(t, c.TenantID) }) {
		return fail(fmt.Errorf("%w: %s", ErrTenantNotAllowed, short(c.TenantID)))
	}
	return c, from, nil
}

// addSat returns a+b for non-negative durations, saturating instead of overflowing.
func addSat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// cached returns the claims of token if it was verified before and its time claims
// still accept it at now (never past exp, leeway or not).
func (v *Validator) cached(token string, now time.Time) *Claims {
	if v.cfg.CacheSize < 0 {
		return nil
	}
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	e, ok := v.cache[token]
	if !ok {
		return nil
	}
	if now.After(e.claims.ExpiresAt) {
		delete(v.cache, token)
		return nil
	}
	if now.Before(e.from) { // the clock went back: check again
		return nil
	}
	return e.claims
}

// remember caches the claims of token, which has just been verified.
func (v *Validator) remember(token string, c *Claims, from time.Time) {
	if v.cfg.CacheSize < 0 {
		return
	}
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if len(v.cache) >= v.cfg.CacheSize {
		now := v.cfg.Now()
		for k, e := range v.cache { // drop the expired, else an arbitrary half
			if now.After(e.claims.ExpiresAt) || len(v.cache) >= v.cfg.CacheSize/2 {
				delete(v.cache, k)
			}
		}
	}
	v.cache[token] = cacheEntry{claims: c, from: from}
}

// key returns the public key for kid, fetching keys when they are missing, stale, or
// do not have kid (at most once per MinRefreshInterval for the last case). Concurrent
// callers share one fetch.
func (v *Validator) key(ctx context.Context, kid string, now time.Time) (*rsa.PublicKey, error) {
	for attempt := 0; attempt < 2; attempt++ {
		v.mu.Lock()
		k, known := v.keys[kid]
		stale := v.keys == nil || now.Sub(v.fetchedAt) > v.cfg.KeyTTL
		if known && !stale {
			v.mu.Unlock()
			return k, nil
		}
		// Refresh at most once per MinRefreshInterval (10 s at most after a failure),
		// so that a flood of unknown key IDs cannot hammer the key server.
		interval := v.cfg.MinRefreshInterval
		if v.refreshErr != nil {
			interval = min(interval, 10*time.Second)
		}
		recent := !v.lastRefresh.IsZero() && now.Sub(v.lastRefresh) < interval
		if attempt == 1 || recent && v.inflight == nil {
			err := v.refreshErr
			v.mu.Unlock()
			if known {
				return k, nil // stale but still published as far as we know
			}
			if v.keys == nil && err != nil {
				return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
			}
			return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
		}
		wait := v.refreshLocked(now)
		v.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

// refreshLocked returns the channel the running key fetch closes when it ends,
// starting a fetch if none runs. Callers hold v.mu.
func (v *Validator) refreshLocked(now time.Time) chan struct{} {
	if v.inflight == nil {
		v.inflight = make(chan struct{})
		v.lastRefresh = now
		go v.refresh(v.inflight)
	}
	return v.inflight
}

// Ready reports whether the signing keys are loaded, fetching them when none are yet
// (a fetch that failed less than 10 s ago is not repeated: its error is returned). It
// returns nil once keys are loaded, stale ones included (they are used until a refresh
// succeeds), and an error wrapping ErrKeysUnavailable otherwise. It is what a
// readiness probe asks (see graphcomms.Client.Health): a replica that cannot
// check a callback's signature should not get callbacks.
func (v *Validator) Ready(ctx context.Context) error {
	now := v.cfg.Now()
	v.mu.Lock()
	if v.keys != nil {
		v.mu.Unlock()
		return nil
	}
	if v.inflight == nil && v.refreshErr != nil && !v.lastRefresh.IsZero() && now.Sub(v.lastRefresh) < 10*time.Second {
		err := v.refreshErr
		v.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	wait := v.refreshLocked(now)
	v.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, ctx.Err())
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil {
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, v.refreshErr)
	}
	return nil
}

// refresh fetches the OpenID configuration and its JWKS, then closes done.
func (v *Validator) refresh(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := v.fetchKeys(ctx)
	v.mu.Lock()
	defer func() {
		v.inflight = nil
		v.mu.Unlock()
		close(done)
	}()
	v.refreshErr = err
	if err != nil {
		v.cfg.Logger.Warn("callback signing keys: fetch failed", "error", err)
		return
	}
	v.keys, v.fetchedAt = keys, v.cfg.Now()
	v.cfg.Logger.Info("callback signing keys fetched", "keys", len(keys))
}

func (v *Validator) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var conf struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.cfg.OpenIDConfigURL, &conf); err != nil {
		return nil, fmt.Errorf("OpenID configuration: %w", err)
	}
	if conf.JWKSURI == "" {
		return nil, errors.New("OpenID configuration has no jwks_uri")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, conf.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if pub, err := k.publicKey(); err == nil && k.Kid != "" {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RSA keys")
	}
	return keys, nil
}

func (v *Validator) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// jwk is one JSON Web Key: RSA by modulus and exponent, or by certificate chain.
type jwk struct {
	Kty string   `json:"kty"`
	Kid string   `json:"kid"`
	Use string   `json:"use"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c"`
}

func (k jwk) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" || k.Use != "" && k.Use != "sig" {
		return nil, errors.New("not an RSA signing key")
	}
	if k.N != "" && k.E != "" {
		n, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
		e, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
		if err1 != nil || err2 != nil || len(e) > 4 {
			return nil, errors.New("bad n or e")
		}
		exp := 0
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
		if pub.N.BitLen() < 2048 || exp < 3 {
			return nil, errors.New("key too weak")
		}
		return pub, nil
	}
	if len(k.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("certificate key is not RSA")
		}
		return pub, nil
	}
	return nil, errors.New("no key material")
}
