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
// run in order of their due time (then of scheduling), on the caller's goroutine.
//
// A timer scheduled with no delay (d <= 0) is due at once and does not wait for an
// Advance: it runs right away on a goroutine of the clock's own, or sooner when
// RunDue or Advance gets to it first. Zero-delay timers keep the order: they run one
// at a time, never while Advance or RunDue runs other timers, and in the order they
// were scheduled, after any timer that was due before them. It is safe for concurrent
// use.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
	kicked bool       // a goroutine is on its way to run due timers
	busy   sync.Mutex // serialises the running of timers (Advance, RunDue)
}

// NewVirtualClock returns a virtual clock set to start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. With d <= 0, f is due now and runs without an
// Advance, on another goroutine (f may take locks its caller holds).
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &vtimer{at: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	if d <= 0 && !c.kicked {
		c.kicked = true
		go c.runKicked()
	}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		t.cancelled = true
	}
}

// runKicked runs the timers due now, for AfterFunc's zero delays.
func (c *VirtualClock) runKicked() {
	c.busy.Lock()
	defer c.busy.Unlock()
	c.mu.Lock()
	c.kicked = false // timers scheduled from now on kick again
	target := c.now
	c.mu.Unlock()
	c.run(target)
}

// RunDue runs, on the caller's goroutine, every timer due now (those scheduled with no
// delay that have not run yet, and the zero-delay timers they schedule), without
// moving the clock; it is Advance(0). It returns once they have run.
func (c *VirtualClock) RunDue() { c.Advance(0) }

// Advance moves the clock forward by d, running every timer due by then in order
// (timers they schedule run too, when due within the window).
func (c *VirtualClock) Advance(d time.Duration) {
	c.busy.Lock()
	defer c.busy.Unlock()
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.run(target)
}

// run runs every timer due by target, in order, and leaves the clock at target (or
// where it was, when that is later). Callers hold c.busy.
func (c *VirtualClock) run(target time.Time) {
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			if target.After(c.now) {
				c.now = target
			}
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
