package auth

import (
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
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for validating Graph's callback tokens.
const (
	// DefaultOpenIDConfigURL is where Graph's (Skype's) callback signing keys are
	// published.
	DefaultOpenIDConfigURL = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration"
	// DefaultLeeway is the clock skew allowed on exp and nbf.
	DefaultLeeway = 5 * time.Minute
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
	// Leeway allowed on exp and nbf; default DefaultLeeway. A negative value means none.
	Leeway time.Duration
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
	cache   map[string]*Claims
}

// NewValidator returns a Validator. It fetches no keys until the first token arrives.
func NewValidator(cfg ValidatorConfig) (*Validator, error) {
	if len(cfg.AppIDs) == 0 {
		return nil, errors.New("auth: ValidatorConfig.AppIDs is required (the bot's app IDs)")
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
	return &Validator{cfg: cfg, cache: map[string]*Claims{}}, nil
}

// ValidateRequest checks the Authorization header of a callback request.
func (v *Validator) ValidateRequest(r *http.Request) (*Claims, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, ErrMissingToken
	}
	return v.Validate(r.Context(), strings.TrimSpace(token))
}

// Validate checks a token and returns its claims.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	now := v.cfg.Now()
	if c := v.cached(token, now); c != nil {
		return c, nil
	}
	header, claims, signed, sig, err := splitToken(token)
	if err != nil {
		return nil, err
	}
	if header.Alg != "RS256" {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, header.Alg)
	}
	key, err := v.key(ctx, header.Kid, now)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(signed)
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, ErrBadSignature
	}
	c, err := v.check(claims, now)
	if err != nil {
		return nil, err
	}
	v.remember(token, c)
	return c, nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	X5t string `json:"x5t"`
}

// splitToken parses the compact form strictly: three base64url parts, JSON header
// and claims.
func splitToken(token string) (h jwtHeader, claims map[string]json.RawMessage, signed, sig []byte, err error) {
	if len(token) > 16<<10 {
		return h, nil, nil, nil, fmt.Errorf("%w: longer than 16 KiB", ErrMalformedToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return h, nil, nil, nil, fmt.Errorf("%w: %d parts, want 3", ErrMalformedToken, len(parts))
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: bad base64url", ErrMalformedToken)
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	if err := json.Unmarshal(cb, &claims); err != nil || claims == nil {
		return h, nil, nil, nil, fmt.Errorf("%w: claims are not a JSON object", ErrMalformedToken)
	}
	if len(sig) == 0 {
		return h, nil, nil, nil, fmt.Errorf("%w: no signature", ErrMalformedToken)
	}
	return h, claims, []byte(token[:len(parts[0])+1+len(parts[1])]), sig, nil
}

func (v *Validator) check(raw map[string]json.RawMessage, now time.Time) (*Claims, error) {
	c := &Claims{Raw: raw}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(raw[name], &s)
		return s
	}
	num := func(name string) (time.Time, bool, error) {
		r, ok := raw[name]
		if !ok {
			return time.Time{}, false, nil
		}
		var f float64
		if err := json.Unmarshal(r, &f); err != nil {
			return time.Time{}, true, fmt.Errorf("%w: %s is not a number", ErrMalformedToken, name)
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), true, nil
	}
	c.Issuer, c.TenantID, c.Subject = str("iss"), str("tid"), str("sub")
	if c.AppID = str("appid"); c.AppID == "" {
		c.AppID = str("azp")
	}
	if a, ok := raw["aud"]; ok {
		var one string
		if json.Unmarshal(a, &one) == nil {
			c.Audience = []string{one}
		} else if json.Unmarshal(a, &c.Audience) != nil {
			return nil, fmt.Errorf("%w: aud is neither a string nor a list", ErrMalformedToken)
		}
	}
	exp, hasExp, err := num("exp")
	if err != nil {
		return nil, err
	}
	nbf, _, err := num("nbf")
	if err != nil {
		return nil, err
	}
	iat, _, err := num("iat")
	if err != nil {
		return nil, err
	}
	c.ExpiresAt, c.NotBefore, c.IssuedAt = exp, nbf, iat
	leeway := v.cfg.Leeway
	switch {
	case !hasExp:
		return nil, fmt.Errorf("%w: no exp claim", ErrMalformedToken)
	case now.After(exp.Add(leeway)):
		return nil, fmt.Errorf("%w: at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	case !nbf.IsZero() && now.Add(leeway).Before(nbf):
		return nil, fmt.Errorf("%w: until %s", ErrNotYetValid, nbf.UTC().Format(time.RFC3339))
	}
	if !slices.Contains(v.cfg.Issuers, c.Issuer) {
		return nil, fmt.Errorf("%w: %q", ErrWrongIssuer, c.Issuer)
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.cfg.AppIDs, a) }) {
		return nil, fmt.Errorf("%w: %q", ErrWrongAudience, c.Audience)
	}
	if c.TenantID == "" {
		return nil, ErrMissingTenant
	}
	if len(v.cfg.AllowedTenants) > 0 && !slices.ContainsFunc(v.cfg.AllowedTenants, func(t string) bool { return strings.EqualFold(t, c.TenantID) }) {
		return nil, fmt.Errorf("%w: %s", ErrTenantNotAllowed, c.TenantID)
	}
	return c, nil
}

func (v *Validator) cached(token string, now time.Time) *Claims {
	if v.cfg.CacheSize < 0 {
		return nil
	}
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	c, ok := v.cache[token]
	if !ok {
		return nil
	}
	if now.After(c.ExpiresAt) {
		delete(v.cache, token) // never past exp, leeway or not
		return nil
	}
	return c
}

func (v *Validator) remember(token string, c *Claims) {
	if v.cfg.CacheSize < 0 {
		return
	}
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if len(v.cache) >= v.cfg.CacheSize {
		now := v.cfg.Now()
		for k, e := range v.cache { // drop the expired, else an arbitrary half
			if now.After(e.ExpiresAt) || len(v.cache) >= v.cfg.CacheSize/2 {
				delete(v.cache, k)
			}
		}
	}
	v.cache[token] = c
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
		wait := v.inflight
		if wait == nil {
			wait = make(chan struct{})
			v.inflight = wait
			v.lastRefresh = now
			go v.refresh(wait)
		}
		v.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
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
