package cassette_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/cassette"
)

func newRecorder(t *testing.T, cfg cassette.RecorderConfig) *cassette.Recorder {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "traffic.jsonl")
	}
	r, err := cassette.NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readAll closes r and reads its cassette.
func readAll(t *testing.T, r *cassette.Recorder, path string) ([]cassette.Event, string) {
	t.Helper()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := cassette.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return evs, string(data)
}

// accept answers 202 after reading the body, as the SDK's handler does.
var accept = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.ReadAll(r.Body)
	w.Header().Set("client-request-id", r.Header.Get("client-request-id"))
	w.WriteHeader(http.StatusAccepted)
})

func post(h http.Handler, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/calls", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// A recording notification: the token sits deep in the operation.
const recordCompleted = `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c1/operations/o1",
 "resourceData":{"@odata.type":"#microsoft.graph.recordOperation","status":"completed",
 "recordingLocation":"https://media.example.com/rec/1.wav?sig=s3cr3tSig&x=1",
 "recordingAccessToken":"eyJhbGciOi.SECRET-RECORDING-TOKEN","ext":{"botSecret":"BOT-SECRET","keep":"kept"},
 "tokens":[{"Token":"SECRET-IN-ARRAY"}],"password":null}}]}`

func TestRedaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, Redact: []string{"botSecret"}, Headers: []string{"Authorization", "X-Trace"}})

	// A callback with a bearer token and a cookie.
	w := post(rec.Handler(accept), recordCompleted, map[string]string{
		"Authorization": "Bearer CALLBACK-JWT", "Cookie": "session=COOKIE", "client-request-id": "crid-1", "X-Trace": "t1",
	})
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d", w.Code)
	}

	// A request with a token in its header, query and body; a token in the response.
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "s=SET-COOKIE")
		fmt.Fprint(w, `{"access_token":"RESPONSE-TOKEN","id":"op1"}`)
	}))
	defer graph.Close()
	client := &http.Client{Transport: rec.Transport(nil)}
	req, _ := http.NewRequest(http.MethodPost, graph.URL+"/v1.0/communications/calls?access_token=QUERY-TOKEN&$top=1&client_secret=QS",
		strings.NewReader(`{"clientSecret":"BODY-SECRET","nested":{"token":"BODY-TOKEN","n":1.50}}`))
	req.Header.Set("Authorization", "Bearer OUTBOUND-TOKEN")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "RESPONSE-TOKEN") {
		t.Errorf("the caller's response was changed: %s", body)
	}

	evs, data := readAll(t, rec, path)
	for _, secret := range []string{"CALLBACK-JWT", "COOKIE", "SECRET-RECORDING-TOKEN", "BOT-SECRET", "SECRET-IN-ARRAY",
		"s3cr3tSig", "OUTBOUND-TOKEN", "QUERY-TOKEN", "QS", "BODY-SECRET", "BODY-TOKEN", "RESPONSE-TOKEN", "SET-COOKIE", "Bearer"} {
		if strings.Contains(data, secret) {
			t.Errorf("the cassette holds %q:\n%s", secret, data)
		}
	}
	if len(evs) != 2 {
		t.Fatalf("%d events:\n%s", len(evs), data)
	}
	cb, out := evs[0], evs[1]
	if cb.Kind != cassette.KindCallback || out.Kind != cassette.KindRequest {
		t.Fatalf("kinds %s, %s", cb.Kind, out.Kind)
	}
	if cb.Headers["client-request-id"] != "crid-1" || cb.Headers["x-trace"] != "t1" || cb.Headers["authorization"] != "" {
		t.Errorf("callback headers %v", cb.Headers)
	}
	var note struct {
		Value []struct {
			ResourceData map[string]any `json:"resourceData"`
		} `json:"value"`
	}
	if err := json.Unmarshal(cb.Body, &note); err != nil {
		t.Fatal(err)
	}
	rd := note.Value[0].ResourceData
	if rd["recordingAccessToken"] != cassette.Redacted || rd["password"] != nil ||
		rd["recordingLocation"] != "https://media.example.com/rec/1.wav?sig=REDACTED&x=1" {
		t.Errorf("resource data %v", rd)
	}
	if ext := rd["ext"].(map[string]any); ext["botSecret"] != cassette.Redacted || ext["keep"] != "kept" {
		t.Errorf("ext %v", ext)
	}
	if out.Query != "access_token=REDACTED&$top=1&client_secret=REDACTED" {
		t.Errorf("query %q", out.Query)
	}
	if string(out.Body) != `{"clientSecret":"REDACTED","nested":{"token":"REDACTED","n":1.50}}` {
		t.Errorf("request body %s", out.Body)
	}
	if out.Response == nil || string(out.Response.Body) != `{"access_token":"REDACTED","id":"op1"}` {
		t.Errorf("response %+v", out.Response)
	}
}

func TestRedactTruncatedAndFormBodies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, MaxBodyBytes: 60})
	// Cut in the middle of the token: the part recorded must not show it either.
	const cut = `{"value":[{"a":"0123456789"}],"recordingAccessToken":"SECRET-SECRET-SECRET"}`
	post(rec.Handler(accept), cut, nil)
	client := &http.Client{Transport: rec.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		_, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}))}
	req, _ := http.NewRequest(http.MethodPost, "https://login.example.com/token", strings.NewReader("grant_type=cc&client_secret=FORM-SECRET&scope=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := client.Do(req); err != nil {
		t.Fatal(err)
	}
	evs, data := readAll(t, rec, path)
	for _, secret := range []string{"SECRET-SECRET", "FORM-SECRET"} {
		if strings.Contains(data, secret) {
			t.Errorf("the cassette holds %q:\n%s", secret, data)
		}
	}
	if !evs[0].Truncated || evs[0].Size != int64(len(cut)) || evs[0].Text != `{"value":[{"a":"0123456789"}],"recordingAccessToken":"REDACTED"` ||
		len(evs[0].Body) != 0 {
		t.Errorf("truncated callback: %+v", evs[0])
	}
	if evs[1].Text != "grant_type=cc&client_secret=REDACTED&scope=x" {
		t.Errorf("form body %q", evs[1].Text)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRefusedCallbackNotRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path})
	status := http.StatusUnauthorized
	h := rec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == http.StatusAccepted {
			_, _ = io.ReadAll(r.Body)
		}
		w.WriteHeader(status)
	}))
	for _, s := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable, http.StatusAccepted} {
		status = s
		if w := post(h, fmt.Sprintf(`{"value":[],"status":%d}`, s), nil); w.Code != s {
			t.Fatalf("answered %d, want %d", w.Code, s)
		}
	}
	evs, data := readAll(t, rec, path)
	if len(evs) != 1 || string(evs[0].Body) != `{"value":[],"status":202}` || evs[0].Response.Status != 202 {
		t.Errorf("recorded:\n%s", data)
	}
}

// A handler that accepts without reading the whole body still gets it recorded whole.
func TestCallbackReadToTheEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path})
	h := rec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 3))
		w.WriteHeader(http.StatusAccepted)
	}))
	post(h, `{"value":[{"changeType":"updated"}]}`, nil)
	evs, _ := readAll(t, rec, path)
	if len(evs) != 1 || string(evs[0].Body) != `{"value":[{"changeType":"updated"}]}` {
		t.Errorf("recorded %+v", evs)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "traffic.jsonl")
	const maxBytes = 1500
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, MaxBytes: maxBytes, MaxFiles: 2})
	h := rec.Handler(accept)
	const n = 40
	for i := range n {
		post(h, fmt.Sprintf(`{"value":[],"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 100)), nil)
	}
	st := rec.Stats()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Events != n || st.Dropped != 0 || st.Rotations == 0 || st.Err != nil || st.Bytes > maxBytes {
		t.Errorf("stats %+v", st)
	}
	// path, path.1 and path.2 are kept, each at most MaxBytes; older ones are gone.
	var seen []int
	for _, p := range []string{path + ".2", path + ".1", path} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > maxBytes {
			t.Errorf("%s is %d bytes", p, info.Size())
		}
		evs, err := cassette.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var b struct{ I int }
			_ = json.Unmarshal(ev.Body, &b)
			seen = append(seen, b.I)
		}
	}
	if _, err := os.Stat(path + ".3"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.3 exists: %v", path, err)
	}
	// The newest events, in order, with nothing missing in between.
	if len(seen) == 0 || seen[len(seen)-1] != n-1 {
		t.Fatalf("kept %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] != seen[i-1]+1 {
			t.Fatalf("kept %v", seen)
		}
	}
	if len(seen) >= n {
		t.Errorf("nothing was dropped by rotation: %v", seen)
	}
}

// An event larger than MaxBytes is written alone in a fresh file.
func TestRotationLargeEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, MaxBytes: 300})
	h := rec.Handler(accept)
	post(h, `{"value":[]}`, nil)
	post(h, `{"value":[],"pad":"`+strings.Repeat("y", 1000)+`"}`, nil)
	evs, _ := readAll(t, rec, path)
	old, err := cassette.Read(path + ".1")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || len(old) != 1 || !strings.Contains(string(evs[0].Body), "yyy") {
		t.Errorf("current %d events, rotated %d", len(evs), len(old))
	}
}

func TestBodyCapKeepsStreaming(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	const capBytes = 1024
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, MaxBodyBytes: capBytes})
	big := `{"value":[` + strings.Repeat(`{"changeType":"updated","resourceUrl":"/communications/calls/c1"},`, 2000) + `{}]}`
	var got int
	h := rec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = len(b)
		w.WriteHeader(http.StatusAccepted)
	}))
	post(h, big, nil)
	if got != len(big) {
		t.Fatalf("the handler read %d bytes of %d", got, len(big))
	}
	// 8 MiB from Graph reach the caller whole, as they arrive.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(payload)
	}))
	defer graph.Close()
	resp, err := (&http.Client{Transport: rec.Transport(nil)}).Get(graph.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 16)
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "0123456789abcdef" {
		t.Fatalf("first bytes %q, %v", first, err)
	}
	if rec.Stats().Events != 1 {
		t.Errorf("recorded before the body was read")
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(first)+len(rest) != len(payload) {
		t.Fatalf("the caller read %d bytes of %d", len(first)+len(rest), len(payload))
	}
	evs, _ := readAll(t, rec, path)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	cb, out := evs[0], evs[1]
	if !cb.Truncated || cb.Size != int64(len(big)) || len(cb.Text) != capBytes {
		t.Errorf("callback: truncated %v, size %d, text %d bytes", cb.Truncated, cb.Size, len(cb.Text))
	}
	if r := out.Response; r == nil || !r.Truncated || r.Size != int64(len(payload)) || len(r.Text) != capBytes {
		t.Errorf("response %+v", r)
	}
	if st := rec.Stats(); st.Truncated != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestGzipResponseRecordedDecoded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path})
	const body = `{"@odata.type":"#microsoft.graph.call","id":"c1","state":"establishing"}`
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, body)
		_ = zw.Close()
	}))
	defer graph.Close()
	// The caller asks for gzip itself (as Kiota's compression handler does), so the
	// body reaches it compressed.
	base := &http.Transport{DisableCompression: true}
	defer base.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, graph.URL+"/v1.0/communications/calls/c1", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: rec.Transport(base)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if string(plain) != body {
		t.Fatalf("the caller got %q", plain)
	}
	evs, _ := readAll(t, rec, path)
	if len(evs) != 1 || evs[0].Response == nil || string(evs[0].Response.Body) != body {
		t.Fatalf("recorded %+v", evs)
	}
}

func TestConcurrentRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, MaxBytes: 64 << 10, MaxFiles: 100})
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	defer graph.Close()
	client := &http.Client{Transport: rec.Transport(nil)}
	h := rec.Handler(accept)
	const workers, each = 16, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				post(h, fmt.Sprintf(`{"value":[],"w":%d,"i":%d}`, w, i), nil)
				resp, err := client.Post(graph.URL+"/v1.0/x", "application/json", strings.NewReader(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	st := rec.Stats()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Events != 2*workers*each || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Every line of every file is one whole event; each exchange is there once.
	files, _ := filepath.Glob(path + "*")
	seqs := map[int64]bool{}
	for _, f := range files {
		evs, err := cassette.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if seqs[ev.Seq] {
				t.Fatalf("seq %d twice", ev.Seq)
			}
			seqs[ev.Seq] = true
			if ev.Kind == cassette.KindRequest && (ev.Response == nil || !bytes.Equal(ev.Response.Body, ev.Body)) {
				t.Fatalf("request %s answered %+v", ev.Body, ev.Response)
			}
		}
	}
	if len(seqs) != 2*workers*each {
		t.Errorf("%d events in %d files", len(seqs), len(files))
	}
}

func TestTransportError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path})
	failing := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("dial %s: connection refused", r.URL)
	})
	_, err := (&http.Client{Transport: rec.Transport(failing)}).Get("https://graph.example.com/v1.0/x?token=T0KEN")
	if err == nil {
		t.Fatal("no error")
	}
	evs, data := readAll(t, rec, path)
	if len(evs) != 1 || evs[0].Response != nil || !strings.Contains(evs[0].Error, "connection refused") || strings.Contains(data, "T0KEN") {
		t.Errorf("recorded %s", data)
	}
}

func TestClosedRecorderDropsAndPasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	rec := newRecorder(t, cassette.RecorderConfig{Path: path})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if w := post(rec.Handler(accept), `{"value":[]}`, nil); w.Code != http.StatusAccepted {
		t.Errorf("status %d", w.Code)
	}
	if st := rec.Stats(); st.Dropped != 1 || st.Events != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewRecorderErrors(t *testing.T) {
	if _, err := cassette.NewRecorder(cassette.RecorderConfig{}); err == nil {
		t.Error("no path: no error")
	}
	if _, err := cassette.NewRecorder(cassette.RecorderConfig{Path: filepath.Join(t.TempDir(), "missing", "x.jsonl")}); err == nil {
		t.Error("missing directory: no error")
	}
	if _, err := cassette.NewRecorder(cassette.RecorderConfig{Path: "x", MaxBytes: -1}); err == nil {
		t.Error("negative MaxBytes: no error")
	}
}

func TestRecordTimes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	rec := newRecorder(t, cassette.RecorderConfig{Path: path, Now: func() time.Time { return at }})
	post(rec.Handler(accept), `{"value":[]}`, nil)
	evs, _ := readAll(t, rec, path)
	if !evs[0].Time.Equal(at) || evs[0].Seq != 1 || evs[0].Recording == "" {
		t.Errorf("event %+v", evs[0])
	}
}

// BenchmarkHandler times recording one accepted callback (an incoming-call
// notification of 1.4 KB): buffering, redaction and one write to the file.
func BenchmarkHandler(b *testing.B) {
	body := `{"@odata.type":"#microsoft.graph.commsNotifications","value":[{"@odata.type":"#microsoft.graph.commsNotification","changeType":"created",` +
		`"resourceUrl":"/communications/calls/7655d15c-919e-4624-b87a-421000000001","resourceData":{"@odata.type":"#microsoft.graph.call",` +
		`"state":"incoming","direction":"incoming","source":{"identity":{"user":{"id":"7a470cfb-be68-480b-9372-590bb130b25e","displayName":"Alice",` +
		`"tenantId":"00000000-0000-4000-8000-00000000e001"}}},"targets":[{"identity":{"application":{"id":"00000000-0000-4000-8000-0000000000b0",` +
		`"displayName":"Bot"}}}],"tenantId":"00000000-0000-4000-8000-00000000e001","pad":"` + strings.Repeat("x", 800) + `"}}]}`
	rec, err := cassette.NewRecorder(cassette.RecorderConfig{Path: filepath.Join(b.TempDir(), "traffic.jsonl")})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	h := rec.Handler(accept)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/calls", strings.NewReader(body))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if st := rec.Stats(); st.Dropped != 0 {
		b.Fatalf("stats %+v", st)
	}
}
