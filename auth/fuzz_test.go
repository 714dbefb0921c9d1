package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/auth"
)

// FuzzParseToken: Validate never panics on any token text, and a token it accepts
// is in canonical compact form: three parts of strict, unpadded base64url that
// re-encode to themselves.
func FuzzParseToken(f *testing.F) {
	fx := newFixture(f, auth.ValidatorConfig{})
	f.Add(fx.iss.Sign(fx.claims(nil)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("")
	for _, c := range strictCases(f, fx) {
		f.Add(c.token)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := fx.v.Validate(context.Background(), token)
		if err != nil {
			if claims != nil {
				t.Errorf("claims returned with %v", err)
			}
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token of %d parts", len(parts))
		}
		for i, p := range parts {
			b, err := base64.RawURLEncoding.Strict().DecodeString(p)
			if err != nil || base64.RawURLEncoding.EncodeToString(b) != p || bytes.ContainsAny([]byte(p), "=\r\n \t") {
				t.Fatalf("accepted a token whose part %d is not canonical base64url", i)
			}
		}
	})
}
