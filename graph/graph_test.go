package graph_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/graph"
)

func TestValidateID(t *testing.T) {
	ok := []string{
		"7655d15c-4210-4947-8dc8-000000000001",
		"421f0000-0b81-4c2a-a2d9-2a5e4fbc1a94",
		"MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZjZhNDQyYjM1MDIqMCoqMTk6bWVldGluZ19NVEF3TVRFeU5UTXRNbVJsTkMwMFpUVXhMVGxsTkRndE9USTRZVEU1T1RBek1qQXpAdGhyZWFkLnYy",
		"alice@contoso.onmicrosoft.com",
		"a b", "a?b", "a#b", "a%2Fb", "...", ".a", "é",
		strings.Repeat("x", graph.MaxIDLength),
	}
	for _, id := range ok {
		if err := graph.ValidateID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	bad := map[string]string{
		"":                                       "empty",
		".":                                      "a dot segment",
		"..":                                     "a dot segment",
		"a/b":                                    "contains '/'",
		"../answer":                              "contains '/'",
		`a\b`:                                    `contains '\'`,
		"a\r\nb":                                 "control character",
		"a\x00":                                  "control character",
		"a\x7f":                                  "control character",
		"\xff\xfe":                               "not valid UTF-8",
		strings.Repeat("x", graph.MaxIDLength+1): "longer than",
	}
	for id, want := range bad {
		err := graph.ValidateID(id)
		var ie *graph.IDError
		if !errors.As(err, &ie) || !errors.Is(err, graph.ErrInvalidID) || !strings.Contains(ie.Reason, want) {
			t.Errorf("%q: %v, want an *IDError saying %q", id, err, want)
			continue
		}
		t.Logf("%-12q refused: %v", id[:min(len(id), 12)], err)
	}
}

func TestPredicates(t *testing.T) {
	preds := map[string]func(error) bool{
		"IsBadRequest": graph.IsBadRequest, "IsUnauthorized": graph.IsUnauthorized,
		"IsForbidden": graph.IsForbidden, "IsNotFound": graph.IsNotFound, "IsConflict": graph.IsConflict,
		"IsThrottled": graph.IsThrottled, "IsServerError": graph.IsServerError,
	}
	want := map[int][]string{
		400: {"IsBadRequest"}, 401: {"IsUnauthorized"}, 403: {"IsForbidden"}, 404: {"IsNotFound"},
		409: {"IsConflict"}, 429: {"IsThrottled"}, 500: {"IsServerError"}, 503: {"IsThrottled", "IsServerError"},
		200: nil,
	}
	for status, names := range want {
		err := fmt.Errorf("wrapped: %w", &graph.Error{StatusCode: status})
		for name, p := range preds {
			expected := false
			for _, n := range names {
				expected = expected || n == name
			}
			if got := p(err); got != expected {
				t.Errorf("%s(%d) = %v", name, status, got)
			}
			if p(errors.New("not a graph error")) || p(nil) {
				t.Errorf("%s matched a non-Graph error", name)
			}
		}
	}
}

func TestCollectOptions(t *testing.T) {
	o := graph.CollectOptions(graph.WithTenant("a"), nil, graph.WithTenant("b"), graph.WithHeader("X-A", "1"),
		graph.WithClientRequestID("c"), graph.WithReplay(), graph.WithoutRedirect())
	if o.TenantID != "b" || o.Headers["X-A"] != "1" || o.ClientRequestID != "c" || !o.AllowReplay || !o.NoRedirect {
		t.Errorf("%+v", o)
	}
	if s := graph.CollectAPIOptions(graph.WithBaseURL("http://127.0.0.1:1/v1.0/")); s.BaseURL != "http://127.0.0.1:1/v1.0" {
		t.Errorf("%+v", s)
	}
	if s := graph.CollectAPIOptions(graph.WithBeta()); s.BaseURL != graph.BetaBaseURL {
		t.Errorf("%+v", s)
	}
}

func TestErrorText(t *testing.T) {
	e := &graph.Error{StatusCode: http.StatusNotFound, Code: "itemNotFound", Message: "Call not found", RequestID: "r", ClientRequestID: "c"}
	if got, want := e.Error(), "graph: 404 itemNotFound: Call not found (request-id r, client-request-id c)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
