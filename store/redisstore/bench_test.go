package redisstore_test

import (
	"context"
	"testing"

	"github.com/graphcomms/graphcomms/internal/redistest"
	"github.com/graphcomms/graphcomms/store"
	"github.com/graphcomms/graphcomms/store/storetest"
)

// BenchmarkOps: one request of each kind the client makes per notification, against
// a local Redis (go test -run x -bench Ops ./store/redisstore).
func BenchmarkOps(b *testing.B) {
	addr := redistest.Addr(b)
	ctx := context.Background()
	entry := []store.LogEntry{{CallID: "c-1", TenantID: "t", From: "r1", Incoming: true, Data: []byte(`{"changeType":"updated","resourceUrl":"/communications/calls/c-1","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"sequenceId":1,"tone":"tone5"}}}`)}}
	b.Run("Append", func(b *testing.B) {
		s := newStore(b, addr)
		n := 0
		for b.Loop() {
			if err := s.Append(ctx, entry); err != nil {
				b.Fatal(err)
			}
			// Trim as the call's holder would, so that the log stays below its cap
			// (one request every 512 Appends).
			if n++; n%512 == 0 {
				if err := s.TrimLog(ctx, "c-1", entry[0].ID); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ReadLog", func(b *testing.B) {
		s := newStore(b, addr)
		if err := s.Append(ctx, entry); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.ReadLog(ctx, "c-1", "", 64); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put", func(b *testing.B) {
		s := newStore(b, addr)
		st := storetest.Sample("c-1")
		for b.Loop() {
			if err := s.Put(ctx, st); err != nil {
				b.Fatal(err)
			}
			st.Version++
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := newStore(b, addr)
		if err := s.Put(ctx, storetest.Sample("c-1")); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, _, err := s.Get(ctx, "c-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
