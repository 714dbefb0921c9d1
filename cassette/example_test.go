package cassette_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/cassette"
)

// A bot records its callbacks with Handler around its callback handler (a
// graphcomms.Client) and its Graph requests with Transport under its Graph client;
// Read reads the cassette back.
func Example() {
	dir, _ := os.MkdirTemp("", "cassette")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bot.jsonl")
	rec, err := cassette.NewRecorder(cassette.RecorderConfig{
		Path: path,
		Now:  func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The bot's callback handler: here one that accepts everything.
	bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	callbacks := rec.Handler(bot)
	req := httptest.NewRequest(http.MethodPost, "/api/calls", strings.NewReader(
		`{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c1/operations/o1",`+
			`"resourceData":{"status":"completed","recordingAccessToken":"eyJ0eXAi..."}}]}`))
	req.Header.Set("Authorization", "Bearer eyJhbGciOi...")
	callbacks.ServeHTTP(httptest.NewRecorder(), req)

	// The bot's Graph client: here a stand-in for Graph.
	graph := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	client := &http.Client{Transport: rec.Transport(graph)}
	del, _ := http.NewRequest(http.MethodDelete, "https://graph.microsoft.com/v1.0/communications/calls/c1", nil)
	del.Header.Set("Authorization", "Bearer eyJ0eXAi...")
	if resp, err := client.Do(del); err == nil {
		resp.Body.Close()
	}
	rec.Close()

	events, err := cassette.Read(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range events {
		fmt.Println(ev.Kind, ev.Method, ev.Path, ev.Response.Status, string(ev.Body))
	}
	// Output:
	// callback POST /api/calls 202 {"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c1/operations/o1","resourceData":{"status":"completed","recordingAccessToken":"REDACTED"}}]}
	// request DELETE /v1.0/communications/calls/c1 204
}
