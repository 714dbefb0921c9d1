package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startEmulatorCmd runs `graphcomms emulator --addr 127.0.0.1:0 args...` in the
// background and returns its URL (read from its start-up text, as it is written), its
// output so far, and stop, which ends it and returns its exit status.
func startEmulatorCmd(t *testing.T, stdin io.Reader, args ...string) (base string, out *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		rc := emulatorCmd(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), stdin, pw, pw)
		pw.Close()
		done <- rc
	}()
	urls := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	var rc int
	stopped := false
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			rc = <-done
			<-copied
		}
		return rc
	}
	t.Cleanup(func() { stop() })
	select {
	case base = <-urls:
	case <-copied:
		t.Fatalf("the emulator stopped before it listened:\n%s", out.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the emulator did not start:\n%s", out.String())
	}
	return base, out, stop
}

func TestEmulatorAndTrigger(t *testing.T) {
	signed := make(chan bool, 16)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed <- strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bot.Close()
	base, out, stop := startEmulatorCmd(t, strings.NewReader(""), "--callback", bot.URL, "--virtual-clock")

	code, stdout, stderr := runCLI("", "trigger", "--emulator", base, "incoming-call", "--from", "alice")
	if code != 0 {
		t.Fatalf("incoming-call: %d %s", code, stderr)
	}
	var res struct{ CallID string }
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.CallID == "" {
		t.Fatalf("incoming-call output %q", stdout)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "tone", "--call", res.CallID, "1"); code != 1 || !strings.Contains(stderr, "not established") {
		t.Errorf("tone before answer: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "advance", "20s"); code != 0 {
		t.Errorf("advance: %s", stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "hangup", "--call", res.CallID); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("hangup after the answer deadline: %d %q", code, stderr)
	}
	code, stdout, _ = runCLI("", "trigger", "--emulator", base, "events")
	if code != 0 || !strings.Contains(stdout, "Alice calls the bot") || !strings.Contains(stdout, "answer deadline passed") {
		t.Errorf("events:\n%s", stdout)
	}
	code, stdout, stderr = runCLI("", "trigger", "--emulator", base, "compliance-call", "--from", "alice", "--with", "bob")
	if code != 0 || !strings.Contains(stdout, `"recorded":"Alice"`) {
		t.Errorf("compliance-call: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "escalate", "--call", "nope", "carol"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("escalate on an unknown call: %d %q", code, stderr)
	}
	if code, _, _ := runCLI("", "trigger", "--emulator", base, "join", "--call", "nope", "bob"); code != 1 {
		t.Error("join on an unknown call should fail")
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "bogus"); code != 2 || !strings.Contains(stderr, "unknown action") {
		t.Errorf("bogus: %q", stderr)
	}
	if rc := stop(); rc != 0 {
		t.Errorf("emulator exit %d", rc)
	}
	if !strings.Contains(out.String(), "call.incoming") || !strings.Contains(out.String(), "POST") && !strings.Contains(out.String(), "call.terminated") {
		t.Errorf("the emulator log is not readable:\n%s", out.String())
	}
	select {
	case ok := <-signed:
		if !ok {
			t.Error("notifications were not signed")
		}
	case <-time.After(10 * time.Second):
		t.Error("the bot got no notification")
	}
}

func TestEmulatorStartupText(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		h, err := startHost("127.0.0.1:0", emulator.Config{Clock: emulator.RealClock{}, AllowAnonymous: anonymous})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		printStartup(&b, h, "bin/graphcomms", false)
		h.Close()
		text := b.String()
		for _, want := range []string{
			"Graph emulator listening on " + h.url + " (real clock)",
			"Graph base URL:    " + h.url + "/v1.0",
			"OpenID config:     " + h.url + "/v1/.well-known/OpenIdConfiguration",
			"bot app ID:        " + emulator.DefaultAppID,
			"POST " + h.url + "/_emulator/token hands one out",
			"bot callback URL:  none yet",
			"GRAPHCOMMS_EMULATOR_URL=" + h.url + " go run ./examples/ivrbot",
			"go run ./examples/ivrbot -emulator " + h.url,
			"  bin/graphcomms trigger --emulator " + h.url + " incoming-call --from alice",
			"  (or bin/graphcomms shell --emulator " + h.url + ", to type the actions without the prefix)",
			"web console:       " + h.url + "/_emulator/ui/ (call the bot",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("anonymous %v: the start-up text lacks %q:\n%s", anonymous, want, text)
			}
		}
		tokens := "bearer tokens:     required on Graph requests (401 without one; --allow-anonymous accepts them)"
		if anonymous {
			tokens = "bearer tokens:     optional (--allow-anonymous)"
		}
		if !strings.Contains(text, tokens) {
			t.Errorf("anonymous %v: the start-up text lacks %q:\n%s", anonymous, tokens, text)
		}
	}
}

// TestEmulatorAccessToken: beyond loopback (here: a host given a token, as startHost
// makes one up for a listener that is not on loopback) the start-up text prints the
// token and the console's link with it.
func TestEmulatorAccessToken(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "0.0.0.0:1": false, "[::]:1": false, "192.0.2.7:1": false} {
		ta, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := listensOnLoopback(ta); got != want {
			t.Errorf("listensOnLoopback(%s) = %v", addr, got)
		}
	}
	h, err := startHost("127.0.0.1:0", emulator.Config{Clock: emulator.RealClock{}, ControlToken: "tok123"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var b strings.Builder
	printStartup(&b, h, "bin/graphcomms", false)
	for _, want := range []string{
		"web console:       " + h.url + "/_emulator/ui/?token=tok123",
		"access token:      tok123",
		emulatorTokenEnv + "=tok123",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the start-up text lacks %q:\n%s", want, b.String())
		}
	}
}

func TestEmulatorAllowAnonymous(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		args := []string{}
		if anonymous {
			args = append(args, "--allow-anonymous")
		}
		base, _, _ := startEmulatorCmd(t, strings.NewReader(""), args...)
		resp, err := http.Get(base + "/v1.0/communications/calls")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: http.StatusUnauthorized, true: http.StatusOK}[anonymous]; resp.StatusCode != want {
			t.Errorf("--allow-anonymous %v: a request without a token got %d, want %d", anonymous, resp.StatusCode, want)
		}
		var cfg emulator.ConnectInfo
		if err := getJSON(base+hostConfigPath, &cfg); err != nil || cfg.AllowAnonymous != anonymous || cfg.VirtualClock {
			t.Errorf("config %+v, %v", cfg, err)
		}
	}
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func TestHostRoutes(t *testing.T) {
	h := startTestHost(t)
	var cfg emulator.ConnectInfo
	if err := getJSON(h.url+hostConfigPath, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.GraphURL != h.url+"/v1.0" || cfg.AppID != emulator.DefaultAppID || cfg.TokenURL != h.url+hostTokenPath ||
		!cfg.VirtualClock || cfg.CallbackURL != "" || cfg.ApplicationInstance.ApplicationInstance == nil {
		t.Errorf("config %+v", cfg)
	}
	post := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, h.url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(http.MethodPost, hostTokenPath, "")
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(body), &tok); code != 200 || err != nil || !strings.HasPrefix(tok.AccessToken, "ey") ||
		tok.TokenType != "Bearer" || tok.ExpiresIn < 3600 {
		t.Errorf("token: %d %s", code, body)
	}
	// The token is one the emulator's Graph API takes.
	req, _ := http.NewRequest(http.MethodGet, h.url+"/v1.0/communications/calls", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("Graph with the token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{http.MethodPut, hostCallbackPath, `{"url":"https://bot.contoso.com/api/calls"}`, 400, "loopback"},
		{http.MethodPut, hostCallbackPath, `{"url":"ftp://127.0.0.1/x"}`, 400, "scheme"},
		{http.MethodPut, hostCallbackPath, `{`, 400, "invalid JSON"},
		{http.MethodPost, emulator.ControlPrefix + "/incoming-call", `{"from":"alice"}`, 409, "no bot is connected"},
		{http.MethodPut, hostCallbackPath, `{"url":"http://127.0.0.1:1/api/calls"}`, 200, `"callbackUrl":"http://127.0.0.1:1/api/calls"`},
		{http.MethodPost, hostUsersPath, `{"name":"sam","answerAfter":"2s"}`, 200, `"displayName":"Sam"`},
		{http.MethodPost, hostUsersPath, `{"name":"+14255550100"}`, 200, `"phone"`},
		{http.MethodPost, hostUsersPath, `{"name":"x","speech":"long"}`, 400, `speech\" must be a duration`},
		{http.MethodPost, hostUsersPath, `{}`, 400, `name\" is required`},
		{http.MethodPost, hostMeetingsPath, `{"subject":"Weekly sync","organizer":"olivia"}`, 200, `"joinWebUrl":"https://teams.microsoft.com/l/meetup-join/`},
		{http.MethodPost, hostMeetingsPath, `{"subject":"Weekly sync"}`, 400, "required"},
	} {
		if code, body := post(c.method, c.path, c.body); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s %s: %d %s; want %d and %q", c.method, c.path, c.body, code, body, c.code, c.want)
		}
	}
	if got := h.callbackURL(); got != "http://127.0.0.1:1/api/calls" {
		t.Errorf("callback %q", got)
	}
	if sam := h.emu.Person("sam"); sam == nil {
		t.Error("sam was not added")
	}
	if n := len(h.emu.Meetings()); n != 1 {
		t.Errorf("%d meetings", n)
	}
}

func TestEmulatorInteractive(t *testing.T) {
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer bot.Close()
	script := "incoming-call --from alice\ntone 1\nevents\nquit\n"
	_, out, stop := startEmulatorCmd(t, strings.NewReader(script), "--interactive", "--virtual-clock", "--callback", bot.URL)
	if rc := stop(); rc != 0 {
		t.Errorf("exit %d", rc)
	}
	text := out.String()
	m := regexp.MustCompile(`\{"callId":"([0-9a-f-]{36})","from":"Alice"\}`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no call:\n%s", text)
	}
	for _, want := range []string{
		"Then type trigger actions here",
		"call " + m[1] + " is incoming, not established", // tone went to the last call
		m[1] + "  call.incoming",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the session lacks %q:\n%s", want, text)
		}
	}
}
