package emulator_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// token returns the emulator's bearer token, as its Credential hands it out.
func token(t *testing.T, emu *emulator.Server) string {
	t.Helper()
	tok, err := emu.Credential().GetToken(context.Background(), policy.TokenRequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// graphDo sends a raw Graph request with the emulator's token (and the headers in
// hdr, which may override it) and returns the response.
func graphDo(t *testing.T, emu *emulator.Server, method, path string, body []byte, hdr http.Header) (*http.Response, error) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, emu.GraphURL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token(t, emu))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return http.DefaultClient.Do(req)
}

// graphCall is graphDo that reads the whole response: status, headers and body.
func graphCall(t *testing.T, emu *emulator.Server, method, path string, body []byte, hdr http.Header) (int, http.Header, []byte) {
	t.Helper()
	resp, err := graphDo(t, emu, method, path, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// errorOf returns the code and message of Graph's error body, failing when b is not
// one (with innerError's request-id and date).
func errorOf(t *testing.T, b []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Code, Message string
			InnerError    map[string]any
		}
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.InnerError["request-id"] == nil || e.Error.InnerError["date"] == nil {
		t.Fatalf("not Graph's error body: %s (%v)", b, err)
	}
	return e.Error.Code, e.Error.Message
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// createBody is a create-call body to a user the emulator knows.
func createBody(t *testing.T, callback string, target participants.IdentitySet) []byte {
	t.Helper()
	c := calls.NewCall(callback, nil)
	c.Targets = []participants.Invitation{participants.Invite(target)}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGzipRequestBody: a gzip-encoded body (Content-Encoding: gzip), as msgraph-sdk-go
// and every Kiota client send by default, is inflated and served. Whether Graph's
// gateway inflates gzip request bodies is undocumented; the emulator accepts them, so
// that such clients work against it.
func TestGzipRequestBody(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	bob := emu.AddUser("bob", emulator.Behavior{})
	hdr := http.Header{"Content-Encoding": {"gzip"}}
	status, h, b := graphCall(t, emu, http.MethodPost, "/communications/calls", gzipped(t, createBody(t, s.srv.URL, bob.Identity())), hdr)
	if status != http.StatusCreated {
		t.Fatalf("gzipped create: %d %s", status, b)
	}
	var created calls.Call
	if err := json.Unmarshal(b, &created); err != nil || created.ID == "" || h.Get("Location") == "" {
		t.Fatalf("%v %s", err, b)
	}
	// An action's body, gzipped too.
	emu.Advance(time.Second)
	body, _ := json.Marshal(calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}})
	if status, _, b := graphCall(t, emu, http.MethodPost, "/communications/calls/"+created.ID+"/playPrompt", gzipped(t, body), hdr); status != http.StatusOK {
		t.Errorf("gzipped playPrompt: %d %s", status, b)
	}
	// Not gzip after all: 400 with Graph's error body; an unknown encoding: 415.
	status, _, b = graphCall(t, emu, http.MethodPost, "/communications/calls", []byte(`{"not":"gzip"}`), hdr)
	if code, _ := errorOf(t, b); status != http.StatusBadRequest || code != "BadRequest" {
		t.Errorf("bad gzip: %d %s", status, b)
	}
	status, _, b = graphCall(t, emu, http.MethodPost, "/communications/calls", []byte(`{}`), http.Header{"Content-Encoding": {"br"}})
	if _, _ = errorOf(t, b); status != http.StatusUnsupportedMediaType {
		t.Errorf("br: %d %s", status, b)
	}
}

// TestGzipBomb: a body that inflates past emulator.MaxRequestBody is refused with 413
// once the limit is passed, without inflating the rest (a 1 GiB bomb of 1 MiB costs
// about MaxRequestBody of memory, not 1 GiB). An uncompressed body over the limit gets
// 413 too. Graph's limit for these APIs is undocumented: the limit is the emulator's.
func TestGzipBomb(t *testing.T) {
	emu := startEmulator(t)
	// 1024 gzip members of 1 MiB of zeros each: one stream of 1 GiB to a gzip reader.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 1024)
	if len(bomb) > 2<<20 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	status, _, b := graphCall(t, emu, http.MethodPost, "/communications/calls", bomb, http.Header{"Content-Encoding": {"gzip"}})
	runtime.ReadMemStats(&after)
	if code, _ := errorOf(t, b); status != http.StatusRequestEntityTooLarge || code != "RequestEntityTooLarge" {
		t.Fatalf("bomb: %d %s", status, b)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("a 1 GiB bomb made the process allocate %d MiB", grew>>20)
	}
	big := append([]byte(`{"callbackUri":"`), bytes.Repeat([]byte("x"), emulator.MaxRequestBody)...)
	if status, _, b := graphCall(t, emu, http.MethodPost, "/communications/calls", big, nil); status != http.StatusRequestEntityTooLarge {
		t.Errorf("plain body over the limit: %d %.200s", status, b)
	}
	// At the limit, inflated: read (and refused only for what it says).
	ok := gzipped(t, append([]byte(`{"x":"`+strings.Repeat("y", emulator.MaxRequestBody-9)), `"}`...))
	if status, _, b := graphCall(t, emu, http.MethodPost, "/communications/calls", ok, http.Header{"Content-Encoding": {"gzip"}}); status != http.StatusBadRequest {
		t.Errorf("a body of exactly MaxRequestBody: %d %.300s", status, b)
	}
}

// TestTokenRequired: a Graph request without a bearer token gets Graph's 401
// InvalidAuthenticationToken ("Access token is empty.") with Graph's WWW-Authenticate
// challenge; any bearer token is accepted, the Credential's and the Adapter's
// included; Config.AllowAnonymous turns the check off. The emulator's own routes
// (OpenID configuration, control API) need none.
func TestTokenRequired(t *testing.T) {
	emu := startEmulator(t)
	for _, tc := range []struct{ name, header string }{{"no Authorization", ""}, {"empty bearer", "Bearer "}, {"basic", "Basic dXNlcjpwYXNz"}} {
		req, _ := http.NewRequest(http.MethodGet, emu.GraphURL()+"/communications/calls", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, msg := errorOf(t, b)
		if resp.StatusCode != http.StatusUnauthorized || code != "InvalidAuthenticationToken" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: %d %s %s", tc.name, resp.StatusCode, code, msg)
		}
		if tc.name == "no Authorization" && msg != "Access token is empty." {
			t.Errorf("message %q", msg)
		}
	}
	if status, _, b := graphCall(t, emu, http.MethodGet, "/communications/calls", nil, http.Header{"Authorization": {"Bearer anything-at-all"}}); status != http.StatusOK {
		t.Errorf("any bearer token: %d %s", status, b)
	}
	adapter, err := emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calls.NewAPI(adapter).Calls().Get(ctxT(t)); err != nil {
		t.Errorf("through Adapter: %v", err)
	}
	if resp, err := http.Get(emu.OpenIDConfigURL()); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("OpenID configuration without a token: %v %v", err, resp)
	}

	anon, err := emulator.Start(emulator.Config{AllowAnonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if resp, err := http.Get(anon.GraphURL() + "/communications/calls"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("AllowAnonymous: %v %v", err, resp)
	}
}

// TestUnservedRoutes: what the emulator does not serve is answered with Graph's JSON
// error body: 404 itemNotFound for an unknown route or action, 405 (code
// MethodNotAllowed, the emulator's choice; Graph's docs list none) with an Allow
// header for a method a route does not take. Never net/http's plain text.
func TestUnservedRoutes(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	h, _ := answeredCall(t, emu, apiFor(t, emu, auth.RetryPolicy{}), s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
	call := "/communications/calls/" + h.ID()
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/communications/nothingHere", 404, ""},
		{"GET", "/users/u1/calendar", 404, ""},
		{"POST", call + "/startTeleportation", 404, ""},
		{"GET", call + "/startTeleportation", 404, ""},
		{"POST", call + "/participants/p1/dance", 404, ""},
		{"PUT", "/communications/calls", 405, "GET, HEAD, POST"},
		{"PUT", call, 405, "DELETE, GET, HEAD, PATCH"},
		{"GET", call + "/playPrompt", 405, "POST"},
		{"DELETE", call + "/participants", 405, "GET, HEAD"},
		{"POST", call + "/participants", 405, "GET, HEAD"},
		{"POST", call + "/operations", 405, "GET, HEAD"},
		{"PATCH", "/communications/calls/logTeleconferenceDeviceQuality", 405, "POST"},
		{"GET", "/me/onlineMeetings/createOrGet", 405, "POST"},
	} {
		status, hdr, b := graphCall(t, emu, tc.method, tc.path, nil, nil)
		code, _ := errorOf(t, b)
		want := map[int]string{404: "itemNotFound", 405: "MethodNotAllowed"}[tc.status]
		if status != tc.status || code != want || hdr.Get("Allow") != tc.allow || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s Allow=%q", tc.method, tc.path, status, b, hdr.Get("Allow"))
		}
	}
	// Outside the Graph versions too (no token needed there).
	resp, err := http.Get(emu.URL() + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, _ := errorOf(t, b); resp.StatusCode != 404 || code != "itemNotFound" {
		t.Errorf("/nowhere: %d %s", resp.StatusCode, b)
	}
}

// TestCountSegments: GET {collection}/$count answers the collection's size as
// text/plain, as Kiota's Count() builders expect; Graph's calls pages do not document
// $count, and the emulator counts every collection it lists. $count on what is not a
// collection is refused with 400, and is never taken for an ID.
func TestCountSegments(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, c := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
	if _, err := c.SubscribeToTone().Post(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
	call := "/communications/calls/" + h.ID()
	for path, want := range map[string]string{
		"/communications/calls/$count": "1", call + "/participants/$count": "2", call + "/operations/$count": "1",
		call + "/audioRoutingGroups/$count": "0", call + "/contentSharingSessions/$count": "0",
	} {
		status, hdr, b := graphCall(t, emu, http.MethodGet, path, nil, nil)
		if status != http.StatusOK || string(b) != want || hdr.Get("Content-Type") != "text/plain" {
			t.Errorf("%s: %d %q %s, want %s", path, status, b, hdr.Get("Content-Type"), want)
		}
	}
	for _, path := range []string{call + "/$count", call + "/participants/" + "x" + "/$count"} {
		status, _, b := graphCall(t, emu, http.MethodGet, path, nil, nil)
		if code, _ := errorOf(t, b); status/100 != 4 || code == "" {
			t.Errorf("%s: %d %s", path, status, b)
		}
	}
	if status, _, b := graphCall(t, emu, http.MethodGet, call+"/$count", nil, nil); status != http.StatusBadRequest {
		t.Errorf("$count of a call: %d %s", status, b)
	}
	if status, _, _ := graphCall(t, emu, http.MethodGet, "/communications/calls/$count/participants", nil, nil); status != http.StatusNotFound {
		t.Errorf("$count as a call ID: %d", status)
	}
}

// TestLocationHeaders: Location headers are absolute, under the emulator's GraphURL,
// as Graph sends them: the call's URL on create (v1.0/application-post-calls/02-response.http,
// 201), the operation's URL on operation actions (v1.0/call-playprompt/02-response.http),
// with 202 for hold music (v1.0/participant-startholdmusic/02-response.http,
// participant-stopholdmusic/02) and addLargeGalleryView
// (v1.0/call-addlargegalleryview/02-response.http, 202 with the operation); none on
// invite (v1.0/participant-invite/02-response.http).
func TestLocationHeaders(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	bob := emu.AddUser("bob", emulator.Behavior{})
	status, hdr, b := graphCall(t, emu, http.MethodPost, "/communications/calls", createBody(t, s.srv.URL, bob.Identity()), nil)
	var created calls.Call
	_ = json.Unmarshal(b, &created)
	if status != http.StatusCreated || hdr.Get("Location") != emu.GraphURL()+"/communications/calls/"+created.ID {
		t.Fatalf("create: %d Location %q", status, hdr.Get("Location"))
	}
	emu.Advance(time.Second)
	call := "/communications/calls/" + created.ID
	opLocation := func(what string, status int, hdr http.Header, b []byte, want int) string {
		t.Helper()
		var op struct {
			ID, Status string
			ODataType  string `json:"@odata.type"`
		}
		_ = json.Unmarshal(b, &op)
		if status != want || op.ID == "" || op.Status != "running" || hdr.Get("Location") != emu.GraphURL()+call+"/operations/"+op.ID {
			t.Errorf("%s: %d Location %q, body %s", what, status, hdr.Get("Location"), b)
		}
		return op.ODataType
	}
	status, hdr, b = graphCall(t, emu, http.MethodPost, call+"/subscribeToTone", []byte(`{}`), nil)
	opLocation("subscribeToTone", status, hdr, b, http.StatusOK)
	status, hdr, b = graphCall(t, emu, http.MethodPost, call+"/addLargeGalleryView", []byte(`{"clientContext":"c"}`), nil)
	if typ := opLocation("addLargeGalleryView", status, hdr, b, http.StatusAccepted); typ != "#microsoft.graph.addLargeGalleryViewOperation" {
		t.Errorf("addLargeGalleryView answered a %s", typ)
	}
	parts, err := apiFor(t, emu, auth.RetryPolicy{}).Calls().ByID(created.ID).Participants().Get(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	pid := parts.Value[len(parts.Value)-1].ID
	for _, a := range []string{"startHoldMusic", "stopHoldMusic"} {
		status, hdr, b = graphCall(t, emu, http.MethodPost, call+"/participants/"+pid+"/"+a, []byte(`{}`), nil)
		opLocation(a, status, hdr, b, http.StatusAccepted)
	}
	carol := emu.AddUser("carol", emulator.Behavior{})
	inv, _ := json.Marshal(calls.InviteParticipantsRequest{Participants: []participants.Invitation{participants.Invite(carol.Identity())}})
	status, hdr, _ = graphCall(t, emu, http.MethodPost, call+"/participants/invite", inv, nil)
	if status != http.StatusOK || hdr.Get("Location") != "" {
		t.Errorf("invite: %d Location %q", status, hdr.Get("Location"))
	}
	// The SDK reads addLargeGalleryView's 202 all the same.
	op, err := apiFor(t, emu, auth.RetryPolicy{}).Calls().ByID(created.ID).AddLargeGalleryView().Post(ctxT(t), nil)
	if err != nil || op.ID == "" {
		t.Errorf("SDK addLargeGalleryView: %v %+v", err, op)
	}
}

// TestResultInfoAlwaysHasCodeAndSubcode: every resultInfo the emulator writes has code
// and subcode, zeros included, as the docs write them (v1.0/call-playprompt/03:
// "code": 200, "subcode": 0; v1.0/call-transfer/05: "code": 0, "subcode": 7015).
func TestResultInfoAlwaysHasCodeAndSubcode(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, c := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
	op, err := c.PlayPrompt().Post(ctxT(t), &calls.PlayPromptRequest{ClientContext: "d45324c1", Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/beep.wav")}})
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Minute)
	var done *note
	for _, n := range sentNotes(t, emu, h.ID()) {
		if strings.HasSuffix(n.url, "/operations/"+op.ID) {
			done = &n
		}
	}
	if done == nil {
		t.Fatal("no completion")
	}
	// Beyond the doc's members: id, which every other operation completion in the docs
	// has (v1.0/call-cancelmediaprocessing/03), and completionReason (see
	// TestPlayPromptCompletionReason).
	sameAsDoc(t, *done, "v1.0/call-playprompt/03-notification.json", "id", "completionReason")
	if got := member(done.data, "resultInfo", "subcode"); got != float64(0) {
		t.Errorf("subcode %v", got)
	}
	// Over the operation's GET, too.
	status, _, b := graphCall(t, emu, http.MethodGet, "/communications/calls/"+h.ID()+"/operations/"+op.ID, nil, nil)
	if status != http.StatusOK || !strings.Contains(string(b), `"subcode":0`) || !strings.Contains(string(b), `"code":200`) {
		t.Errorf("GET operation: %d %s", status, b)
	}
}
