package calls_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
)

const recToken = "rec-token-5Qx9zL2mVb8sTn4W"

// recHits is a test server's record of the requests it got.
type recHits struct {
	n    atomic.Int32
	auth atomic.Value // string: the last Authorization header
}

func (h *recHits) record(r *http.Request) {
	h.n.Add(1)
	h.auth.Store(r.Header.Get("Authorization"))
}

func (h *recHits) lastAuth() string {
	s, _ := h.auth.Load().(string)
	return s
}

// recServer is a TLS server that serves body at any path to holders of recToken.
func recServer(t *testing.T, body []byte) (*httptest.Server, *recHits) {
	t.Helper()
	hits := &recHits{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.record(r)
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer "+recToken {
			http.Error(w, "recording access token required", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func recOp(location string) *calls.RecordOperation {
	return &calls.RecordOperation{RecordingLocation: location, RecordingAccessToken: recToken}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noNetwork is a client whose transport fails the test if a request gets that far.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("a request was sent to %s", r.URL.Redacted())
		return nil, errors.New("no network in this test")
	})}
}

// fakeNetwork is a client whose transport answers 200 "ok" without any network, and
// counts the requests.
func fakeNetwork(n *atomic.Int32) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}, nil
	})}
}

// checkNoToken fails the test if the token appears in err or anything it wraps.
func checkNoToken(t *testing.T, err error) {
	t.Helper()
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if strings.Contains(e.Error(), recToken) {
			t.Errorf("the access token is in the error %q", e.Error())
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
}

// wantRecErr checks that err is a *RecordingError matching target, without the token.
func wantRecErr(t *testing.T, err, target error) *calls.RecordingError {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", target)
	}
	var rerr *calls.RecordingError
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v (%T) is not a *calls.RecordingError", err, err)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q is not %q", err, target)
	}
	checkNoToken(t, err)
	return rerr
}

func TestRecordingDownload(t *testing.T) {
	wav := []byte("RIFF\x24\x00\x00\x00WAVEfmt ")
	srv, hits := recServer(t, wav)
	client := srv.Client()
	opts := &calls.DownloadOptions{HTTPClient: client}

	got, err := recOp(srv.URL+"/recordings/op1").Download(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wav) {
		t.Errorf("Download = %q, want %q", got, wav)
	}
	if a := hits.lastAuth(); a != "Bearer "+recToken {
		t.Errorf("Authorization = %q", a)
	}

	body, err := recOp(srv.URL+"/recordings/op1").Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := body.Close(); err != nil {
		t.Error(err)
	}
	if !bytes.Equal(got, wav) {
		t.Errorf("Open read %q, want %q", got, wav)
	}
	if client.CheckRedirect != nil {
		t.Error("the caller's client was modified")
	}
	if hits.n.Load() != 2 {
		t.Errorf("%d requests, want 2", hits.n.Load())
	}
}

func TestRecordingLoopbackHTTP(t *testing.T) {
	var hits recHits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.record(r)
		_, _ = w.Write([]byte("wav"))
	}))
	defer srv.Close()
	got, err := recOp(srv.URL+"/_emulator/recordings/1").Download(context.Background(),
		&calls.DownloadOptions{HTTPClient: srv.Client(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "wav" || hits.lastAuth() != "Bearer "+recToken {
		t.Errorf("got %q with Authorization %q", got, hits.lastAuth())
	}
}

func TestRecordingHTTPRefusedWithoutAllowLoopback(t *testing.T) {
	var hits recHits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.record(r)
		_, _ = w.Write([]byte("wav"))
	}))
	defer srv.Close()
	for _, opts := range []*calls.DownloadOptions{nil, {HTTPClient: srv.Client()}} {
		_, err := recOp(srv.URL+"/x").Download(context.Background(), opts)
		wantRecErr(t, err, calls.ErrInsecureRecordingLocation)
		body, err := recOp(srv.URL+"/x").Open(context.Background(), opts)
		wantRecErr(t, err, calls.ErrInsecureRecordingLocation)
		if body != nil {
			t.Error("Open returned a body with its error")
		}
	}
	if n := hits.n.Load(); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}

func TestRecordingHTTPNonLoopbackRefused(t *testing.T) {
	for _, loc := range []string{
		"http://example.com/x",
		"http://EXAMPLE.com:80/x",
		"http://10.1.2.3/x",
		"http://0.0.0.0/x",
		"http://[::]/x",
		"http://[::ffff:10.0.0.1]/x",
		"http://localhost.example.com/x",
		"http://127.0.0.1.example.com/x",
		"http://127.1/x",
		"http://[::1%25lo]/x",
	} {
		_, err := recOp(loc).Download(context.Background(),
			&calls.DownloadOptions{HTTPClient: noNetwork(t), AllowLoopback: true})
		wantRecErr(t, err, calls.ErrInsecureRecordingLocation)
	}
}

func TestRecordingLocationRules(t *testing.T) {
	for _, tc := range []struct {
		loc           string
		allowLoopback bool
		want          error // nil: accepted
	}{
		{"https://recordings.example/1", false, nil},
		{"HTTPS://recordings.example:8443/1?x=1", false, nil},
		{"http://127.0.0.1:8080/1", true, nil},
		{"http://127.9.9.9/1", true, nil},
		{"http://[::1]:8080/1", true, nil},
		{"http://localhost:8080/1", true, nil},
		{"http://LocalHost/1", true, nil},
		{"http://127.0.0.1:8080/1", false, calls.ErrInsecureRecordingLocation},
		{"http://localhost/1", false, calls.ErrInsecureRecordingLocation},
		{"", true, calls.ErrNoRecordingLocation},
		{"/recordings/1", true, calls.ErrInvalidRecordingLocation},
		{"recordings.example/1", true, calls.ErrInvalidRecordingLocation},
		{"//recordings.example/1", true, calls.ErrInvalidRecordingLocation},
		{"https://alice:hunter2@recordings.example/1", true, calls.ErrInvalidRecordingLocation},
		{"https://alice@recordings.example/1", true, calls.ErrInvalidRecordingLocation},
		{"http://alice@127.0.0.1/1", true, calls.ErrInvalidRecordingLocation},
		{"https:///1", true, calls.ErrInvalidRecordingLocation},
		{"https://:443/1", true, calls.ErrInvalidRecordingLocation},
		{"https:recordings.example", true, calls.ErrInvalidRecordingLocation},
		{"ftp://recordings.example/1", true, calls.ErrInvalidRecordingLocation},
		{"file:///etc/passwd", true, calls.ErrInvalidRecordingLocation},
		{"ws://127.0.0.1/1", true, calls.ErrInvalidRecordingLocation},
		{"https://[::1/1", true, calls.ErrInvalidRecordingLocation},
		{"https://recordings.example/1\n", true, calls.ErrInvalidRecordingLocation},
	} {
		var n atomic.Int32
		opts := &calls.DownloadOptions{HTTPClient: fakeNetwork(&n), AllowLoopback: tc.allowLoopback}
		got, err := recOp(tc.loc).Download(context.Background(), opts)
		if tc.want == nil {
			if err != nil || string(got) != "ok" || n.Load() != 1 {
				t.Errorf("%q: got %q, %v after %d requests; want it accepted", tc.loc, got, err, n.Load())
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: accepted, want %v", tc.loc, tc.want)
			continue
		}
		rerr := wantRecErr(t, err, tc.want)
		if n.Load() != 0 {
			t.Errorf("%q: a request was sent", tc.loc)
		}
		if strings.Contains(err.Error(), "alice") || strings.Contains(rerr.Location, "alice") {
			t.Errorf("%q: the userinfo is in the error %q", tc.loc, err)
		}
	}
}

func TestRecordingAccessTokenRequired(t *testing.T) {
	for _, token := range []string{"", "abc\r\nX-Injected: 1", "abc\x00"} {
		op := &calls.RecordOperation{RecordingLocation: "https://recordings.example/1", RecordingAccessToken: token}
		_, err := op.Download(context.Background(), &calls.DownloadOptions{HTTPClient: noNetwork(t)})
		wantRecErr(t, err, calls.ErrNoRecordingAccessToken)
		if token != "" && strings.Contains(err.Error(), token) {
			t.Errorf("the token is in %q", err)
		}
	}
	var nilOp *calls.RecordOperation
	_, err := nilOp.Download(context.Background(), nil)
	wantRecErr(t, err, calls.ErrNoRecordingLocation)
	_, err = nilOp.Open(context.Background(), nil)
	wantRecErr(t, err, calls.ErrNoRecordingLocation)
}

func TestRecordingRedirectToOtherHostDropsToken(t *testing.T) {
	other, otherHits := recServer(t, []byte("elsewhere"))
	otherHits.auth.Store("unset")
	var hits recHits
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.record(r)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			_, _ = w.Write([]byte("here"))
		default: // same host name (127.0.0.1), another port: another origin
			http.Redirect(w, r, other.URL+"/blob?sig=abc", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	var userChecked atomic.Int32
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		userChecked.Add(1)
		return nil
	}
	opts := &calls.DownloadOptions{HTTPClient: client}

	got, err := recOp(srv.URL+"/same").Download(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "here" || hits.lastAuth() != "Bearer "+recToken {
		t.Errorf("same-origin redirect: got %q, Authorization %q", got, hits.lastAuth())
	}

	// The other server refuses requests without the token: the download fails with 401,
	// and the other server saw no Authorization header.
	_, err = recOp(srv.URL+"/elsewhere").Download(context.Background(), opts)
	rerr := wantRecErr(t, err, nil)
	if rerr.StatusCode != http.StatusUnauthorized {
		t.Errorf("StatusCode = %d, want 401 (%v)", rerr.StatusCode, err)
	}
	if otherHits.n.Load() != 1 {
		t.Fatalf("the other server got %d requests, want 1", otherHits.n.Load())
	}
	if a := otherHits.lastAuth(); a != "" {
		t.Errorf("the other host got Authorization %q", a)
	}
	if userChecked.Load() != 2 {
		t.Errorf("the caller's CheckRedirect ran %d times, want 2", userChecked.Load())
	}
	if client.CheckRedirect == nil {
		t.Error("the caller's client was modified")
	}
}

func TestRecordingRedirectRefused(t *testing.T) {
	var plainHits recHits
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.record(r)
		_, _ = w.Write([]byte("wav"))
	}))
	defer plain.Close()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/downgrade":
			http.Redirect(w, r, plain.URL+"/x", http.StatusFound)
		case "/insecure":
			http.Redirect(w, r, "http://example.com/x", http.StatusFound)
		case "/userinfo":
			http.Redirect(w, r, "https://alice:hunter2@example.com/x", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
		default:
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/downgrade", "/insecure", "/userinfo", "/ftp", "/loop"} {
		_, err := recOp(srv.URL+path).Download(context.Background(),
			&calls.DownloadOptions{HTTPClient: srv.Client(), AllowLoopback: true})
		wantRecErr(t, err, calls.ErrRecordingRedirect)
		if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the redirect's userinfo is in %q", path, err)
		}
	}
	if n := plainHits.n.Load(); n != 0 {
		t.Errorf("the http server got %d requests", n)
	}
}

func TestRecordingTooLarge(t *testing.T) {
	const limit = 10
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.URL.Query().Get("n"))
		if r.URL.Query().Has("chunked") { // no Content-Length
			_, _ = w.Write(bytes.Repeat([]byte("a"), n/2))
			w.(http.Flusher).Flush()
			_, _ = w.Write(bytes.Repeat([]byte("a"), n-n/2))
			return
		}
		_, _ = w.Write(bytes.Repeat([]byte("a"), n))
	}))
	defer srv.Close()
	opts := &calls.DownloadOptions{HTTPClient: srv.Client(), MaxBytes: limit}
	for _, mode := range []string{"", "&chunked"} {
		exact := srv.URL + "/x?n=" + strings.Repeat("x", limit) + mode
		over := srv.URL + "/x?n=" + strings.Repeat("x", limit+1) + mode

		got, err := recOp(exact).Download(context.Background(), opts)
		if err != nil || len(got) != limit {
			t.Errorf("%q: exactly MaxBytes: got %d bytes, %v", mode, len(got), err)
		}
		got, err = recOp(over).Download(context.Background(), opts)
		wantRecErr(t, err, calls.ErrRecordingTooLarge)
		if got != nil {
			t.Errorf("%q: Download returned %d bytes with its error", mode, len(got))
		}

		body, err := recOp(over).Open(context.Background(), opts)
		if mode == "" { // Content-Length says it is too large: Open fails at once
			wantRecErr(t, err, calls.ErrRecordingTooLarge)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(body)
		body.Close()
		wantRecErr(t, err, calls.ErrRecordingTooLarge)
		if len(got) != limit {
			t.Errorf("read %d bytes before the error, want %d", len(got), limit)
		}
	}
}

func TestRecordingDefaultMaxBytes(t *testing.T) {
	if calls.DefaultRecordingMaxBytes != 16<<20 {
		t.Errorf("DefaultRecordingMaxBytes = %d", calls.DefaultRecordingMaxBytes)
	}
	// The server announces one byte too many (and sends none): the download stops at the
	// response's header.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(calls.DefaultRecordingMaxBytes+1, 10))
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	for _, limit := range []int64{0, -1} {
		_, err := recOp(srv.URL+"/x").Download(context.Background(),
			&calls.DownloadOptions{HTTPClient: srv.Client(), MaxBytes: limit})
		wantRecErr(t, err, calls.ErrRecordingTooLarge)
	}
}

func TestRecordingStatus(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			http.Error(w, "no such recording: "+r.Header.Get("Authorization"), http.StatusNotFound)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	opts := &calls.DownloadOptions{HTTPClient: srv.Client()}
	for _, tc := range []struct {
		path string
		code int
	}{{"/gone", 404}, {"/broken", 500}} {
		_, err := recOp(srv.URL+tc.path+"?sig=secret#frag").Download(context.Background(), opts)
		rerr := wantRecErr(t, err, nil)
		if rerr.StatusCode != tc.code {
			t.Errorf("%s: StatusCode = %d, want %d", tc.path, rerr.StatusCode, tc.code)
		}
		if want := srv.URL + tc.path; rerr.Location != want {
			t.Errorf("Location = %q, want %q", rerr.Location, want)
		}
		if msg := err.Error(); !strings.Contains(msg, ": "+strconv.Itoa(tc.code)+" ") ||
			strings.Contains(msg, "secret") || strings.Contains(msg, "frag") || strings.Contains(msg, "no such") {
			t.Errorf("error %q", msg)
		}
	}
	got, err := recOp(srv.URL+"/empty").Download(context.Background(), opts)
	if err != nil || len(got) != 0 {
		t.Errorf("204: got %q, %v", got, err)
	}
}

func TestRecordingErrorMessage(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := recOp(srv.URL+"/rec/1?sig=s").Download(context.Background(), &calls.DownloadOptions{HTTPClient: srv.Client()})
	if want := "calls: recording download from " + srv.URL + "/rec/1: 404 Not Found"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	_, err = recOp("http://example.com/rec/1").Download(context.Background(), nil)
	if want := "calls: recording download from http://example.com/rec/1: recording location is not https"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestRecordingContextAndNetworkErrors(t *testing.T) {
	srv, _ := recServer(t, []byte("wav"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := recOp(srv.URL+"/x").Download(ctx, &calls.DownloadOptions{HTTPClient: srv.Client()})
	wantRecErr(t, err, context.Canceled)

	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closedURL, client := closed.URL, closed.Client()
	closed.Close()
	_, err = recOp(closedURL+"/x?sig="+recToken).Download(context.Background(), &calls.DownloadOptions{HTTPClient: client})
	wantRecErr(t, err, nil)
}

// A server that echoes the token back (here, in an unparsable Location header) does
// not get it into the error.
func TestRecordingErrorsOmitEchoedToken(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "%zz"+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	_, err := recOp(srv.URL+"/x").Download(context.Background(), &calls.DownloadOptions{HTTPClient: srv.Client()})
	wantRecErr(t, err, nil)
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q: want the token redacted", err)
	}
}
