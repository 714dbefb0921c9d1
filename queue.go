package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/callstate"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// A call's queue runs its work one item at a time, in order, on a goroutine that
// exists while there is work: batches of log entries to apply, and steps (OnIncoming,
// a roster read's answer, a local end, a state write). Entries enter it in log order:
// an entry the callback handler hands over (deliver) is queued as it is when it
// directly follows the last one queued (its Prev is the queue's tail); otherwise the
// call's log is read from the tail, and until that read is done no entry is queued
// from the handler. The log's cap (store.MemoryConfig.MaxLogEntries) bounds the
// queue: entries leave the log only once applied.
type item struct {
	entries []store.LogEntry
	f       func()
}

// maxBatch bounds the entries applied (and stored with one write) at once.
const maxBatch = 64

// deliver queues a log entry the callback handler has just appended.
func (c *Call) deliver(e *store.LogEntry) {
	c.qmu.Lock()
	if c.reading || e.Prev != c.tail {
		c.qmu.Unlock()
		c.pump()
		return
	}
	c.tail = e.ID
	if n := len(c.items); n > c.head && c.items[n-1].f == nil && len(c.items[n-1].entries) < maxBatch {
		c.items[n-1].entries = append(c.items[n-1].entries, *e)
	} else {
		c.items = append(c.items, item{entries: []store.LogEntry{*e}})
	}
	c.startLocked()
}

// first queues a new call's first log entry, then f, before the call is registered
// (so nothing can come between them). The queue starts once the call is registered
// (Client.register), so f never runs before Client.Call finds the call.
func (c *Call) first(e *store.LogEntry, f func()) {
	c.qmu.Lock()
	if e.Prev == "" {
		c.tail = e.ID
		c.items = append(c.items, item{entries: []store.LogEntry{*e}})
	} else {
		c.reading = true
		c.items = append(c.items, item{f: c.readLog})
	}
	c.items = append(c.items, item{f: f})
	c.qmu.Unlock()
}

// queued returns how much waits in the call's queue, not counting what runs: each
// log entry and each step once (the queue.depth gauge, the readiness probe).
func (c *Call) queued() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	n := 0
	for _, it := range c.items[c.head:] {
		n += max(len(it.entries), 1)
	}
	return n
}

// kick starts the queue's goroutine if there is work and it is not running.
func (c *Call) kick() {
	c.qmu.Lock()
	if c.head == len(c.items) {
		c.qmu.Unlock()
		return
	}
	c.startLocked()
}

// queueFirst queues f before the call is registered (see first).
func (c *Call) queueFirst(f func()) {
	c.qmu.Lock()
	c.items = append(c.items, item{f: f})
	c.qmu.Unlock()
}

// wake is a wake-up for the call: read its log unless everything up to position was
// queued already.
func (c *Call) wake(position string) {
	c.qmu.Lock()
	seen := position != "" && position == c.tail && !c.reading
	c.qmu.Unlock()
	if !seen {
		c.pump()
	}
}

// pump queues a read of the call's log after its tail (one at a time: asked for
// while one is queued or running, it makes that one read again once it is done).
func (c *Call) pump() {
	c.qmu.Lock()
	if c.reading {
		c.again = true
		c.qmu.Unlock()
		return
	}
	c.reading = true
	c.items = append(c.items, item{f: c.readLog})
	c.startLocked()
}

// enqueue adds a step to the call's queue.
func (c *Call) enqueue(f func()) {
	c.qmu.Lock()
	c.items = append(c.items, item{f: f})
	c.startLocked()
}

// persistLater queues a write of the call's state (one at a time).
func (c *Call) persistLater() {
	c.qmu.Lock()
	if c.persistQueued {
		c.qmu.Unlock()
		return
	}
	c.persistQueued = true
	c.items = append(c.items, item{f: func() {
		c.qmu.Lock()
		c.persistQueued = false
		c.qmu.Unlock()
		c.commit(nil)
	}})
	c.startLocked()
}

// startLocked starts the queue's goroutine if it is not running, and unlocks qmu.
func (c *Call) startLocked() {
	if c.running {
		c.qmu.Unlock()
		return
	}
	c.running = true
	c.qmu.Unlock()
	go c.drain()
}

func (c *Call) drain() {
	for {
		c.qmu.Lock()
		if c.head == len(c.items) {
			// Empty: keep the array for the next items (it only grows while the
			// call has a backlog, which its log's cap bounds).
			c.items, c.head, c.running = c.items[:0], 0, false
			c.qmu.Unlock()
			return
		}
		it := c.items[c.head]
		c.items[c.head] = item{}
		c.head++
		if c.head >= 64 && 2*c.head >= len(c.items) {
			// A queue that never empties: move what waits to the front, so that the
			// array does not grow with what was done (amortised O(1) per item).
			n := copy(c.items, c.items[c.head:])
			clear(c.items[n:])
			c.items, c.head = c.items[:n], 0
		}
		c.qmu.Unlock()
		if it.f != nil {
			c.client.callback(c.id, it.f)
		} else {
			c.client.callback(c.id, func() { c.applyEntries(it.entries) })
		}
	}
}

// announce runs the client's OnIncoming or OnResume handlers for the call, on its
// queue, while it has not ended.
func (c *Call) announce(hs *handlers[func(*Call)]) {
	for _, h := range hs.get() {
		if c.isEnded() {
			return
		}
		c.client.callback(c.id, func() { h.f(c) })
	}
}

// readLog reads and applies the call's log after the tail; it runs on the queue.
// Reads asked for meanwhile (again) make it read once more.
func (c *Call) readLog() {
	for {
		c.drainLog()
		c.qmu.Lock()
		if !c.again || c.isGone() {
			c.again, c.reading = false, false
			c.qmu.Unlock()
			return
		}
		c.again = false
		c.qmu.Unlock()
	}
}

// drainLog applies the log after the tail until it is drained.
func (c *Call) drainLog() {
	for {
		if c.isGone() {
			return
		}
		c.qmu.Lock()
		after := c.tail
		c.qmu.Unlock()
		ctx, cancel := c.client.storeCtx(context.Background(), 1)
		recs, err := c.client.cluster.ReadLog(ctx, c.id, after, maxBatch)
		cancel()
		if err != nil {
			// The next wake-up or maintenance pass tries again.
			c.client.log.Warn("graphcomms: reading a call's log", "call", c.id, "error", err)
			return
		}
		if len(recs) == 0 {
			return
		}
		c.qmu.Lock()
		c.tail = recs[len(recs)-1].ID
		c.qmu.Unlock()
		c.applyEntries(recs)
		if len(recs) < maxBatch {
			return
		}
	}
}

func (c *Call) isGone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}

// applyEntries applies log entries, stores the result with one write, then performs
// its effects. It runs on the queue.
func (c *Call) applyEntries(entries []store.LogEntry) {
	c.mu.Lock()
	if c.gone || c.st.Ended {
		c.mu.Unlock()
		return
	}
	fx := c.fx[:0]
	var problems []error // reported once c.mu is released
	var spans []trace.Span
	tracing := c.client.tel.tracing
	for i := range entries {
		e := &entries[i]
		var span trace.Span
		if tracing {
			_, span = c.client.tel.tracer.Start(context.Background(), "graphcomms.apply", trace.WithLinks(linkTo(e.Trace)...),
				trace.WithAttributes(attrCallID.String(c.id), attrTenant.String(e.TenantID), attrScenario.String(e.ScenarioID)))
			spans = append(spans, span)
		}
		c.st.Position = e.ID
		if c.owner == "" && e.TenantID != "" {
			c.owner = e.TenantID // the tenant of a created call's first callback
		}
		if !c.client.tenantOK(c, e.TenantID) {
			problems = append(problems, fmt.Errorf("skipped a callback of tenant %s for a call of tenant %s", e.TenantID, c.owner))
			continue
		}
		notes := e.Notifications
		if notes == nil {
			var err error
			if notes, err = notifications.Parse(e.Data); err != nil {
				problems = append(problems, fmt.Errorf("skipping unreadable log entry %s: %w", e.ID, err))
			}
		}
		for j := range notes {
			fx = c.st.Apply(&notes[j], fx)
			c.rememberNotification(&notes[j])
		}
		if span != nil {
			span.SetAttributes(attribute.Int("graphcomms.notifications", len(notes)))
		}
	}
	c.mu.Unlock()
	for _, err := range problems {
		c.client.reportError(&CallError{CallID: c.id, Stage: StageLog, Err: err})
	}
	c.commit(fx)
	for _, span := range spans {
		span.End()
	}
	c.untrimmed += len(entries)
	if c.untrimmed >= c.client.trim && !c.isGone() {
		ctx, cancel := c.client.storeCtx(context.Background(), 1)
		if err := c.client.cluster.TrimLog(ctx, c.id, entries[len(entries)-1].ID); err == nil {
			c.untrimmed = 0
		}
		cancel()
	}
}

// rememberNotification puts an applied notification into the call's history. c.mu
// is held.
func (c *Call) rememberNotification(n *notifications.Notification) {
	h := HistoryEntry{At: c.client.clock.Now(), Kind: HistoryNotification, NotificationKind: string(n.Kind),
		ChangeType: string(n.ChangeType), State: string(c.st.Call.State), OperationID: n.OperationID}
	switch {
	case n.Call != nil && !n.Call.ResultInfo.IsZero():
		h.Result = n.Call.ResultInfo.String()
	case n.Operation != nil:
		if b := n.Operation.Base(); b != nil {
			h.Result = string(b.Status)
			if !b.ResultInfo.IsZero() {
				h.Result += " " + b.ResultInfo.String()
			}
		}
	}
	c.remember(h)
}

// snapshot returns the state to write next, on the heap (an in-process store keeps
// it, and a state is too large to copy from frame to frame). c.mu is held.
func (c *Call) snapshotLocked() *store.CallState {
	st := new(store.CallState)
	*st = c.st.Snapshot(c.version+1, c.client.clock.Now(), c.client.replica)
	return st
}

// commit stores the call's state, then performs fx. A refused write means another
// replica took the call over: the call is dropped here and fx is not performed, so
// each event is delivered by one replica only. It runs on the queue.
func (c *Call) commit(fx []callstate.Effect) {
	defer func() {
		clear(fx) // keep the array for the next batch, not what it refers to
		c.fx = fx[:0]
	}()
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	st := c.snapshotLocked()
	c.mu.Unlock()
	if err := c.client.put(st); err != nil {
		c.fenced(err)
		return
	}
	c.mu.Lock()
	c.version = st.Version
	c.mu.Unlock()
	// Waiters on the call's state (WaitForState) wake after the batch's other
	// effects: when they return, what the new state sets in motion has been (its
	// keep-alive timer armed, its roster read started), so that a test on a virtual
	// clock that advances it next sees the timer fire.
	changed := false
	for i := range fx {
		if fx[i].Kind == callstate.Changed {
			changed = true
			continue
		}
		c.perform(&fx[i])
	}
	if changed {
		c.perform(&callstate.Effect{Kind: callstate.Changed})
	}
}

// fenced drops a call whose state could not be stored.
func (c *Call) fenced(err error) {
	if errors.Is(err, store.ErrVersionConflict) {
		c.client.log.Info("graphcomms: another replica took the call over", "call", c.id)
	} else {
		c.client.reportError(&CallError{CallID: c.id, Stage: StageStore, Err: err})
	}
	c.lose()
	// Free the lease if it is still ours (two replicas raced), so that the call is not
	// left without a holder until the lease runs out.
	c.client.releaseLease(c.id)
}

// perform carries out one effect of a stored step. It runs on the queue.
func (c *Call) perform(e *callstate.Effect) {
	switch e.Kind {
	case callstate.Updated:
		for _, h := range c.onUpdated.get() {
			c.client.callback(c.id, func() { h.f(*e.Old, *e.New) })
		}
	case callstate.Tone:
		for _, h := range c.onTone.get() {
			c.client.callback(c.id, func() { h.f(e.Tone) })
		}
	case callstate.Roster:
		ev := RosterEvent{Added: e.Roster.Added, Updated: e.Roster.Updated, Removed: e.Roster.Removed}
		for _, h := range c.onRoster.get() {
			c.client.callback(c.id, func() { h.f(ev) })
		}
	case callstate.Changed:
		c.mu.Lock()
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	case callstate.OperationDone:
		c.mu.Lock()
		w := c.waiters[e.ClientContext]
		delete(c.waiters, e.ClientContext)
		c.mu.Unlock()
		if w != nil {
			w.resolve(e.Operation)
		}
	case callstate.ArmKeepAlive:
		c.mu.Lock()
		if c.client.cfg.KeepAliveInterval > 0 && c.keepAlive == nil && !c.st.Ended {
			c.st.KeepAliveArmed = true
			c.scheduleKeepAliveLocked(c.client.cfg.KeepAliveInterval)
		}
		c.mu.Unlock()
	case callstate.ReadRoster:
		gen := e.Gen
		go c.readRoster(gen)
	case callstate.Terminated:
		c.finish(endInfo(e.End))
	case callstate.HandoffFailed:
		c.handoffFailed(e.End.ResultInfo)
	}
}

// finish ends the call once: its context is cancelled, pending operations fail,
// timers stop, OnTerminated runs, and the call is forgotten. It runs on the queue.
func (c *Call) finish(end EndInfo) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended, c.end = true, end
	waiters := c.stopLocked()
	h := c.handoff
	c.handoff = nil
	c.mu.Unlock()
	err := endError(end)
	c.cancel(err)
	for _, w := range waiters {
		w.fail(err)
	}
	if h != nil {
		h.ended(end)
	}
	c.client.forgetLocal(c) // Client.Call no longer finds it once OnTerminated runs
	for _, h := range c.onTerminated.get() {
		c.client.callback(c.id, func() { h.f(end) })
	}
	c.clearHandlers()
	c.mu.Lock()
	c.gone = true
	c.mu.Unlock()
	c.client.untrack(c.id)
	c.closeDone() // after untrack: Done means the call is forgotten
}

// stopLocked stops the call's timers, wakes its waiters and returns its operation
// waiters. c.mu is held.
func (c *Call) stopLocked() []*opState {
	for _, stop := range []func(){c.keepAlive, c.deadline} {
		if stop != nil {
			stop()
		}
	}
	c.keepAlive, c.deadline = nil, nil
	var ws []*opState
	for _, w := range c.waiters {
		ws = append(ws, w)
	}
	c.waiters = nil
	close(c.changed)
	c.changed = make(chan struct{})
	return ws
}

func (c *Call) clearHandlers() {
	c.onUpdated.clear()
	c.onTone.clear()
	c.onTerminated.clear()
	c.onRoster.clear()
}

// lose drops a call another replica has taken over (or the client closed): no event,
// no store write; pending operations and waits end with ErrCallMoved (a call that had
// ended keeps its EndInfo). It runs on the queue.
func (c *Call) lose() {
	c.mu.Lock()
	if c.torn {
		c.mu.Unlock()
		return
	}
	c.torn, c.gone = true, true
	if !c.ended {
		c.ended = true
		c.end = EndInfo{Reason: calls.EndReasonUnknown, Err: ErrCallMoved}
	}
	end := c.end
	waiters := c.stopLocked()
	h := c.handoff
	c.handoff = nil
	c.mu.Unlock()
	err := endError(EndInfo{Err: ErrCallMoved})
	c.cancel(endError(end))
	for _, w := range waiters {
		w.fail(err)
	}
	if h != nil {
		h.settle(end, err)
	}
	c.clearHandlers()
	c.client.forgetLocal(c)
	c.closeDone()
}

// closeDone closes the Done channel, once.
func (c *Call) closeDone() { c.doneOnce.Do(func() { close(c.done) }) }

// endLocally ends the call without a notification (a failed answer, a 404, ...),
// through the call's queue so that it stays in order with its events.
func (c *Call) endLocally(end EndInfo) {
	c.enqueue(func() {
		c.mu.Lock()
		fx := c.st.EndLocally(callstate.End{Reason: end.Reason, ResultInfo: end.ResultInfo, Err: end.Err}, c.fx[:0])
		c.mu.Unlock()
		c.commit(fx)
	})
}

// armDeadline drops an incoming call nobody answers within Config.AnswerTimeout.
func (c *Call) armDeadline() {
	limit := c.client.cfg.AnswerTimeout
	c.mu.Lock()
	defer c.mu.Unlock()
	if limit < 0 || c.st.IncomingAt.IsZero() {
		return
	}
	d := max(c.st.IncomingAt.Add(limit).Sub(c.client.clock.Now()), 0)
	c.deadline = c.client.clock.AfterFunc(d, func() {
		c.enqueue(func() {
			c.mu.Lock()
			var fx []callstate.Effect
			if c.st.Unanswered(c.client.clock.Now(), limit) {
				c.client.log.Warn("graphcomms: incoming call not answered in time; dropped", "call", c.id)
				fx = c.st.EndLocally(callstate.End{Reason: calls.EndReasonUnknown, Err: ErrNotAnswered}, c.fx[:0])
			}
			c.mu.Unlock()
			if len(fx) > 0 {
				c.commit(fx)
			}
		})
	})
}

// restoreTimers re-arms, on a call taken over, what its previous holder had armed:
// operation polls, keep-alive at its stored due time, the answer deadline.
func (c *Call) restoreTimers() {
	ccs, ids, types := c.st.PendingOperations()
	c.mu.Lock()
	for i, cc := range ccs {
		w := newOpState(cc, types[i])
		w.id = ids[i]
		c.waiters[cc] = w
		c.schedulePollLocked(w)
	}
	if r := callstate.Rank(c.st.Call.State); r >= 2 && r < 5 && c.client.cfg.KeepAliveInterval > 0 {
		due := max(c.st.KeepAliveAt.Sub(c.client.clock.Now()), 0)
		if c.st.KeepAliveAt.IsZero() {
			due = 0
		}
		c.st.KeepAliveArmed = true
		c.armKeepAliveLocked(c.client.cfg.KeepAliveInterval, due)
	}
	c.mu.Unlock()
	c.armDeadline()
}

// scheduleKeepAliveLocked arms the next keepAlive. The tick arms the one after before
// it sends, so the cadence does not drift with Graph's latency (and a virtual clock in
// tests sees every tick armed as soon as the previous one fired). c.mu is held.
func (c *Call) scheduleKeepAliveLocked(interval time.Duration) {
	jitter := time.Duration(rand.Int64N(int64(interval/10) + 1))
	c.armKeepAliveLocked(interval, interval-jitter)
}

// armKeepAliveLocked arms the next keepAlive in d, then every interval. c.mu is held.
func (c *Call) armKeepAliveLocked(interval, d time.Duration) {
	c.st.KeepAliveAt = c.client.clock.Now().Add(d)
	c.keepAlive = c.client.clock.AfterFunc(d, func() {
		c.mu.Lock()
		if c.ended || c.keepAlive == nil {
			c.mu.Unlock()
			return
		}
		c.scheduleKeepAliveLocked(interval)
		c.mu.Unlock()
		go c.sendKeepAlive()
	})
}

func (c *Call) sendKeepAlive() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, span := c.startSpan(ctx, "graphcomms.keepAlive")
	err := c.KeepAlive(ctx)
	if err != nil { // counted before the span ends, so that whoever sees the span sees the count
		c.client.tel.kaFail.Add(context.Background(), 1)
	}
	endSpan(span, err)
	if err != nil {
		if !calls.IsNotFound(err) && !errors.Is(err, ErrCallEnded) { // a 404 has already ended the call locally
			c.client.reportError(&CallError{CallID: c.id, Stage: StageKeepAlive, Err: err})
		}
		return
	}
	// Store when the next one is due, for a replica that may take the call over.
	c.persistLater()
}

// readRoster reads the roster with GET and hands it to the state machine, which
// drops it when a roster notification overtook it and coalesces further reads.
func (c *Call) readRoster(gen int64) {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	page, err := c.builder().Participants().Get(ctx, c.opts(nil)...)
	var ps []participants.Participant
	if err != nil {
		if !calls.IsNotFound(err) && c.ctx.Err() == nil {
			c.client.reportError(&CallError{CallID: c.id, Stage: StageRoster, Err: err})
		}
	} else {
		ps = page.Value
	}
	c.enqueue(func() {
		c.mu.Lock()
		if c.gone {
			c.mu.Unlock()
			return
		}
		fx := c.st.RosterRead(ps, gen, err == nil, c.fx[:0])
		c.mu.Unlock()
		if len(fx) > 0 {
			c.commit(fx)
		}
	})
}
