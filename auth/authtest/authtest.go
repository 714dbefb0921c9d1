// Package authtest mints callback tokens the way Graph does, with a local key, and
// serves the matching OpenID configuration and JWKS, so that auth.Validator (and
// everything built on it) runs unchanged in tests and in the emulator.
//
//	iss, _ := authtest.NewIssuer()
//	srv := httptest.NewServer(iss.Handler())
//	v, _ := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{appID},
//		OpenIDConfigURL: srv.URL + authtest.OpenIDConfigPath})
//	token := iss.Token(appID, tenantID)
package authtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"time"
)

// Paths served by Issuer.Handler.
const (
	OpenIDConfigPath = "/v1/.well-known/OpenIdConfiguration"
	JWKSPath         = "/v1/keys"
)

// Issuer signs tokens with its own RSA key.
type Issuer struct {
	// Key signs the tokens; KeyID is its kid.
	Key   *rsa.PrivateKey
	KeyID string
	// IssuerURL is the iss claim of minted tokens; default "https://graph.microsoft.com".
	IssuerURL string
	// Now is the clock for iat, nbf and exp; default time.Now.
	Now func() time.Time
}

// NewIssuer returns an issuer with a fresh 2048-bit key.
func NewIssuer() (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &Issuer{Key: key, KeyID: keyID(&key.PublicKey), IssuerURL: "https://graph.microsoft.com", Now: time.Now}, nil
}

func keyID(pub *rsa.PublicKey) string {
	sum := sha256.Sum256(pub.N.Bytes())
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Token returns a valid token for audience appID and tenant tenantID, valid for an
// hour.
func (i *Issuer) Token(appID, tenantID string) string {
	now := i.now()
	return i.Sign(map[string]any{
		"iss": i.IssuerURL, "aud": appID, "tid": tenantID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"appid": "00000003-0000-0000-c000-000000000000", "sub": "graph-callbacks",
	})
}

// Sign returns a token with the given claims, signed RS256 by Key with KeyID.
func (i *Issuer) Sign(claims map[string]any) string {
	return SignRS256(i.Key, map[string]any{"alg": "RS256", "typ": "JWT", "kid": i.KeyID}, claims)
}

// SignRS256 returns a compact JWS over header and claims, signed with key. Tests use
// it to forge tokens (another key, another kid).
func SignRS256(key *rsa.PrivateKey, header, claims map[string]any) string {
	return SignInput(key, encode(header)+"."+encode(claims))
}

// SignRaw returns a compact JWS whose header and claims are exactly headerJSON and
// claimsJSON, base64url-encoded, signed RS256 with key. Tests use it for what a map
// cannot express: duplicate or case-variant member names, escaped names, invalid
// JSON.
func SignRaw(key *rsa.PrivateKey, headerJSON, claimsJSON []byte) string {
	return SignInput(key, base64.RawURLEncoding.EncodeToString(headerJSON)+"."+base64.RawURLEncoding.EncodeToString(claimsJSON))
}

// SignInput signs signingInput, the header and claims parts of a compact JWS as
// text, as is: RS256 with key. It returns signingInput + "." + the base64url
// signature. Tests use it to sign non-canonical encodings of header and claims.
func SignInput(key *rsa.PrivateKey, signingInput string) string {
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		panic(fmt.Sprintf("authtest: signing: %v", err))
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Unsigned returns header.claims.signature with the signature given as is: for forging
// alg "none" and HMAC tokens in tests.
func Unsigned(header, claims map[string]any, signature []byte) string {
	return encode(header) + "." + encode(claims) + "." + base64.RawURLEncoding.EncodeToString(signature)
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// JWKS returns the issuer's JSON Web Key Set.
func (i *Issuer) JWKS() []byte {
	pub := &i.Key.PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": i.KeyID,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

// Handler serves the OpenID configuration at OpenIDConfigPath and the JWKS at
// JWKSPath. The configuration's jwks_uri uses the host the request came to.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+OpenIDConfigPath, func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base := scheme + "://" + r.Host
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                i.IssuerURL,
			"jwks_uri":                              base + JWKSPath,
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(i.JWKS())
	})
	return mux
}

// BearerHeader returns "Bearer " + token.
func BearerHeader(token string) string { return "Bearer " + strings.TrimSpace(token) }
