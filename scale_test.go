package graphcomms_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
)

// TestManyConcurrentCalls: 1,000 people call at once; every call is answered, gets a
// prompt and a key press, and ends; then nothing is left: no tracked call, no stored
// state, no goroutine.
func TestManyConcurrentCalls(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	before := runtime.NumGoroutine()
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var keys, ended atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tracked []*graphcomms.Call
	e.client.OnIncoming(func(call *graphcomms.Call) {
		mu.Lock()
		tracked = append(tracked, call)
		mu.Unlock()
		call.OnTone(func(media.ToneInfo) { keys.Add(1) })
		call.OnTerminated(func(graphcomms.EndInfo) { ended.Add(1); wg.Done() })
		if err := call.Answer(ctx); err != nil {
			t.Error(err)
			return
		}
		go func() {
			if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
				t.Error(err)
				return
			}
			if _, err := call.SubscribeToTone(ctx); err != nil {
				t.Error(err)
			}
		}()
	})
	handles := make([]*emulator.CallHandle, n)
	wg.Add(n)
	var start sync.WaitGroup
	for i := range n {
		start.Add(1)
		go func() {
			defer start.Done()
			h, err := e.emu.AddUser(fmt.Sprintf("caller-%d", i), emulator.Behavior{}).CallBot()
			if err != nil {
				t.Error(err)
				return
			}
			handles[i] = h
		}()
	}
	start.Wait()
	for _, h := range handles {
		if _, err := h.Wait(ctx, emulator.EventTonesSubscribed); err != nil {
			t.Fatal(err)
		}
	}
	var press sync.WaitGroup
	for _, h := range handles {
		press.Add(1)
		go func() {
			defer press.Done()
			if err := h.Press("5"); err != nil {
				t.Error(err)
			}
			if err := h.HangUp(); err != nil {
				t.Error(err)
			}
		}()
	}
	press.Wait()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("only %d of %d calls ended", ended.Load(), n)
	}
	for _, call := range tracked {
		<-call.Done()
	}
	if keys.Load() != int64(n) {
		t.Errorf("%d tones delivered, want %d", keys.Load(), n)
	}
	if left := len(e.client.Calls()); left != 0 {
		t.Errorf("%d calls still tracked", left)
	}
	// Everything the calls held is gone: compare goroutines once the test's servers are
	// closed.
	e.client.Close()
	e.srv.Close()
	e.emu.Close()
	waitGoroutines(t, before)
}

// waitGoroutines waits (scheduling, not sleeping on a timer) until the goroutine count
// is back to the baseline; idle HTTP connections close in the background.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline+2 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d after the test, %d before\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConvergesUnderFaults: duplicated and reordered notifications still give one tone
// per key press, the right final state, and no leftover call.
func TestConvergesUnderFaults(t *testing.T) {
	e := newEnv(t, nil)
	e.emu.SetFaults(emulator.Faults{DuplicateNotifications: 0.5, ReorderNotifications: 0.3})
	ctx := ctxFor(t)
	var mu sync.Mutex
	var keys []byte
	var states []calls.State
	got := make(chan *graphcomms.Call, 10)
	e.client.OnIncoming(func(call *graphcomms.Call) {
		call.OnTone(func(ti media.ToneInfo) {
			mu.Lock()
			keys = append(keys, ti.Tone.Key())
			mu.Unlock()
		})
		call.OnUpdated(func(_, now calls.Call) {
			mu.Lock()
			states = append(states, now.State)
			mu.Unlock()
		})
		if err := call.Answer(ctx); err != nil {
			t.Error(err)
		}
		got <- call
	})
	for round := range 5 {
		mu.Lock()
		keys, states = nil, nil
		mu.Unlock()
		h, err := e.emu.AddUser(fmt.Sprintf("p%d", round), emulator.Behavior{}).CallBot()
		if err != nil {
			t.Fatal(err)
		}
		call := <-got
		if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
			t.Fatal(err)
		}
		op, err := call.SubscribeToTone(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := op.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h.Press("123"); err != nil {
			t.Fatal(err)
		}
		_ = e.emu.WaitIdle(ctx)
		if err := h.HangUp(); err != nil {
			t.Fatal(err)
		}
		_ = e.emu.WaitIdle(ctx)
		<-call.Done()
		mu.Lock()
		k, st := string(keys), states
		mu.Unlock()
		// Reordering may swap two key presses; each is delivered exactly once.
		if len(k) != 3 || !containsAll(k, "123") {
			t.Errorf("round %d: keys %q", round, k)
		}
		for i := 1; i < len(st); i++ {
			if rankOf(st[i]) < rankOf(st[i-1]) {
				t.Errorf("round %d: state went back: %v", round, st)
			}
		}
		if end, _ := call.End(); end.Reason != calls.EndReasonRemoteHangUp {
			t.Errorf("round %d: end %+v", round, end)
		}
	}
	if n := len(e.client.Calls()); n != 0 {
		t.Errorf("%d calls left", n)
	}
}

func containsAll(s, chars string) bool {
	for _, c := range chars {
		found := false
		for _, d := range s {
			found = found || c == d
		}
		if !found {
			return false
		}
	}
	return true
}

func rankOf(s calls.State) int {
	switch s {
	case calls.StateIncoming:
		return 0
	case calls.StateEstablishing:
		return 1
	case calls.StateEstablished:
		return 2
	case calls.StateTerminated:
		return 5
	}
	return 3
}
