package graphcomms_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// env is an emulator and a client wired to it, sharing the emulator's virtual clock.
type env struct {
	emu    *emulator.Server
	client *graphcomms.Client
	srv    *httptest.Server
	errs   chan *graphcomms.CallError
}

func newEnv(t testing.TB, mutate func(*graphcomms.Config)) *env {
	t.Helper()
	return newEnvWith(t, func(_ *emulator.Server, c *graphcomms.Config) {
		if mutate != nil {
			mutate(c)
		}
	})
}

// newEnvWith is newEnv with the emulator at hand while the config is changed.
func newEnvWith(t testing.TB, mutate func(*emulator.Server, *graphcomms.Config)) *env {
	t.Helper()
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{emu: emu, errs: make(chan *graphcomms.CallError, 100)}
	// The callback URL is known only once the server listens; start it around a
	// handler set just after.
	var h atomicHandler
	e.srv = httptest.NewServer(&h)
	cfg := graphcomms.Config{
		AppID: emu.AppID(), Adapter: adapter, BaseURL: emu.GraphURL(), CallbackURL: e.srv.URL + "/api/calls",
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(),
	}
	mutate(emu, &cfg)
	client, err := graphcomms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client.OnError(func(err *graphcomms.CallError) {
		select {
		case e.errs <- err:
		default:
		}
	})
	h.set(client)
	e.client = client
	emu.SetCallbackURL(cfg.CallbackURL)
	t.Cleanup(func() {
		client.Close()
		e.srv.Close()
		emu.Close()
	})
	return e
}

// atomicHandler serves the client once it exists.
type atomicHandler struct {
	v atomic.Pointer[graphcomms.Client]
}

func (a *atomicHandler) set(c *graphcomms.Client) { a.v.Store(c) }

func (a *atomicHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c := a.v.Load(); c != nil {
		c.ServeHTTP(w, r)
		return
	}
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestIVRThroughClient: incoming call, answer, awaited prompt, DTMF, transfer, end.
func TestIVRThroughClient(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	bob := e.emu.AddUser("bob", emulator.Behavior{})
	keys := make(chan byte, 10)
	ended := make(chan graphcomms.EndInfo, 1)
	var promptErr atomic.Value
	promptDone := make(chan struct{})
	e.client.OnIncoming(func(call *graphcomms.Call) {
		call.OnTone(func(ti media.ToneInfo) { keys <- ti.Tone.Key() })
		call.OnTerminated(func(end graphcomms.EndInfo) { ended <- end })
		if err := call.Answer(ctx, "https://cdn.example.com/menu.wav"); err != nil {
			t.Errorf("answer: %v", err)
			return
		}
		go func() { // long work leaves the call's queue
			defer close(promptDone)
			if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
				t.Error(err)
				return
			}
			if _, err := call.SubscribeToTone(ctx); err != nil {
				t.Error(err)
			}
			op, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/menu.wav")})
			if err != nil {
				t.Error(err)
				return
			}
			done, err := op.Wait(ctx)
			if err != nil {
				promptErr.Store(err)
				return
			}
			if done.Status != calls.OperationCompleted {
				t.Errorf("prompt %s", done.Status)
			}
		}()
	})
	h, err := e.emu.AddUser("alice", emulator.Behavior{}).CallBot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx, emulator.EventPromptStarted); err != nil {
		t.Fatal(err)
	}
	e.emu.Advance(emulator.DefaultPromptDuration)
	if _, err := h.Wait(ctx, emulator.EventPromptCompleted); err != nil {
		t.Fatal(err)
	}
	if err := h.Press("1"); err != nil {
		t.Fatal(err)
	}
	if k := <-keys; k != '1' {
		t.Fatalf("key %c", k)
	}
	// The emulator records the prompt when its request arrives; the bot's POST may
	// still be in flight. Transfer only once the bot has seen the prompt through, or
	// the call's end cuts that request off (ErrCallEnded, as documented on Call).
	select {
	case <-promptDone:
	case <-ctx.Done():
		t.Fatal("the prompt never finished on the bot's side")
	}
	call, ok := e.client.Call(h.ID())
	if !ok {
		t.Fatal("the call is not tracked")
	}
	if snap := call.Resource(); snap.State != calls.StateEstablished || snap.ID != h.ID() {
		t.Errorf("snapshot %+v", snap)
	}
	handoff, err := call.Transfer(ctx, participants.Invite(bob.Identity()))
	if err != nil {
		t.Fatal(err)
	}
	if end, err := handoff.Wait(ctx); err != nil || end.Reason != calls.EndReasonTransferred {
		t.Fatalf("transfer outcome %+v, %v", end, err)
	}
	select {
	case end := <-ended:
		if end.Reason != calls.EndReasonTransferred || end.ResultInfo.Subcode != 7015 {
			t.Errorf("end %+v", end)
		}
	case <-ctx.Done():
		t.Fatal("no terminal event")
	}
	if v := promptErr.Load(); v != nil {
		t.Errorf("prompt: %v", v)
	}
	if _, ok := e.client.Call(h.ID()); ok {
		t.Error("the ended call is still tracked")
	}
	if err := call.WaitForState(ctx, calls.StateEstablished); !errors.Is(err, graphcomms.ErrCallEnded) {
		t.Errorf("WaitForState on an ended call: %v", err)
	}
}

// TestMeetingThroughClient: join by URL, roster events, leave (meetingFlow, in
// cluster_test.go, also runs through a fleet of replicas).
func TestMeetingThroughClient(t *testing.T) {
	e := newEnv(t, nil)
	j := newJournal()
	meetingFlow(t, e.emu, e.client, j)
	want := []string{"roster +Emulated bot,Carol - ~", "roster +Dave - ~", "roster + -Carol ~", "roster + - ~Dave",
		"terminated " + string(calls.EndReasonBotHangUp)}
	if d := cmp.Diff(want, j.events()); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

// TestOperationCompletedBeforeWait: the completion of subscribeToTone arrives at once,
// often before Graph's answer to the POST; Wait must still see it.
func TestOperationCompletedBeforeWait(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	call := answered(t, e, "alice")
	for range 20 {
		op, err := call.SubscribeToTone(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = e.emu.WaitIdle(ctx)
		if _, err := op.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Recording: Wait after the completion notification was processed.
	e.emu.AddUser("alice", emulator.Behavior{Speech: 2 * time.Second})
	op, err := call.RecordResponse(ctx, calls.RecordResponseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e.emu.Advance(time.Minute)
	_ = e.emu.WaitIdle(ctx)
	<-op.Done()
	rec, err := op.Wait(ctx)
	if err != nil || rec.RecordingLocation == "" || rec.RecordingAccessToken == "" {
		t.Errorf("%v %+v", err, rec)
	}
}

// TestOperationPolledWhenNotified: a dropped completion is found by polling.
func TestOperationPolledWhenNotified(t *testing.T) {
	e := newEnv(t, func(c *graphcomms.Config) { c.OperationTimeout = 10 * time.Second })
	ctx := ctxFor(t)
	call := answered(t, e, "alice")
	e.emu.DropNextNotifications(1)
	op, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")})
	if err != nil {
		t.Fatal(err)
	}
	e.emu.Advance(5 * time.Second) // the prompt ends; its notification is lost
	_ = e.emu.WaitIdle(ctx)
	select {
	case <-op.Done():
		t.Fatal("completed without a notification or a poll")
	default:
	}
	e.emu.Advance(6 * time.Second) // past OperationTimeout: the client polls
	got, err := op.Wait(ctx)
	if err != nil || got.Status != calls.OperationCompleted {
		t.Errorf("%v %+v", err, got)
	}
}

func TestFailedOperation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	call := answered(t, e, "alice")
	op, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.CancelMediaProcessing(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = op.Wait(ctx)
	var oe *graphcomms.OperationError
	if !errors.As(err, &oe) || oe.ResultInfo.Subcode != 8508 {
		t.Errorf("%v", err)
	}
	// Pending operations fail when the call ends.
	op2, _ := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")})
	_ = call.HangUp(ctx)
	if _, err := op2.Wait(ctx); !errors.Is(err, graphcomms.ErrCallEnded) {
		t.Errorf("pending op at hang-up: %v", err)
	}
}

// answered returns an answered, established incoming call from a person.
func answered(t testing.TB, e *env, who string) *graphcomms.Call {
	t.Helper()
	ctx := ctxFor(t)
	got := make(chan *graphcomms.Call, 1)
	remove := e.client.OnIncoming(func(c *graphcomms.Call) {
		if err := c.Answer(ctx); err != nil {
			t.Error(err)
		}
		got <- c
	})
	defer remove() // the next call gets the next handler
	p := e.emu.Person(who)
	if p == nil {
		p = e.emu.AddUser(who, emulator.Behavior{})
	}
	if _, err := p.CallBot(); err != nil {
		t.Fatal(err)
	}
	call := <-got
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
	return call
}

// TestKeepAlive: cadence with the virtual clock, and the 404 path.
func TestKeepAlive(t *testing.T) {
	e := newEnv(t, func(c *graphcomms.Config) { c.KeepAliveInterval = 10 * time.Minute })
	ctx := ctxFor(t)
	call := answered(t, e, "alice")
	after := 0
	for i := 1; i <= 6; i++ { // 60 minutes: the emulator's 45-minute rule never fires
		e.emu.Advance(10 * time.Minute)
		ev, err := e.emu.WaitEvent(ctx, after, func(ev emulator.Event) bool {
			return ev.Kind == emulator.EventKeepAlive && ev.CallID == call.ID()
		})
		if err != nil {
			t.Fatalf("keepAlive %d: %v", i, err)
		}
		after = ev.Seq
	}
	if call.State() != calls.StateEstablished {
		t.Fatalf("state %s after an hour of keep-alive", call.State())
	}
	// The call disappears on Graph's side and its notifications are lost: the next
	// keepAlive gets a 404 and ends the call locally.
	e.emu.DropNextNotifications(2)
	h, err := e.emu.Handle(call.ID())
	if err != nil {
		t.Fatal(err)
	}
	_ = h.HangUp()
	e.emu.Advance(10 * time.Minute)
	select {
	case <-call.Done():
	case <-ctx.Done():
		t.Fatal("the call was not ended after keepAlive got 404")
	}
	if end, _ := call.End(); !calls.IsNotFound(end.Err) {
		t.Errorf("end %+v", end)
	}
}

// TestNoZombieAfterFailedAnswer: Graph refuses the answer; the call is gone locally.
func TestNoZombieAfterFailedAnswer(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	ended := make(chan graphcomms.EndInfo, 1)
	e.client.OnIncoming(func(c *graphcomms.Call) {
		c.OnTerminated(func(end graphcomms.EndInfo) { ended <- end })
		e.emu.FailNextRequests(1, 403)
		if err := c.Answer(ctx); err == nil {
			t.Error("answer should fail")
		}
	})
	h, _ := e.emu.AddUser("alice", emulator.Behavior{}).CallBot()
	end := <-ended
	if end.Err == nil || !strings.Contains(end.Err.Error(), "403") {
		t.Errorf("end %+v", end)
	}
	if _, ok := e.client.Call(h.ID()); ok {
		t.Error("zombie call after a failed answer")
	}
	if states, _ := e.client.Calls(), 0; len(states) != 0 {
		t.Errorf("%d calls tracked", len(states))
	}
}

// TestPanickingCallback: a panic in a callback is reported, not fatal, and the next
// events still arrive.
func TestPanickingCallback(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	keys := make(chan byte, 4)
	got := make(chan *graphcomms.Call, 1)
	e.client.OnIncoming(func(c *graphcomms.Call) {
		c.OnTone(func(ti media.ToneInfo) {
			if ti.Tone == media.Tone1 {
				panic("boom")
			}
			keys <- ti.Tone.Key()
		})
		_ = c.Answer(ctx)
		got <- c
	})
	h, _ := e.emu.AddUser("alice", emulator.Behavior{}).CallBot()
	call := <-got
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
	if _, err := call.SubscribeToTone(ctx); err != nil {
		t.Fatal(err)
	}
	_ = h.Press("12")
	if k := <-keys; k != '2' {
		t.Errorf("key %c", k)
	}
	select {
	case err := <-e.errs:
		var p *graphcomms.PanicError
		if !errors.As(err, &p) || p.Value != "boom" || err.Stage != graphcomms.StageCallback || err.CallID != call.ID() {
			t.Errorf("reported %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the panic was not reported")
	}
}

// TestTerminate hangs up every call and waits for their ends.
func TestTerminate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	for _, who := range []string{"a", "b", "c"} {
		answered(t, e, who)
	}
	m := e.emu.NewMeeting("Sync", e.emu.AddUser("org", emulator.Behavior{}))
	joined, err := e.client.JoinMeeting(ctx, graphcomms.JoinOptions{ChatInfo: m.ChatInfo(), MeetingInfo: m.MeetingInfo()})
	if err != nil {
		t.Fatal(err)
	}
	e.emu.Advance(time.Second)
	if err := joined.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
	if n := len(e.client.Calls()); n != 4 {
		t.Fatalf("%d calls", n)
	}
	if err := e.client.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.client.Calls()); n != 0 {
		t.Errorf("%d calls after Terminate", n)
	}
	if end, _ := joined.End(); end.Reason != calls.EndReasonBotHangUp {
		t.Errorf("end %+v", end)
	}
}

// TestCreateOutgoing: a peer-to-peer call to a person who answers after 3 s, and one
// to a person who declines.
func TestCreateOutgoing(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	bob := e.emu.AddUser("bob", emulator.Behavior{AnswerAfter: 3 * time.Second})
	carl := e.emu.AddUser("carl", emulator.Behavior{Decline: true})
	dial := func(who *emulator.Person) *graphcomms.Call {
		c := calls.NewCall("", nil)
		c.Targets = []participants.Invitation{participants.Invite(who.Identity())}
		call, err := e.client.Create(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return call
	}
	toBob, toCarl := dial(bob), dial(carl)
	e.emu.Advance(5 * time.Second)
	if err := toBob.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
	if err := toCarl.WaitForState(ctx, calls.StateEstablished); !errors.Is(err, graphcomms.ErrCallEnded) {
		t.Errorf("declined call: %v", err)
	}
	if end, _ := toCarl.End(); end.ResultInfo.Code != 603 {
		t.Errorf("decline end %+v", end)
	}
	if _, err := e.client.Create(ctx, &calls.Call{}); err == nil {
		t.Error("a call without targets was created")
	}
	if n := len(e.client.Calls()); n != 1 {
		t.Errorf("%d calls tracked, want 1", n)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []graphcomms.Config{
		{},
		{AppID: "a"},
		{AppID: "a", CallbackURL: "http://bot.example.com/cb"},
		{AppID: "a", CallbackURL: "not a url"},
		{AppID: "a", CallbackURL: "https://bot.example.com/cb"}, // no credential or adapter
	}
	for i, c := range cases {
		if _, err := graphcomms.New(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// TestRejectedCallbacksReachOnError: with no logger configured, a bot whose app ID is
// wrong hears of Graph's callbacks being refused (403) through OnError, and a bad
// body (400) is reported the same way.
func TestRejectedCallbacksReachOnError(t *testing.T) {
	e := newEnv(t, func(c *graphcomms.Config) { c.AppID = "aaaaaaaa-0000-4000-8000-000000000bad" })
	if _, err := e.emu.AddUser("alice", emulator.Behavior{}).CallBot(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	for {
		select {
		case err := <-e.errs:
			var rej *notifications.RejectError
			if err.Stage != graphcomms.StageRejected || !errors.As(err, &rej) {
				continue
			}
			if rej.Status != http.StatusForbidden || !errors.Is(rej, auth.ErrWrongAudience) {
				t.Fatalf("rejection %d %q (%v), want 403 for the wrong audience", rej.Status, rej.Reason, rej.Err)
			}
			resp, perr := http.Post(e.srv.URL+"/api/calls", "application/json", strings.NewReader(`{"value":[]}`))
			if perr != nil {
				t.Fatal(perr)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("unsigned callback answered %d", resp.StatusCode)
			}
			for err := range e.errs {
				if errors.As(err, &rej) && rej.Status == http.StatusUnauthorized {
					return
				}
			}
		case <-ctx.Done():
			t.Fatal("no rejection reported through OnError")
		}
	}
}

// TestDebugLogs: at debug level the client logs each notification (call ID, kind,
// change type) and each request it sends (method, path, status, duration,
// client-request-id), and never a token.
func TestDebugLogs(t *testing.T) {
	var buf safeBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, func(c *graphcomms.Config) { c.Logger = logger })
	ctx := ctxFor(t)
	answered := make(chan error, 1)
	e.client.OnIncoming(func(call *graphcomms.Call) { answered <- call.Answer(ctx) })
	h, err := e.emu.AddUser("alice", emulator.Behavior{}).CallBot()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"msg=notification call=" + h.ID() + " kind=call changeType=created",
		"msg=\"graph request\" method=POST path=/v1.0/communications/calls/" + h.ID() + "/answer",
		"status=202",
		"client-request-id=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the log:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "bearer") || strings.Contains(out, "eyJ") {
		t.Errorf("a token is in the log:\n%s", out)
	}
}

// safeBuffer is a bytes.Buffer for concurrent writers.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
