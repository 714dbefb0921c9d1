package redisstore_test

import (
	"context"
	"errors"
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
	storetest.RunCluster(t, func(t *testing.T) graphcomms.Cluster { return newStore(t, addr) })
}

func TestTrimLogBadPosition(t *testing.T) {
	s := newStore(t, redistest.Addr(t))
	if err := s.TrimLog(redistest.Ctx(t), "c-1", "not-an-id"); err == nil {
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
