package graphcomms

// The runtime: how a notification travels, the same way for one process and for
// replicas.
//
//	ServeHTTP (client.go) -> notifications.Handler: size, token, Parse
//	  -> Client.accept (runtime.go): group by call, tenant check, Cluster.Append, 202
//	  -> Call.deliver (queue.go): in hand when it follows what the call has queued,
//	     otherwise a read of the call's log
//	  -> Call.applyEntries (queue.go): callstate.State.Apply for each notification
//	  -> Call.commit (queue.go): one versioned Put for the batch, then the effects:
//	     user callbacks, waiters, timers, roster reads, the end.
//
// A call is held by one replica (its lease); a single process holds every call.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/callstate"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/store"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// trimEvery is how many applied entries a shared log keeps before they are trimmed.
const trimEvery = 32

// maxAdopting bounds the takeovers a replica runs at once.
const maxAdopting = 8

// lease is how long each claim or renewal holds a call: four scan periods, so that a
// dead replica's lease runs out at most LeaseTTL - LeaseTTL/5 after its last renewal,
// and the next scan (at most LeaseTTL/5 later) takes its calls over: within LeaseTTL
// of its death.
func (c *Client) lease() time.Duration { return c.ttl - c.ttl/5 }

func (c *Client) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	wakeups := c.cluster.Wakeups(ctx)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case <-c.stop:
				return
			case w, ok := <-wakeups:
				if !ok {
					return
				}
				c.wake(w)
			}
		}
	}()
	c.armTick()
}

// armTick arms the next maintenance pass: lease renewal, a log check of every call
// held (in case a wake-up was missed) and a scan for calls without a live holder.
func (c *Client) armTick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	// The pass runs on the timer's goroutine: with a virtual clock, each pass then
	// happens at its own (virtual) time, as it would with the wall clock.
	c.stopTick = c.clock.AfterFunc(c.ttl/5, func() {
		c.armTick()
		c.maintain()
	})
}

// goTracked runs f on a goroutine that Close waits for, unless the client is closed.
func (c *Client) goTracked(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// accept stores a callback's notifications in their calls' logs before the handler
// answers 202, then hands each to its call when this replica holds it, and takes new
// incoming calls.
func (c *Client) accept(ctx context.Context, b notifications.Batch) error {
	entries, err := c.logEntries(b)
	if err != nil {
		c.reportError(&CallError{Stage: StageLog, Err: err})
	}
	if len(entries) == 0 {
		return nil
	}
	for i := range entries {
		// Call IDs become URL path segments and store keys: one that cannot be a
		// Graph call ID (../answer, say) refuses the whole callback before anything
		// is stored. Graph does not resend a 400.
		if err := graph.ValidateID(entries[i].CallID); err != nil {
			c.log.Warn("graphcomms: refused a callback naming an invalid call ID", "error", err)
			return &notifications.RejectError{Status: http.StatusBadRequest, Reason: "notification for an invalid call ID", Err: err}
		}
	}
	link := ""
	if c.tel.tracing {
		link = callbackLink(ctx)
	}
	for i := range entries {
		entries[i].ScenarioID, entries[i].Trace = b.ScenarioID, link
	}
	held := make([]*Call, len(entries))
	c.mu.Lock()
	for i := range entries {
		held[i] = c.calls[entries[i].CallID]
	}
	c.mu.Unlock()
	for i, call := range held {
		if call != nil && !c.tenantOK(call, entries[i].TenantID) {
			c.log.Warn("graphcomms: refused a callback for a call of another tenant", "call", call.id,
				"callTenant", call.owner, "tokenTenant", entries[i].TenantID)
			c.countReceived(b, "refused")
			return &notifications.RejectError{Status: 403, Reason: "callback token is for another tenant than the call's"}
		}
	}
	ctx, cancel := c.storeCtx(ctx, 1)
	defer cancel()
	start := time.Now()
	err = c.cluster.Append(ctx, entries)
	if c.owned == nil && c.tel.metering {
		c.tel.appendDur.Record(ctx, time.Since(start).Seconds())
	}
	if err != nil {
		c.countReceived(b, "refused")
		return fmt.Errorf("graphcomms: storing the notifications of %d calls: %w", len(entries), err)
	}
	c.countReceived(b, "accepted")
	for i := range entries {
		switch {
		case held[i] != nil:
			held[i].deliver(&entries[i])
		case entries[i].Incoming:
			c.claimIncoming(&entries[i])
		}
	}
	return nil
}

// countReceived counts a callback's notifications by kind, with their outcome.
func (c *Client) countReceived(b notifications.Batch, outcome string) {
	if !c.tel.metering {
		return
	}
	for i := range b.Notifications {
		c.tel.received.Add(context.Background(), 1, metric.WithAttributes(attrKind.String(string(b.Notifications[i].Kind)),
			attrOutcome.String(outcome)))
	}
}

// tenantOK reports whether a callback of tenant may change call.
func (c *Client) tenantOK(call *Call, tenant string) bool {
	return c.cfg.AllowTenantMismatch || call.owner == "" || tenant == "" || tenant == call.owner
}

// logEntries makes a callback's log entries: one per call, in the order of each
// call's first notification. A callback all about one call (what Graph sends) is
// stored as received; otherwise each call's notifications are encoded in a body of
// their own. Notifications about no call are left out.
func (c *Client) logEntries(b notifications.Batch) ([]store.LogEntry, error) {
	ns := b.Notifications
	one := len(ns) > 0 && ns[0].CallID != ""
	for i := range ns {
		one = one && ns[i].CallID == ns[0].CallID
	}
	if one {
		return []store.LogEntry{{CallID: ns[0].CallID, TenantID: b.TenantID, From: c.replica, Incoming: isIncoming(&ns[0]),
			At: c.clock.Now(), Data: b.Body, Notifications: ns}}, nil
	}
	var entries []store.LogEntry
	index := map[string]int{}
	bodies := []notifications.CommsNotifications{}
	for i := range ns {
		n := &ns[i]
		if n.CallID == "" {
			c.log.Debug("graphcomms: notification for no call", "resource", n.ResourcePath)
			continue
		}
		j, ok := index[n.CallID]
		if !ok {
			j = len(entries)
			index[n.CallID] = j
			entries = append(entries, store.LogEntry{CallID: n.CallID, TenantID: b.TenantID, From: c.replica, Incoming: isIncoming(n), At: c.clock.Now()})
			bodies = append(bodies, notifications.CommsNotifications{})
		}
		bodies[j].Value = append(bodies[j].Value, n.Raw)
		entries[j].Notifications = append(entries[j].Notifications, *n)
	}
	for i := range entries {
		data, err := wire.Marshal(&bodies[i])
		if err != nil {
			return nil, fmt.Errorf("encoding the notifications of call %s: %w", entries[i].CallID, err)
		}
		entries[i].Data = data
	}
	return entries, nil
}

func isIncoming(n *notifications.Notification) bool {
	return n.Kind == notifications.KindCall && n.ChangeType == notifications.ChangeCreated && n.Call != nil &&
		n.Call.State == calls.StateIncoming
}

func (c *Client) wake(w store.Wakeup) {
	if w.CallID == "" {
		for _, call := range c.Calls() {
			call.pump()
		}
		return
	}
	if call, ok := c.Call(w.CallID); ok {
		call.wake(w.Position)
		return
	}
	if w.Kind == store.WakeNew || w.Kind == store.WakeReleased {
		c.goAdopt(w.CallID)
	}
}

// goAdopt starts a takeover of a call, unless too many run already.
func (c *Client) goAdopt(id string) {
	if !c.reserve(id, maxAdopting) {
		return
	}
	c.goTracked(func() {
		defer c.unreserve(id)
		c.adopt(id)
	})
}

// reserve marks a call as being taken by this replica, unless the client is closed,
// holds the call, is taking it already, or is taking limit calls (0: no limit).
func (c *Client) reserve(id string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.calls[id] != nil || c.adopting[id] || limit > 0 && len(c.adopting) >= limit {
		return false
	}
	c.adopting[id] = true
	return true
}

func (c *Client) unreserve(id string) {
	c.mu.Lock()
	delete(c.adopting, id)
	c.mu.Unlock()
}

// claim takes the lease on a call for this replica; it reports whether it holds it.
func (c *Client) claim(ctx context.Context, id string) bool {
	won, err := c.cluster.Claim(ctx, id, c.replica, c.clock.Now(), c.lease())
	if err != nil {
		c.log.Warn("graphcomms: claiming a call", "call", id, "error", err)
	}
	return err == nil && won
}

// maintain renews this replica's leases, checks the logs of its calls and takes over
// calls that have no live holder (on other goroutines, so that a slow takeover never
// delays the next renewal). It also drops incoming calls nobody answered in time.
func (c *Client) maintain() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || !c.maintaining.CompareAndSwap(false, true) {
		return
	}
	defer c.maintaining.Store(false)
	c.passAt.Store(c.clock.Now().UnixNano())
	ctx, cancel := c.storeCtx(context.Background(), 1)
	defer cancel()
	held := c.Calls()
	if len(held) > 0 {
		ids := make([]string, len(held))
		for i, call := range held {
			ids[i] = call.id
		}
		lost, err := c.cluster.Renew(ctx, c.replica, ids, c.clock.Now(), c.lease())
		if err != nil {
			c.log.Warn("graphcomms: renewing call leases", "error", err)
		}
		gone := map[string]bool{}
		for _, id := range lost {
			gone[id] = true
		}
		for _, call := range held {
			if gone[call.id] {
				c.log.Info("graphcomms: lease lost; another replica has the call", "call", call.id)
				call.enqueue(call.lose)
				continue
			}
			call.pump()
		}
	}
	ids, err := c.cluster.Unowned(ctx, c.clock.Now(), 100)
	if err != nil {
		c.log.Warn("graphcomms: looking for calls without a replica", "error", err)
		return
	}
	for _, id := range ids {
		c.goAdopt(id)
	}
}

// claimIncoming takes a new incoming call this replica received itself, unless
// ClaimCall declines it (the others are woken and may take it).
func (c *Client) claimIncoming(e *store.LogEntry) {
	if f := c.cfg.Cluster.ClaimCall; f != nil && !f(e.CallID, true) {
		return
	}
	if !c.reserve(e.CallID, 0) {
		return
	}
	defer c.unreserve(e.CallID)
	ctx, cancel := c.storeCtx(context.Background(), 1)
	defer cancel()
	if !c.claim(ctx, e.CallID) {
		return
	}
	if !c.startIncoming(e) {
		c.releaseLease(e.CallID)
	}
}

// adopt takes a call this replica does not hold, if no live replica holds it: a new
// incoming call (its log starts with the incoming notification), or a call with stored
// state whose holder died or left.
func (c *Client) adopt(id string) {
	ctx, cancel := c.storeCtx(context.Background(), 2)
	defer cancel()
	_, stored, err := c.cluster.Get(ctx, id)
	if err != nil {
		c.log.Warn("graphcomms: reading a call to take over", "call", id, "error", err)
		return
	}
	var head *store.LogEntry
	if !stored {
		recs, err := c.cluster.ReadLog(ctx, id, "", 1)
		if err != nil {
			c.log.Warn("graphcomms: reading a call's log", "call", id, "error", err)
			return
		}
		if len(recs) == 0 || !recs[0].Incoming {
			return // parked notifications: their call may be being created
		}
		head = &recs[0]
	}
	if f := c.cfg.Cluster.ClaimCall; f != nil && !f(id, !stored) {
		return
	}
	if !c.claim(ctx, id) {
		return
	}
	// Read again under the lease: the previous holder may have written meanwhile.
	st, stored, err := c.cluster.Get(ctx, id)
	if err != nil {
		c.log.Warn("graphcomms: reading a claimed call", "call", id, "error", err)
		c.releaseLease(id)
		return
	}
	if _, mine := c.Call(id); mine {
		return // this replica registered the call meanwhile: the lease was its own
	}
	switch {
	case stored && st.Call.State == calls.StateTerminated:
		// Its holder died between storing the end and cleaning up.
		_ = c.cluster.Delete(ctx, id)
		_ = c.cluster.Forget(ctx, id)
	case stored:
		// Fence the previous holder before doing anything for the call: once this
		// write is in, every write of the old holder is refused, so it can neither
		// deliver another event nor overwrite what this replica does.
		st.Version++
		prev := st.Writer
		st.Writer, st.UpdatedAt = c.replica, c.clock.Now()
		if err := c.cluster.Put(ctx, st); err != nil {
			c.log.Warn("graphcomms: taking a call over", "call", id, "error", err)
			c.releaseLease(id)
			return
		}
		if !c.resume(st, prev) {
			c.releaseLease(id)
		}
	case head != nil:
		if !c.startIncoming(head) {
			c.releaseLease(id)
		}
	}
}

// register makes call a call of this client, unless the client is closed or already
// has one by that ID; then it starts the call's queue, with a read of whatever the log
// got meanwhile.
func (c *Client) register(call *Call) bool {
	c.mu.Lock()
	if c.closed || c.calls[call.id] != nil {
		c.mu.Unlock()
		return false
	}
	c.calls[call.id] = call
	c.mu.Unlock()
	call.pump()
	call.kick()
	return true
}

// startIncoming starts handling a new incoming call from the first entry of its log:
// the entry is applied, then OnIncoming runs, then the rest of the log.
func (c *Client) startIncoming(e *store.LogEntry) bool {
	notes := e.Notifications
	if notes == nil {
		var err error
		if notes, err = notifications.Parse(e.Data); err != nil || len(notes) == 0 || !isIncoming(&notes[0]) {
			return false
		}
		e.Notifications = notes
	}
	st := callstate.New(e.CallID, e.TenantID, *notes[0].Call, c.clock.Now())
	st.ScenarioID = e.ScenarioID // the callback's scenario-id, as the .NET SDK takes it
	call := c.newCall(st, e.TenantID)
	call.first(e, func() { call.announce(&c.onIncoming) })
	call.armDeadline()
	return c.register(call)
}

// track registers a call the bot created, then applies what its log got before.
func (c *Client) track(ctx context.Context, res calls.Call, tenant, scenario string, setup []func(*Call)) (*Call, error) {
	won, err := c.cluster.Claim(ctx, res.ID, c.replica, c.clock.Now(), c.lease())
	if err == nil && !won {
		err = errors.New("another replica holds it")
	}
	if err != nil {
		return nil, fmt.Errorf("graphcomms: call %s was created but could not be registered: %w", res.ID, err)
	}
	cs := callstate.New(res.ID, tenant, res, c.clock.Now())
	cs.ScenarioID = scenario
	call := c.newCall(cs, tenant)
	for _, f := range setup {
		c.callback(call.id, func() { f(call) })
	}
	call.mu.Lock()
	st := call.snapshotLocked()
	call.mu.Unlock()
	if err := c.put(st); err != nil {
		c.releaseLease(res.ID)
		return nil, fmt.Errorf("graphcomms: call %s was created but its state could not be stored: %w", res.ID, err)
	}
	call.version = 1
	if !c.register(call) {
		return nil, fmt.Errorf("graphcomms: call %s is tracked already, or the client is closed", res.ID)
	}
	return call, nil
}

// resume rebuilds a call from its stored state on the replica taking it over; prev is
// the replica that wrote the state before this one fenced it.
func (c *Client) resume(st store.CallState, prev string) bool {
	call := c.newCall(callstate.Restore(st), st.TenantID)
	call.version, call.tail = st.Version, st.LogPosition
	call.restoreTimers()
	c.log.Info("graphcomms: took a call over", "call", st.CallID, "version", st.Version)
	_, span := call.startSpan(context.Background(), "graphcomms.takeover",
		attribute.String("graphcomms.previous_writer", prev), attribute.Int64("graphcomms.state.version", st.Version))
	span.End()
	c.tel.takeovers.Add(context.Background(), 1)
	call.queueFirst(func() { call.announce(&c.onResume) })
	return c.register(call)
}

// untrack forgets an ended call in the cluster.
func (c *Client) untrack(id string) {
	ctx, cancel := c.storeCtx(context.Background(), 2)
	defer cancel()
	if err := c.cluster.Delete(ctx, id); err != nil {
		c.reportError(&CallError{CallID: id, Stage: StageStore, Err: fmt.Errorf("deleting the state: %w", err)})
	}
	if err := c.cluster.Forget(ctx, id); err != nil {
		c.reportError(&CallError{CallID: id, Stage: StageStore, Err: fmt.Errorf("forgetting the log: %w", err)})
	}
}

// forgetLocal drops a call from this client only (if it is still the one tracked
// under its ID).
func (c *Client) forgetLocal(call *Call) {
	c.mu.Lock()
	if c.calls[call.id] == call {
		delete(c.calls, call.id)
	}
	c.mu.Unlock()
}

// releaseLease gives up this replica's lease on a call, if it still holds it.
func (c *Client) releaseLease(id string) {
	ctx, cancel := c.storeCtx(context.Background(), 1)
	defer cancel()
	if err := c.cluster.Release(ctx, id, c.replica); err != nil {
		c.log.Warn("graphcomms: releasing a call", "call", id, "error", err)
	}
}

// storeCtx bounds store requests to n times Config.Cluster.Timeout. An in-process
// store (store.Memory) makes no request, so its calls are not bounded (which keeps a
// timer off the path of every notification).
func (c *Client) storeCtx(parent context.Context, n time.Duration) (context.Context, context.CancelFunc) {
	if c.owned != nil {
		return parent, func() {}
	}
	return context.WithTimeout(parent, n*c.cfg.Cluster.Timeout)
}

// put stores a state: as it is in an in-process store, else with retries of failures
// other than a version conflict until they pass or the client closes (a notification
// that cannot be recorded must not be delivered). A retry refused because the first
// try did land is a success.
func (c *Client) put(st *store.CallState) error {
	if c.owned != nil {
		return c.owned.PutOwned(context.Background(), st)
	}
	wait := 20 * time.Millisecond
	failed := false
	for {
		ctx, cancel := c.storeCtx(context.Background(), 1)
		err := c.cluster.Put(ctx, *st)
		if err != nil && failed && errors.Is(err, store.ErrVersionConflict) {
			if got, ok, gerr := c.cluster.Get(ctx, st.CallID); gerr == nil && ok && got.Version == st.Version && got.Writer == st.Writer {
				err = nil
			}
		}
		cancel()
		if err == nil || errors.Is(err, store.ErrVersionConflict) {
			return err
		}
		failed = true
		c.log.Warn("graphcomms: storing call state failed; retrying", "call", st.CallID, "error", err)
		select {
		case <-c.stop:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
