package graphcomms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/store"
)

// bump stores the call's state once more, as another replica would.
func bump(t *testing.T, f *store.Memory, id string) {
	t.Helper()
	// The other replica holds the lease too (as after this one's lease ran out), so
	// that this one cannot take the call back once it is fenced.
	ctx := context.Background()
	_ = f.Release(ctx, id, "me")
	if ok, err := f.Claim(ctx, id, "other", time.Now(), time.Hour); err != nil || !ok {
		t.Fatalf("the other replica could not claim the call: %v %v", ok, err)
	}
	for {
		st, ok, _ := f.Get(context.Background(), id)
		if !ok {
			t.Fatal("no state to bump")
		}
		st.Version++
		st.Writer = "other"
		err := f.Put(context.Background(), st)
		if err == nil {
			return
		}
		if !errors.Is(err, store.ErrVersionConflict) {
			t.Fatal(err)
		}
	}
}

type fencedEnv struct {
	c     *Client
	fc    *store.Memory
	call  *Call
	tones chan media.ToneInfo
	ended chan EndInfo
}

func newFencedEnv(t *testing.T) *fencedEnv {
	fc := store.NewMemory(store.MemoryConfig{})
	c, err := New(offlineConfig(emulator.NewVirtualClock(emulator.DefaultStart), ClusterConfig{Store: fc, ReplicaID: "me"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e := &fencedEnv{c: c, fc: fc, tones: make(chan media.ToneInfo, 10), ended: make(chan EndInfo, 1)}
	got := make(chan *Call, 1)
	c.OnIncoming(func(call *Call) {
		call.OnTone(func(ti media.ToneInfo) { e.tones <- ti })
		call.OnTerminated(func(end EndInfo) { e.ended <- end })
		got <- call
	})
	e.post(t, incoming("c-1"))
	e.call = <-got
	e.post(t, established("c-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.call.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *fencedEnv) post(t *testing.T, body string) {
	t.Helper()
	w := httptest.NewRecorder()
	e.c.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader([]byte(body))))
	if w.Code != http.StatusAccepted {
		t.Fatalf("callback answered %d: %s", w.Code, w.Body)
	}
}

func (e *fencedEnv) waitGone(t *testing.T) {
	t.Helper()
	select {
	case <-e.call.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the fenced call was not torn down")
	}
	if _, ok := e.c.Call("c-1"); ok || len(e.c.Calls()) != 0 {
		t.Error("the fenced call is still held")
	}
}

// flush waits until everything queued on call before it has run.
func flush(call *Call) {
	done := make(chan struct{})
	call.enqueue(func() { close(done) })
	<-done
}

func toneNote(id string, seq int) string {
	return `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"sequenceId":` + strconv.Itoa(seq) + `,"tone":"tone3"}}}]}`
}

// TestFencedStep: once a write is refused (another replica wrote the call), the
// replica delivers nothing for the step, writes nothing more, and drops the call.
func TestFencedStep(t *testing.T) {
	e := newFencedEnv(t)
	bump(t, e.fc, "c-1")
	before, _, _ := e.fc.Get(context.Background(), "c-1")
	e.post(t, toneNote("c-1", 1))
	e.waitGone(t)
	select {
	case ti := <-e.tones:
		t.Fatalf("a refused step delivered a tone: %+v", ti)
	default:
	}
	e.call.persistLater() // a keep-alive or an operation would write now
	flush(e.call)
	after, _, _ := e.fc.Get(context.Background(), "c-1")
	if after.Version != before.Version || after.Writer != "other" {
		t.Fatalf("the fenced replica wrote version %d (writer %q) over %d", after.Version, after.Writer, before.Version)
	}
	if end, _ := e.call.End(); !errors.Is(end.Err, ErrCallMoved) {
		t.Errorf("end %+v", end)
	}
}

// TestFencedEnd: a call whose final step (its end) is refused is still torn down here,
// without OnTerminated (the replica that holds it delivers that).
func TestFencedEnd(t *testing.T) {
	e := newFencedEnv(t)
	bump(t, e.fc, "c-1")
	e.post(t, `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c-1","resourceData":{"@odata.type":"#microsoft.graph.call","state":"terminated","resultInfo":{"code":200,"subcode":5000}}}]}`)
	e.waitGone(t)
	select {
	case end := <-e.ended:
		t.Fatalf("OnTerminated ran for a refused end: %+v", end)
	default:
	}
	if st, ok, _ := e.fc.Get(context.Background(), "c-1"); !ok || st.Writer != "other" {
		t.Error("the fenced replica deleted or overwrote the call's state")
	}
}

// TestFencedOperation: an operation whose completion step is refused fails its Wait
// with ErrCallMoved instead of hanging.
func TestFencedOperation(t *testing.T) {
	e := newFencedEnv(t)
	w := newOpState("cc-1", "#microsoft.graph.playPromptOperation")
	w.id = "op-1"
	e.call.mu.Lock()
	e.call.st.StartOperation(w.cc, w.typ, time.Now())
	e.call.st.OperationStarted(w.cc, w.id)
	e.call.waiters[w.cc] = w
	e.call.mu.Unlock()
	op := &Operation[calls.Operation]{st: w}
	bump(t, e.fc, "c-1")
	e.post(t, `{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/c-1/operations/op-1","resourceData":{"@odata.type":"#microsoft.graph.playPromptOperation","id":"op-1","clientContext":"cc-1","status":"completed"}}]}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := op.Wait(ctx); !errors.Is(err, ErrCallMoved) {
		t.Fatalf("Wait: %v, want ErrCallMoved", err)
	}
}

// TestResumedToneFloor: a replica that took a call over does not deliver again a tone
// the previous holder delivered (Graph resends after a 503).
func TestResumedToneFloor(t *testing.T) {
	e := newFencedEnv(t)
	e.post(t, toneNote("c-1", 1))
	<-e.tones
	st, _, _ := e.fc.Get(context.Background(), "c-1")
	if st.ToneSequence != 1 {
		t.Fatalf("stored tone sequence %d", st.ToneSequence)
	}
	// Hand the call to a second client, as after the first died.
	e.c.Close() // releases the lease; a closed client takes nothing back
	<-e.call.Done()
	c2, err := New(offlineConfig(emulator.NewVirtualClock(emulator.DefaultStart), ClusterConfig{Store: e.fc, ReplicaID: "next"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	tones := make(chan media.ToneInfo, 10)
	resumed := make(chan *Call, 1)
	c2.OnResume(func(call *Call) {
		call.OnTone(func(ti media.ToneInfo) { tones <- ti })
		resumed <- call
	})
	c2.goAdopt("c-1")
	call := <-resumed
	w := httptest.NewRecorder()
	c2.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader([]byte(toneNote("c-1", 1)))))
	w = httptest.NewRecorder()
	c2.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader([]byte(toneNote("c-1", 2)))))
	ti := <-tones
	if ti.SequenceID != 2 {
		t.Fatalf("first tone after the takeover: sequence %d, want 2 (1 was delivered before)", ti.SequenceID)
	}
	if got, _, _ := e.fc.Get(context.Background(), "c-1"); got.Writer != "next" {
		t.Errorf("writer after takeover %q", got.Writer)
	}
	_ = call
}

// TestLogEntries: a callback about one call is logged as received; one about several
// calls gives each call a body of its own, in order; notifications about no call are
// left out.
func TestLogEntries(t *testing.T) {
	batch := func(body string) notifications.Batch {
		notes, err := notifications.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return notifications.Batch{Notifications: notes, Body: []byte(body), TenantID: "t-1"}
	}
	one := toneNote("c-1", 1)
	c := &Client{clock: realClock{}, replica: "me", log: slog.New(slog.DiscardHandler)}
	entries, err := c.logEntries(batch(one))
	if err != nil || len(entries) != 1 || string(entries[0].Data) != one || entries[0].TenantID != "t-1" {
		t.Fatalf("one call: %+v %v", entries, err)
	}
	mixed := `{"value":[` +
		`{"changeType":"updated","resourceUrl":"/communications/calls/c-1","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"sequenceId":1,"tone":"tone1"}}},` +
		`{"changeType":"updated","resourceUrl":"/communications/calls/c-2","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"sequenceId":1,"tone":"tone2"}}},` +
		`{"changeType":"updated","resourceUrl":"/communications/onlineMeetings/m-1","resourceData":{}},` +
		`{"changeType":"updated","resourceUrl":"/communications/calls/c-1","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"sequenceId":2,"tone":"tone3"}}}]}`
	entries, err = c.logEntries(batch(mixed))
	if err != nil || len(entries) != 2 || entries[0].CallID != "c-1" || entries[1].CallID != "c-2" {
		t.Fatalf("mixed: %+v %v", entries, err)
	}
	var got []string
	for _, e := range entries {
		notes, err := notifications.Parse(e.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			got = append(got, n.CallID+":"+string(n.Call.ToneInfo.Tone))
		}
	}
	if want := "c-1:tone1 c-1:tone3 c-2:tone2"; strings.Join(got, " ") != want {
		t.Errorf("entries hold %q, want %q", got, want)
	}
}
