package cassette

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/graphcomms/graphcomms/internal/wire"
)

// Redacted replaces every secret in a cassette.
const Redacted = "REDACTED"

// secretFields are the JSON members always redacted, at any depth, matched ignoring
// case: Graph's recording token, OAuth's tokens and secrets.
var secretFields = []string{
	"recordingAccessToken", "access_token", "accessToken", "refresh_token", "refreshToken",
	"id_token", "idToken", "token", "clientSecret", "client_secret", "password", "secret",
	"client_assertion", "clientState", "validationTokens", "dataKey", "apiKey", "api_key",
	"privateKey", "private_key",
}

// neverHeaders are never recorded, whatever RecorderConfig.Headers says.
var neverHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// redactor removes secrets from bodies, queries and text.
type redactor struct {
	fields  map[string]bool // lower-case member names
	longest int             // the longest of them, in bytes
	member  *regexp.Regexp  // a secret member and its value, in text that is not whole JSON
}

// defaultRedactor redacts the secretFields only: what RedactQuery and RedactJSON use
// without extra fields (play-back calls them for every request), built once.
var defaultRedactor = buildRedactor(nil)

// newRedactor returns a redactor of the secretFields and extra.
func newRedactor(extra []string) *redactor {
	if len(extra) == 0 {
		return defaultRedactor
	}
	return buildRedactor(extra)
}

func buildRedactor(extra []string) *redactor {
	r := &redactor{fields: map[string]bool{}}
	var alt []string
	for _, f := range append(append([]string(nil), secretFields...), extra...) {
		lf := strings.ToLower(f)
		if lf == "" || r.fields[lf] {
			continue
		}
		r.fields[lf] = true
		r.longest = max(r.longest, len(lf))
		alt = append(alt, regexp.QuoteMeta(f))
	}
	// "name" : "value" (possibly cut off at the end of a truncated body), or a bare
	// value (number, literal) up to the next delimiter.
	r.member = regexp.MustCompile(`(?i)("(?:` + strings.Join(alt, "|") + `)"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|\\?$)|[^\s,}\]]+)`)
	return r
}

// secretParam says whether a query or form parameter carries a secret: a name in
// the redacted fields, or one that names a token, secret, password, key or signature.
func (r *redactor) secretParam(name string) bool {
	n := strings.ToLower(name)
	if r.fields[n] {
		return true
	}
	for _, s := range []string{"token", "secret", "password", "passwd", "signature", "apikey", "api_key", "assertion"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	switch n {
	case "sig", "code", "key", "auth", "authorization", "sas":
		return true
	}
	return false
}

// query redacts the values of secret parameters in a raw query (a=b&c=d), keeping
// their order and everything else byte for byte.
func (r *redactor) query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if un, err := url.QueryUnescape(name); err == nil {
			name = un
		}
		if hasValue && r.secretParam(name) {
			parts[i] = p[:strings.IndexByte(p, '=')+1] + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// urlParam finds query parameters inside text (a URL in a JSON string, say).
var urlParam = regexp.MustCompile(`([?&])([A-Za-z0-9_.\-~%]+)=([^&\s"#]*)`)

// inText redacts the secret parameters of URLs in s.
func (r *redactor) inText(s string) string {
	if !strings.Contains(s, "=") || (!strings.Contains(s, "?") && !strings.Contains(s, "&")) {
		return s
	}
	return urlParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := urlParam.FindStringSubmatch(m)
		name := sub[2]
		if un, err := url.QueryUnescape(name); err == nil {
			name = un
		}
		if r.secretParam(name) {
			return sub[1] + sub[2] + "=" + Redacted
		}
		return m
	})
}

// text redacts a body that is not whole JSON: secret members written as JSON
// (a truncated JSON body), secret URL parameters, and, for a form body, secret
// fields.
func (r *redactor) text(s string, form bool) string {
	if form {
		return r.query(s)
	}
	s = r.member.ReplaceAllString(s, `${1}"`+Redacted+`"`)
	return r.inText(s)
}

// json returns body, which must be one JSON value, compacted with every secret
// member's value replaced by "REDACTED" (null and empty values are kept, to show
// there was none) and secret URL parameters in strings redacted. Member order and
// everything else are kept byte for byte. ok is false when body is not JSON.
func (r *redactor) json(body []byte) (out []byte, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	out = make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case ' ', '\t', '\n', '\r':
			i++
		case '"':
			end := stringEnd(body, i)
			str := body[i:end]
			if j := skipSpace(body, end); j < len(body) && body[j] == ':' { // a member name
				out = append(out, str...)
				out = append(out, ':')
				i = j + 1
				if r.secretMember(str) {
					v := skipSpace(body, i)
					i = valueEnd(body, v)
					if val := string(body[v:i]); val == "null" || val == `""` {
						out = append(out, val...)
					} else {
						out = append(out, `"`+Redacted+`"`...)
					}
				}
				continue
			}
			i = end
			if bytes.IndexByte(str, '=') >= 0 && bytes.ContainsAny(str, "?&") {
				var v string
				if json.Unmarshal(str, &v) == nil {
					if red := r.inText(v); red != v {
						out = wire.AppendString(out, red)
						continue
					}
				}
			}
			out = append(out, str...)
		default:
			out = append(out, c)
			i++
		}
	}
	return out, true
}

// secretMember says whether a quoted member name names a secret.
func (r *redactor) secretMember(quoted []byte) bool {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		var s string
		if json.Unmarshal(quoted, &s) != nil {
			return false
		}
		return r.fields[strings.ToLower(s)]
	}
	if len(name) > r.longest {
		return false
	}
	return r.fields[strings.ToLower(string(name))]
}

// stringEnd returns the index just after the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just after the JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[j])) {
		j++
	}
	return j
}

// RedactQuery returns a raw URL query (a=b&c=d) with the values of token-like
// parameters (those a Recorder redacts), and of those named in fields, replaced by
// "REDACTED"; everything else is kept byte for byte.
func RedactQuery(raw string, fields ...string) string { return newRedactor(fields).query(raw) }

// RedactJSON returns body (one JSON value) compacted, with the value of every member
// named like a secret (recordingAccessToken, access_token, token, clientSecret,
// password and the others a Recorder always removes), or named in fields, replaced
// by "REDACTED" at any depth, and token-like URL query parameters in strings
// redacted. Member order is kept. It fails when body is not JSON.
func RedactJSON(body []byte, fields ...string) ([]byte, error) {
	out, ok := newRedactor(fields).json(body)
	if !ok {
		return nil, errors.New("cassette: RedactJSON: body is not a JSON value")
	}
	return out, nil
}
