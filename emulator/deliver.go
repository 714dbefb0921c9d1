package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/auth/authtest"
)

// Faults are the failures an emulator injects. Probabilities are between 0 and 1 and
// use the emulator's seeded random source.
type Faults struct {
	// DropNotifications, DuplicateNotifications and ReorderNotifications are the
	// chances that a notification is lost, sent twice, or held back behind the next one.
	DropNotifications      float64
	DuplicateNotifications float64
	ReorderNotifications   float64
	// DelayNotifications holds every notification back this long in emulated time.
	DelayNotifications time.Duration
	// ThrottleRequests and UnavailableRequests are the chances that an API request is
	// answered 429 or 503, with Retry-After.
	ThrottleRequests    float64
	UnavailableRequests float64
	// RetryAfter is sent with 429 and 503; default 1 s.
	RetryAfter time.Duration
	// Latency is how long (real time) the emulator waits before answering each API
	// request.
	Latency time.Duration
}

type faults struct {
	Faults
	failNext      []int        // statuses for the next API requests (FailNextRequests)
	aimed         []aimedFault // FailNext
	ops           []OperationFault
	dropNext      int
	duplicateNext int
	reorderNext   int
	delayNext     []time.Duration
}

// SetFaults replaces the emulator's probabilistic faults.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.Faults = f
}

// FailNextRequests makes the next n API requests fail with status (429 or 503 get
// Retry-After), whichever requests they are; FailNext aims a failure at one kind of
// request, and FailNextOperation at an operation's completion.
func (e *Emulator) FailNextRequests(n, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults.failNext = append(e.faults.failNext, status)
	}
}

// DropNextNotifications loses the next n notifications.
func (e *Emulator) DropNextNotifications(n int) { e.withFaults(func(f *faults) { f.dropNext += n }) }

// DuplicateNextNotifications sends each of the next n notifications twice.
func (e *Emulator) DuplicateNextNotifications(n int) {
	e.withFaults(func(f *faults) { f.duplicateNext += n })
}

// ReorderNextNotifications holds each of the next n notifications back behind the one
// that follows it.
func (e *Emulator) ReorderNextNotifications(n int) {
	e.withFaults(func(f *faults) { f.reorderNext += n })
}

// DelayNextNotification holds the next notification back for d of emulated time.
func (e *Emulator) DelayNextNotification(d time.Duration) {
	e.withFaults(func(f *faults) { f.delayNext = append(f.delayNext, d) })
}

func (e *Emulator) withFaults(fn func(*faults)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(&e.faults)
}

// outgoing is one notification POST.
type outgoing struct {
	url    string
	body   []byte
	desc   string
	callID string
}

// deliverer POSTs notifications in order from one goroutine.
type deliverer struct {
	e        *Emulator
	mu       sync.Mutex
	cond     *sync.Cond
	queue    []outgoing
	held     *outgoing // reordered: sent after the next one
	inflight int
	closed   bool
	idle     chan struct{}

	tokenMu sync.Mutex
	token   string
	tokenAt time.Time
}

func newDeliverer(e *Emulator) *deliverer {
	d := &deliverer{e: e, idle: make(chan struct{})}
	d.cond = sync.NewCond(&d.mu)
	close(d.idle)
	go d.run()
	return d
}

func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	d.queue = nil
	d.cond.Broadcast()
	d.mu.Unlock()
}

// send applies the notification faults and queues o. Callers may hold e.mu.
func (e *Emulator) send(o outgoing) {
	f := &e.faults
	drop := f.dropNext > 0 || f.DropNotifications > 0 && e.rng.Float64() < f.DropNotifications
	if f.dropNext > 0 {
		f.dropNext--
	}
	if drop {
		e.record(EventNotificationFault, o.callID, "", "dropped "+o.desc, map[string]string{"fault": "drop"})
		return
	}
	copies := 1
	if f.duplicateNext > 0 || f.DuplicateNotifications > 0 && e.rng.Float64() < f.DuplicateNotifications {
		copies = 2
		if f.duplicateNext > 0 {
			f.duplicateNext--
		}
		e.record(EventNotificationFault, o.callID, "", "duplicated "+o.desc, map[string]string{"fault": "duplicate"})
	}
	reorder := f.reorderNext > 0 || f.ReorderNotifications > 0 && e.rng.Float64() < f.ReorderNotifications
	if f.reorderNext > 0 {
		f.reorderNext--
	}
	delay := f.DelayNotifications
	if len(f.delayNext) > 0 {
		delay, f.delayNext = f.delayNext[0], f.delayNext[1:]
	}
	enqueue := func() {
		for range copies {
			e.out.push(o, reorder)
		}
	}
	if delay > 0 {
		e.record(EventNotificationFault, o.callID, "", fmt.Sprintf("delayed %s by %s", o.desc, delay), map[string]string{"fault": "delay"})
		e.clock.AfterFunc(delay, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			enqueue()
		})
		return
	}
	if reorder {
		e.record(EventNotificationFault, o.callID, "", "reordered "+o.desc, map[string]string{"fault": "reorder"})
	}
	enqueue()
}

func (d *deliverer) push(o outgoing, holdBack bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	if d.inflight == 0 && len(d.queue) == 0 && d.held == nil {
		d.idle = make(chan struct{})
	}
	if holdBack && d.held == nil {
		d.held = &o
		// Released after the next notification, or shortly when none follows.
		time.AfterFunc(50*time.Millisecond, d.releaseHeld)
		return
	}
	d.queue = append(d.queue, o)
	if d.held != nil {
		d.queue = append(d.queue, *d.held)
		d.held = nil
	}
	d.cond.Signal()
}

// releaseHeld sends a held-back notification that no other one followed.
func (d *deliverer) releaseHeld() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.held != nil && !d.closed {
		d.queue = append(d.queue, *d.held)
		d.held = nil
		d.cond.Signal()
	}
}

func (d *deliverer) run() {
	for {
		d.mu.Lock()
		for len(d.queue) == 0 && !d.closed {
			d.cond.Wait()
		}
		if d.closed {
			d.mu.Unlock()
			return
		}
		o := d.queue[0]
		d.queue = d.queue[1:]
		d.inflight++
		d.mu.Unlock()

		d.post(o)

		d.mu.Lock()
		d.inflight--
		if d.inflight == 0 && len(d.queue) == 0 && d.held == nil {
			close(d.idle)
		}
		d.mu.Unlock()
	}
}

// bearer returns a token for the bot, minted again every 30 minutes (wall clock).
func (d *deliverer) bearer() string {
	d.tokenMu.Lock()
	defer d.tokenMu.Unlock()
	if d.token == "" || time.Since(d.tokenAt) > 30*time.Minute {
		d.token = d.e.issuer.Token(d.e.cfg.AppID, d.e.cfg.TenantID)
		d.tokenAt = time.Now()
	}
	return d.token
}

// post delivers one notification, retrying (as Graph does) when the bot answers 429,
// 5xx or cannot be reached.
func (d *deliverer) post(o outgoing) {
	e := d.e
	for attempt := 0; attempt < 5; attempt++ {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, o.url, bytes.NewReader(o.body))
		if err != nil {
			e.log.Warn("notification: bad callback URL", "url", o.url, "error", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authtest.BearerHeader(d.bearer()))
		req.Header.Set("client-request-id", requestID())
		resp, err := e.cfg.HTTPClient.Do(req)
		status := 0
		var wait time.Duration
		if err == nil {
			status = resp.StatusCode
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
				wait = time.Duration(s) * time.Second
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if status < 300 {
				e.record(EventNotificationSent, o.callID, "", fmt.Sprintf("%s -> %d", o.desc, status), map[string]string{"body": string(o.body)})
				return
			}
			if status != http.StatusTooManyRequests && status < 500 {
				e.log.Warn(fmt.Sprintf("notification %s rejected by the bot: %d", o.desc, status))
				e.record(EventNotificationFault, o.callID, "", fmt.Sprintf("%s rejected by the bot: %d", o.desc, status), map[string]string{"fault": "rejected"})
				return
			}
		}
		// Graph retries; the emulator keeps the waits short so tests stay fast.
		if wait <= 0 || wait > time.Second {
			wait = time.Duration(20<<attempt) * time.Millisecond
		}
		e.log.Warn(fmt.Sprintf("notification %s: attempt %d failed (status %d, %v); retrying", o.desc, attempt+1, status, err))
		time.Sleep(wait)
	}
	e.record(EventNotificationFault, o.callID, "", "gave up delivering "+o.desc, map[string]string{"fault": "undeliverable"})
}

// WaitIdle runs what is due at once on a virtual clock (zero-delay behaviours such as
// Behavior{}'s answer; see VirtualClock) and waits until every queued notification has
// been delivered (or given up). Notifications delayed in emulated time are not waited
// for.
func (e *Emulator) WaitIdle(ctx context.Context) error {
	e.runDue()
	for {
		e.out.mu.Lock()
		if e.out.held != nil && len(e.out.queue) == 0 && e.out.inflight == 0 {
			// A notification held back for reordering had no successor: send it now.
			e.out.queue = append(e.out.queue, *e.out.held)
			e.out.held = nil
			e.out.cond.Signal()
		}
		idle := e.out.idle
		e.out.mu.Unlock()
		select {
		case <-idle:
			e.out.mu.Lock()
			done := e.out.inflight == 0 && len(e.out.queue) == 0
			e.out.mu.Unlock()
			if done {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("emulator: waiting for notifications to be delivered: %w", ctx.Err())
		}
	}
}
