package notifications_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/auth/authtest"
	"github.com/graphcomms/graphcomms/notifications"
)

const (
	botAppID = "b0b0b0b0-1111-4222-8333-444455556666"
	tenantA  = "11111111-2222-4333-8444-000000000001"
)

var (
	issuerOnce sync.Once
	testIssuer *authtest.Issuer
)

func issuerFor(t testing.TB) *authtest.Issuer {
	issuerOnce.Do(func() {
		var err error
		if testIssuer, err = authtest.NewIssuer(); err != nil {
			panic(err)
		}
	})
	return testIssuer
}

// newHandler returns a handler with a real validator over a local key server, and a
// buffer with its log output.
func newHandler(t testing.TB, cfg notifications.HandlerConfig) (*notifications.Handler, *bytes.Buffer) {
	t.Helper()
	iss := issuerFor(t)
	keys := httptest.NewServer(iss.Handler())
	t.Cleanup(keys.Close)
	if cfg.Validator == nil && !cfg.InsecureSkipValidation {
		v, err := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{botAppID}, AllowedTenants: []string{tenantA},
			OpenIDConfigURL: keys.URL + authtest.OpenIDConfigPath})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Validator = v
	}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := notifications.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, &logs
}

func fixtureBody(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "notifications", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(h http.Handler, method, token string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/calls", bytes.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerStatusCodes(t *testing.T) {
	h, logs := newHandler(t, notifications.HandlerConfig{MaxBodyBytes: 4096})
	iss := issuerFor(t)
	good := iss.Token(botAppID, tenantA)
	body := fixtureBody(t, "call-established")
	cases := []struct {
		name   string
		method string
		token  string
		body   []byte
		status int
	}{
		{"accepted", "POST", good, body, 202},
		{"GET", "GET", good, nil, 405},
		{"too large", "POST", good, bytes.Repeat([]byte(" "), 5000), 413},
		{"no token", "POST", "", body, 401},
		{"garbage token", "POST", "abc.def.ghi", body, 401},
		{"other bot", "POST", iss.Token("another-app", tenantA), body, 403},
		{"other tenant", "POST", iss.Token(botAppID, "99999999-0000-4000-8000-000000000009"), body, 403},
		{"not JSON", "POST", good, []byte("hello"), 400},
		{"trailing comma", "POST", good, []byte(`{"value":[{"changeType":"updated",}]}`), 400},
		{"wrong top level", "POST", good, []byte(`[]`), 400},
	}
	for _, c := range cases {
		w := post(h, c.method, c.token, c.body, map[string]string{"client-request-id": "crid-1", "scenario-id": "sc-1"})
		if w.Code != c.status {
			t.Errorf("%s: %d %q, want %d", c.name, w.Code, w.Body.String(), c.status)
		}
		if w.Header().Get("client-request-id") != "crid-1" || w.Header().Get("scenario-id") != "sc-1" {
			t.Errorf("%s: ids not echoed: %v", c.name, w.Header())
		}
	}
	if strings.Contains(logs.String(), good[:40]) || strings.Contains(logs.String(), "Bearer") {
		t.Error("a token was logged")
	}
	if !strings.Contains(logs.String(), "trailing comma") {
		t.Error("rejections are not logged")
	}
	select {
	case b := <-h.Batches():
		if b.TenantID != tenantA || len(b.Notifications) != 1 || b.ClientRequestID != "crid-1" || b.ScenarioID != "sc-1" {
			t.Errorf("batch %+v", b)
		}
	default:
		t.Fatal("the accepted callback was not queued")
	}
	select {
	case b := <-h.Batches():
		t.Errorf("a rejected callback was queued: %+v", b)
	default:
	}
	w := post(h, "POST", good, []byte("x"), nil)
	if !strings.Contains(w.Body.String(), "notifications:") {
		t.Errorf("400 should say why: %q", w.Body.String())
	}
}

func TestHandlerQueueFull(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{QueueSize: 2, RetryAfter: 3 * time.Second})
	tok := issuerFor(t).Token(botAppID, tenantA)
	body := fixtureBody(t, "call-tone")
	for i := range 2 {
		if w := post(h, "POST", tok, body, nil); w.Code != 202 {
			t.Fatalf("callback %d: %d", i, w.Code)
		}
	}
	w := post(h, "POST", tok, body, nil)
	if w.Code != 503 || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("queue full: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	<-h.Batches()
	if w := post(h, "POST", tok, body, nil); w.Code != 202 {
		t.Errorf("after draining: %d", w.Code)
	}
}

// TestHandlerAccept: with Accept, the answer waits for it: 202 once it stored the
// batch, 503 with Retry-After when it failed; nothing goes to the queue.
func TestHandlerAccept(t *testing.T) {
	var fail atomic.Bool
	var got []notifications.Batch
	h, logs := newHandler(t, notifications.HandlerConfig{RetryAfter: 2 * time.Second, Accept: func(ctx context.Context, b notifications.Batch) error {
		if ctx == nil {
			t.Error("Accept without a context")
		}
		if fail.Load() {
			return errors.New("store down")
		}
		got = append(got, b)
		return nil
	}})
	tok := issuerFor(t).Token(botAppID, tenantA)
	body := fixtureBody(t, "call-tone")
	if w := post(h, "POST", tok, body, map[string]string{"client-request-id": "r-1"}); w.Code != 202 {
		t.Fatalf("accepted callback: %d", w.Code)
	}
	if len(got) != 1 || len(got[0].Notifications) != 1 || got[0].TenantID != tenantA || got[0].ClientRequestID != "r-1" {
		t.Fatalf("Accept got %+v", got)
	}
	fail.Store(true)
	w := post(h, "POST", tok, body, nil)
	if w.Code != 503 || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("failed Accept: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), "store down") {
		t.Errorf("the failure is not logged: %s", logs)
	}
	select {
	case b := <-h.Batches():
		t.Fatalf("a batch reached the queue: %+v", b)
	default:
	}
}

func TestHandlerKeysUnavailable(t *testing.T) {
	v, err := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{botAppID}, OpenIDConfigURL: "http://127.0.0.1:1/none",
		HTTPClient: &http.Client{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := newHandler(t, notifications.HandlerConfig{Validator: v})
	w := post(h, "POST", issuerFor(t).Token(botAppID, tenantA), fixtureBody(t, "call-tone"), nil)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Errorf("%d %v", w.Code, w.Header())
	}
}

func TestHandlerConfig(t *testing.T) {
	if _, err := notifications.NewHandler(notifications.HandlerConfig{}); err == nil {
		t.Error("a handler without a validator was accepted")
	}
	h, _ := newHandler(t, notifications.HandlerConfig{InsecureSkipValidation: true})
	if w := post(h, "POST", "", fixtureBody(t, "roster"), nil); w.Code != 202 {
		t.Errorf("insecure mode: %d", w.Code)
	}
}

// Nothing the consumer does can delay the 202: with nobody reading, callbacks are still
// answered at once until the queue is full.
func TestHandlerNeverWaitsForConsumer(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{QueueSize: 100})
	tok := issuerFor(t).Token(botAppID, tenantA)
	body := fixtureBody(t, "op-playprompt")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		for range 150 {
			post(h, "POST", tok, body, nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the handler blocked on its consumer")
	}
}

// BenchmarkHandlerLoopback measures validate + parse + 202 end to end over loopback
// HTTP with a cached verified token, with a consumer draining the queue.
func BenchmarkHandlerLoopback(b *testing.B) {
	h, _ := newHandler(b, notifications.HandlerConfig{QueueSize: 65536})
	go func() {
		for range h.Batches() {
		}
	}()
	srv := httptest.NewServer(h)
	defer srv.Close()
	tok := "Bearer " + issuerFor(b).Token(botAppID, tenantA)
	body := fixtureBody(b, "call-established")
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	start := time.Now()
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			req.Header.Set("Authorization", tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifications/s")
}

// TestHandlerBodyCases: what each kind of body is answered, with the reason, and that
// every rejection closes the connection.
func TestHandlerBodyCases(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{QueueSize: 16})
	tok := issuerFor(t).Token(botAppID, tenantA)
	note := `{"changeType":"updated","resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}}`
	notes := func(n int) []byte {
		return []byte(`{"value":[` + strings.TrimSuffix(strings.Repeat(note+",", n), ",") + `]}`)
	}
	cases := []struct {
		name   string
		body   []byte
		status int
		reason string
	}{
		{"one notification", notes(1), 202, ""},
		{"the cap (100)", notes(notifications.DefaultMaxNotifications), 202, ""},
		{"one past the cap", notes(notifications.DefaultMaxNotifications + 1), 413, "more than 100 notifications in one body"},
		{"1 MiB of {}", []byte(`{"value":[` + strings.Repeat("{},", 349_000) + `{}]}`), 413, "more than 100 notifications"},
		{"roster of 1 MiB of typed empty participants", fill(`{"value":[`+rosterHead, `{"@odata.type":"#microsoft.graph.participant"}`, `]}]}`, mib), 413, "would decode into more than"},
		{"over MaxBodyBytes", bytes.Repeat([]byte(" "), mib+1), 413, "body larger than 1048576 bytes"},
		{"NUL and garbage after the body", []byte(`{"value":[]}` + "\x00garbage"), 400, "unexpected byte 0x00 after the top-level value"},
		{"invalid UTF-8 in a call ID", []byte("{\"value\":[{\"resourceUrl\":\"/communications/calls/\xff\"}]}"), 400, "invalid UTF-8 in string"},
		{"unpaired surrogate", []byte(`{"value":[{"resourceUrl":"/communications/calls/\udfff"}]}`), 400, "unpaired UTF-16 surrogate"},
		{"empty body", nil, 400, "empty input"},
	}
	for _, c := range cases {
		w := post(h, "POST", tok, c.body, nil)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.reason) {
			t.Errorf("%s: %d %q, want %d %q", c.name, w.Code, w.Body.String(), c.status, c.reason)
		}
		if closeWanted := c.status != 202; (w.Header().Get("Connection") == "close") != closeWanted {
			t.Errorf("%s: Connection %q", c.name, w.Header().Get("Connection"))
		}
		if c.status == 202 {
			<-h.Batches()
		}
	}
	h2, _ := newHandler(t, notifications.HandlerConfig{MaxNotifications: 2})
	if w := post(h2, "POST", tok, notes(3), nil); w.Code != 413 || !strings.Contains(w.Body.String(), "more than 2 notifications") {
		t.Errorf("MaxNotifications 2: %d %q", w.Code, w.Body.String())
	}
	for name, status := range map[string]int{"GET": 405, "no token": 401} {
		method, token := "POST", ""
		if name == "GET" {
			method, token = "GET", tok
		}
		if w := post(h, method, token, notes(1), nil); w.Code != status || w.Header().Get("Connection") != "close" {
			t.Errorf("%s: %d, Connection %q", name, w.Code, w.Header().Get("Connection"))
		}
	}
}

// slowBody yields a few bytes of a body, then fails, as a client that stops sending.
type slowBody struct{ sent bool }

func (b *slowBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, io.ErrUnexpectedEOF
	}
	b.sent = true
	return copy(p, `{"value":[`), nil
}

// TestHandlerDoesNotTrustContentLength: the body buffer grows with what arrives, not
// with what Content-Length promises.
func TestHandlerDoesNotTrustContentLength(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{InsecureSkipValidation: true})
	var allocated uint64
	const runs = 20
	for range runs {
		r := httptest.NewRequest("POST", "/api/calls", &slowBody{})
		r.ContentLength = notifications.DefaultMaxBodyBytes
		w := httptest.NewRecorder()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		h.ServeHTTP(w, r)
		runtime.ReadMemStats(&m1)
		allocated += m1.TotalAlloc - m0.TotalAlloc
		if w.Code != 400 || !strings.Contains(w.Body.String(), "reading body") {
			t.Fatalf("%d %q", w.Code, w.Body.String())
		}
	}
	if per := allocated / runs; per > 64<<10 {
		t.Errorf("a body that declared 1 MiB and sent 10 bytes cost %d bytes", per)
	} else {
		t.Logf("a body that declared 1 MiB and sent 10 bytes cost %d bytes", per)
	}
}
