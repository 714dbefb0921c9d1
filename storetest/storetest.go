// Package storetest is the conformance test every graphcomms.Store must pass. Call Run
// from a test of your implementation:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) graphcomms.Store { return newMyStore(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// Run runs the conformance tests. newStore must return an empty store each time.
func Run(t *testing.T, newStore func(t *testing.T) graphcomms.Store) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, newStore(t)) })
	t.Run("Versions", func(t *testing.T) { testVersions(t, newStore(t)) })
	t.Run("Copies", func(t *testing.T) { testCopies(t, newStore(t)) })
	t.Run("DeleteList", func(t *testing.T) { testDeleteList(t, newStore(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrent(t, newStore(t)) })
}

// Sample returns a realistic call state with two participants.
func Sample(callID string) graphcomms.CallState {
	c := calls.Call{ID: callID, State: calls.StateEstablished, Direction: calls.DirectionIncoming,
		CallbackURI: "https://bot.example.com/api/calls", MediaState: media.CallMediaState{Audio: media.StateActive},
		Source: participants.Info{Identity: participants.User("u-1", "t-1")}, TenantID: "t-1",
		ResultInfo: calls.ResultInfo{Code: 200}}
	ps := []participants.Participant{
		{ID: "p-bot", Info: participants.Info{Identity: participants.Application("app", "Bot")}},
		{ID: "p-1", Info: participants.Info{Identity: participants.User("u-1", "t-1")}, IsMuted: true},
	}
	return graphcomms.CallState{CallID: callID, Version: 1, Call: c, Participants: ps, RosterSequence: 3, ToneSequence: 2,
		Operations: []graphcomms.PendingOperation{{ID: "op-1", ClientContext: "ctx", Type: "#microsoft.graph.playPromptOperation",
			StartedAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}},
		KeepAliveAt: time.Date(2026, 1, 5, 9, 15, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 5, 9, 0, 1, 0, time.UTC)}
}

func testPutGet(t *testing.T, s graphcomms.Store) {
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

func testVersions(t *testing.T, s graphcomms.Store) {
	ctx := context.Background()
	st := Sample("c-1")
	st.Version = 2
	if err := s.Put(ctx, st); !errors.Is(err, graphcomms.ErrVersionConflict) {
		t.Fatalf("first Put with version 2: %v, want ErrVersionConflict", err)
	}
	st.Version = 1
	if err := s.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, st); !errors.Is(err, graphcomms.ErrVersionConflict) {
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

func testCopies(t *testing.T, s graphcomms.Store) {
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

func testDeleteList(t *testing.T, s graphcomms.Store) {
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
func testConcurrent(t *testing.T, s graphcomms.Store) {
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
				case errors.Is(err, graphcomms.ErrVersionConflict):
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
