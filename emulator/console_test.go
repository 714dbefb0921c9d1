package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// control sends a control API request and returns the status and body.
func control(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// botAnswers has p call the bot and answers the call through the calls API, the
// emulator sending its notifications to s; it returns p's handle and the call.
func botAnswers(t *testing.T, emu *emulator.Server, s *sink, p *emulator.Person) (*emulator.CallHandle, *calls.CallRequestBuilder) {
	t.Helper()
	emu.SetCallbackURL(s.srv.URL)
	h, err := p.CallBot()
	if err != nil {
		t.Fatal(err)
	}
	call := apiFor(t, emu, auth.RetryPolicy{}).Calls().ByID(h.ID())
	if err := call.Answer().Post(ctxT(t), calls.NewAnswerRequest(s.srv.URL)); err != nil {
		t.Fatal(err)
	}
	return h, call
}

func state(t *testing.T, emu *emulator.Server) emulator.State {
	t.Helper()
	code, body := control(t, http.MethodGet, emu.URL()+emulator.ControlPrefix+"/state", "")
	var s emulator.State
	if err := json.Unmarshal([]byte(body), &s); code != 200 || err != nil {
		t.Fatalf("state: %d %v %s", code, err, body)
	}
	return s
}

// TestConsoleState: the read model shows people, a call with its participants, the
// prompt it plays (with the URL a browser plays) and the bot's requests as
// graph.request events, which the transcript leaves out.
func TestConsoleState(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	prompts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(emulator.WAV(3*time.Second, true))
	}))
	t.Cleanup(prompts.Close)
	h, call := botAnswers(t, emu, newSink(t), emu.AddUser("alice", emulator.Behavior{Speech: 2 * time.Second}))
	if _, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt(prompts.URL + "/menu.wav")}}); err != nil {
		t.Fatal(err)
	}
	st := state(t, emu)
	if len(st.People) != 1 || st.People[0].Name != "alice" || st.People[0].Kind != "user" || st.People[0].Behavior.Speech != "2s" {
		t.Errorf("people: %+v", st.People)
	}
	if !st.VirtualClock || !st.BotConnected || len(st.Calls) != 1 {
		t.Fatalf("state: %+v", st)
	}
	c := st.Calls[0]
	if c.ID != h.ID() || c.State != calls.StateEstablished || c.Direction != calls.DirectionIncoming || c.Person != "alice" || len(c.Participants) != 2 ||
		!c.Participants[0].Bot || c.Participants[1].Name != "alice" {
		t.Errorf("call: %+v", c)
	}
	wantPlay := "/_emulator/prompt?uri=" + strings.ReplaceAll(strings.ReplaceAll(prompts.URL, ":", "%3A"), "/", "%2F") + "%2Fmenu.wav"
	if len(c.Media) != 1 || c.Media[0].Kind != "prompt" || c.Media[0].URIs[0] != prompts.URL+"/menu.wav" || c.Media[0].PlayURLs[0] != wantPlay {
		t.Errorf("media: %+v (want play URL %s)", c.Media, wantPlay)
	}
	// The browser's copy of the prompt, through the emulator.
	code, body := control(t, http.MethodGet, emu.URL()+wantPlay, "")
	if code != 200 || !strings.HasPrefix(body, "RIFF") {
		t.Errorf("prompt through the emulator: %d %.40q", code, body)
	}
	if code, _ := control(t, http.MethodGet, emu.URL()+"/_emulator/prompt?uri=https%3A%2F%2Fcdn.contoso.com%2Fa.wav", ""); code != 400 {
		t.Errorf("prompt off loopback: %d, want 400", code)
	}
	if code, _ := control(t, http.MethodGet, emu.URL()+"/_emulator/prompt?uri="+url.QueryEscape(prompts.URL+"/other.wav"), ""); code != 404 {
		t.Errorf("a loopback URL the bot never played: %d, want 404", code)
	}
	emu.Advance(3 * time.Second)
	if st := state(t, emu); len(st.Calls[0].Media) != 0 {
		t.Errorf("media after the prompt: %+v", st.Calls[0].Media)
	}
	var requests []string
	for _, ev := range emu.Events() {
		if ev.Kind == emulator.EventRequest && ev.CallID == h.ID() {
			requests = append(requests, ev.Data["method"]+" "+ev.Data["path"][strings.LastIndex(ev.Data["path"], "/")+1:]+" "+ev.Data["status"])
		}
	}
	if got := strings.Join(requests, ", "); got != "POST answer 202, POST playPrompt 200" {
		t.Errorf("graph.request events: %s", got)
	}
	for _, line := range emu.Transcript() {
		if strings.Contains(line, string(emulator.EventRequest)) {
			t.Errorf("the transcript shows raw traffic: %s", line)
		}
	}
	// The request comes before what it set off.
	var order []emulator.EventKind
	for _, ev := range emu.Events() {
		if ev.CallID == h.ID() && (ev.Kind == emulator.EventRequest && strings.HasSuffix(ev.Data["path"], "playPrompt") || ev.Kind == emulator.EventPromptStarted) {
			order = append(order, ev.Kind)
		}
	}
	if len(order) != 2 || order[0] != emulator.EventRequest {
		t.Errorf("order: %v", order)
	}
}

// TestManualAnswer: a person with Behavior.Manual lets the bot's call ring until the
// console answers or declines it; left alone, it rings out.
func TestManualAnswer(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	dial := dialer(t, emu, api, s.srv.URL)
	bob := emu.AddUser("bob", emulator.Behavior{Manual: true})
	ctx := ctxT(t)

	answered := dial(bob.Identity())
	if st := state(t, emu); len(st.Calls) != 1 || len(st.Calls[0].Ringing) != 1 || st.Calls[0].Ringing[0] != "bob" {
		t.Fatalf("ringing: %+v", st.Calls)
	}
	emu.Advance(30 * time.Second)
	if code, body := control(t, http.MethodPost, emu.URL()+"/_emulator/calls/"+answered+"/answer", `{"who":"bob"}`); code != 200 {
		t.Fatalf("answer: %d %s", code, body)
	}
	if h, err := emu.Handle(answered); err != nil || h.State() != calls.StateEstablished {
		t.Errorf("after answering: %v %v", h, err)
	}
	if err := bob.Answer(answered); err == nil {
		t.Error("answering twice: no error")
	}

	declined := dial(bob.Identity())
	if err := bob.Decline(declined); err != nil {
		t.Fatal(err)
	}
	rangOut := dial(bob.Identity())
	emu.Advance(emulator.DefaultRingTimeout)
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	ends := map[string]string{}
	for _, ev := range emu.Events() {
		if ev.Kind == emulator.EventTerminated {
			ends[ev.CallID] = ev.Data["code"]
		}
	}
	if ends[declined] != "603" || ends[rangOut] != "408" || ends[answered] != "" {
		t.Errorf("ends: %v", ends)
	}
	if code, _ := control(t, http.MethodPost, emu.URL()+"/_emulator/calls/"+rangOut+"/answer", `{"who":"bob"}`); code != 404 {
		t.Errorf("answering an ended call: %d, want 404", code)
	}
}

// TestVoiceMessage: audio given with SetNextRecording (the console's microphone) is
// what the bot's recordResponse records and downloads, cut at its maximum duration.
func TestVoiceMessage(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	carol := emu.AddUser("carol", emulator.Behavior{})
	if err := carol.SetNextRecording([]byte("not a wav")); err == nil {
		t.Error("SetNextRecording took a non-WAV body")
	}
	msg := emulator.WAV(4*time.Second, true)
	code, body := control(t, http.MethodPost, emu.URL()+"/_emulator/people/carol/recording", string(msg), "Content-Type", "audio/wav")
	if code != 200 || !strings.Contains(body, `"duration":"4s"`) {
		t.Fatalf("upload: %d %s", code, body)
	}
	if st := state(t, emu); !st.People[0].HasRecording {
		t.Error("hasRecording not set")
	}
	_, call := botAnswers(t, emu, s, carol)
	beep := false
	if _, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: 3, PlayBeep: &beep}); err != nil {
		t.Fatal(err)
	}
	emu.Advance(10 * time.Second)
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var op *calls.RecordOperation
	for _, n := range s.all() {
		if r, ok := n.Operation.(*calls.RecordOperation); ok && r.RecordingLocation != "" {
			op = r
		}
	}
	if op == nil {
		t.Fatal("no completed recording")
	}
	req, _ := http.NewRequest(http.MethodGet, op.RecordingLocation, nil)
	req.Header.Set("Authorization", "Bearer "+op.RecordingAccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d, err := emulator.WAVDuration(bytes.NewReader(got))
	if err != nil || d != 3*time.Second || !bytes.Equal(got[44:], msg[44:44+len(got)-44]) {
		t.Errorf("recording: %v %v, %d bytes", d, err, len(got))
	}
	if st := state(t, emu); st.People[0].HasRecording {
		t.Error("the message was not used up")
	}
}

// TestConsoleMeeting: the console's meeting controls: join, wait in the lobby, admit,
// leave, as the read model shows them.
func TestConsoleMeeting(t *testing.T) {
	emu := startEmulator(t)
	ctl := func(path, body string) {
		t.Helper()
		if code, out := control(t, http.MethodPost, emu.URL()+"/_emulator"+path, body); code != 200 {
			t.Fatalf("%s: %d %s", path, code, out)
		}
	}
	ctl("/meetings", `{"subject":"Standup","organizer":"olivia"}`)
	m := state(t, emu).Meetings[0]
	ctl("/meetings/"+m.ID+"/join", `{"who":"carol","lobby":true}`)
	ctl("/meetings/"+m.ID+"/join", `{"who":"dan"}`)
	got := state(t, emu).Meetings[0]
	if strings.Join(got.Members, ",") != "olivia,dan" || strings.Join(got.Lobby, ",") != "carol" {
		t.Errorf("members %v lobby %v", got.Members, got.Lobby)
	}
	ctl("/meetings/"+m.ID+"/admit", `{"who":"carol"}`)
	ctl("/meetings/"+m.ID+"/leave", `{"who":"dan"}`)
	got = state(t, emu).Meetings[0]
	if strings.Join(got.Members, ",") != "olivia,carol" || len(got.Lobby) != 0 {
		t.Errorf("members %v lobby %v", got.Members, got.Lobby)
	}
	if code, _ := control(t, http.MethodPost, emu.URL()+"/_emulator/meetings/nope/join", `{"who":"x"}`); code != 404 {
		t.Errorf("unknown meeting: %d", code)
	}
}

// TestEventStream: the stream sends the events after ?after= and then new ones, as
// server-sent events whose id is the event's Seq; past MaxStreams it answers 503.
func TestEventStream(t *testing.T) {
	emu := startEmulator(t)
	emu.AddUser("alice", emulator.Behavior{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, emu.URL()+"/_emulator/stream?after=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	events := make(chan emulator.EventJSON, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev emulator.EventJSON
				if json.Unmarshal([]byte(data), &ev) == nil {
					events <- ev
				}
			}
		}
		close(events)
	}()
	emu.NewMeeting("Standup", nil)
	for want := 1; want <= 1; want++ {
		select {
		case ev := <-events:
			if ev.Seq != 1 || ev.Kind != emulator.EventMeetingCreated {
				t.Errorf("event %+v", ev)
			}
		case <-ctx.Done():
			t.Fatal("no event on the stream")
		}
	}
	// The stream cap (one stream is open above).
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	for i := 1; i < emulator.MaxStreams; i++ {
		r, err := http.DefaultClient.Do(req.Clone(ctx))
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("stream %d: %v %v", i, r, err)
		}
		open = append(open, r)
	}
	r, err := http.DefaultClient.Do(req.Clone(ctx))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("stream past the cap: %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
}

// TestControlGuard: the control API refuses cross-site browser requests and requests
// addressed to a name that is not loopback; with a ControlToken it needs the token,
// and the console's ?token= link sets a cookie.
func TestControlGuard(t *testing.T) {
	emu := startEmulator(t)
	u := emu.URL() + "/_emulator/users"
	if code, _ := control(t, http.MethodPost, u, `{"name":"eve"}`, "Sec-Fetch-Site", "cross-site"); code != 403 {
		t.Errorf("cross-site POST: %d, want 403", code)
	}
	if code, _ := control(t, http.MethodPost, u, `{"name":"eve"}`, "Origin", "https://evil.example"); code != 403 {
		t.Errorf("POST from another origin: %d, want 403", code)
	}
	if code, _ := control(t, http.MethodPost, u, `{"name":"sam"}`, "Sec-Fetch-Site", "same-origin"); code != 200 {
		t.Errorf("same-origin POST: %d", code)
	}
	if code, _ := control(t, http.MethodPost, u, `{"name":"sam"}`); code != 200 {
		t.Errorf("a program's POST: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, emu.URL()+"/_emulator/state", nil)
	req.Host = "rebound.evil.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("a rebound name: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	guarded, err := emulator.Start(emulator.Config{ControlToken: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(guarded.Close)
	if code, _ := control(t, http.MethodGet, guarded.URL()+"/_emulator/state", ""); code != 403 {
		t.Errorf("no token: %d, want 403", code)
	}
	if code, _ := control(t, http.MethodGet, guarded.URL()+"/_emulator/state", "", emulator.ControlTokenHeader, "wrong"); code != 403 {
		t.Errorf("wrong token: %d, want 403", code)
	}
	if code, _ := control(t, http.MethodGet, guarded.URL()+"/_emulator/state", "", emulator.ControlTokenHeader, "s3cret"); code != 200 {
		t.Errorf("token: %d", code)
	}
	// The console link: a cookie, and a redirect to the URL without the token.
	resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, guarded.URL()+emulator.ConsolePath+"?token=s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != emulator.ConsolePath || len(resp.Cookies()) != 1 || !resp.Cookies()[0].HttpOnly {
		t.Fatalf("console link: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	page := mustRequest(t, guarded.URL()+emulator.ConsolePath)
	page.AddCookie(resp.Cookies()[0])
	resp, err = http.DefaultTransport.RoundTrip(page)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<html") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("console with the cookie: %d %.80q", resp.StatusCode, b)
	}
	// Graph requests and recordings are not behind the control token.
	if code, _ := control(t, http.MethodGet, guarded.URL()+"/v1.0/communications/calls", ""); code != 401 {
		t.Errorf("Graph without a bearer token: %d, want Graph's 401", code)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestVoiceMessageDuringRecording: a message given while the bot records the person
// (the console's "record a message" during a call) is what they say: the recording
// holds it, and ends the request's maxSilenceTimeout after it.
func TestVoiceMessageDuringRecording(t *testing.T) {
	emu := startEmulator(t)
	ctx := ctxT(t)
	dan := emu.AddUser("dan", emulator.Behavior{Speech: -1}) // silent, unless given a message
	h, call := botAnswers(t, emu, newSink(t), dan)
	if _, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: 10, MaxSilenceTimeoutInSeconds: 2}); err != nil {
		t.Fatal(err)
	}
	emu.Advance(3 * time.Second) // the beep, and three seconds of silence so far
	if err := dan.SetNextRecording(emulator.WAV(1500*time.Millisecond, true)); err != nil {
		t.Fatal(err)
	}
	emu.Advance(3400 * time.Millisecond) // the message and most of the silence after it
	if len(eventsOf(emu, h.ID(), emulator.EventRecordCompleted)) > 0 {
		t.Fatal("the recording ended before the silence after the message")
	}
	emu.Advance(200 * time.Millisecond)
	ev, err := h.Wait(ctx, emulator.EventRecordCompleted)
	if err != nil || !strings.Contains(ev.Detail, "recorded 1.5s (maxSilenceTimeout)") {
		t.Fatalf("recording: %v %v\n%s", ev, err, strings.Join(emu.Transcript(), "\n"))
	}
	if st := state(t, emu); st.People[0].HasRecording {
		t.Error("the message was kept for a later recording too")
	}
}

func eventsOf(emu *emulator.Server, callID string, kind emulator.EventKind) []emulator.Event {
	var out []emulator.Event
	for _, ev := range emu.Events() {
		if ev.CallID == callID && ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// TestConsoleLobbyBeforeTheBot: someone waiting in the lobby before the bot joins is in
// its lobby on the bot's call too; admitting lets them in once, and admitting someone
// who is not waiting is refused.
func TestConsoleLobbyBeforeTheBot(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	m := emu.NewMeeting("Review", olivia)
	olivia.Join(m)
	emu.AddUser("carol", emulator.Behavior{}).WaitInLobby(m)
	join := calls.NewCall(s.srv.URL, nil)
	join.ChatInfo = m.ChatInfo()
	join.MeetingInfo = m.MeetingInfo()
	if _, err := api.Calls().Post(ctxT(t), join); err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Second)
	inLobby := func() map[string]bool {
		out := map[string]bool{}
		for _, p := range state(t, emu).Calls[0].Participants {
			out[p.Name] = p.InLobby
		}
		return out
	}
	if got := inLobby(); !got["carol"] || got["olivia"] {
		t.Errorf("in the lobby: %v", got)
	}
	admit := emu.URL() + "/_emulator/meetings/" + m.ID() + "/admit"
	if code, body := control(t, http.MethodPost, admit, `{"who":"carol"}`); code != 200 {
		t.Fatalf("admit: %d %s", code, body)
	}
	if got := inLobby(); got["carol"] {
		t.Errorf("carol still in the lobby: %v", got)
	}
	if code, _ := control(t, http.MethodPost, admit, `{"who":"carol"}`); code != 409 {
		t.Errorf("admitting carol again: %d, want 409", code)
	}
}

// TestManualInvitedTwice: the bot invites a person whose phone rings on the console
// twice; the first invitation rings out (408/10057) and the second rings on.
func TestManualInvitedTwice(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	alice := emu.AddUser("alice", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{Manual: true})
	id := dialer(t, emu, api, s.srv.URL)(alice.Identity())
	invite := func() string {
		t.Helper()
		op, err := api.Calls().ByID(id).Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{
			Participants: []participants.Invitation{participants.Invite(bob.Identity())}})
		if err != nil {
			t.Fatal(err)
		}
		return op.ID
	}
	first, second := invite(), invite()
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	ops := operations(s)
	if op := ops[first]; op == nil || op.Base().ResultInfo.Code != 408 {
		t.Errorf("the first invitation: %+v", op)
	}
	if ops[second] != nil {
		t.Errorf("the second invitation ended: %+v", ops[second])
	}
	if got := state(t, emu).Calls[0].Ringing; len(got) != 1 {
		t.Errorf("ringing %v", got)
	}
	if err := bob.Answer(id); err != nil {
		t.Fatal(err)
	}
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if op := operations(s)[second]; op == nil || op.Base().Status != calls.OperationCompleted {
		t.Errorf("the second invitation after answering: %+v", op)
	}
}

// TestEventStreamResetAndClose: a stream resumed from another run of the emulator
// (Last-Event-ID with another epoch) starts with a reset event; Close ends open
// streams, so that closing a server with a console open does not hang.
func TestEventStreamResetAndClose(t *testing.T) {
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	emu.NewMeeting("Standup", nil)
	req, _ := http.NewRequest(http.MethodGet, emu.URL()+"/_emulator/stream", nil)
	req.Header.Set("Last-Event-ID", "0000dead.40")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() && len(lines) < 4 {
		lines = append(lines, sc.Text())
	}
	epoch := emu.State().Epoch
	if len(lines) < 4 || lines[0] != "event: reset" || !strings.HasPrefix(lines[3], "id: "+epoch+".1") {
		t.Errorf("resumed stream: %q (epoch %s)", lines, epoch)
	}
	closed := make(chan struct{})
	go func() { emu.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs while an event stream is open")
	}
}

// TestVoiceMessageStreamingHeader: a WAV file whose header was written while streaming
// (data size 0xFFFFFFFF) lasts as long as the audio it holds.
func TestVoiceMessageStreamingHeader(t *testing.T) {
	emu := startEmulator(t)
	emu.AddUser("erin", emulator.Behavior{})
	wav := emulator.WAV(time.Second, true)
	wav[40], wav[41], wav[42], wav[43] = 0xff, 0xff, 0xff, 0xff
	code, body := control(t, http.MethodPost, emu.URL()+"/_emulator/people/erin/recording", string(wav), "Content-Type", "audio/wav")
	if code != 200 || !strings.Contains(body, `"duration":"1s"`) {
		t.Errorf("upload: %d %s", code, body)
	}
}

// TestControlGuardPeers: without a ControlToken the control API answers loopback
// peers only, and refuses cross-site reads too; the root sends a browser to the
// console with its query.
func TestControlGuardPeers(t *testing.T) {
	emu := startEmulator(t)
	w := httptest.NewRecorder()
	emu.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/_emulator/state", nil)) // from 192.0.2.1
	if w.Code != http.StatusForbidden {
		t.Errorf("a peer beyond loopback: %d, want 403", w.Code)
	}
	if code, _ := control(t, http.MethodGet, emu.URL()+"/_emulator/stream", "", "Sec-Fetch-Site", "cross-site"); code != 403 {
		t.Errorf("a cross-site stream: %d, want 403", code)
	}
	resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, emu.URL()+"/?token=abc"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != emulator.ConsolePath+"?token=abc" {
		t.Errorf("root: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
