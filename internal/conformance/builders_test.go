package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

// notBuilt lists the request examples outside the builders' scope (reference §1.1, §1.2,
// §1.4), with the reason.
func notBuilt(method, path string) string {
	l := strings.ToLower(path)
	switch {
	case strings.Contains(l, "/presence") || strings.Contains(l, "getpresencesbyuserid"):
		return "presence (§1.3) has no builder"
	case strings.HasPrefix(l, "/subscriptions"):
		return "change-notification subscriptions have no builder"
	case method == "POST" && (l == "/app/onlinemeetings" || l == "/communications/onlinemeetings"):
		return "app-token meeting creation was removed from Graph"
	case strings.HasPrefix(l, "https://"):
		return "not a Graph URL (recording download)"
	case strings.HasPrefix(l, "/solutions/"):
		return "virtual-event webinars are outside the calls and meetings API"
	}
	return ""
}

// invoke issues the request described by method and path through the builders.
func invoke(ctx context.Context, capi *calls.API, mapi *meetings.API, method, rawPath string, body []byte) (any, error) {
	p, rawQuery, _ := strings.Cut(rawPath, "?")
	query, _ := url.ParseQuery(rawQuery)
	var segs []string
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		segs = append(segs, strings.TrimPrefix(s, "microsoft.graph."))
	}
	if len(segs) > 0 && segs[0] == "app" {
		segs[0] = "communications"
	}
	lower := func(i int) string {
		if i < len(segs) {
			return strings.ToLower(segs[i])
		}
		return ""
	}
	dec := func(v any) error {
		if len(body) == 0 {
			return nil
		}
		return json.Unmarshal(body, v)
	}
	if lower(0) == "communications" && lower(1) == "calls" {
		calls := capi.Calls()
		if len(segs) == 2 {
			if method == "GET" {
				return calls.Get(ctx)
			}
			var c callsCall
			if err := dec(&c); err != nil {
				return nil, err
			}
			return calls.Post(ctx, &c)
		}
		if lower(2) == "logteleconferencedevicequality" {
			var b callsLog
			if err := dec(&b); err != nil {
				return nil, err
			}
			return nil, calls.LogTeleconferenceDeviceQuality().Post(ctx, &b)
		}
		call := calls.ByID(segs[2])
		if len(segs) == 3 {
			if method == "DELETE" {
				return nil, call.Delete(ctx)
			}
			return call.Get(ctx)
		}
		return invokeCallChild(ctx, call, method, segs[3:], dec)
	}
	var user *meetings.UserRequestBuilder
	var rest []string
	switch {
	case lower(0) == "me":
		user, rest = mapi.Me(), segs[1:]
	case lower(0) == "users" && len(segs) > 1:
		user, rest = mapi.User(segs[1]), segs[2:]
	case lower(0) == "communications" && lower(1) == "onlinemeetings" && method == "GET":
		f := query.Get("$filter")
		id := f[strings.Index(f, "'")+1 : strings.LastIndex(f, "'")]
		return mapi.Communications().ByVideoTeleconferenceID(id).Get(ctx)
	default:
		return nil, fmt.Errorf("no builder for %s %s", method, rawPath)
	}
	if len(rest) == 0 || !strings.EqualFold(rest[0], "onlineMeetings") {
		return nil, fmt.Errorf("no builder for %s %s", method, rawPath)
	}
	oms := user.OnlineMeetings()
	if len(rest) == 1 {
		if method == "GET" {
			return oms.Filter(query.Get("$filter")).Get(ctx)
		}
		var m meetings.OnlineMeeting
		if err := dec(&m); err != nil {
			return nil, err
		}
		return oms.Post(ctx, &m)
	}
	if strings.EqualFold(rest[1], "createOrGet") {
		var b meetings.CreateOrGetRequest
		if err := dec(&b); err != nil {
			return nil, err
		}
		return oms.CreateOrGet().Post(ctx, &b)
	}
	m := oms.ByID(rest[1])
	switch {
	case len(rest) == 2 && method == "GET":
		return m.Get(ctx)
	case len(rest) == 2 && method == "DELETE":
		return nil, m.Delete(ctx)
	case len(rest) == 2 && method == "PATCH":
		var b meetings.OnlineMeeting
		if err := dec(&b); err != nil {
			return nil, err
		}
		return m.Patch(ctx, &b)
	case len(rest) == 3 && strings.EqualFold(rest[2], "attendeeReport"):
		return m.AttendeeReport().Location(ctx)
	case len(rest) == 3 && strings.EqualFold(rest[2], "recording"):
		return m.Recording().Location(ctx)
	case len(rest) == 3 && strings.EqualFold(rest[2], "meetingAttendanceReport"):
		return m.MeetingAttendanceReport().Get(ctx)
	case len(rest) == 3 && strings.EqualFold(rest[2], "attendanceReports"):
		return m.AttendanceReports().Get(ctx)
	case len(rest) == 4 && query.Get("$expand") != "":
		return m.AttendanceReports().ByID(rest[3]).GetWithRecords(ctx)
	case len(rest) == 4:
		return m.AttendanceReports().ByID(rest[3]).Get(ctx)
	case len(rest) == 5:
		return m.AttendanceReports().ByID(rest[3]).AttendanceRecords().Get(ctx)
	}
	return nil, fmt.Errorf("no builder for %s %s", method, rawPath)
}

type (
	callsCall = calls.Call
	callsLog  = calls.LogTeleconferenceDeviceQualityRequest
)

func invokeCallChild(ctx context.Context, call *calls.CallRequestBuilder, method string, segs []string, dec func(any) error) (any, error) {
	switch strings.ToLower(segs[0]) {
	case "answer":
		return post(ctx, call.Answer(), dec)
	case "reject":
		return post(ctx, call.Reject(), dec)
	case "redirect":
		return post(ctx, call.Redirect(), dec)
	case "transfer":
		return post(ctx, call.Transfer(), dec)
	case "keepalive":
		return post(ctx, call.KeepAlive(), dec)
	case "changescreensharingrole":
		return post(ctx, call.ChangeScreenSharingRole(), dec)
	case "mute":
		return postOp(ctx, call.Mute(), dec)
	case "unmute":
		return postOp(ctx, call.Unmute(), dec)
	case "playprompt":
		return postOp(ctx, call.PlayPrompt(), dec)
	case "recordresponse", "record":
		return postOp(ctx, call.RecordResponse(), dec)
	case "subscribetotone":
		return postOp(ctx, call.SubscribeToTone(), dec)
	case "cancelmediaprocessing":
		return postOp(ctx, call.CancelMediaProcessing(), dec)
	case "updaterecordingstatus":
		return postOp(ctx, call.UpdateRecordingStatus(), dec)
	case "senddtmftones":
		return postOp(ctx, call.SendDtmfTones(), dec)
	case "addlargegalleryview":
		return postOp(ctx, call.AddLargeGalleryView(), dec)
	case "startrecording":
		return postOp(ctx, call.StartRecording(), dec)
	case "stoprecording":
		return postOp(ctx, call.StopRecording(), dec)
	case "starttranscription":
		return postOp(ctx, call.StartTranscription(), dec)
	case "stoptranscription":
		return postOp(ctx, call.StopTranscription(), dec)
	case "operations":
		return call.Operations().ByID(segs[1]).Get(ctx)
	case "audioroutinggroups":
		args := call.AudioRoutingGroups()
		if len(segs) == 1 {
			if method == "GET" {
				return args.Get(ctx)
			}
			var g calls.AudioRoutingGroup
			if err := dec(&g); err != nil {
				return nil, err
			}
			return args.Post(ctx, &g)
		}
		g := args.ByID(segs[1])
		switch method {
		case "GET":
			return g.Get(ctx)
		case "DELETE":
			return nil, g.Delete(ctx)
		}
		var b calls.AudioRoutingGroup
		if err := dec(&b); err != nil {
			return nil, err
		}
		return g.Patch(ctx, &b)
	case "contentsharingsessions":
		if len(segs) == 1 {
			return call.ContentSharingSessions().Get(ctx)
		}
		return call.ContentSharingSessions().ByID(segs[1]).Get(ctx)
	case "participants":
		ps := call.Participants()
		if len(segs) == 1 {
			return ps.Get(ctx)
		}
		switch strings.ToLower(segs[1]) {
		case "invite":
			return postOp(ctx, ps.Invite(), dec)
		case "muteall":
			return postOp(ctx, ps.MuteAll(), dec)
		case "configuremixer":
			return postOp(ctx, ps.ConfigureMixer(), dec)
		}
		p := ps.ByID(segs[1])
		if len(segs) == 2 {
			if method == "DELETE" {
				return nil, p.Delete(ctx)
			}
			return p.Get(ctx)
		}
		switch strings.ToLower(segs[2]) {
		case "mute":
			return postOp(ctx, p.Mute(), dec)
		case "startholdmusic":
			return postOp(ctx, p.StartHoldMusic(), dec)
		case "stopholdmusic":
			return postOp(ctx, p.StopHoldMusic(), dec)
		case "reportsyntheticmedia":
			return post(ctx, p.ReportSyntheticMedia(), dec)
		}
	}
	return nil, fmt.Errorf("no builder for call child %v", segs)
}

// bodyOf decodes the example body; no example body gives a nil body.
func bodyOf[Req any](dec func(any) error, hasBody bool) (*Req, error) {
	if !hasBody {
		return nil, nil
	}
	var b Req
	if err := dec(&b); err != nil {
		return nil, err
	}
	return &b, nil
}

func post[Req any](ctx context.Context, a *calls.Action[Req], dec func(any) error) (any, error) {
	body, err := bodyOf[Req](dec, hasBody(ctx))
	if err != nil {
		return nil, err
	}
	return nil, a.Post(ctx, body)
}

func postOp[Req any, Op calls.Operation](ctx context.Context, a *calls.OperationAction[Req, Op], dec func(any) error) (any, error) {
	body, err := bodyOf[Req](dec, hasBody(ctx))
	if err != nil {
		return nil, err
	}
	return a.Post(ctx, body)
}

type hasBodyKey struct{}

func hasBody(ctx context.Context) bool { v, _ := ctx.Value(hasBodyKey{}).(bool); return v }

// received is what the test server saw.
type received struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
}

// readStatus reads the status code and headers of a response .http file.
func readStatus(path string) (int, http.Header) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	h := http.Header{}
	code := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if code == 0 {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				code, _ = strconv.Atoi(fields[1])
			}
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return code, h
}

func TestBuildersAgainstCorpus(t *testing.T) {
	root, ok := FindCorpus()
	if !ok {
		t.Skip("corpus ../shared/graph-examples not found; builder conformance skipped")
	}
	rows, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		got     received
		respond struct {
			code   int
			header http.Header
			body   []byte
		}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = received{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), b}
		for k, vs := range respond.header {
			if strings.EqualFold(k, "Content-Length") {
				continue
			}
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if len(respond.body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(respond.code)
		_, _ = w.Write(respond.body)
	}))
	defer srv.Close()
	adapter, err := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{},
		auth.AdapterConfig{HTTPClient: &http.Client{Transport: loopbackOnly{}}})
	if err != nil {
		t.Fatal(err)
	}
	var exercised, withResponse, skipped int
	var n normalisations
	for i, row := range rows {
		if row.Kind != "request" || row.Method == "" || row.Path == "" {
			continue
		}
		if reason := notBuilt(row.Method, row.Path); reason != "" {
			t.Logf("skip %s: %s", row.File, reason)
			skipped++
			continue
		}
		version := "v1.0"
		if strings.HasPrefix(row.Dir(), "beta") || strings.HasPrefix(row.Dir(), "legacy") {
			version = "beta"
		}
		// The request body and the response that follows it on the page.
		var reqBody []byte
		if strings.HasSuffix(row.File, ".json") {
			reqBody, _ = os.ReadFile(filepath.Join(root, row.File))
		}
		if strings.HasSuffix(row.File, ".txt") {
			t.Logf("skip %s: the docs' request body is not JSON", row.File)
			skipped++
			continue
		}
		if row.Method == "GET" {
			reqBody = nil // GET examples that show a body show the response
		}
		code, header, respBody := 0, http.Header(nil), []byte(nil)
		// The docs often show several request forms (/me, /users/{id}) then one response.
		j := i + 1
		for j < len(rows) && rows[j].Kind == "request" && rows[j].Page() == row.Page() && sameEndpoint(rows[j], row) {
			j++
		}
		if j < len(rows) && rows[j].Kind == "response" && rows[j].Page() == row.Page() {
			next := rows[j]
			base := strings.TrimSuffix(next.File, filepath.Ext(next.File))
			code, header = readStatus(filepath.Join(root, base+".http"))
			if strings.HasSuffix(next.File, ".json") {
				respBody, _ = os.ReadFile(filepath.Join(root, next.File))
			}
		}
		if code == 0 {
			code = 200
		}
		t.Run(row.File, func(t *testing.T) {
			mu.Lock()
			respond.code, respond.header, respond.body = code, header, respBody
			got = received{}
			mu.Unlock()
			capi := calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/"+version))
			mapi := meetings.FromCalls(capi)
			ctx := context.WithValue(context.Background(), hasBodyKey{}, len(reqBody) > 0)
			result, err := invoke(ctx, capi, mapi, row.Method, row.Path, reqBody)
			if err != nil {
				t.Fatalf("%s %s: %v", row.Method, row.Path, err)
			}
			mu.Lock()
			g := got
			mu.Unlock()
			if g.method != row.Method {
				t.Errorf("method %s, want %s", g.method, row.Method)
			}
			wantPath, wantQuery, _ := strings.Cut(row.Path, "?")
			if norm(g.path) != norm("/"+version+wantPath) {
				t.Errorf("path %s, want /%s%s", g.path, version, wantPath)
			}
			if wantQuery != "" {
				wq, _ := url.ParseQuery(wantQuery)
				gq, _ := url.ParseQuery(g.rawQuery)
				if fmt.Sprint(wq) != fmt.Sprint(gq) {
					t.Errorf("query %v, want %v", gq, wq)
				}
			}
			if len(reqBody) > 0 {
				if diffs := equivalent(generic(t, reqBody), generic(t, g.body), "$", &n); len(diffs) > 0 {
					t.Errorf("body differs from the example:\n  %s\nsent: %s", strings.Join(diffs, "\n  "), g.body)
				}
			} else if len(g.body) > 0 {
				t.Errorf("sent a body where the example has none: %s", g.body)
			}
			if g.header.Get("client-request-id") == "" || !strings.HasPrefix(g.header.Get("User-Agent"), "graphcomms-go/") {
				t.Errorf("headers: %v", g.header)
			}
			if g.header.Get("Content-Encoding") != "" {
				t.Errorf("request body is encoded: %s", g.header.Get("Content-Encoding"))
			}
			if len(respBody) > 0 && result == nil {
				t.Errorf("response example not returned as a typed value")
			}
		})
		exercised++
		if len(respBody) > 0 {
			withResponse++
		}
	}
	t.Logf("corpus requests exercised through the builders: %d (%d with a response example decoded as the builder's return type); %d skipped", exercised, withResponse, skipped)
}

// loopbackOnly is a transport that refuses every host but loopback, so that no test
// can reach the network, even by following a redirect from a docs example.
type loopbackOnly struct{}

func (loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := r.URL.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("test transport: refusing non-loopback host %s", h)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// sameEndpoint reports whether two request rows address the same endpoint, one as /me
// and the other as /users/{id}.
func sameEndpoint(a, b Row) bool {
	strip := func(p string) string {
		p, _, _ = strings.Cut(p, "?")
		if rest, ok := strings.CutPrefix(p, "/me/"); ok {
			return rest
		}
		if rest, ok := strings.CutPrefix(p, "/users/"); ok {
			if _, after, ok := strings.Cut(rest, "/"); ok {
				return after
			}
		}
		return p
	}
	return a.Method == b.Method && strip(a.Path) == strip(b.Path)
}

// norm lower-cases a path and drops the /app alias and namespace prefixes, which the
// builders write in their canonical form (/communications/..., short action names).
func norm(p string) string {
	p = strings.TrimSuffix(strings.ToLower(p), "/")
	p = strings.Replace(p, "/app/", "/communications/", 1)
	if !strings.Contains(p, "recording") && !strings.Contains(p, "transcription") {
		p = strings.ReplaceAll(p, "microsoft.graph.", "")
	}
	u, err := url.PathUnescape(p)
	if err == nil {
		p = u
	}
	return p
}
