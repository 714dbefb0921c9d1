package emulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/graphcomms/graphcomms/auth"
)

// MaxRequestBody caps the body of a Graph request, after a gzip-encoded body is
// inflated: a larger one is answered 413 without being read further, so that a
// decompression bomb costs at most this much memory. Graph documents no limit for the
// calls API; 4 MiB is the emulator's choice.
const MaxRequestBody = 4 << 20

// Graph's error for a request without a usable bearer token: 401 with code
// InvalidAuthenticationToken, as Graph answers it ("Access token is empty." is Graph's
// message for a missing token; the WWW-Authenticate challenge is the one Graph sends).
const (
	errCodeInvalidToken = "InvalidAuthenticationToken"
	graphChallenge      = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`
)

// graphVersions are the API versions the emulator serves (v1.0 and beta share the
// routes).
var graphVersions = map[string]bool{"v1.0": true, "beta": true}

// ServeHTTP implements http.Handler. Every request under /v1.0/ and /beta/ is a Graph
// request: it needs a bearer token (unless Config.AllowAnonymous), its body may be
// gzip-encoded, and whatever the emulator does not serve is answered with Graph's
// JSON error body (404 itemNotFound, or 405 with an Allow header).
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isGraphPath(r.URL.Path) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			serveRoot(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, ControlPrefix+"/") || r.URL.Path == ControlPrefix {
			if !e.guardControl(w, r) {
				return
			}
		}
		e.serveMux(w, r)
		return
	}
	w.Header().Set("request-id", requestID())
	if crid := r.Header.Get("client-request-id"); crid != "" {
		w.Header().Set("client-request-id", crid)
	}
	tap := &requestTap{ResponseWriter: w, e: e, r: r, status: http.StatusOK}
	defer tap.record(nil)
	w = tap
	if !e.authorized(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	tap.request = body[:min(len(body), maxTappedBody)]
	if strings.HasSuffix(r.URL.Path, "/$count") {
		e.serveCount(w, r)
		return
	}
	e.serveMux(w, r)
}

// maxTappedBody caps the request and response bodies a graph.request event keeps
// (EventRequest): the console shows them, and the event log keeps every event.
const maxTappedBody = 4 << 10

// requestTap records a Graph request as an EventRequest when its answer starts, so
// that the request comes before what it set off in the event log (a prompt started,
// a notification): at the first Write when a body follows (the handler has set
// Content-Type), with the start of that body, else at WriteHeader; at the end of
// ServeHTTP when the handler wrote nothing.
type requestTap struct {
	http.ResponseWriter
	e        *Emulator
	r        *http.Request
	status   int
	request  []byte
	recorded bool
	// base is the emulator's URL and the request's API version, for location; the
	// route's wrapper (graph) sets it.
	base string
}

// WriteHeader records the status, and the request when no body follows.
func (t *requestTap) WriteHeader(code int) {
	t.status = code
	t.ResponseWriter.WriteHeader(code)
	if t.Header().Get("Content-Type") == "" {
		t.record(nil)
	}
}

// Write records the request with the start of its answer's body.
func (t *requestTap) Write(b []byte) (int, error) {
	t.record(b)
	return t.ResponseWriter.Write(b)
}

// record adds the request's event once.
func (t *requestTap) record(body []byte) {
	if t.recorded {
		return
	}
	t.recorded = true
	r := t.r
	data := map[string]string{"method": r.Method, "path": r.URL.Path, "status": strconv.Itoa(t.status)}
	if r.URL.RawQuery != "" {
		data["query"] = r.URL.RawQuery
	}
	if len(t.request) > 0 {
		data["request"] = string(t.request)
	}
	if len(body) > 0 {
		data["response"] = string(body[:min(len(body), maxTappedBody)])
	}
	t.e.record(EventRequest, requestCallID(r.URL.Path), "", fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, t.status), data)
}

// isGraphPath reports whether a path is under a Graph API version.
func isGraphPath(p string) bool {
	ver, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return graphVersions[ver]
}

// authorized answers 401, as Graph does, when a Graph request has no bearer token, and
// returns false then. The token itself is not checked: any non-empty one will do.
func (e *Emulator) authorized(w http.ResponseWriter, r *http.Request) bool {
	if e.cfg.AllowAnonymous {
		return true
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	msg := ""
	switch {
	case scheme == "":
		msg = "Access token is empty."
	case !strings.EqualFold(scheme, "Bearer"):
		// Graph's message for another scheme is not documented; the emulator names the
		// scheme it wants.
		msg = "Access token validation failure: the Authorization scheme must be Bearer."
	case strings.TrimSpace(token) == "":
		msg = "Access token is empty."
	default:
		return true
	}
	w.Header().Set("WWW-Authenticate", graphChallenge)
	e.log.Info(fmt.Sprintf("%s %s -> 401 (no bearer token)", r.Method, r.URL.Path))
	writeError(w, http.StatusUnauthorized, errCodeInvalidToken, msg)
	return false
}

// readBody reads a Graph request's body, inflating it when it is gzip-encoded, puts it
// back as a plain body and returns it. A body over MaxRequestBody (before or after
// inflating) is answered 413, a body that is not valid gzip 400, another
// Content-Encoding 415; it returns false then. Whether Graph's gateway inflates gzip request bodies is not
// documented: msgraph-sdk-go and every Kiota client gzip them by default, so the
// emulator accepts them.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		badRequest(w, "Reading the request body: "+err.Error())
		return nil, false
	}
	if len(raw) > MaxRequestBody {
		tooLarge(w)
		return nil, false
	}
	body := raw
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		if body, err = inflate(raw); err == errTooLarge {
			tooLarge(w)
			return nil, false
		} else if err != nil {
			badRequest(w, "The request body is not valid gzip (Content-Encoding: gzip): "+err.Error())
			return nil, false
		}
		r.Header.Del("Content-Encoding")
	default:
		// Undocumented for Graph; the emulator refuses what it cannot read.
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			fmt.Sprintf("Content-Encoding %q is not supported: send the body as is or gzip-encoded.", enc))
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return body, true
}

// errTooLarge is inflate's error for a body that inflates past MaxRequestBody.
var errTooLarge = fmt.Errorf("emulator: the body inflates to more than %d bytes", MaxRequestBody)

// inflate decompresses a gzip body (several members are read as one stream), reading
// at most MaxRequestBody+1 bytes of its output.
func inflate(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, MaxRequestBody+1))
	if err != nil {
		return nil, err
	}
	if len(out) > MaxRequestBody {
		return nil, errTooLarge
	}
	return out, nil
}

func tooLarge(w http.ResponseWriter) {
	writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("The request body is larger than %d bytes (after inflating a gzip-encoded body).", MaxRequestBody))
}

// serveMux routes a request through the emulator's routes, answering what matches
// none with Graph's error body.
func (e *Emulator) serveMux(w http.ResponseWriter, r *http.Request) {
	h, pattern := e.mux.Handler(r)
	if pattern != "" {
		e.mux.ServeHTTP(w, r) // (the mux sets the path values; Handler does not)
		return
	}
	// No route: net/http's handler answers 404, 405 (with Allow) or a redirect to the
	// cleaned path. Run it aside and answer as Graph does.
	c := newCapture()
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusMethodNotAllowed:
		allow := c.header.Get("Allow")
		if seg, ok := actionSegment(r.URL.Path); ok && !knownAction(seg) {
			// The POST in Allow comes from the {action} wildcard, which the segment
			// is not: a collection under the call has its own methods, anything else
			// is not served.
			if nav, ok := callNavigations[strings.ToLower(seg)]; ok {
				allow = nav
			} else if allow = withoutMethod(allow, "POST"); allow == "" {
				e.notServed(w, r)
				return
			}
		}
		methodNotAllowed(w, r, allow)
	case http.StatusNotFound:
		e.notServed(w, r)
	default:
		c.replay(w)
	}
}

// notServed answers 404 itemNotFound with Graph's error body for a route the emulator
// does not serve.
func (e *Emulator) notServed(w http.ResponseWriter, r *http.Request) {
	e.log.Info(fmt.Sprintf("%s %s -> 404 (not served)", r.Method, r.URL.Path))
	writeError(w, http.StatusNotFound, "itemNotFound",
		fmt.Sprintf("Resource not found for the segment '%s': the emulator does not serve %s %s.", lastSegment(r.URL.Path), r.Method, r.URL.Path))
}

// methodNotAllowed answers 405 with Graph's error body and the methods allowed. The
// message is the one Graph's OData layer gives (microsoft-graph-docs#119); the code,
// which Graph's docs do not list, is the emulator's choice.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
		fmt.Sprintf("Specified HTTP method is not allowed for the request target: %s %s (allowed: %s).", r.Method, r.URL.Path, allow))
}

// actionSegment returns the last segment of a path where the {action} wildcards sit:
// /{ver}/communications/calls/{id}/{action} and
// /{ver}/communications/calls/{id}/participants/{pid}/{action}.
func actionSegment(p string) (string, bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) < 5 || segs[1] != "communications" || segs[2] != "calls" {
		return "", false
	}
	if len(segs) == 5 || len(segs) == 7 && segs[4] == "participants" {
		return segs[len(segs)-1], true
	}
	return "", false
}

// withoutMethod removes a method from an Allow list.
func withoutMethod(allow, method string) string {
	var out []string
	for _, m := range strings.Split(allow, ",") {
		if m = strings.TrimSpace(m); m != "" && m != method {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

func lastSegment(p string) string {
	p = strings.TrimSuffix(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// serveCount answers GET {collection}/$count with the number of members of a
// collection the emulator serves, as text/plain (the OData $count segment, which
// Kiota's Count() builders send). Graph's calls pages do not document $count: the
// emulator counts every collection it lists, and answers 400 for $count on anything
// that is not a collection.
func (e *Emulator) serveCount(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	sub := r.Clone(r.Context())
	sub.URL.Path = strings.TrimSuffix(r.URL.Path, "/$count")
	sub.URL.RawPath = ""
	sub.Method = http.MethodGet
	if _, pattern := e.mux.Handler(sub); pattern == "" {
		e.notServed(w, r)
		return
	}
	c := newCapture()
	e.mux.ServeHTTP(c, sub)
	if c.status != http.StatusOK {
		c.replay(w)
		return
	}
	var page struct {
		Value []json.RawMessage `json:"value"`
	}
	if json.Unmarshal(c.body.Bytes(), &page) != nil || page.Value == nil {
		badRequest(w, "$count is supported on collections only, not on "+sub.URL.Path+".")
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, strconv.Itoa(len(page.Value)))
}

// capture is a ResponseWriter that keeps what a handler writes.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newCapture() *capture { return &capture{header: http.Header{}, status: http.StatusOK} }

// Header implements http.ResponseWriter.
func (c *capture) Header() http.Header { return c.header }

// Write implements http.ResponseWriter.
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }

// WriteHeader implements http.ResponseWriter.
func (c *capture) WriteHeader(status int) { c.status = status }

// replay writes the captured response to w.
func (c *capture) replay(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body.Bytes())
}

// Credential returns a credential for the emulator's Graph API: its tokens are
// accepted by the emulator (which checks only that a bearer token is sent) and by
// nothing else. Give it to graphcomms.Config.Credential with the emulator's GraphURL
// as BaseURL, to auth.NewRequestAdapter (with auth.TokenConfig.AllowLoopback), or to
// msgraph-sdk-go's NewGraphServiceClientWithCredentialsAndHosts with the emulator's
// host; Adapter does the second in one call.
func (e *Emulator) Credential() azcore.TokenCredential { return &credential{e: e} }

// Adapter returns a Kiota request adapter for the emulator: auth.NewRequestAdapter over
// Credential, with cfg's base URL defaulting to GraphURL and tokens allowed to go to
// loopback. It is the one line that wires calls.NewAPI or meetings.NewAPI to the
// emulator in a test:
//
//	adapter, _ := emu.Adapter(auth.AdapterConfig{})
//	api := calls.NewAPI(adapter)
func (e *Emulator) Adapter(cfg auth.AdapterConfig) (abs.RequestAdapter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.GraphURL()
	}
	cfg.Token.AllowLoopback = true
	return auth.NewRequestAdapter(e.Credential(), cfg)
}

// credential hands out one token per emulator, minted again before it expires.
type credential struct {
	e *Emulator
}

// GetToken implements azcore.TokenCredential.
func (c *credential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if err := ctx.Err(); err != nil {
		return azcore.AccessToken{}, err
	}
	tok, exp := c.e.tokens.get(c.e)
	return azcore.AccessToken{Token: tok, ExpiresOn: exp}, nil
}

// tokenCache is the emulator's Graph access token: a JWT signed by the emulator's
// issuer with the claims of an app-only Graph token (aud https://graph.microsoft.com,
// tid, appid, idtyp app), valid for a day of wall-clock time (azcore compares expiries
// with the wall clock).
type tokenCache struct {
	mu    sync.Mutex
	token string
	exp   time.Time
}

func (t *tokenCache) get(e *Emulator) (string, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if t.token == "" || now.Add(time.Hour).After(t.exp) {
		t.exp = now.Add(24 * time.Hour).Truncate(time.Second)
		t.token = e.issuer.Sign(map[string]any{
			"aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/" + e.cfg.TenantID + "/",
			"tid": e.cfg.TenantID, "appid": e.cfg.AppID, "app_displayname": e.cfg.BotName, "idtyp": "app",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": t.exp.Unix(),
		})
	}
	return t.token, t.exp
}
