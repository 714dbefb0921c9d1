package calls_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// setup starts a test server with handler and returns an API over a real adapter whose
// retries do not wait; the delays asked for are recorded.
func setup(t *testing.T, handler http.HandlerFunc) (*calls.API, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	delays := &[]time.Duration{}
	adapter, err := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{
		Retry: auth.RetryPolicy{MaxRetries: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second,
			Sleep: func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				*delays = append(*delays, d)
				return ctx.Err()
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0")), delays
}

const notFound = `{"error":{"code":"itemNotFound","message":"Call not found","innerError":{"request-id":"r-1","client-request-id":"c-1","date":"2026-11-26T10:00:00"}}}`

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		status     int
		body       string
		header     map[string]string
		want       string
		notFound   bool
		throttled  bool
		code       string
		retryAfter time.Duration
	}{
		{404, notFound, nil, "graph: 404 itemNotFound: Call not found (request-id r-1, client-request-id c-1)", true, false, "itemNotFound", 0},
		{403, `{"error":{"code":"7504","message":"Insufficient enterprise tenant permissions, you cannot access this API."}}`,
			map[string]string{"request-id": "hdr-req"}, "graph: 403 7504: Insufficient enterprise tenant permissions, you cannot access this API. (request-id hdr-req", false, false, "7504", 0},
		{400, ``, nil, "graph: 400: Bad Request", false, false, "", 0},
		{500, `not json`, nil, "graph: 500: Internal Server Error", false, false, "", 0},
	}
	for _, c := range cases {
		api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range c.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, c.body)
		})
		_, err := api.Calls().ByID("gone").Get(context.Background())
		var ge *calls.Error
		if !errors.As(err, &ge) {
			t.Fatalf("%d: error %T %v is not *calls.Error", c.status, err, err)
		}
		if !strings.HasPrefix(err.Error(), c.want) || ge.Code != c.code || ge.StatusCode != c.status {
			t.Errorf("%d: %q (code %q)", c.status, err, ge.Code)
		}
		if calls.IsNotFound(err) != c.notFound || calls.IsThrottled(err) != c.throttled {
			t.Errorf("%d: helpers wrong", c.status)
		}
	}
}

func TestRetryAfterThenSuccess(t *testing.T) {
	var n atomic.Int32
	api, delays := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":"TooManyRequests"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"c1","state":"established"}`)
	})
	c, err := api.Calls().ByID("c1").Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.State != calls.StateEstablished || n.Load() != 2 {
		t.Errorf("state %s after %d attempts", c.State, n.Load())
	}
	if len(*delays) != 1 || (*delays)[0] != 7*time.Second {
		t.Errorf("delays %v, want [7s] from Retry-After", *delays)
	}
}

func TestServiceUnavailableExhaustsRetries(t *testing.T) {
	var n atomic.Int32
	api, delays := setup(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := api.Calls().ByID("c1").PlayPrompt().Post(context.Background(), &calls.PlayPromptRequest{
		Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}})
	if !calls.IsThrottled(err) {
		t.Fatalf("want a throttling error, got %v", err)
	}
	var ge *calls.Error
	errors.As(err, &ge)
	if ge.RetryAfter != 120*time.Second || !strings.Contains(err.Error(), "retry after 2m0s") {
		t.Errorf("RetryAfter %v in %q", ge.RetryAfter, err)
	}
	if n.Load() != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", n.Load())
	}
	for _, d := range *delays {
		if d != 30*time.Second {
			t.Errorf("delay %v not capped at MaxDelay 30s", d)
		}
	}
}

func TestCreateCallNotReplayedOn504(t *testing.T) {
	var n atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusGatewayTimeout)
	})
	call := callTo("u-bob")
	_, err := api.Calls().Post(context.Background(), call)
	var ge *calls.Error
	if !errors.As(err, &ge) || ge.StatusCode != 504 || n.Load() != 1 {
		t.Fatalf("create call: %v after %d attempts, want one attempt", err, n.Load())
	}
	n.Store(0)
	_, _ = api.Calls().Post(context.Background(), call, calls.WithReplay())
	if n.Load() != 4 {
		t.Errorf("with WithReplay: %d attempts, want 4", n.Load())
	}
	n.Store(0)
	_, _ = api.Calls().ByID("c1").Get(context.Background())
	if n.Load() != 4 {
		t.Errorf("GET on 504: %d attempts, want 4", n.Load())
	}
}

func TestCreateCallRetriedOn429(t *testing.T) {
	var n atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "callbackUri") {
			t.Errorf("retried request lost its body: %q", body)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"new","state":"establishing"}`)
	})
	c, err := api.Calls().Post(context.Background(), callTo("u-bob"))
	if err != nil || c.ID != "new" || n.Load() != 2 {
		t.Fatalf("%v %+v after %d", err, c, n.Load())
	}
}

// A connection reset mid-request is ambiguous: not replayed for a create.
func TestConnectionResetNotReplayedForCreate(t *testing.T) {
	var n atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Fatal("no hijacker")
		}
		conn, _, _ := hj.Hijack()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
	})
	_, err := api.Calls().Post(context.Background(), callTo("u-bob"))
	if err == nil || n.Load() != 1 {
		t.Errorf("create: %v after %d attempts", err, n.Load())
	}
	n.Store(0)
	_ = api.Calls().ByID("c1").Delete(context.Background())
	if n.Load() != 4 {
		t.Errorf("DELETE after reset: %d attempts, want 4", n.Load())
	}
}

// closeCounter counts response bodies closed by the retry middleware.
type closeCounter struct {
	base   http.RoundTripper
	opened atomic.Int32
	closed atomic.Int32
}

type countingBody struct {
	io.ReadCloser
	c *closeCounter
}

func (b countingBody) Close() error { b.c.closed.Add(1); return b.ReadCloser.Close() }

func (c *closeCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if resp != nil {
		c.opened.Add(1)
		resp.Body = countingBody{resp.Body, c}
	}
	return resp, err
}

func TestRetriedBodiesAreClosed(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "busy")
			return
		}
		_, _ = io.WriteString(w, `{"id":"c1"}`)
	}))
	defer srv.Close()
	cc := &closeCounter{base: http.DefaultTransport}
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{
		HTTPClient: &http.Client{Transport: cc},
		Retry:      auth.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }},
	})
	api := calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))
	if _, err := api.Calls().ByID("c1").Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cc.opened.Load() != 3 || cc.closed.Load() != 3 {
		t.Errorf("opened %d closed %d response bodies", cc.opened.Load(), cc.closed.Load())
	}
}

func TestHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		_, _ = io.WriteString(w, `{}`)
	})
	ctx := context.Background()
	_, _ = api.Calls().ByID("c1").Get(ctx)
	_, _ = api.Calls().ByID("c1").Get(ctx)
	_, _ = api.Calls().ByID("c1").Mute().Post(ctx, &calls.ClientContextRequest{ClientContext: "x"},
		calls.WithClientRequestID("mine"), calls.WithHeader("X-Trace", "t1"))
	if seen[0].Get("client-request-id") == "" || seen[0].Get("client-request-id") == seen[1].Get("client-request-id") {
		t.Errorf("client-request-id not fresh per request: %q %q", seen[0].Get("client-request-id"), seen[1].Get("client-request-id"))
	}
	if seen[2].Get("client-request-id") != "mine" || seen[2].Get("X-Trace") != "t1" {
		t.Errorf("per-request options: %v", seen[2])
	}
	for _, h := range seen {
		if !strings.HasPrefix(h.Get("User-Agent"), "graphcomms-go/") || h.Get("Content-Encoding") != "" {
			t.Errorf("headers %v", h)
		}
	}
}

func TestOperationIDFromLocation(t *testing.T) {
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://graph.microsoft.com/v1.0/communications/calls/c1/operations/op-77")
		w.WriteHeader(http.StatusAccepted)
	})
	op, err := api.Calls().ByID("c1").AddLargeGalleryView().Post(context.Background(), nil)
	if err != nil || op.ID != "op-77" {
		t.Errorf("%v %+v", err, op)
	}
}

func TestRequestInformationWithoutSending(t *testing.T) {
	api := calls.NewAPI(nil, calls.WithBeta())
	ri, err := api.Calls().ByID("c 1").Participants().MuteAll().ToPostRequestInformation(context.Background(),
		&calls.MuteAllRequest{Participants: []string{"p1"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := ri.GetUri()
	if u.String() != "https://graph.microsoft.com/beta/communications/calls/c%201/participants/muteAll" || ri.Method.String() != "POST" {
		t.Errorf("%s %s", ri.Method, u)
	}
	if string(ri.Content) != `{"participants":["p1"]}` {
		t.Errorf("body %s", ri.Content)
	}
	if _, err := api.Calls().ByID("c1").Get(context.Background()); err == nil {
		t.Error("nil adapter should fail cleanly")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			cancel()
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := api.Calls().ByID("c1").Get(ctx)
	if err == nil || n.Load() != 1 {
		t.Errorf("%v after %d attempts", err, n.Load())
	}
}

// TestInvalidIDsNeverSent: an ID that could leave its path segment (a resourceUrl of a
// forged notification ending in /calls/.., say) fails the request with a *graph.IDError
// before anything is sent, from every kind of builder.
func TestInvalidIDsNeverSent(t *testing.T) {
	var sent atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		t.Errorf("request sent: %s %s", r.Method, r.URL.EscapedPath())
	})
	ctx := context.Background()
	for _, id := range []string{"", ".", "..", "../answer", "a/b", `a\b`, "a\r\nb", "\xff"} {
		errs := []error{
			api.Calls().ByID(id).Answer().Post(ctx, &calls.AnswerRequest{}),
			api.Calls().ByID(id).Delete(ctx),
		}
		_, err := api.Calls().ByID(id).PlayPrompt().Post(ctx, &calls.PlayPromptRequest{})
		errs = append(errs, err)
		_, err = api.Calls().ByID("c1").Participants().ByID(id).Get(ctx)
		errs = append(errs, err)
		_, err = api.Calls().ByID("c1").Operations().ByID(id).Get(ctx)
		errs = append(errs, err)
		_, err = api.Calls().ByID(id).Participants().ByID("p1").StartHoldMusic().ToPostRequestInformation(ctx, nil)
		errs = append(errs, err)
		for i, err := range errs {
			var ie *graph.IDError
			if !errors.As(err, &ie) || !errors.Is(err, graph.ErrInvalidID) {
				t.Errorf("%q, request %d: %v, want a *graph.IDError", id, i, err)
			}
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// callTo is a call to create, to one user.
func callTo(userID string) *calls.Call {
	c := calls.NewCall("https://bot.example.com/api/calls", nil)
	c.Targets = []participants.Invitation{participants.Invite(participants.User(userID, ""))}
	return c
}
