package emulator

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the emulator's time source. VirtualClock is the default; RealClock follows
// the wall clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc runs f once d has passed and returns a function that cancels it.
	AfterFunc(d time.Duration, f func()) (cancel func())
}

// RealClock follows the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) func() {
	t := time.AfterFunc(d, f)
	return func() { t.Stop() }
}

// VirtualClock is a clock that moves only when Advance is called; timers due by then
// run in order of their due time, on the caller's goroutine. It is safe for concurrent
// use.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
	busy   sync.Mutex // serialises Advance calls
}

// NewVirtualClock returns a virtual clock set to start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d.
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &vtimer{at: c.now.Add(d), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		t.cancelled = true
	}
}

// Advance moves the clock forward by d, running every timer due by then in order
// (timers they schedule run too, when due within the window).
func (c *VirtualClock) Advance(d time.Duration) {
	c.busy.Lock()
	defer c.busy.Unlock()
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*vtimer)
		if t.at.After(c.now) {
			c.now = t.at
		}
		cancelled := t.cancelled
		c.mu.Unlock()
		if !cancelled {
			t.f()
		}
	}
}

// Next returns how long until the next pending timer, and false when there is none.
func (c *VirtualClock) Next() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) > 0 && c.timers[0].cancelled {
		heap.Pop(&c.timers)
	}
	if len(c.timers) == 0 {
		return 0, false
	}
	return c.timers[0].at.Sub(c.now), true
}

type vtimer struct {
	at        time.Time
	seq       uint64
	f         func()
	cancelled bool
}

type timerHeap []*vtimer

// Len, Less, Swap, Push and Pop implement heap.Interface: timers by due time, then
// by scheduling order.
func (h timerHeap) Len() int { return len(h) }

// Less orders timers by due time, then by scheduling order.
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}

// Swap implements heap.Interface.
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *timerHeap) Push(x any) { *h = append(*h, x.(*vtimer)) }

// Pop implements heap.Interface.
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
