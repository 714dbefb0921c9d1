package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/internal/redistest"
	"github.com/graphcomms/graphcomms/store/redisstore"
	"github.com/graphcomms/graphcomms/storetest"
)

func newStore(t testing.TB, addr string) *redisstore.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return redisstore.New(rdb, redisstore.Options{Prefix: redistest.Prefix(t)})
}

func TestConformance(t *testing.T) {
	addr := redistest.Addr(t)
	storetest.Run(t, func(t *testing.T) graphcomms.Store { return newStore(t, addr) })
}

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func TestLeases(t *testing.T) {
	s := newStore(t, redistest.Addr(t))
	ctx := redistest.Ctx(t)
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
}

func TestLog(t *testing.T) {
	s := newStore(t, redistest.Addr(t))
	ctx := redistest.Ctx(t)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := s.Wakeups(wctx)
	if w := <-wake; w.CallID != "" {
		t.Fatalf("first wake-up %+v, want the subscription's empty one", w)
	}
	var entries []graphcomms.LogEntry
	for i := range 5 {
		entries = append(entries, graphcomms.LogEntry{CallID: "c-1", TenantID: "t", Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	entries = append(entries, graphcomms.LogEntry{CallID: "c-2", Data: []byte(`{}`)})
	if err := s.Append(ctx, entries); err != nil {
		t.Fatal(err)
	}
	got := map[string]graphcomms.WakeupKind{}
	for range 2 {
		w := <-wake
		got[w.CallID] = w.Kind
	}
	if got["c-1"] != graphcomms.WakeNew || got["c-2"] != graphcomms.WakeNew {
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
	if err := s.Append(ctx, entries[:1]); err != nil {
		t.Fatal(err)
	}
	if w := <-wake; w.CallID != "c-1" || w.Kind != graphcomms.WakeAppended {
		t.Errorf("wake-up %+v, want WakeAppended for c-1", w)
	}
	if err := s.TrimLog(ctx, "c-1", "not-an-id"); err == nil {
		t.Error("TrimLog accepted a bad position")
	}
}

// TestRedisDown: every method fails with an error (no hang, no panic) while Redis is
// away, and works again once it is back.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr)
	ctx := redistest.Ctx(t)
	if err := s.Put(ctx, storetest.Sample("c-1")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Append(short, []graphcomms.LogEntry{{CallID: "c-1", Data: []byte(`{}`)}}); err == nil {
		t.Fatal("Append succeeded with Redis down")
	}
	if _, _, err := s.Get(short, "c-1"); err == nil {
		t.Fatal("Get succeeded with Redis down")
	}
	st := storetest.Sample("c-1")
	st.Version = 2
	if err := s.Put(short, st); err == nil || errors.Is(err, graphcomms.ErrVersionConflict) {
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
}
