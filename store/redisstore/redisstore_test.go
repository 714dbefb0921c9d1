package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms/internal/redistest"
	"github.com/graphcomms/graphcomms/store"
	"github.com/graphcomms/graphcomms/store/redisstore"
	"github.com/graphcomms/graphcomms/store/storetest"
)

func newStore(t testing.TB, addr string) *redisstore.Store {
	t.Helper()
	s, _, _ := newStoreOpts(t, addr, redisstore.Options{})
	return s
}

// newStoreOpts returns a Store with opts under a prefix of the test's own, its client
// and the prefix.
func newStoreOpts(t testing.TB, addr string, opts redisstore.Options) (*redisstore.Store, *redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	opts.Prefix = redistest.Prefix(t)
	return redisstore.New(rdb, opts), rdb, opts.Prefix
}

func TestConformance(t *testing.T) {
	addr := redistest.Addr(t)
	storetest.RunCluster(t, func(t *testing.T) store.Cluster { return newStore(t, addr) })
}

func TestTrimLogBadPosition(t *testing.T) {
	s := newStore(t, redistest.Addr(t))
	if err := s.TrimLog(redistest.Ctx(t), "c-1", "not-an-id"); err == nil {
		t.Error("TrimLog accepted a bad position")
	}
}

// TestLogFull: a log at MaxLogEntries refuses the whole Append with ErrLogFull, and
// takes entries again once its holder trimmed it.
func TestLogFull(t *testing.T) {
	s, _, _ := newStoreOpts(t, redistest.Addr(t), redisstore.Options{MaxLogEntries: 2})
	ctx := redistest.Ctx(t)
	first := []store.LogEntry{{CallID: "c-1", Incoming: true, Data: []byte(`{"n":0}`)}, {CallID: "c-1", Data: []byte(`{"n":1}`)}}
	if err := s.Append(ctx, first); err != nil {
		t.Fatal(err)
	}
	refused := []store.LogEntry{{CallID: "c-2", Incoming: true, Data: []byte(`{}`)}, {CallID: "c-1", Data: []byte(`{"n":2}`)}}
	err := s.Append(ctx, refused)
	if !errors.Is(err, store.ErrLogFull) {
		t.Fatalf("Append to a full log: %v, want ErrLogFull", err)
	}
	if refused[0].ID != "" || refused[1].ID != "" {
		t.Errorf("a refused Append set IDs: %+v", refused)
	}
	if got, _ := s.ReadLog(ctx, "c-2", "", 10); len(got) != 0 {
		t.Errorf("a refused Append appended to another call: %+v", got)
	}
	if ids, _ := s.Unowned(ctx, time.Now(), 10); !slices.Equal(ids, []string{"c-1"}) {
		t.Errorf("Unowned after a refused Append = %v, want [c-1]", ids)
	}
	if got, _ := s.ReadLog(ctx, "c-1", "", 10); len(got) != 2 {
		t.Errorf("the full log holds %d entries, want 2", len(got))
	}
	if err := s.TrimLog(ctx, "c-1", first[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, refused); err != nil {
		t.Fatalf("Append after the log was trimmed: %v", err)
	}
	if refused[1].Prev != first[1].ID {
		t.Errorf("Prev after a refusal and a trim: %q, want %q", refused[1].Prev, first[1].ID)
	}
}

// TestParked: a log that starts without an incoming entry, for a call with neither
// state nor lease, expires unless its call gets a lease or a state, wakes nobody, and
// is capped at MaxParkedEntries without an error.
func TestParked(t *testing.T) {
	s, rdb, prefix := newStoreOpts(t, redistest.Addr(t), redisstore.Options{MaxParkedEntries: 2, MaxLogEntries: 10})
	ctx := redistest.Ctx(t)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := s.Wakeups(wctx)
	if w := <-wake; w.CallID != "" {
		t.Fatalf("first wake-up %+v", w)
	}
	ttl := func(callID string) time.Duration {
		t.Helper()
		d, err := rdb.PTTL(ctx, prefix+"log:"+callID).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	entry := func(callID string, n int) store.LogEntry {
		return store.LogEntry{CallID: callID, TenantID: "t", From: "r1", Data: fmt.Appendf(nil, `{"n":%d}`, n)}
	}

	// Parked, then claimed: the claim keeps it.
	claimed := []store.LogEntry{entry("c-claimed", 0), entry("c-claimed", 1), entry("c-claimed", 2)}
	if err := s.Append(ctx, claimed); err != nil {
		t.Fatalf("Append over the parked cap: %v, want it dropped silently", err)
	}
	if claimed[0].ID == "" || claimed[1].Prev != claimed[0].ID || claimed[2].ID != "" || claimed[2].Prev != "" {
		t.Errorf("IDs of parked entries, the third over the cap: %+v", claimed)
	}
	if d := ttl("c-claimed"); d <= 0 || d > store.DefaultParkedTTL {
		t.Errorf("TTL of a parked log: %v, want up to %v", d, store.DefaultParkedTTL)
	}
	more := []store.LogEntry{entry("c-claimed", 3)}
	if err := s.Append(ctx, more); err != nil || more[0].ID != "" {
		t.Fatalf("Append to a parked log at its cap: %v, ID %q", err, more[0].ID)
	}
	if ids, _ := s.Unowned(ctx, time.Now(), 10); len(ids) != 0 {
		t.Errorf("Unowned lists parked logs: %v", ids)
	}
	if ok, err := s.Claim(ctx, "c-claimed", "r1", time.Now(), time.Minute); err != nil || !ok {
		t.Fatalf("Claim: %v %v", ok, err)
	}
	if d := ttl("c-claimed"); d != -1 {
		t.Errorf("TTL of a claimed call's log: %v, want none (-1ns)", d)
	}
	got, err := s.ReadLog(ctx, "c-claimed", "", 10)
	if err != nil || len(got) != 2 || string(got[1].Data) != `{"n":1}` {
		t.Fatalf("the parked log, read after the claim: %+v %v", got, err)
	}
	if got[1].Prev != claimed[0].ID || got[1].From != "r1" || got[1].TenantID != "t" || got[1].Incoming {
		t.Errorf("a parked entry read back: %+v", got[1])
	}
	// No longer parked: its cap is MaxLogEntries.
	more = []store.LogEntry{entry("c-claimed", 4)}
	if err := s.Append(ctx, more); err != nil || more[0].ID == "" || more[0].Prev != claimed[1].ID {
		t.Fatalf("Append to a claimed call: %v, %+v", err, more[0])
	}

	// Parked, then given a state: the Put keeps it.
	if err := s.Append(ctx, []store.LogEntry{entry("c-stored", 0)}); err != nil {
		t.Fatal(err)
	}
	if d := ttl("c-stored"); d <= 0 {
		t.Errorf("TTL of a parked log: %v", d)
	}
	if err := s.Put(ctx, storetest.Sample("c-stored")); err != nil {
		t.Fatal(err)
	}
	if d := ttl("c-stored"); d != -1 {
		t.Errorf("TTL of a stored call's log: %v, want none (-1ns)", d)
	}

	// Parked logs woke nobody: the first wake-up naming a call is the incoming one.
	if err := s.Append(ctx, []store.LogEntry{entry("c-parked", 0), {CallID: "c-new", Incoming: true, Data: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	for {
		w := <-wake
		if w.CallID == "" {
			continue
		}
		if w.CallID == "c-claimed" && w.Kind == store.WakeAppended || w.CallID == "c-stored" && w.Kind == store.WakeAppended {
			t.Fatalf("wake-up %+v for an entry appended by the call's holder or parked", w)
		}
		if w.CallID != "c-new" || w.Kind != store.WakeNew {
			t.Fatalf("wake-up %+v, want WakeNew for c-new (parked logs wake nobody)", w)
		}
		break
	}
}

// TestParkedExpires: Redis drops a parked log after ParkedTTL.
func TestParkedExpires(t *testing.T) {
	s, rdb, prefix := newStoreOpts(t, redistest.Addr(t), redisstore.Options{ParkedTTL: 20 * time.Millisecond})
	ctx := redistest.Ctx(t)
	if err := s.Append(ctx, []store.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := rdb.Exists(ctx, prefix+"log:c-1").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the parked log did not expire")
		}
		time.Sleep(10 * time.Millisecond) // waiting for Redis's expiry, not timing behaviour
	}
	e := []store.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}
	if err := s.Append(ctx, e); err != nil || e[0].ID == "" || e[0].Prev != "" {
		t.Fatalf("Append after the parked log expired: %v %+v", err, e[0])
	}
}

// TestRedisDown: every method fails with an error (no hang, no panic) while Redis is
// away, and works again once it is back, with what was acknowledged (state and log
// positions) kept by the AOF.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr)
	ctx := redistest.Ctx(t)
	if err := s.Put(ctx, storetest.Sample("c-1")); err != nil {
		t.Fatal(err)
	}
	before := []store.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}
	if err := s.Append(ctx, before); err != nil {
		t.Fatal(err)
	}
	if err := s.TrimLog(ctx, "c-1", before[0].ID); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Append(short, []store.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}); err == nil {
		t.Fatal("Append succeeded with Redis down")
	}
	if _, _, err := s.Get(short, "c-1"); err == nil {
		t.Fatal("Get succeeded with Redis down")
	}
	st := storetest.Sample("c-1")
	st.Version = 2
	if err := s.Put(short, st); err == nil || errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("Put with Redis down: %v", err)
	}
	srv.Restart()
	got, ok, err := s.Get(ctx, "c-1")
	if err != nil || !ok || got.Version != 1 {
		t.Fatalf("after the restart: %v %v %v (the AOF should have kept version 1)", got.Version, ok, err)
	}
	if err := s.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	after := []store.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}
	if err := s.Append(ctx, after); err != nil {
		t.Fatal(err)
	}
	if after[0].Prev != before[0].ID {
		t.Errorf("Prev after a trim and a restart: %q, want %q", after[0].Prev, before[0].ID)
	}
}
