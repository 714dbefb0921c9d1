package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// unit is a client whose Graph is unreachable (an action that sent a request would
// fail with a connection error), on a virtual clock and an in-memory store.
type unit struct {
	c     *Client
	mem   *store.Memory
	clock *emulator.VirtualClock
}

func newUnit(t *testing.T, mc store.MemoryConfig, mutate func(*Config)) *unit {
	t.Helper()
	u := &unit{mem: store.NewMemory(mc), clock: emulator.NewVirtualClock(emulator.DefaultStart)}
	cfg := offlineConfig(u.clock, ClusterConfig{Store: u.mem, ReplicaID: "me"})
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	u.c = c
	return u
}

// send hands a callback to the client as its handler does, with the token's tenant.
func (u *unit) send(t testing.TB, tenant, body string) error {
	notes, err := notifications.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return u.c.accept(context.Background(), notifications.Batch{Notifications: notes, Body: []byte(body), TenantID: tenant})
}

// incomingCall sends an incoming call and returns it from OnIncoming, with its tones
// and end on channels.
func (u *unit) incomingCall(t *testing.T, id string) (*Call, chan media.ToneInfo, chan EndInfo) {
	t.Helper()
	got := make(chan *Call, 1)
	tones, ended := make(chan media.ToneInfo, 100), make(chan EndInfo, 2)
	remove := u.c.OnIncoming(func(call *Call) {
		call.OnTone(func(ti media.ToneInfo) { tones <- ti })
		call.OnTerminated(func(e EndInfo) { ended <- e })
		got <- call
	})
	defer remove()
	if err := u.send(t, "t-a", incoming(id)); err != nil {
		t.Fatal(err)
	}
	select {
	case call := <-got:
		return call, tones, ended
	case <-time.After(10 * time.Second):
		t.Fatal("no OnIncoming")
	}
	return nil, nil, nil
}

func terminated(id string) string {
	return `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","state":"terminated","resultInfo":{"code":200,"subcode":5000}}}]}`
}

// TestParkingBounded: notifications for calls nobody knows are parked within the
// store's caps, at a constant cost each, and expire; an incoming call sent right after
// a flood of them is handled at once.
func TestParkingBounded(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{MaxParkedCalls: 100, MaxParkedBytes: 64 << 10, MaxParkedEntries: 4}, nil)
	for i := range 5000 {
		if err := u.send(t, "t-a", toneNote(fmt.Sprintf("unknown-%d", i%500), i)); err != nil {
			t.Fatal(err)
		}
	}
	st := u.mem.Stats()
	if st.ParkedCalls > 100 || st.ParkedBytes > 64<<10 || st.DroppedParked == 0 {
		t.Fatalf("parked %d calls, %d bytes, dropped %d: over the caps", st.ParkedCalls, st.ParkedBytes, st.DroppedParked)
	}
	call, _, _ := u.incomingCall(t, "c-real")
	if call.ID() != "c-real" {
		t.Fatal(call.ID())
	}
	// The TTL applies on the maintenance pass too, with no more callbacks coming.
	u.clock.Advance(2 * store.DefaultParkedTTL)
	if _, err := u.mem.Unowned(context.Background(), u.clock.Now(), 10); err != nil {
		t.Fatal(err)
	}
	if st := u.mem.Stats(); st.ParkedCalls != 0 || st.ParkedBytes != 0 {
		t.Errorf("after the TTL: %d parked calls, %d bytes", st.ParkedCalls, st.ParkedBytes)
	}
}

// TestCallLogFull: a call whose callbacks are blocked stops taking notifications at
// its log's cap: the callback is answered 503 with Retry-After (so Graph sends it
// again later), and nothing accepted is lost.
func TestCallLogFull(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{MaxLogEntries: 8}, nil)
	call, tones, _ := u.incomingCall(t, "c-1")
	block := make(chan struct{})
	call.OnTone(func(media.ToneInfo) { <-block })
	accepted, refused := 0, 0
	for i := 1; i <= 40; i++ {
		w := httptest.NewRecorder()
		u.c.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(toneNote("c-1", i))))
		switch w.Code {
		case http.StatusAccepted:
			accepted++
		case http.StatusServiceUnavailable:
			refused++
			if w.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		default:
			t.Fatalf("callback %d answered %d", i, w.Code)
		}
	}
	if refused == 0 || accepted > 8+maxBatch {
		t.Fatalf("accepted %d, refused %d: the call's queue is not bounded", accepted, refused)
	}
	close(block)
	for range accepted {
		select {
		case <-tones:
		case <-time.After(10 * time.Second):
			t.Fatal("an accepted tone was lost")
		}
	}
}

// TestUnansweredIncomingDropped: an incoming call the bot neither answers nor rejects
// is dropped once Graph's answer deadline (plus a margin) has passed, with one
// OnTerminated. Graph docs: "the bot must answer within 15 seconds" (incoming call
// notifications).
func TestUnansweredIncomingDropped(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	call, _, ended := u.incomingCall(t, "c-1")
	u.clock.Advance(DefaultAnswerTimeout - time.Second)
	select {
	case e := <-ended:
		t.Fatalf("dropped before the deadline: %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
	u.clock.Advance(time.Second)
	select {
	case e := <-ended:
		if !errors.Is(e.Err, ErrNotAnswered) {
			t.Fatalf("end %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the unanswered call was kept")
	}
	<-call.Done()
	if len(u.c.Calls()) != 0 || u.mem.Stats().Calls != 0 {
		t.Error("the dropped call is still tracked or stored")
	}
	select {
	case e := <-ended:
		t.Fatalf("a second OnTerminated: %+v", e)
	default:
	}
}

// TestTenantMismatchRefused: a callback whose token names another tenant than the
// call's is refused (403) and changes nothing, unless Config.AllowTenantMismatch.
func TestTenantMismatchRefused(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	_, tones, _ := u.incomingCall(t, "c-1")
	err := u.send(t, "t-b", toneNote("c-1", 1))
	var rej *notifications.RejectError
	if !errors.As(err, &rej) || rej.Status != http.StatusForbidden {
		t.Fatalf("a tone from another tenant: %v, want a 403 RejectError", err)
	}
	if err := u.send(t, "t-a", toneNote("c-1", 2)); err != nil {
		t.Fatal(err)
	}
	if ti := <-tones; ti.SequenceID != 2 {
		t.Fatalf("delivered tone %d", ti.SequenceID)
	}

	relaxed := newUnit(t, store.MemoryConfig{}, func(c *Config) { c.AllowTenantMismatch = true })
	_, tones, _ = relaxed.incomingCall(t, "c-2")
	if err := relaxed.send(t, "t-b", toneNote("c-2", 1)); err != nil {
		t.Fatalf("with AllowTenantMismatch: %v", err)
	}
	<-tones
}

// TestEndedCallActions: once a call has ended, every action returns an error
// wrapping ErrCallEnded without sending a request (Graph is unreachable here, so a
// request would fail otherwise), and the call's context is cancelled with that cause.
func TestEndedCallActions(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	call, _, ended := u.incomingCall(t, "c-1")
	if err := u.send(t, "t-a", terminated("c-1")); err != nil {
		t.Fatal(err)
	}
	<-ended
	<-call.Done()
	ctx := context.Background()
	if err := call.HangUp(ctx); !errors.Is(err, ErrCallEnded) {
		t.Errorf("HangUp: %v", err)
	}
	if _, err := call.PlayPrompt(ctx, nil); !errors.Is(err, ErrCallEnded) {
		t.Errorf("PlayPrompt: %v", err)
	}
	if _, err := call.Transfer(ctx, call.Resource().Targets[0]); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Transfer: %v", err)
	}
	if err := SetData(call, "x"); !errors.Is(err, ErrCallEnded) {
		t.Errorf("SetData: %v", err)
	}
	if call.Context().Err() == nil || !errors.Is(context.Cause(call.Context()), ErrCallEnded) {
		t.Errorf("Context: %v, cause %v", call.Context().Err(), context.Cause(call.Context()))
	}
}

// TestHandlersRemovable: each On... adds a handler and returns its removal.
func TestHandlersRemovable(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	call, tones, _ := u.incomingCall(t, "c-1")
	extra := make(chan media.ToneInfo, 10)
	remove := call.OnTone(func(ti media.ToneInfo) { extra <- ti })
	_ = u.send(t, "t-a", toneNote("c-1", 1))
	<-tones
	<-extra
	remove()
	_ = u.send(t, "t-a", toneNote("c-1", 2))
	<-tones
	flush(call)
	select {
	case ti := <-extra:
		t.Fatalf("a removed handler got tone %d", ti.SequenceID)
	default:
	}
}

// TestForgetAndData: the bot's data is stored with the call and restored on the
// replica that takes it over before OnResume; Forget drops a call locally.
func TestForgetAndData(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	call, _, ended := u.incomingCall(t, "c-1")
	type ticket struct{ ID string }
	if err := SetData(call, ticket{"INC-7"}); err != nil {
		t.Fatal(err)
	}
	if err := SetData(call, strings.Repeat("x", store.MaxDataBytes)); err == nil {
		t.Fatal("data over the cap accepted")
	}
	flush(call)
	u.c.Close() // this replica leaves: its lease is released
	<-call.Done()
	c2, err := New(offlineConfig(u.clock, ClusterConfig{Store: u.mem, ReplicaID: "next"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got := make(chan ticket, 1)
	resumed := make(chan *Call, 1)
	c2.OnResume(func(call *Call) {
		v, ok, err := Data[ticket](call)
		if !ok || err != nil {
			t.Errorf("Data in OnResume: %v %v", ok, err)
		}
		got <- v
		call.OnTerminated(func(e EndInfo) { ended <- e })
		resumed <- call
	})
	c2.goAdopt("c-1")
	if v := <-got; v.ID != "INC-7" {
		t.Fatalf("resumed data %+v", v)
	}
	again := <-resumed
	again.Forget()
	if e := <-ended; !errors.Is(e.Err, ErrForgotten) {
		t.Fatalf("end %+v", e)
	}
	<-again.Done()
	if _, ok, _ := u.mem.Get(context.Background(), "c-1"); ok {
		t.Error("a forgotten call's state is still stored")
	}
}

// newUnitWithGraph is newUnit with an httptest Graph: handle answers each request
// (and may use the unit, which exists by the time a request arrives).
func newUnitWithGraph(t *testing.T, handle func(u *unit, w http.ResponseWriter, r *http.Request)) *unit {
	t.Helper()
	var u *unit
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handle(u, w, r) }))
	t.Cleanup(srv.Close)
	u = newUnit(t, store.MemoryConfig{}, func(c *Config) { c.BaseURL = srv.URL + "/v1.0" })
	return u
}

func holdOrEstablished(id string, etag int, st calls.State) string {
	return fmt.Sprintf(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/%s","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.etag":"W/\"%d\"","state":"%s"}}]}`, id, etag, st)
}

// TestRosterReadsCoalesced: a call that goes on and off hold many times while a roster
// read is in flight reads the roster at most twice (one in flight, one queued), not
// once per return to established.
func TestRosterReadsCoalesced(t *testing.T) {
	gets := make(chan struct{}, 1000)
	release := make(chan struct{})
	u := newUnitWithGraph(t, func(_ *unit, w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/participants") {
			gets <- struct{}{}
			<-release
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"value":[]}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	call, _, _ := u.incomingCall(t, "c-1")
	for i := range 1000 {
		st := calls.StateEstablished
		if i%2 == 1 {
			st = calls.StateHold
		}
		if err := u.send(t, "t-a", holdOrEstablished("c-1", i+2, st)); err != nil {
			t.Fatal(err)
		}
	}
	flush(call)
	close(release)
	for i := range 2 { // the one in flight, then the one queued behind it
		select {
		case <-gets:
		case <-time.After(10 * time.Second):
			t.Fatalf("roster read %d did not happen", i+1)
		}
	}
	// End the call: a third read, had one been asked for, would have come by then.
	flush(call)
	if err := u.send(t, "t-a", terminated("c-1")); err != nil {
		t.Fatal(err)
	}
	<-call.Done()
	if n := len(gets); n != 0 {
		t.Fatalf("%d more roster reads for 500 returns to established, want 2 in all", n)
	}
}

// TestRequestCutOffByEnd: a request in flight when the call ends returns an error
// wrapping ErrCallEnded (not a bare context.Canceled).
func TestRequestCutOffByEnd(t *testing.T) {
	started, stop := make(chan struct{}), make(chan struct{})
	u := newUnitWithGraph(t, func(_ *unit, w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/playPrompt") {
			close(started)
			select { // Graph does not answer: the call ends meanwhile
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	t.Cleanup(func() { close(stop) }) // before the server's Close, which waits for handlers
	call, _, _ := u.incomingCall(t, "c-1")
	go func() {
		<-started
		_ = u.send(t, "t-a", terminated("c-1"))
	}()
	_, err := call.PlayPrompt(context.Background(), []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")})
	if !errors.Is(err, ErrCallEnded) {
		t.Fatalf("PlayPrompt cut off by the end: %v, want an error wrapping ErrCallEnded", err)
	}
}

// TestCreateWithSetup: a notification that arrives before Create returns (Graph sends
// establishing as soon as the call exists) is delivered to a handler added with
// WithSetup, not missed.
func TestCreateWithSetup(t *testing.T) {
	const id = "c-created"
	u := newUnitWithGraph(t, func(u *unit, w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/communications/calls") {
			if err := u.send(t, "t-a", holdOrEstablished(id, 2, calls.StateEstablishing)); err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"@odata.type":"#microsoft.graph.call","id":"` + id + `","state":"establishing","tenantId":"t-a"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	updates := make(chan calls.State, 4)
	req := calls.NewCall("", nil)
	req.Targets = []participants.Invitation{participants.Invite(participants.User("u-bob", ""))}
	call, err := u.c.Create(context.Background(), req, WithSetup(func(c *Call) {
		c.OnUpdated(func(_, nw calls.Call) { updates <- nw.State })
	}))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-updates:
		if st != calls.StateEstablishing {
			t.Fatalf("first update %s", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the notification that came before Create returned was missed")
	}
	if call.ID() != id {
		t.Fatal(call.ID())
	}
}

// TestInvalidCallIDRefused: a callback naming a call ID that cannot go into a URL path
// (a resourceUrl ending in /calls/.., say) is refused with 400 before anything is
// stored, so that no action can ever be sent for it.
func TestInvalidCallIDRefused(t *testing.T) {
	u := newUnit(t, store.MemoryConfig{}, nil)
	for _, id := range []string{"..", "."} {
		err := u.send(t, "t-a", incoming(id))
		var rej *notifications.RejectError
		if !errors.As(err, &rej) || rej.Status != http.StatusBadRequest || !errors.Is(err, graph.ErrInvalidID) {
			t.Errorf("call ID %q: %v, want a 400 RejectError wrapping graph.ErrInvalidID", id, err)
		}
	}
	if st := u.mem.Stats(); st.Logs != 0 || st.ParkedCalls != 0 {
		t.Errorf("stored: %+v", st)
	}
}

// callNote is a call notification with the given resourceData members (after
// @odata.type).
func callNote(id, change, data string) string {
	return `{"value":[{"changeType":"` + change + `","resourceUrl":"/communications/calls/` + id +
		`","resourceData":{"@odata.type":"#microsoft.graph.call"` + data + `}}]}`
}

// TestHandoffOutcomes: transfers and redirects are awaited to the outcome Graph
// reports, in the shapes of the docs (v1.0/call-transfer 03-06, 09-12;
// v1.0/call-redirect 08; v1.0/call-reject 06).
func TestHandoffOutcomes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := newUnitWithGraph(t, func(_ *unit, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	answeredCall := func(id string) (*Call, chan EndInfo) {
		call, _, ended := u.incomingCall(t, id)
		if err := call.Answer(ctx); err != nil {
			t.Fatal(err)
		}
		if err := u.send(t, "t-a", established(id)); err != nil {
			t.Fatal(err)
		}
		if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
			t.Fatal(err)
		}
		return call, ended
	}
	transferring := func(id string) {
		for _, st := range []string{"transferring", "transferAccepted"} {
			if err := u.send(t, "t-a", callNote(id, "updated", `,"state":"`+st+`"`)); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("blind transfer completes with 0/7015", func(t *testing.T) {
		call, ended := answeredCall("c-blind")
		h, err := call.Transfer(ctx, participants.Invite(participants.User("u-bob", "Bob")))
		if err != nil {
			t.Fatal(err)
		}
		transferring("c-blind")
		_ = u.send(t, "t-a", callNote("c-blind", "deleted", `,"state":"terminated","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":0,"subcode":7015,"message":"GracefulTransferCompleted"}`))
		end, err := h.Wait(ctx)
		if err != nil || end.Reason != calls.EndReasonTransferred {
			t.Fatalf("%+v %v", end, err)
		}
		if e := <-ended; e.Reason != calls.EndReasonTransferred {
			t.Errorf("OnTerminated %+v", e)
		}
	})
	t.Run("consultative transfer completes with AppTransferred", func(t *testing.T) {
		call, _ := answeredCall("c-consult")
		h, err := call.Transfer(ctx, participants.InviteReplacing(participants.User("u-bob", ""), "c-other"))
		if err != nil {
			t.Fatal(err)
		}
		transferring("c-consult")
		_ = u.send(t, "t-a", callNote("c-consult", "deleted", `,"state":"terminated","terminationReason":"AppTransferred"`))
		if end, err := h.Wait(ctx); err != nil || end.Reason != calls.EndReasonTransferred {
			t.Fatalf("%+v %v", end, err)
		}
	})
	for _, sub := range []string{`"subCode":7000`, `"subCode":7700`} {
		t.Run("transfer fails with 500 "+sub, func(t *testing.T) {
			id := "c-fail-" + sub[len(sub)-4:]
			call, _ := answeredCall(id)
			h, err := call.Transfer(ctx, participants.Invite(participants.User("u-bob", "Bob")))
			if err != nil {
				t.Fatal(err)
			}
			transferring(id)
			_ = u.send(t, "t-a", callNote(id, "updated", `,"state":"established","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":500,`+sub+`,"message":"<message>"}`))
			_, err = h.Wait(ctx)
			var failed *HandoffError
			if !errors.As(err, &failed) || failed.ResultInfo.Code != 500 || failed.ResultInfo.EndReason() != calls.EndReasonTransferFailed {
				t.Fatalf("Wait: %v, want a *HandoffError", err)
			}
			if call.State() != calls.StateEstablished || call.isEnded() {
				t.Errorf("after a failed transfer the call is %s", call.State())
			}
		})
	}
	t.Run("caller hangs up during a transfer", func(t *testing.T) {
		call, _ := answeredCall("c-gone")
		h, err := call.Transfer(ctx, participants.Invite(participants.User("u-bob", "Bob")))
		if err != nil {
			t.Fatal(err)
		}
		_ = u.send(t, "t-a", terminated("c-gone"))
		if end, err := h.Wait(ctx); !errors.Is(err, ErrCallEnded) || end.Reason != calls.EndReasonRemovedByParticipant {
			t.Fatalf("%+v %v", end, err)
		}
	})
	t.Run("redirect ends with no resultInfo", func(t *testing.T) {
		call, _, ended := u.incomingCall(t, "c-redirect")
		h, err := call.Redirect(ctx, []participants.Invitation{participants.Invite(participants.User("u-bob", "Bob"))})
		if err != nil {
			t.Fatal(err)
		}
		_ = u.send(t, "t-a", callNote("c-redirect", "deleted", `,"state":"terminated","direction":"incoming"`))
		if end, err := h.Wait(ctx); err != nil || end.Reason != calls.EndReasonRedirected {
			t.Fatalf("%+v %v", end, err)
		}
		if e := <-ended; e.Reason != calls.EndReasonRedirected {
			t.Errorf("OnTerminated %+v", e)
		}
	})
	t.Run("reject ends with no resultInfo", func(t *testing.T) {
		call, _, ended := u.incomingCall(t, "c-reject")
		if err := call.Reject(ctx, calls.RejectReasonBusy); err != nil {
			t.Fatal(err)
		}
		_ = u.send(t, "t-a", `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c-reject","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.id":"/communications/calls/c-reject"}}]}`)
		if e := <-ended; e.Reason != calls.EndReasonRejected {
			t.Errorf("OnTerminated %+v", e)
		}
	})
	t.Run("a limit is checked before sending", func(t *testing.T) {
		call, _, _ := u.incomingCall(t, "c-limit")
		targets := make([]participants.Invitation, calls.MaxRedirectTargets+1)
		_, err := call.Redirect(ctx, targets)
		var re *calls.RequestError
		if !errors.As(err, &re) || re.Field != "targets" {
			t.Fatalf("%v, want a *calls.RequestError on targets", err)
		}
	})
}
