package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/transport"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/notifications"
)

// Defaults of the cluster settings of Config.
const (
	DefaultLeaseTTL       = 15 * time.Second
	DefaultClusterTimeout = 2 * time.Second
)

// Cluster is what the replicas of one bot share so that any of them can take any
// callback: call state (it is the Store), a log of accepted notifications per call, a
// lease per call that says which replica runs it, and wake-ups between replicas. The
// redisstore package implements it on Redis; storetest.RunCluster is the conformance
// test of other implementations. An implementation must make each method atomic and
// must keep what Append and Put acknowledged through a restart.
//
// How the client uses it: the callback handler appends each callback's notifications
// to their calls' logs and answers 202 only once Append has returned (503 with
// Retry-After when it fails). The replica holding a call's lease reads the log in
// order, applies each entry and stores the call's state together with the entry's
// position through a versioned Put, and only then runs the callbacks the entry caused.
// The lease says who should do the work (liveness); the version check on Put is the
// fence (safety): a replica that lost its lease without noticing has its next Put
// refused, so it runs no callback twice and loses no update.
type Cluster interface {
	Store
	// Append adds entries to their calls' logs, in order, and returns once they are
	// stored. A call that has no lease holder becomes claimable (Unowned lists it)
	// and every replica is woken with WakeNew; otherwise the holder is woken with
	// WakeAppended.
	Append(ctx context.Context, entries []LogEntry) error
	// ReadLog returns up to max entries of a call's log after position after (from
	// the start when after is empty), oldest first, with their positions in ID.
	ReadLog(ctx context.Context, callID, after string, max int) ([]LogEntry, error)
	// TrimLog drops a call's log entries up to and including position upTo.
	TrimLog(ctx context.Context, callID, upTo string) error
	// Claim gives replica the lease on a call until now+ttl, when no other replica
	// holds an unexpired one; it reports whether replica holds the lease.
	Claim(ctx context.Context, callID, replica string, now time.Time, ttl time.Duration) (bool, error)
	// Renew extends replica's leases on callIDs to now+ttl and returns the calls whose
	// lease replica no longer holds.
	Renew(ctx context.Context, replica string, callIDs []string, now time.Time, ttl time.Duration) (lost []string, err error)
	// Release gives up replica's lease on a call, if it holds it, so that another
	// replica can claim it at once (every replica is woken with WakeReleased).
	Release(ctx context.Context, callID, replica string) error
	// Unowned returns up to max calls that have log entries or state but no unexpired
	// lease at now: those whose lease ran out first (their replica died), then those
	// nobody held yet or that were released.
	Unowned(ctx context.Context, now time.Time, max int) ([]string, error)
	// Forget removes a call's log and lease (the call has ended; Delete removes its
	// state).
	Forget(ctx context.Context, callID string) error
	// Wakeups delivers wake-ups until ctx ends, then closes the channel. Delivery is
	// best effort; a Wakeup with an empty CallID says the subscription is ready, and
	// after a gap (a reconnection) that some may have been missed.
	Wakeups(ctx context.Context) <-chan Wakeup
}

// LogEntry is one notification in a call's cluster log.
type LogEntry struct {
	// ID is the entry's position, set by the cluster.
	ID string
	// CallID is the call the notification is about.
	CallID string
	// TenantID is the tenant of the callback's token.
	TenantID string
	// Data is a commsNotifications body holding the call's notifications of one
	// callback, in order: the body Graph sent when it was all about this call.
	Data []byte
}

// WakeupKind says why a replica is woken.
type WakeupKind int

// Wake-up kinds.
const (
	// WakeAppended: a call's log grew.
	WakeAppended WakeupKind = iota
	// WakeNew: a call with no lease holder got its first log entry.
	WakeNew
	// WakeReleased: a replica gave a call up.
	WakeReleased
)

// Wakeup tells replicas that a call needs attention.
type Wakeup struct {
	// CallID is the call; empty means wake-ups may have been missed (re-check all).
	CallID string
	Kind   WakeupKind
	// Position is, when known, the position of the last log entry the wake-up
	// announces: the holder skips reading the log when it has applied exactly that.
	Position string
}

// clusterState is a client's part of the cluster.
type clusterState struct {
	replica     string
	ttl         time.Duration
	cancel      context.CancelFunc
	stopTick    func()               // guarded by Client.mu
	adopting    map[string]bool      // guarded by Client.mu
	orphans     map[string]time.Time // logs without state nor incoming call, by first sight; guarded by Client.mu
	maintaining atomic.Bool
}

// lease is how long each claim or renewal holds a call: four scan periods, so that a
// dead replica's lease runs out at most LeaseTTL - LeaseTTL/5 after its last renewal,
// and the next scan (at most LeaseTTL/5 later) takes its calls over: within LeaseTTL
// of its death.
func (s *clusterState) lease() time.Duration { return s.ttl - s.ttl/5 }

func defaultCluster(cfg *Config) error {
	if cfg.ReplicaID == "" {
		host, _ := os.Hostname()
		cfg.ReplicaID = host + "-" + strconv.Itoa(os.Getpid()) + "-" + transport.NewUUID()[:8]
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.LeaseTTL < 100*time.Millisecond {
		return fmt.Errorf("graphcomms: Config.LeaseTTL %s is too short", cfg.LeaseTTL)
	}
	return nil
}

// ReplicaID returns this replica's name in the cluster (empty without one).
func (c *Client) ReplicaID() string { return c.cl.replica }

// OnResume sets the function called, on the call's own queue, for each call this
// replica takes over from another one (that died or closed): the place to add the
// call's event handlers again. The call's pending operations are in
// Call.PendingOperations. Set it before serving.
func (c *Client) OnResume(f func(*Call)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onResume = f
}

func (c *Client) startCluster() {
	c.cl.replica, c.cl.ttl = c.cfg.ReplicaID, c.cfg.LeaseTTL
	c.cl.adopting, c.cl.orphans = map[string]bool{}, map[string]time.Time{}
	ctx, cancel := context.WithCancel(context.Background())
	c.cl.cancel = cancel
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
	c.cl.stopTick = c.clock.AfterFunc(c.cl.ttl/5, func() {
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

func (c *Client) stopCluster(release bool) {
	c.mu.Lock()
	if c.cl.stopTick != nil {
		c.cl.stopTick()
	}
	c.mu.Unlock()
	c.cl.cancel()
	held := c.Calls()
	var wg sync.WaitGroup
	for _, call := range held {
		call.enqueue(call.lose)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-call.Done():
			case <-time.After(5 * time.Second):
				c.log.Warn("graphcomms: a call's queue did not stop within 5 s", "call", call.id)
			}
			if release {
				c.releaseLease(call.id)
			}
		}()
	}
	wg.Wait()
}

// accept stores a callback's notifications in their calls' logs before the handler
// answers 202; the replica holding each call applies them.
func (c *Client) accept(ctx context.Context, b notifications.Batch) error {
	entries, err := logEntries(b)
	if err != nil {
		c.reportError(err)
	}
	if len(entries) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ClusterTimeout)
	defer cancel()
	if err := c.cluster.Append(ctx, entries); err != nil {
		return fmt.Errorf("cluster: storing the notifications of %d calls: %w", len(entries), err)
	}
	for _, e := range entries {
		if call, ok := c.Call(e.CallID); ok {
			call.pump()
		}
	}
	return nil
}

// logEntries makes a callback's log entries: one per call, in the order of each
// call's first notification. A callback all about one call (what Graph sends) is
// stored as received; otherwise each call's notifications are encoded in a body of
// their own. Notifications about no call are left out.
func logEntries(b notifications.Batch) ([]LogEntry, error) {
	one := len(b.Notifications) > 0 && b.Notifications[0].CallID != ""
	for _, n := range b.Notifications {
		one = one && n.CallID == b.Notifications[0].CallID
	}
	if one {
		return []LogEntry{{CallID: b.Notifications[0].CallID, TenantID: b.TenantID, Data: b.Body}}, nil
	}
	var entries []LogEntry
	byCall := map[string]*notifications.CommsNotifications{}
	for _, n := range b.Notifications {
		if n.CallID == "" {
			continue
		}
		body := byCall[n.CallID]
		if body == nil {
			body = &notifications.CommsNotifications{}
			byCall[n.CallID] = body
			entries = append(entries, LogEntry{CallID: n.CallID, TenantID: b.TenantID})
		}
		body.Value = append(body.Value, n.Raw)
	}
	for i := range entries {
		data, err := wire.Marshal(byCall[entries[i].CallID])
		if err != nil {
			return nil, fmt.Errorf("cluster: encoding the notifications of call %s: %w", entries[i].CallID, err)
		}
		entries[i].Data = data
	}
	return entries, nil
}

func (c *Client) wake(w Wakeup) {
	if w.CallID == "" {
		for _, call := range c.Calls() {
			call.pump()
		}
		return
	}
	if call, ok := c.Call(w.CallID); ok {
		if w.Position != "" {
			call.mu.Lock()
			seen := call.applied == w.Position
			call.mu.Unlock()
			if seen {
				return // applied already (this replica received the callback itself)
			}
		}
		call.pump()
		return
	}
	if w.Kind == WakeNew || w.Kind == WakeReleased {
		c.goTracked(func() { c.adopt(w.CallID) })
	}
}

// maxAdopting bounds the takeovers a replica runs at once.
const maxAdopting = 8

// maintain renews this replica's leases, checks the logs of its calls and takes over
// calls that have no live holder (on other goroutines, so that a slow takeover never
// delays the next renewal).
func (c *Client) maintain() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || !c.cl.maintaining.CompareAndSwap(false, true) {
		return
	}
	defer c.cl.maintaining.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ClusterTimeout)
	defer cancel()
	held := c.Calls()
	if len(held) > 0 {
		ids := make([]string, len(held))
		for i, call := range held {
			ids[i] = call.id
		}
		lost, err := c.cluster.Renew(ctx, c.cl.replica, ids, c.clock.Now(), c.cl.lease())
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
		c.mu.Lock()
		busy := c.calls[id] != nil || c.cl.adopting[id] || len(c.cl.adopting) >= maxAdopting
		c.mu.Unlock()
		if !busy {
			c.goTracked(func() { c.adopt(id) })
		}
	}
}

// adopt takes a call this replica does not hold, if no live replica holds it: a new
// incoming call (its log starts with the incoming notification), or a call with stored
// state whose holder died or left. Logs with neither (notifications for a call some
// replica is creating right now) are left alone, and dropped after parkedTTL.
func (c *Client) adopt(id string) {
	c.mu.Lock()
	if c.closed || c.calls[id] != nil || c.cl.adopting[id] {
		c.mu.Unlock()
		return
	}
	c.cl.adopting[id] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.cl.adopting, id)
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*c.cfg.ClusterTimeout)
	defer cancel()
	_, stored, err := c.cluster.Get(ctx, id)
	if err != nil {
		c.log.Warn("graphcomms: reading a call to take over", "call", id, "error", err)
		return
	}
	var first *notifications.Notification
	var tenant string
	if !stored {
		if first, tenant, err = c.incomingHead(ctx, id); err != nil {
			c.log.Warn("graphcomms: reading a call's log", "call", id, "error", err)
			return
		}
		if first == nil {
			c.orphan(ctx, id)
			return
		}
	}
	c.mu.Lock()
	delete(c.cl.orphans, id)
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	if f := c.cfg.ClaimCall; f != nil && !f(id, !stored) {
		return
	}
	won, err := c.cluster.Claim(ctx, id, c.cl.replica, c.clock.Now(), c.cl.lease())
	if err != nil || !won {
		if err != nil {
			c.log.Warn("graphcomms: claiming a call", "call", id, "error", err)
		}
		return
	}
	// Read again under the lease: the previous holder may have written meanwhile.
	st, stored, err := c.cluster.Get(ctx, id)
	if err != nil {
		c.log.Warn("graphcomms: reading a claimed call", "call", id, "error", err)
		c.releaseLease(id)
		return
	}
	c.mu.Lock()
	mine := c.calls[id] != nil
	c.mu.Unlock()
	if mine {
		// This replica registered the call meanwhile (Create stores the state only
		// after registering it): the lease was already its own.
		return
	}
	switch {
	case stored && st.Call.State == calls.StateTerminated:
		// Its holder died between storing the end and cleaning up.
		_ = c.store.Delete(ctx, id)
		_ = c.cluster.Forget(ctx, id)
	case stored:
		// Fence the previous holder before doing anything for the call: once this
		// write is in, every write of the old holder is refused, so it can neither
		// deliver another event nor overwrite what this replica does.
		st.Version++
		st.Writer, st.UpdatedAt = c.cl.replica, c.clock.Now()
		if err := c.store.Put(ctx, st); err != nil {
			c.log.Warn("graphcomms: taking a call over", "call", id, "error", err)
			c.releaseLease(id)
			return
		}
		if !c.resume(st) {
			c.releaseLease(id)
		}
	case first != nil:
		if !c.adoptIncoming(id, tenant, *first) {
			c.releaseLease(id)
		}
	}
}

// incomingHead returns the first notification of a call's log, with its tenant, when
// it is an incoming call (nil otherwise).
func (c *Client) incomingHead(ctx context.Context, id string) (*notifications.Notification, string, error) {
	head, err := c.cluster.ReadLog(ctx, id, "", 1)
	if err != nil || len(head) == 0 {
		return nil, "", err
	}
	ns, err := notifications.Parse(head[0].Data)
	if err != nil || len(ns) == 0 || !isIncoming(ns[0]) {
		return nil, "", nil
	}
	return &ns[0], head[0].TenantID, nil
}

// orphan notes a log without state nor incoming call, and drops it once it has been
// unclaimed for parkedTTL (claiming it first, so that a creator that just registered
// the call keeps it).
func (c *Client) orphan(ctx context.Context, id string) {
	now := c.clock.Now()
	c.mu.Lock()
	seen, ok := c.cl.orphans[id]
	if !ok {
		c.cl.orphans[id] = now
		if len(c.cl.orphans) > 4096 {
			for k, at := range c.cl.orphans {
				if now.Sub(at) > 2*parkedTTL {
					delete(c.cl.orphans, k)
				}
			}
		}
	}
	c.mu.Unlock()
	if !ok || now.Sub(seen) < parkedTTL {
		return
	}
	c.mu.Lock()
	delete(c.cl.orphans, id)
	c.mu.Unlock()
	if won, err := c.cluster.Claim(ctx, id, c.cl.replica, now, c.cl.lease()); err == nil && won {
		if _, stored, err := c.cluster.Get(ctx, id); err == nil && !stored {
			c.log.Warn("graphcomms: dropping notifications for an unknown call", "call", id)
			_ = c.cluster.Forget(ctx, id)
			return
		}
		c.releaseLease(id)
	}
}

func isIncoming(n notifications.Notification) bool {
	return n.Kind == notifications.KindCall && n.ChangeType == notifications.ChangeCreated && n.Call != nil &&
		n.Call.State == calls.StateIncoming
}

// adoptIncoming starts handling a new incoming call: its first log entry is applied,
// then OnIncoming runs, then the rest of the log. It reports false when the client is
// closed or already has the call.
func (c *Client) adoptIncoming(id, tenant string, first notifications.Notification) bool {
	c.mu.Lock()
	if c.closed || c.calls[id] != nil {
		c.mu.Unlock()
		return false
	}
	call := c.newCall(id, tenant, *first.Call)
	c.calls[id] = call
	onIncoming := c.onIncoming
	c.mu.Unlock()
	call.enqueue(func() { call.pumpLog(1) })
	call.enqueue(func() {
		if onIncoming != nil && !call.isEnded() {
			onIncoming(call)
		}
	})
	call.pump()
	return true
}

// resume rebuilds a call from its stored state on the replica taking it over. It
// reports false when the client is closed or already has the call.
func (c *Client) resume(st CallState) bool {
	c.mu.Lock()
	if c.closed || c.calls[st.CallID] != nil {
		c.mu.Unlock()
		return false
	}
	call := c.newCall(st.CallID, st.TenantID, st.Call)
	call.version, call.applied, call.toneSeq = st.Version, st.LogPosition, st.ToneSequence
	// Tones up to the stored sequence were delivered (or skipped) by the previous
	// holder: a resent one must not be delivered again.
	call.toneFloor = st.ToneSequence
	call.roster.replace(st.Participants)
	call.roster.seq = st.RosterSequence
	for _, p := range st.Operations {
		op := call.ops.register(p.ClientContext, p.Type, p.StartedAt)
		call.ops.setID(op, p.ID)
		call.schedulePoll(op)
	}
	if r := rank(st.Call.State); r >= 2 && r < 5 && c.cfg.KeepAliveInterval > 0 {
		call.mu.Lock()
		due := max(st.KeepAliveAt.Sub(c.clock.Now()), 0)
		if st.KeepAliveAt.IsZero() {
			due = 0
		}
		call.armKeepAliveLocked(c.cfg.KeepAliveInterval, due)
		call.mu.Unlock()
	}
	c.calls[st.CallID] = call
	onResume := c.onResume
	c.mu.Unlock()
	c.log.Info("graphcomms: took a call over", "call", st.CallID, "version", st.Version)
	call.enqueue(func() {
		if onResume != nil && !call.isEnded() {
			onResume(call)
		}
	})
	call.pump()
	return true
}

// releaseLease gives up this replica's lease on a call, if it still holds it.
func (c *Client) releaseLease(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ClusterTimeout)
	defer cancel()
	if err := c.cluster.Release(ctx, id, c.cl.replica); err != nil {
		c.log.Warn("graphcomms: releasing a call", "call", id, "error", err)
	}
}

// claimCreated takes the lease on a call this replica has just created, before its
// state is stored, so that no other replica adopts it.
func (c *Client) claimCreated(ctx context.Context, id string) error {
	won, err := c.cluster.Claim(ctx, id, c.cl.replica, c.clock.Now(), c.cl.lease())
	if err == nil && !won {
		err = errors.New("another replica holds it")
	}
	return err
}

// pump queues a pass over the call's log (one at a time; a pass already queued will
// see what a new wake-up announces).
func (c *Call) pump() {
	if c.client.cluster == nil {
		return
	}
	c.qmu.Lock()
	if c.pumping {
		c.qmu.Unlock()
		return
	}
	c.pumping = true
	c.qmu.Unlock()
	c.enqueue(func() {
		c.qmu.Lock()
		c.pumping = false
		c.qmu.Unlock()
		c.pumpLog(0)
	})
}

// pumpLog applies the call's log entries after the last one applied, in order, each in
// its own step (at most limit entries when limit > 0). It runs on the call's queue.
func (c *Call) pumpLog(limit int) {
	cl := c.client.cluster
	done := 0
	for {
		c.mu.Lock()
		after, ended := c.applied, c.ended
		c.mu.Unlock()
		c.client.mu.Lock()
		closed := c.client.closed
		c.client.mu.Unlock()
		if ended || closed {
			return
		}
		n := 64
		if limit > 0 {
			n = min(n, limit-done)
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.client.cfg.ClusterTimeout)
		recs, err := cl.ReadLog(ctx, c.id, after, n)
		cancel()
		if err != nil {
			// The next wake-up or maintenance pass tries again.
			c.client.log.Warn("graphcomms: reading a call's log", "call", c.id, "error", err)
			return
		}
		for _, r := range recs {
			notes, err := notifications.Parse(r.Data)
			if err != nil {
				c.client.reportError(fmt.Errorf("cluster: skipping an unreadable log entry %s of call %s: %w", r.ID, c.id, err))
			}
			var ok bool
			if len(notes) == 1 {
				ok = c.applyStep(notes[0], r.ID)
			} else {
				ok = c.step(func() {
					for _, n := range notes {
						c.apply(n)
					}
				}, r.ID)
			}
			if !ok {
				return
			}
			done++
		}
		// Applied entries are dropped in batches (one request per trimEvery entries,
		// instead of one per entry); the rest goes with the log when the call ends.
		c.untrimmed += len(recs)
		if c.untrimmed >= trimEvery && !c.isEnded() {
			ctx, cancel := context.WithTimeout(context.Background(), c.client.cfg.ClusterTimeout)
			if err := cl.TrimLog(ctx, c.id, recs[len(recs)-1].ID); err != nil {
				c.client.log.Debug("graphcomms: trimming a call's log", "call", c.id, "error", err)
			} else {
				c.untrimmed = 0
			}
			cancel()
		}
		if len(recs) < n || limit > 0 && done >= limit {
			return
		}
	}
}

// trimEvery is how many applied entries a call's log keeps before they are trimmed.
const trimEvery = 32

// lose drops a call another replica has taken over: no event, no store write; pending
// operations and waits end with ErrCallMoved (a call that had ended keeps its EndInfo).
// It runs on the call's queue.
func (c *Call) lose() {
	c.mu.Lock()
	if c.torn {
		c.mu.Unlock()
		return
	}
	// Everything below is idempotent: it also finishes the teardown of a call whose
	// last step (its end) was refused.
	c.torn = true
	if !c.ended {
		c.ended = true
		c.end = EndInfo{Reason: calls.EndReasonUnknown, Err: ErrCallMoved}
	}
	c.gone = true
	if c.keepAlive != nil {
		c.keepAlive()
		c.keepAlive = nil
	}
	c.onUpdated, c.onTone, c.onTerminated, c.onRoster = nil, nil, nil, nil
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	c.ops.failAll(ErrCallMoved)
	c.client.forgetLocal(c)
	c.closeDone()
}

// putRetrying stores a state, retrying failures other than a version conflict until
// they pass or the client closes (a cluster must not apply a notification it cannot
// record). A retry refused because the first try did land is a success.
func (c *Client) putRetrying(st CallState) error {
	wait := 20 * time.Millisecond
	failed := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ClusterTimeout)
		err := c.store.Put(ctx, st)
		if err != nil && failed && errors.Is(err, ErrVersionConflict) {
			if got, ok, gerr := c.store.Get(ctx, st.CallID); gerr == nil && ok && got.Version == st.Version && got.Writer == st.Writer {
				err = nil
			}
		}
		cancel()
		if err == nil || errors.Is(err, ErrVersionConflict) || c.cluster == nil {
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
