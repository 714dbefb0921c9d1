package demo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestParseFlags(t *testing.T) {
	t.Setenv(EmulatorURLEnv, "http://127.0.0.1:9440")
	o, err := parseFlags("ivrbot", nil, io.Discard)
	if err != nil || o.emulatorURL != "http://127.0.0.1:9440" || o.listen != "" {
		t.Errorf("from the environment: %+v %v", o, err)
	}
	o, err = parseFlags("ivrbot", []string{"-emulator", "http://[::1]:9441", "-listen", "127.0.0.1:0"}, io.Discard)
	if err != nil || o.emulatorURL != "http://[::1]:9441" || o.listen != "127.0.0.1:0" {
		t.Errorf("flags: %+v %v", o, err)
	}
	t.Setenv(EmulatorURLEnv, "")
	if o, err := parseFlags("ivrbot", nil, io.Discard); err != nil || o.emulatorURL != "" {
		t.Errorf("nothing: %+v %v", o, err)
	}
	if _, err := parseFlags("ivrbot", []string{"-listen", ":8080"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-listen needs -emulator") {
		t.Errorf("-listen alone: %v", err)
	}
	if _, err := parseFlags("ivrbot", []string{"extra"}, io.Discard); err == nil || !strings.Contains(err.Error(), `unexpected argument "extra"`) {
		t.Errorf("an argument: %v", err)
	}
	var help strings.Builder
	if _, err := parseFlags("ivrbot", []string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(help.String(), "usage: ivrbot [-emulator URL [-listen ADDR]]") || !strings.Contains(help.String(), EmulatorURLEnv) {
		t.Errorf("-h: %v\n%s", err, help.String())
	}
}

// fakeEmulator answers the routes `graphcomms emulator` serves for bots.
type fakeEmulator struct {
	mu       sync.Mutex
	tokens   int
	callback string
	url      string
}

func (f *fakeEmulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch r.Method + " " + r.URL.Path {
	case "GET /_emulator/config":
		_ = json.NewEncoder(w).Encode(map[string]any{"graphUrl": f.url + "/v1.0", "openIdConfigUrl": f.url + "/v1/.well-known/OpenIdConfiguration",
			"tokenUrl": f.url + "/_emulator/token", "appId": "app", "tenantId": "tenant", "botName": "Bot", "virtualClock": true})
	case "POST /_emulator/token":
		f.tokens++
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_on": time.Now().Add(time.Hour).Unix()})
	case "PUT /_emulator/callback":
		f.callback = body["url"]
		_, _ = io.WriteString(w, "{}")
	case "POST /_emulator/users":
		if body["name"] == "nobody" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"no such person"}`)
			return
		}
		_, _ = io.WriteString(w, `{"identity":{"user":{"id":"u-1","displayName":"Sam"}}}`)
	case "POST /_emulator/meetings":
		_, _ = io.WriteString(w, `{"joinWebUrl":"https://teams.microsoft.com/l/meetup-join/x"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestExternal(t *testing.T) {
	f := &fakeEmulator{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	f.url = srv.URL
	ctx := context.Background()
	x, err := ConnectEmulator(ctx, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if x.URL != srv.URL || x.GraphURL != srv.URL+"/v1.0" || x.AppID != "app" || x.TenantID != "tenant" || x.BotName != "Bot" || !x.VirtualClock {
		t.Errorf("%+v", x)
	}
	cred := x.Credential()
	for range 2 {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{})
		if err != nil || tok.Token != "tok" {
			t.Fatalf("%v %v", tok, err)
		}
	}
	if f.tokens != 1 {
		t.Errorf("%d token requests; the token should be kept until it expires", f.tokens)
	}
	if err := x.SetCallbackURL(ctx, "http://127.0.0.1:8080/api/calls"); err != nil || f.callback != "http://127.0.0.1:8080/api/calls" {
		t.Errorf("callback %q %v", f.callback, err)
	}
	ids, err := x.AddUser(ctx, "sam")
	if err != nil || ids.User == nil || ids.User.ID != "u-1" || ids.DisplayName() != "Sam" {
		t.Errorf("AddUser: %+v %v", ids, err)
	}
	if _, err := x.AddUser(ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "no such person") {
		t.Errorf("AddUser's error: %v", err)
	}
	if u, err := x.NewMeeting(ctx, "Weekly sync", "olivia"); err != nil || !strings.HasPrefix(u, "https://teams.microsoft.com/") {
		t.Errorf("NewMeeting: %q %v", u, err)
	}
}

func TestConnectEmulatorErrors(t *testing.T) {
	ctx := context.Background()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	for base, want := range map[string]string{
		"http://bot.contoso.com:9440": "runs on this machine",
		"127.0.0.1:9440":              "want http://HOST:PORT",
		notFound.URL:                  "is `graphcomms emulator` running there?",
	} {
		if _, err := ConnectEmulator(ctx, base); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", base, err, want)
		}
	}
}
