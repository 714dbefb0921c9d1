// Package storetest is the conformance test every store.Store (Run) and every
// store.Cluster (RunCluster) must pass. Call it from a test of your
// implementation:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// Run runs the conformance tests. newStore must return an empty store each time.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, newStore(t)) })
	t.Run("Versions", func(t *testing.T) { testVersions(t, newStore(t)) })
	t.Run("Copies", func(t *testing.T) { testCopies(t, newStore(t)) })
	t.Run("DeleteList", func(t *testing.T) { testDeleteList(t, newStore(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrent(t, newStore(t)) })
}

// Sample returns a realistic call state with two participants.
func Sample(callID string) store.CallState {
	c := calls.Call{ID: callID, State: calls.StateEstablished, Direction: calls.DirectionIncoming,
		CallbackURI: "https://bot.example.com/api/calls", MediaState: media.CallMediaState{Audio: media.StateActive},
		Source: participants.Info{Identity: participants.User("u-1", "t-1")}, TenantID: "t-1",
		ResultInfo: calls.ResultInfo{Code: 200}}
	ps := []participants.Participant{
		{ID: "p-bot", Info: participants.Info{Identity: participants.Application("app", "Bot")}},
		{ID: "p-1", Info: participants.Info{Identity: participants.User("u-1", "t-1")}, IsMuted: true},
	}
	return store.CallState{CallID: callID, Version: 1, Call: c, Participants: ps, RosterSequence: 3, ToneSequence: 2,
		Operations: []store.PendingOperation{{ID: "op-1", ClientContext: "ctx", Type: "#microsoft.graph.playPromptOperation",
			StartedAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}},
		KeepAliveAt: time.Date(2026, 1, 5, 9, 15, 0, 0, time.UTC), Etag: 7, Data: []byte(`{"ticket":"INC-42"}`), UpdatedAt: time.Date(2026, 1, 5, 9, 0, 1, 0, time.UTC)}
}

func testPutGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, ok, err := s.Get(ctx, "nope"); ok || err != nil {
		t.Fatalf("Get of a missing call: ok %v err %v", ok, err)
	}
	want := Sample("c-1")
	if err := s.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get(ctx, "c-1")
	if err != nil || !ok {
		t.Fatalf("Get: %v %v", ok, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Get returned another state (-put +got):\n%s", d)
	}
}

func testVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	st := Sample("c-1")
	st.Version = 2
	if err := s.Put(ctx, st); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("first Put with version 2: %v, want ErrVersionConflict", err)
	}
	st.Version = 1
	if err := s.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, st); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("Put of version 1 again: %v", err)
	}
	st.Version = 2
	st.Call.State = calls.StateTerminating
	if err := s.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Get(ctx, "c-1")
	if got.Version != 2 || got.Call.State != calls.StateTerminating {
		t.Errorf("after version 2: %d %s", got.Version, got.Call.State)
	}
}

func testCopies(t *testing.T, s store.Store) {
	ctx := context.Background()
	st := Sample("c-1")
	if err := s.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	st.Participants[0].ID = "changed after Put"
	st.Call.Source.Identity.User.ID = "changed after Put"
	got, _, _ := s.Get(ctx, "c-1")
	if got.Participants[0].ID != "p-bot" || got.Call.Source.Identity.User.ID != "u-1" {
		t.Fatal("the store shares memory with the state given to Put")
	}
	got.Participants[1].IsMuted = false
	got.Operations[0].ID = "changed after Get"
	again, _, _ := s.Get(ctx, "c-1")
	if !again.Participants[1].IsMuted || again.Operations[0].ID != "op-1" {
		t.Fatal("the store shares memory with what Get returned")
	}
}

func testDeleteList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 3 {
		if err := s.Put(ctx, Sample(fmt.Sprintf("c-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("List: %d %v", len(all), err)
	}
	if err := s.Delete(ctx, "c-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "c-1"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, ok, _ := s.Get(ctx, "c-1"); ok {
		t.Error("deleted call still there")
	}
	if all, _ := s.List(ctx); len(all) != 2 {
		t.Errorf("List after Delete: %d", len(all))
	}
	if err := s.Put(ctx, Sample("c-1")); err != nil {
		t.Errorf("Put version 1 after Delete: %v", err)
	}
}

// testConcurrent: writers that read, change and write with compare-and-set never lose
// an update.
func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, Sample("c-1")); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				st, _, err := s.Get(ctx, "c-1")
				if err != nil {
					t.Error(err)
					return
				}
				st.Version++
				st.ToneSequence++
				switch err := s.Put(ctx, st); {
				case err == nil:
					done++
				case errors.Is(err, store.ErrVersionConflict):
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st, _, _ := s.Get(ctx, "c-1")
	if st.ToneSequence != 2+writers*each || st.Version != 1+writers*each {
		t.Errorf("lost updates: tone sequence %d version %d, want %d and %d", st.ToneSequence, st.Version, 2+writers*each, 1+writers*each)
	}
}

// RunCluster runs the conformance tests of a store.Cluster: the Store tests, then
// leases (Claim, Renew, Release, Unowned, Forget) and the log with its wake-ups (Append,
// ReadLog, TrimLog, Wakeups). newCluster must return an empty cluster each time.
func RunCluster(t *testing.T, newCluster func(t *testing.T) store.Cluster) {
	Run(t, func(t *testing.T) store.Store { return newCluster(t) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, newCluster(t)) })
	t.Run("Log", func(t *testing.T) { testLog(t, newCluster(t)) })
}

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// nextWake returns the next wake-up that names a call.
func nextWake(t *testing.T, ctx context.Context, wake <-chan store.Wakeup) store.Wakeup {
	t.Helper()
	for {
		select {
		case w, ok := <-wake:
			if !ok {
				t.Fatal("the wake-up channel closed")
			}
			if w.CallID != "" {
				return w
			}
		case <-ctx.Done():
			t.Fatal("no wake-up")
		}
	}
}

func testLeases(t *testing.T, s store.Cluster) {
	ctx := context.Background()
	const ttl = 10 * time.Second
	must := func(ok bool, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !must(s.Claim(ctx, "c-1", "a", t0, ttl)) {
		t.Fatal("a could not claim a free call")
	}
	if must(s.Claim(ctx, "c-1", "b", t0.Add(ttl-time.Millisecond), ttl)) {
		t.Fatal("b claimed a call whose lease has not run out")
	}
	if !must(s.Claim(ctx, "c-1", "a", t0.Add(time.Second), ttl)) {
		t.Fatal("a could not renew its own lease through Claim")
	}
	if ids, err := s.Unowned(ctx, t0.Add(ttl), 10); err != nil || len(ids) != 0 {
		t.Fatalf("Unowned before the lease ran out: %v %v", ids, err)
	}
	lost, err := s.Renew(ctx, "a", []string{"c-1", "c-2"}, t0.Add(5*time.Second), ttl)
	if err != nil || len(lost) != 1 || lost[0] != "c-2" {
		t.Fatalf("Renew: lost %v, %v; want [c-2]", lost, err)
	}
	// a dies: its lease runs out at t0+15s.
	if ids, _ := s.Unowned(ctx, t0.Add(15*time.Second), 10); len(ids) != 1 || ids[0] != "c-1" {
		t.Fatalf("Unowned after the lease ran out: %v", ids)
	}
	if !must(s.Claim(ctx, "c-1", "b", t0.Add(15*time.Second), ttl)) {
		t.Fatal("b could not take over an expired lease")
	}
	if lost, _ := s.Renew(ctx, "a", []string{"c-1"}, t0.Add(16*time.Second), ttl); len(lost) != 1 {
		t.Fatal("a renewed a lease b holds")
	}
	if err := s.Release(ctx, "c-1", "a"); err != nil {
		t.Fatal(err)
	}
	if must(s.Claim(ctx, "c-1", "c", t0.Add(16*time.Second), ttl)) {
		t.Fatal("a's Release of b's lease freed it")
	}
	if err := s.Release(ctx, "c-1", "b"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Unowned(ctx, t0.Add(16*time.Second), 10); len(ids) != 1 {
		t.Fatalf("a released call is not claimable: %v", ids)
	}
	if !must(s.Claim(ctx, "c-1", "c", t0.Add(16*time.Second), ttl)) {
		t.Fatal("c could not claim a released call")
	}
	if err := s.Forget(ctx, "c-1"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Unowned(ctx, t0.Add(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("a forgotten call is still listed: %v", ids)
	}
	// Expired leases come before calls nobody held, however many of those there are.
	for i := range 5 {
		if err := s.Append(ctx, []store.LogEntry{{CallID: fmt.Sprintf("free-%d", i), Incoming: true, Data: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	if !must(s.Claim(ctx, "dead", "a", t0, ttl)) {
		t.Fatal("could not claim")
	}
	if ids, _ := s.Unowned(ctx, t0.Add(time.Hour), 1); len(ids) != 1 || ids[0] != "dead" {
		t.Fatalf("Unowned(max 1) = %v, want the expired lease first", ids)
	}
	if ids, _ := s.Unowned(ctx, t0.Add(time.Hour), 10); len(ids) != 6 {
		t.Fatalf("Unowned = %v, want 6 calls", ids)
	}
}

func testLog(t *testing.T, s store.Cluster) {
	ctx, cancel0 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel0()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := s.Wakeups(wctx)
	if w := <-wake; w.CallID != "" {
		t.Fatalf("first wake-up %+v, want the empty one that says the subscription is ready", w)
	}
	var entries []store.LogEntry
	for i := range 5 {
		entries = append(entries, store.LogEntry{CallID: "c-1", TenantID: "t", Incoming: i == 0, At: t0, Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	entries = append(entries, store.LogEntry{CallID: "c-2", Incoming: true, At: t0, Data: []byte(`{}`)})
	if err := s.Append(ctx, entries); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries[:5] {
		if e.ID == "" || i == 0 && e.Prev != "" || i > 0 && e.Prev != entries[i-1].ID {
			t.Fatalf("entry %d after Append: ID %q Prev %q (previous ID %q)", i, e.ID, e.Prev, entries[max(i-1, 0)].ID)
		}
	}
	got := map[string]store.WakeupKind{}
	for range 2 {
		w := nextWake(t, ctx, wake)
		got[w.CallID] = w.Kind
	}
	if got["c-1"] != store.WakeNew || got["c-2"] != store.WakeNew {
		t.Errorf("wake-ups %v, want WakeNew for both calls", got)
	}
	all, err := s.ReadLog(ctx, "c-1", "", 10)
	if err != nil || len(all) != 5 {
		t.Fatalf("ReadLog: %d entries, %v", len(all), err)
	}
	for i, e := range all {
		if string(e.Data) != fmt.Sprintf(`{"n":%d}`, i) || e.TenantID != "t" || e.CallID != "c-1" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	rest, _ := s.ReadLog(ctx, "c-1", all[1].ID, 2)
	if len(rest) != 2 || rest[0].ID != all[2].ID {
		t.Fatalf("ReadLog after the second entry: %+v", rest)
	}
	if err := s.TrimLog(ctx, "c-1", all[2].ID); err != nil {
		t.Fatal(err)
	}
	left, _ := s.ReadLog(ctx, "c-1", "", 10)
	if len(left) != 2 || left[0].ID != all[3].ID {
		t.Fatalf("after TrimLog: %+v", left)
	}
	more := []store.LogEntry{{CallID: "c-1", TenantID: "t", At: t0, Data: []byte(`{"n":5}`)}}
	if err := s.Append(ctx, more); err != nil {
		t.Fatal(err)
	}
	if more[0].Prev != entries[4].ID {
		t.Errorf("Prev of an entry appended after a trim: %q, want %q", more[0].Prev, entries[4].ID)
	}
	if w := nextWake(t, ctx, wake); w.CallID != "c-1" || w.Kind != store.WakeAppended {
		t.Errorf("wake-up %+v, want WakeAppended for c-1", w)
	}
	// A log that starts with no incoming call, for a call with neither state nor
	// lease, is parked: kept (a replica may be creating that call), not listed.
	parked := []store.LogEntry{{CallID: "c-parked", At: t0, Data: []byte(`{"n":0}`)}}
	if err := s.Append(ctx, parked); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Unowned(ctx, t0, 100); slices.Contains(ids, "c-parked") {
		t.Errorf("Unowned lists a parked log: %v", ids)
	}
	if ok, err := s.Claim(ctx, "c-parked", "creator", t0, time.Minute); err != nil || !ok {
		t.Fatalf("claiming a parked call: %v %v", ok, err)
	}
	if got, _ := s.ReadLog(ctx, "c-parked", "", 10); len(got) != 1 || string(got[0].Data) != `{"n":0}` {
		t.Errorf("the parked entry, read by the replica that claimed its call: %+v", got)
	}
}
