package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// sink is a callback endpoint that records every parsed notification.
type sink struct {
	mu    sync.Mutex
	notes []notifications.Notification
	more  chan struct{}
	srv   *httptest.Server
}

func newSink(t *testing.T) *sink {
	s := &sink{more: make(chan struct{}, 1024)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		notes, err := notifications.Parse(body)
		if err != nil {
			t.Errorf("emulator sent an unparsable notification: %v\n%s", err, body)
		}
		s.mu.Lock()
		s.notes = append(s.notes, notes...)
		s.mu.Unlock()
		s.more <- struct{}{}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) all() []notifications.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notifications.Notification(nil), s.notes...)
}

// states lists the call states notified for a call.
func (s *sink) states(callID string) []string {
	var out []string
	for _, n := range s.all() {
		if n.Kind == notifications.KindCall && n.CallID == callID && n.Call != nil && n.Call.ToneInfo.Tone == "" {
			s := string(n.ChangeType) + ":" + string(n.Call.State)
			if a := n.Call.MediaState.Audio; a != "" {
				s += "+audio:" + string(a)
			}
			out = append(out, s)
		}
	}
	return out
}

func apiFor(t *testing.T, emu *emulator.Server, retry auth.RetryPolicy) *calls.API {
	adapter, err := emu.Adapter(auth.AdapterConfig{Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	return calls.NewAPI(adapter)
}

func TestAnswerDeadline(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	h, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	emu.Advance(14 * time.Second)
	if h.State() != calls.StateIncoming {
		t.Fatalf("after 14 s: %s", h.State())
	}
	emu.Advance(2 * time.Second)
	ev, err := h.Wait(ctx, emulator.EventTerminated)
	if err != nil || ev.Data["code"] != "408" {
		t.Fatalf("%v %+v", err, ev)
	}
	_ = emu.WaitIdle(ctx)
	if got := strings.Join(s.states(h.ID()), " "); got != "created:incoming deleted:terminated" {
		t.Errorf("notified states: %s", got)
	}
	err = apiFor(t, emu, auth.RetryPolicy{}).Calls().ByID(h.ID()).Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL))
	if !calls.IsNotFound(err) {
		t.Errorf("answering a failed call: %v", err)
	}
}

func TestKeepAliveTimeout(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	if err := api.Calls().ByID(h.ID()).Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)); err != nil {
		t.Fatal(err)
	}
	for range 3 { // keepAlive every 30 min keeps it up for 90 min
		emu.Advance(30 * time.Minute)
		if err := api.Calls().ByID(h.ID()).KeepAlive().Post(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if h.State() != calls.StateEstablished {
		t.Fatalf("state %s", h.State())
	}
	emu.Advance(46 * time.Minute)
	ev, err := h.Wait(ctx, emulator.EventTerminated)
	if err != nil || ev.Data["code"] != "408" || ev.Data["subcode"] != "8537" {
		t.Fatalf("%v %+v", err, ev)
	}
	if err := api.Calls().ByID(h.ID()).KeepAlive().Post(ctx, nil); !calls.IsNotFound(err) {
		t.Errorf("keepAlive on the ended call: %v", err)
	}
	var ge *calls.Error
	_, err = api.Calls().ByID(h.ID()).Get(ctx)
	if !errors.As(err, &ge) || ge.Code != "itemNotFound" || ge.RequestID == "" {
		t.Errorf("Graph error body: %v", err)
	}
}

func TestOutgoingCallBehaviours(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	emu.AddUser("quick", emulator.Behavior{AnswerAfter: 3 * time.Second})
	emu.AddUser("busy", emulator.Behavior{Decline: true})
	emu.AddUser("away", emulator.Behavior{NoAnswer: true})
	phone, err := emu.AddPhone("+14255550123", emulator.Behavior{AnswerAfter: time.Second, HangUpAfter: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(who participants.IdentitySet) string {
		c := calls.NewCall(s.srv.URL, nil)
		c.Targets = []participants.Invitation{participants.Invite(who)}
		if who.Phone != nil {
			// A call to a phone number comes from the bot's application instance.
			c.Source = participants.Info{Identity: emu.ApplicationInstance()}
		}
		created, err := api.Calls().Post(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return created.ID
	}
	quick := dial(emu.Person("quick").Identity())
	busy := dial(emu.Person("busy").Identity())
	away := dial(emu.Person("away").Identity())
	pstn := dial(phone.Identity())
	emu.Advance(90 * time.Second)
	_ = emu.WaitIdle(ctx)
	want := map[string]string{
		quick: "updated:establishing updated:established updated:established+audio:active",
		busy:  "updated:establishing deleted:terminated",
		away:  "updated:establishing deleted:terminated",
		pstn:  "updated:establishing updated:established updated:established+audio:active deleted:terminated",
	}
	for id, w := range want {
		if got := strings.Join(s.states(id), " "); got != w {
			t.Errorf("call %s: %s, want %s", id, got, w)
		}
	}
	codes := map[string]int32{}
	for _, n := range s.all() {
		if n.Call != nil && n.Call.State == calls.StateTerminated {
			codes[n.CallID] = n.Call.ResultInfo.Code*100000 + n.Call.ResultInfo.Subcode
		}
	}
	if codes[busy] != 603*100000 || codes[away] != 408*100000+10057 || codes[pstn] != 200*100000+4521 {
		t.Errorf("end codes %v", codes)
	}
}

func TestMediaAndOperations(t *testing.T) {
	// A prompt served on loopback: its WAV header gives the duration (3.5 s).
	wav := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(emulator.WAV(3500*time.Millisecond, false))
	}))
	defer wav.Close()
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, _ := emu.AddUser("alice", emulator.Behavior{Speech: 4 * time.Second}).CallBot()
	call := api.Calls().ByID(h.ID())
	if err := call.Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)); err != nil {
		t.Fatal(err)
	}
	op, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt(wav.URL + "/menu.wav")}})
	if err != nil || op.Status != calls.OperationRunning || op.ID == "" {
		t.Fatalf("%v %+v", err, op)
	}
	emu.Advance(3400 * time.Millisecond)
	if got, _ := call.Operations().ByID(op.ID).Get(ctx); got.Base().Status != calls.OperationRunning {
		t.Errorf("prompt done before its 3.5 s: %s", got.Base().Status)
	}
	emu.Advance(200 * time.Millisecond)
	if got, _ := call.Operations().ByID(op.ID).Get(ctx); got.Base().Status != calls.OperationCompleted {
		t.Errorf("prompt not done after 3.6 s: %s", got.Base().Status)
	}

	// Record: beep, 4 s of speech, then the silence timeout; then fetch the recording.
	rec, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: 10, StopTones: []string{"#"}})
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Minute)
	_ = emu.WaitIdle(ctx)
	var done *calls.RecordOperation
	for _, n := range s.all() {
		if r, ok := n.Operation.(*calls.RecordOperation); ok && r.ID == rec.ID {
			done = r
		}
	}
	if done == nil || done.Status != calls.OperationCompleted || done.RecordingLocation == "" || done.RecordingAccessToken == "" {
		t.Fatalf("record completion: %+v", done)
	}
	get := func(token string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, done.RecordingLocation, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("recording without its token: %d", code)
	}
	code, audio := get(done.RecordingAccessToken)
	d, err := emulator.WAVDuration(strings.NewReader(string(audio)))
	if code != 200 || err != nil || d != 4*time.Second {
		t.Errorf("recording: %d, %v, %v", code, d, err)
	}

	// A recording cut short by a stop tone; then cancelMediaProcessing on a prompt.
	rec2, _ := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{StopTones: []string{"#"}})
	emu.Advance(2 * time.Second)
	if err := h.Press("#"); err != nil {
		t.Fatal(err)
	}
	op2, _ := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/long.wav")}})
	if _, err := call.CancelMediaProcessing().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_ = emu.WaitIdle(ctx)
	var reasons []string
	for _, n := range s.all() {
		switch o := n.Operation.(type) {
		case *calls.RecordOperation:
			if o.ID == rec2.ID {
				reasons = append(reasons, string(o.CompletionReason))
			}
		case *calls.PlayPromptOperation:
			if o.ID == op2.ID {
				reasons = append(reasons, string(o.Status)+" "+o.ResultInfo.String())
			}
		}
	}
	if strings.Join(reasons, "|") != "stopToneDetected|failed 400/8508: Action failed, the operation was cancelled." {
		t.Errorf("reasons %q", reasons)
	}
}

func TestFaultInjection(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	var slept []time.Duration
	var mu sync.Mutex
	api := apiFor(t, emu, auth.RetryPolicy{MaxRetries: 3, Sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		return nil
	}})

	// API faults: 429 then 503 are retried with Retry-After; the call succeeds.
	emu.SetFaults(emulator.Faults{RetryAfter: 2 * time.Second})
	emu.FailNextRequests(1, http.StatusTooManyRequests)
	emu.FailNextRequests(1, http.StatusServiceUnavailable)
	h, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	if err := api.Calls().ByID(h.ID()).Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)); err != nil {
		t.Fatalf("answer through 429 and 503: %v", err)
	}
	if len(slept) != 2 || slept[0] != 2*time.Second || slept[1] != 2*time.Second {
		t.Errorf("retry delays %v", slept)
	}
	emu.FailNextRequests(5, http.StatusServiceUnavailable)
	if _, err := api.Calls().ByID(h.ID()).Get(ctx); !calls.IsThrottled(err) {
		t.Errorf("exhausted retries: %v", err)
	}
	_ = emu.WaitIdle(ctx)

	// Notification faults: dropped, duplicated, reordered and delayed tones.
	call := api.Calls().ByID(h.ID())
	if _, err := call.SubscribeToTone().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_ = emu.WaitIdle(ctx)
	before := len(s.all())
	emu.DropNextNotifications(1)
	_ = h.Press("1") // lost
	emu.DuplicateNextNotifications(1)
	_ = h.Press("2") // twice
	emu.ReorderNextNotifications(1)
	_ = h.Press("3") // after 4
	_ = h.Press("4")
	emu.DelayNextNotification(5 * time.Second)
	_ = h.Press("5") // after the clock moves
	_ = emu.WaitIdle(ctx)
	emu.Advance(5 * time.Second)
	_ = emu.WaitIdle(ctx)
	var got []string
	for _, n := range s.all()[before:] {
		if n.Call != nil && n.Call.ToneInfo.Tone != "" {
			got = append(got, string(n.Call.ToneInfo.Tone.Key())+"#"+itoa(n.Call.ToneInfo.SequenceID))
		}
	}
	if strings.Join(got, " ") != "2#2 2#2 4#4 3#3 5#5" {
		t.Errorf("tones delivered: %v", got)
	}
	var faults []string
	for _, ev := range emu.Events() {
		if ev.Kind == emulator.EventNotificationFault {
			faults = append(faults, ev.Data["fault"])
		}
	}
	if strings.Join(faults, ",") != "drop,duplicate,reorder,delay" {
		t.Errorf("fault events %v", faults)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRecordEmptyStopTone: an empty stop tone is accepted (it matches no key) rather
// than crashing the request.
func TestRecordEmptyStopTone(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	call := api.Calls().ByID(h.ID())
	if err := call.Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)); err != nil {
		t.Fatal(err)
	}
	rec, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: 5, StopTones: []string{"", "#"}})
	if err != nil || rec.ID == "" {
		t.Fatalf("%v %+v", err, rec)
	}
}
