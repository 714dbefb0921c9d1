package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeControl serves a canned control API and records the requests it gets.
type fakeControl struct {
	mu       sync.Mutex
	requests []string // "METHOD /path body"
	events   string   // the JSON GET /_emulator/events answers
}

func (f *fakeControl) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+" "+string(b))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/_emulator/events":
		_, _ = io.WriteString(w, f.events)
	case r.URL.Path == "/_emulator/incoming-call":
		_, _ = io.WriteString(w, `{"callId":"11111111-2222-4333-8444-555555555555","from":"Alice"}`+"\n")
	default:
		_, _ = io.WriteString(w, "{}\n")
	}
}

func (f *fakeControl) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func startFake(t *testing.T, events string) (*fakeControl, string) {
	t.Helper()
	f := &fakeControl{events: events}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

const twoCalls = `[
 {"seq":1,"time":"2026-01-05T09:00:00.250Z","kind":"call.incoming","callId":"11111111-2222-4333-8444-555555555555","who":"alice","detail":"Alice calls the bot"},
 {"seq":2,"time":"2026-01-05T09:00:01Z","kind":"meeting.created","detail":"meeting Weekly sync"},
 {"seq":3,"time":"2026-01-05T09:00:02Z","kind":"tone.pressed","callId":"11111111-2222-4333-8444-555555555555","who":"alice","detail":"presses 1"},
 {"seq":4,"time":"2026-01-05T09:00:03Z","kind":"call.incoming","callId":"99999999-2222-4333-8444-555555555555","who":"bob","detail":"Bob calls the bot"}
]`

func TestEventsShowCallIDs(t *testing.T) {
	_, base := startFake(t, twoCalls)
	code, out, errs := runCLI("", "trigger", "--emulator", base, "events")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^TIME +CALL +EVENT +WHO +DETAIL$`),
		regexp.MustCompile(`^09:00:00\.250  11111111-2222-4333-8444-555555555555  call\.incoming +alice  Alice calls the bot$`),
		regexp.MustCompile(`^09:00:01\.000  - +meeting\.created +-  +meeting Weekly sync$`),
		regexp.MustCompile(`^09:00:02\.000  11111111-2222-4333-8444-555555555555  tone\.pressed +alice  presses 1$`),
		regexp.MustCompile(`^09:00:03\.000  99999999-2222-4333-8444-555555555555  call\.incoming +bob +Bob calls the bot$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	// The columns line up: every call ID starts where the header's CALL does.
	col := strings.Index(lines[0], "CALL")
	for _, l := range lines[1:] {
		if l[col-2:col] != "  " || l[col-3] == ' ' {
			t.Errorf("column CALL is not aligned in %q", l)
		}
	}

	code, out, _ = runCLI("", "trigger", "--emulator", base, "events", "--call", "99999999-2222-4333-8444-555555555555")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "Bob calls the bot") || strings.Contains(out, "Alice") {
		t.Errorf("events --call:\n%s", out)
	}
}

func TestEventsEmpty(t *testing.T) {
	_, base := startFake(t, "[]")
	code, out, errs := runCLI("", "trigger", "--emulator", base, "events")
	if code != 0 || out != "no events yet\n" || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want \"no events yet\"", code, out, errs)
	}
	_, base = startFake(t, twoCalls)
	code, out, _ = runCLI("", "trigger", "--emulator", base, "events", "--call", "nope")
	if code != 0 || out != "no events for call nope yet\n" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

func TestEventsErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if code, _, errs := runCLI("", "trigger", "--emulator", srv.URL, "events"); code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestTriggerDefaultsToTheEnvironment(t *testing.T) {
	f, base := startFake(t, "[]")
	t.Setenv(emulatorURLEnv, base)
	if code, out, errs := runCLI("", "trigger", "events"); code != 0 || out != "no events yet\n" {
		t.Fatalf("exit %d, %q %q", code, out, errs)
	}
	if got := f.got(); len(got) != 1 {
		t.Errorf("requests %q", got)
	}
}

func TestHelpText(t *testing.T) {
	code, _, help := runCLI("", "emulator", "-h")
	if code != 0 {
		t.Errorf("emulator -h: exit %d", code)
	}
	// A boolean flag is printed alone on its line ("  -virtual-clock"), with no value
	// name after it; a flag with a value names it ("  -addr HOST:PORT").
	for _, name := range []string{"virtual-clock", "allow-anonymous", "interactive"} {
		if !regexp.MustCompile(`(?m)^  -` + name + `$`).MatchString(help) {
			t.Errorf("the help does not show -%s as a boolean flag:\n%s", name, help)
		}
	}
	for _, want := range []string{"  -addr HOST:PORT", "  -callback URL", "  -app-id ID", "virtual clock", "trigger advance", emulatorURLEnv, "(default \"127.0.0.1:9440\")"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "-virtual-clock graphcomms") || strings.Contains(help, "`") {
		t.Errorf("a usage string names a value:\n%s", help)
	}
	for _, args := range [][]string{{"trigger", "-h"}, {"shell", "-h"}} {
		code, _, help := runCLI("", args...)
		if code != 0 || !strings.Contains(help, "events [--call ID]") || !strings.Contains(help, emulatorURLEnv) {
			t.Errorf("%v: exit %d:\n%s", args, code, help)
		}
	}
	if code, out, _ := runCLI("", "help"); code != 0 || !strings.Contains(out, "shell [--emulator URL]") {
		t.Errorf("help: %d\n%s", code, out)
	}
	if code, _, errs := runCLI("", "emulator", "extra"); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Errorf("emulator extra: %d %q", code, errs)
	}
	if code, _, errs := runCLI("", "emulator", "--callback", "http://example.com/api/calls"); code != 2 || !strings.Contains(errs, "loopback") {
		t.Errorf("emulator --callback off the machine: %d %q", code, errs)
	}
}

func TestShellFillsInTheLastCall(t *testing.T) {
	f, base := startFake(t, "[]")
	script := strings.Join([]string{
		"# a comment, then a blank line",
		"",
		"tone 1",
		"incoming-call --from alice",
		"tone 12",
		"join bob",
		"hangup --call other",
		"events",
		"help",
		"bogus",
		"quit",
		"events",
	}, "\n")
	code, out, errs := runCLI(script, "shell", "--emulator", base)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	const id = "11111111-2222-4333-8444-555555555555"
	want := []string{
		"POST /_emulator/incoming-call {\"from\":\"alice\"}",
		"POST /_emulator/calls/" + id + "/tone {\"keys\":\"12\"}",
		"POST /_emulator/calls/" + id + "/join {\"who\":\"bob\"}",
		"POST /_emulator/calls/other/hangup {}",
		"GET /_emulator/events ",
	}
	if got := f.got(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(errs, "--call ID and the KEYS are required") || !strings.Contains(errs, `unknown action "bogus"`) {
		t.Errorf("stderr:\n%s", errs)
	}
	if !strings.Contains(out, "no events yet") || !strings.Contains(out, "act on the last call") || strings.Contains(out, "> ") {
		t.Errorf("stdout:\n%s", out)
	}
	var res struct{ CallID string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &res); err != nil || res.CallID != id {
		t.Errorf("the first line is not incoming-call's answer: %q", out)
	}
}

// TestTriggerAnswerDecline: answer and decline send the console's requests.
func TestTriggerAnswerDecline(t *testing.T) {
	f, base := startFake(t, "[]")
	for _, args := range [][]string{{"answer", "--call", "c1", "bob"}, {"decline", "--call", "c2"}} {
		if code, _, errs := runCLI("", append([]string{"trigger", "--emulator", base}, args...)...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
	got := f.got()
	want := []string{`POST /_emulator/calls/c1/answer {"who":"bob"}`, `POST /_emulator/calls/c2/decline {"who":""}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, _, _ := runCLI("", "trigger", "--emulator", base, "answer", "bob"); code != 2 {
		t.Errorf("answer without --call: exit %d, want 2", code)
	}
}
