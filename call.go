package graphcomms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// ErrCallEnded is wrapped by errors from calls that have ended (operations still
// pending when the call ended, waits on an ended call).
var ErrCallEnded = errors.New("graphcomms: call ended")

// ErrCallMoved is the EndInfo.Err of a call this replica stopped handling because
// another replica of the bot took it over (see Config.Cluster). The call goes on there;
// no OnTerminated event is delivered here.
var ErrCallMoved = errors.New("graphcomms: call moved to another replica")

// EndInfo says why a call ended.
type EndInfo struct {
	// Reason classifies ResultInfo (calls.EndReasonUnknown for codes Graph does not
	// document and for local ends).
	Reason calls.EndReason
	// ResultInfo is the code, subcode and message of the terminated notification.
	ResultInfo calls.ResultInfo
	// Err is set when the call ended locally without a terminated notification: a
	// failed answer, a 404 from Graph, Terminate's deadline.
	Err error
}

// Call is a tracked call: the live counterpart of the calls.Call resource. Its events
// (OnUpdated, OnTone, OnTerminated, roster events) are delivered in order on the call's
// own queue, one at a time; a slow callback delays only this call. It is safe for
// concurrent use.
type Call struct {
	client *Client
	id     string
	tenant string

	qmu     sync.Mutex
	queue   []func()
	running bool

	pmu sync.Mutex // serialises persist

	// Used only on the call's queue.
	fx        []func() // callbacks of the step being applied, run once it is stored
	stepping  bool
	pumping   bool // a pump of the cluster log is queued or running (guarded by qmu)
	untrimmed int  // log entries applied since the log was last trimmed

	mu          sync.Mutex
	res         calls.Call
	etag        int64
	toneSeq     int64
	tonesSeen   map[int64]bool // recent tone sequence IDs, to drop duplicates
	toneFloor   int64          // tones up to this sequence ID were handled by another replica
	version     int64
	changed     chan struct{} // closed and replaced on every state and roster change
	ended       bool
	end         EndInfo
	endCh       chan struct{}
	doneOnce    sync.Once
	torn        bool // lose has run
	keepAlive   func()
	keepAliveAt time.Time // when the armed keepAlive is due
	roster      roster
	ops         opTable
	applied     string // position of the last cluster log entry applied
	gone        bool   // the state was deleted (or the call moved): persist no more

	onUpdated    []func(old, new calls.Call)
	onTone       []func(media.ToneInfo)
	onTerminated []func(EndInfo)
	onRoster     []func(RosterEvent)
}

func (c *Client) newCall(id, tenant string, res calls.Call) *Call {
	call := &Call{client: c, id: id, tenant: tenant, res: res, changed: make(chan struct{}), endCh: make(chan struct{})}
	call.res.ToneInfo = media.ToneInfo{}
	call.res.ID = id
	call.etag = parseEtag(res.ODataEtag)
	return call
}

// ID returns the call's ID.
func (c *Call) ID() string { return c.id }

// TenantID returns the tenant the call's requests are authenticated for.
func (c *Call) TenantID() string { return c.tenant }

// Resource returns a copy of the call resource as last known.
func (c *Call) Resource() calls.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneCall(c.res)
}

// State returns the call's state.
func (c *Call) State() calls.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.res.State
}

// Done returns a channel closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.endCh }

// End returns why the call ended; ok is false while it has not.
func (c *Call) End() (EndInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end, c.ended
}

func (c *Call) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// OnUpdated adds a function called with the previous and new resource after each
// change of the call (copies: changing them changes nothing).
func (c *Call) OnUpdated(f func(old, new calls.Call)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onUpdated = append(c.onUpdated, f)
}

// OnTone adds a function called for each DTMF key pressed (after SubscribeToTone). A
// tone whose sequence ID was already delivered is not delivered again.
func (c *Call) OnTone(f func(media.ToneInfo)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onTone = append(c.onTone, f)
}

// OnTerminated adds a function called once, last, when the call ends.
func (c *Call) OnTerminated(f func(EndInfo)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onTerminated = append(c.onTerminated, f)
}

// WaitForState waits until the call reaches state (or a later one in the call's
// lifecycle, so waiting for established returns at once on a call already
// transferring). It returns an error wrapping ErrCallEnded when the call ends first,
// or ctx's error.
func (c *Call) WaitForState(ctx context.Context, state calls.State) error {
	for {
		c.mu.Lock()
		cur, ch, ended, end := c.res.State, c.changed, c.ended, c.end
		c.mu.Unlock()
		if cur == state || rank(cur) > rank(state) && state != calls.StateTerminated && cur != calls.StateTerminated && !ended {
			return nil
		}
		if ended {
			if state == calls.StateTerminated {
				return nil
			}
			return fmt.Errorf("%w before %s: %s", ErrCallEnded, state, describeEnd(end))
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func describeEnd(e EndInfo) string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s (%s)", e.ResultInfo, e.Reason)
}

// rank orders call states along a call's life.
func rank(s calls.State) int {
	switch s {
	case calls.StateIncoming:
		return 0
	case calls.StateEstablishing, calls.StateRinging:
		return 1
	case calls.StateEstablished:
		return 2
	case calls.StateHold, calls.StateTransferring, calls.StateTransferAccepted, calls.StateRedirecting:
		return 3
	case calls.StateTerminating:
		return 4
	case calls.StateTerminated:
		return 5
	}
	return 2 // unknown future states: treat as established
}

// enqueue adds work to the call's queue; a goroutine drains it while it is not empty.
func (c *Call) enqueue(f func()) {
	c.qmu.Lock()
	c.queue = append(c.queue, f)
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
		if len(c.queue) == 0 {
			c.running = false
			c.queue = nil
			c.qmu.Unlock()
			return
		}
		f := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.qmu.Unlock()
		c.client.runCall(c, f)
	}
}

// toneWindow is how many recent tone sequence IDs are remembered to drop duplicates
// (reordered tones inside the window are still delivered).
const toneWindow = 64

// parseEtag reads the number of an etag such as W/"5445", or 0.
func parseEtag(s string) int64 {
	s = strings.TrimPrefix(s, "W/")
	n, err := strconv.ParseInt(strings.Trim(s, `"`), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// apply applies a notification; it runs on the call's queue.
func (c *Call) apply(n notifications.Notification) {
	switch n.Kind {
	case notifications.KindCall:
		c.applyCall(n)
	case notifications.KindParticipants:
		c.applyRoster(n)
	case notifications.KindOperation:
		c.ops.complete(c, n.Operation)
	}
}

func (c *Call) applyCall(n notifications.Notification) {
	if n.Call == nil {
		return
	}
	upd := n.Call
	if upd.ToneInfo.Tone != "" {
		c.mu.Lock()
		seq := upd.ToneInfo.SequenceID
		if c.ended || c.tonesSeen[seq] || seq <= c.toneSeq-toneWindow || seq <= c.toneFloor {
			c.mu.Unlock()
			return // a duplicate (or far older than anything still remembered)
		}
		if c.tonesSeen == nil {
			c.tonesSeen = map[int64]bool{}
		}
		c.tonesSeen[seq] = true
		c.toneSeq = max(c.toneSeq, seq)
		if len(c.tonesSeen) > 2*toneWindow {
			for s := range c.tonesSeen {
				if s <= c.toneSeq-toneWindow {
					delete(c.tonesSeen, s)
				}
			}
		}
		handlers := c.onTone
		c.mu.Unlock()
		for _, f := range handlers {
			c.later(func() { f(upd.ToneInfo) })
		}
		return
	}
	terminal := n.ChangeType == notifications.ChangeDeleted || upd.State == calls.StateTerminated
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	etag := parseEtag(upd.ODataEtag)
	stale := etag > 0 && c.etag > 0 && etag <= c.etag
	if !terminal && upd.State != "" && !stale {
		from, to := rank(c.res.State), rank(upd.State)
		// Out of order: a call does not go back, except to established after hold or
		// a failed transfer.
		stale = to < from && !(upd.State == calls.StateEstablished && from == 3)
	}
	if stale && !terminal {
		c.mu.Unlock()
		return
	}
	if etag > c.etag {
		c.etag = etag
	}
	old := c.res
	c.res = merge(c.res, *upd)
	c.res.ToneInfo = media.ToneInfo{}
	c.res.ID = c.id
	newRes := c.res
	becameEstablished := old.State != calls.StateEstablished && newRes.State == calls.StateEstablished
	if becameEstablished && !terminal && c.keepAlive == nil && c.client.cfg.KeepAliveInterval > 0 {
		// Armed before waiters wake, so that whoever saw "established" sees it armed.
		c.scheduleKeepAliveLocked(c.client.cfg.KeepAliveInterval)
	}
	if !terminal { // finish wakes the waiters once the call is marked ended
		close(c.changed)
		c.changed = make(chan struct{})
	}
	handlers := c.onUpdated
	c.mu.Unlock()

	if len(handlers) > 0 {
		o, nw := cloneCall(old), cloneCall(newRes)
		for _, f := range handlers {
			c.later(func() { f(o, nw) })
		}
	}
	if terminal {
		ri := upd.ResultInfo
		c.finish(EndInfo{Reason: ri.EndReason(), ResultInfo: ri})
		return
	}
	if becameEstablished {
		c.later(c.snapshotRoster)
	}
}

// merge overlays the members a (possibly partial) notification carries on the known
// resource.
func merge(old, upd calls.Call) calls.Call {
	if old.ID == "" && old.State == "" {
		return upd
	}
	a, err1 := wire.Marshal(old)
	b, err2 := wire.Marshal(upd)
	if err1 != nil || err2 != nil {
		return upd
	}
	var am, bm map[string]json.RawMessage
	if wire.Unmarshal(a, &am) != nil || wire.Unmarshal(b, &bm) != nil {
		return upd
	}
	for k, v := range bm {
		am[k] = v
	}
	merged, err := wire.Marshal(am)
	if err != nil {
		return upd
	}
	var out calls.Call
	if wire.Unmarshal(merged, &out) != nil {
		return upd
	}
	return out
}

// step applies one change on the call's queue: mutate changes the call and queues its
// callbacks with later; then the state is stored (with the cluster log position pos,
// when the change came from the log), and only then do the callbacks run. A replica
// that lost the call to another one (its write is refused) runs none of them, so each
// event is delivered by exactly one replica. It reports whether the step was stored.
func (c *Call) step(mutate func(), pos string) bool {
	wasEnded := c.beginStep()
	mutate()
	return c.endStep(wasEnded, pos)
}

// applyStep is step(func() { c.apply(n) }, pos) without the closure.
func (c *Call) applyStep(n notifications.Notification, pos string) bool {
	wasEnded := c.beginStep()
	c.apply(n)
	return c.endStep(wasEnded, pos)
}

func (c *Call) beginStep() (wasEnded bool) {
	c.mu.Lock()
	wasEnded = c.ended
	c.mu.Unlock()
	c.fx, c.stepping = c.fx[:0], true
	return wasEnded
}

func (c *Call) endStep(wasEnded bool, pos string) bool {
	c.stepping = false
	fx := c.fx
	c.mu.Lock()
	if pos != "" {
		c.applied = pos
	}
	final := !wasEnded && c.ended && !c.gone
	c.mu.Unlock()
	err := c.persistState(final)
	if err == nil || c.client.cluster == nil {
		for _, f := range fx {
			c.client.runCall(c, f)
		}
	}
	clear(fx) // keep the array for the next step, not the closures
	c.fx = fx[:0]
	// With a cluster, a failed write means the call was lost to another replica (or
	// the store kept failing until Close): nothing was delivered.
	return err == nil || c.client.cluster == nil
}

// later runs f after the current step has been stored (at once outside a step).
func (c *Call) later(f func()) {
	if c.stepping {
		c.fx = append(c.fx, f)
		return
	}
	f()
}

// finish ends the call once: pending operations fail, keep-alive stops, OnTerminated
// runs, and the call is forgotten. It runs in a step on the call's queue.
func (c *Call) finish(end EndInfo) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended, c.end = true, end
	if c.res.State != calls.StateTerminated {
		c.res.State = calls.StateTerminated
	}
	if c.keepAlive != nil {
		c.keepAlive()
		c.keepAlive = nil
	}
	handlers := c.onTerminated
	c.onUpdated, c.onTone, c.onTerminated, c.onRoster = nil, nil, nil, nil
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	err := fmt.Errorf("%w: %s", ErrCallEnded, describeEnd(end))
	c.later(func() {
		c.ops.failAll(err)
		c.client.forgetLocal(c) // Client.Call no longer finds it once OnTerminated runs
	})
	for _, f := range handlers {
		c.later(func() { f(end) })
	}
	c.later(func() {
		c.mu.Lock()
		c.gone = true
		c.mu.Unlock()
		c.client.untrack(c)
		c.closeDone() // after untrack: Done means the call is forgotten
	})
}

// errGone is persistState's answer for a call this replica no longer writes.
var errGone = errors.New("graphcomms: call no longer handled here")

// closeDone closes the Done channel, once.
func (c *Call) closeDone() { c.doneOnce.Do(func() { close(c.endCh) }) }

// endLocally ends the call without a notification (a failed answer, a 404), through the
// call's queue so that it stays in order with its events.
func (c *Call) endLocally(end EndInfo) {
	c.enqueue(func() { c.step(func() { c.finish(end) }, "") })
}

// persist writes the call's state to the store (see persistState).
func (c *Call) persist() { _ = c.persistState(false) }

// persistState writes the call's state to the store; final writes the state of a call
// that has just ended (its last write). Writes are serialised so that versions reach
// the store in order. With a cluster, a refused write means another replica took the
// call over: the call is dropped here (ErrCallMoved); other failures are retried until
// they pass or the client closes, so that nothing applied here is lost.
func (c *Call) persistState(final bool) error {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.mu.Lock()
	if c.gone {
		// Fenced or cleaned up: nothing may be stored, and (with a cluster) the step
		// that asked must not deliver its events.
		c.mu.Unlock()
		return errGone
	}
	if c.ended && !final {
		c.mu.Unlock()
		return nil
	}
	st := CallState{CallID: c.id, TenantID: c.tenant, Version: c.version + 1, Call: c.res, Participants: c.roster.snapshot(),
		RosterSequence: c.roster.seq, ToneSequence: c.toneSeq, Operations: c.ops.pending(), KeepAliveAt: c.keepAliveAt,
		LogPosition: c.applied, UpdatedAt: c.client.clock.Now(), Writer: c.client.cl.replica}
	c.mu.Unlock()
	var err error
	if op, ok := c.client.store.(ownedPutter); ok && c.client.cluster == nil {
		// The client never changes c.res or the roster snapshot in place (it replaces
		// them), so the in-memory store may keep them without a copy.
		err = op.putOwned(st)
	} else {
		err = c.client.putRetrying(st)
	}
	if err == nil {
		c.mu.Lock()
		c.version = st.Version // only a stored version counts
		c.mu.Unlock()
		return nil
	}
	if c.client.cluster == nil {
		c.client.reportError(fmt.Errorf("store: saving call %s: %w", c.id, err))
		return err
	}
	// Fenced: this replica writes nothing more for the call (pmu is still held, so no
	// other write slips in before the flag).
	c.mu.Lock()
	c.gone = true
	c.mu.Unlock()
	if errors.Is(err, ErrVersionConflict) {
		c.client.log.Info("graphcomms: another replica took the call over", "call", c.id)
	} else {
		c.client.reportError(fmt.Errorf("store: saving call %s: %w", c.id, err))
	}
	// Stop here; then free the lease if it is still ours (two replicas raced), so that
	// the call is not left without a holder until the lease runs out.
	go c.enqueue(func() {
		c.lose()
		c.client.releaseLease(c.id)
	})
	return err
}

// scheduleKeepAliveLocked arms the next keepAlive. The tick arms the one after before
// it sends, so the cadence does not drift with Graph's latency (and a virtual clock in
// tests sees every tick armed as soon as the previous one fired).
func (c *Call) scheduleKeepAliveLocked(interval time.Duration) {
	jitter := time.Duration(rand.Int64N(int64(interval/10) + 1))
	c.armKeepAliveLocked(interval, interval-jitter)
}

// armKeepAliveLocked arms the next keepAlive in d, then every interval.
func (c *Call) armKeepAliveLocked(interval, d time.Duration) {
	c.keepAliveAt = c.client.clock.Now().Add(d)
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
	if err := c.KeepAlive(ctx); err != nil && !calls.IsNotFound(err) {
		// A 404 has already ended the call locally.
		c.client.reportError(fmt.Errorf("keepAlive of call %s: %w", c.id, err))
		return
	}
	// Store when the next one is due, for a replica that may take the call over.
	c.persist()
}

// request returns the builder for the call with its tenant.
func (c *Call) builder() *calls.CallRequestBuilder { return c.client.api.Calls().ByID(c.id) }

func (c *Call) opts(extra []calls.RequestOption) []calls.RequestOption {
	return tenantOpts(c.tenant, extra)
}

// tenantOpts puts a tenant (when there is one) before the request options extra.
func tenantOpts(tenant string, extra []calls.RequestOption) []calls.RequestOption {
	if tenant == "" {
		return extra
	}
	return append([]calls.RequestOption{calls.WithTenant(tenant)}, extra...)
}

// check ends the call locally when Graph says it no longer exists.
func (c *Call) check(err error) error {
	if calls.IsNotFound(err) {
		c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: err})
	}
	return err
}

// Answer answers an incoming call with service-hosted media (prefetching prompts) on
// the client's callback URL. If Graph refuses, the call is dropped locally (with an
// OnTerminated event), so no zombie call is left behind.
func (c *Call) Answer(ctx context.Context, prefetchPrompts ...string) error {
	return c.AnswerWith(ctx, calls.NewAnswerRequest(c.client.cfg.CallbackURL, prefetchPrompts...))
}

// AnswerWith answers with a request of your own (app-hosted media, call options).
func (c *Call) AnswerWith(ctx context.Context, req *calls.AnswerRequest, opts ...calls.RequestOption) error {
	if req.CallbackURI == "" {
		req.CallbackURI = c.client.cfg.CallbackURL
	}
	err := c.builder().Answer().Post(ctx, req, c.opts(opts)...)
	if err != nil {
		c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: fmt.Errorf("answer failed: %w", err)})
	}
	return err
}

// Reject rejects an incoming call.
func (c *Call) Reject(ctx context.Context, reason calls.RejectReason, opts ...calls.RequestOption) error {
	return c.check(c.builder().Reject().Post(ctx, &calls.RejectRequest{Reason: reason}, c.opts(opts)...))
}

// Redirect redirects an incoming call to targets (they ring at once).
func (c *Call) Redirect(ctx context.Context, targets []participants.Invitation, opts ...calls.RequestOption) error {
	return c.check(c.builder().Redirect().Post(ctx, &calls.RedirectRequest{Targets: targets}, c.opts(opts)...))
}

// Transfer transfers the call to target.
func (c *Call) Transfer(ctx context.Context, target participants.Invitation, opts ...calls.RequestOption) error {
	return c.check(c.builder().Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: target}, c.opts(opts)...))
}

// HangUp leaves the call; the terminated notification then ends it.
func (c *Call) HangUp(ctx context.Context, opts ...calls.RequestOption) error {
	return c.check(c.builder().Delete(ctx, c.opts(opts)...))
}

// KeepAlive tells Graph the call is still wanted. The client does this by itself for
// established calls (Config.KeepAliveInterval). A 404 ends the call locally.
func (c *Call) KeepAlive(ctx context.Context, opts ...calls.RequestOption) error {
	return c.check(c.builder().KeepAlive().Post(ctx, nil, c.opts(opts)...))
}

// ChangeScreenSharingRole changes the bot's screen-sharing role.
func (c *Call) ChangeScreenSharingRole(ctx context.Context, role calls.ScreenSharingRole, opts ...calls.RequestOption) error {
	return c.check(c.builder().ChangeScreenSharingRole().Post(ctx, &calls.ChangeScreenSharingRoleRequest{Role: role}, c.opts(opts)...))
}

// Mute mutes the bot.
func (c *Call) Mute(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.MuteParticipantOperation], error) {
	return startOp(ctx, c, c.builder().Mute(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// Unmute unmutes the bot.
func (c *Call) Unmute(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.UnmuteParticipantOperation], error) {
	return startOp(ctx, c, c.builder().Unmute(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// PlayPrompt plays prompts; Wait on the operation returns when they have played.
func (c *Call) PlayPrompt(ctx context.Context, prompts []media.Prompt, opts ...calls.RequestOption) (*Operation[*calls.PlayPromptOperation], error) {
	return startOp(ctx, c, c.builder().PlayPrompt(), &calls.PlayPromptRequest{Prompts: prompts}, func(r *calls.PlayPromptRequest) *string { return &r.ClientContext }, opts)
}

// RecordResponse records the caller; the completed operation carries the recording's
// location and access token.
func (c *Call) RecordResponse(ctx context.Context, req calls.RecordResponseRequest, opts ...calls.RequestOption) (*Operation[*calls.RecordOperation], error) {
	return startOp(ctx, c, c.builder().RecordResponse(), &req, func(r *calls.RecordResponseRequest) *string { return &r.ClientContext }, opts)
}

// SubscribeToTone asks for DTMF tones, which then arrive through OnTone.
func (c *Call) SubscribeToTone(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.SubscribeToToneOperation], error) {
	return startOp(ctx, c, c.builder().SubscribeToTone(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// CancelMediaProcessing cancels running prompts and recordings (their operations fail).
func (c *Call) CancelMediaProcessing(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.CancelMediaProcessingOperation], error) {
	return startOp(ctx, c, c.builder().CancelMediaProcessing(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// UpdateRecordingStatus tells Graph whether the bot records (compliance recording).
func (c *Call) UpdateRecordingStatus(ctx context.Context, status media.RecordingStatus, opts ...calls.RequestOption) (*Operation[*calls.UpdateRecordingStatusOperation], error) {
	return startOp(ctx, c, c.builder().UpdateRecordingStatus(), &calls.UpdateRecordingStatusRequest{Status: status}, func(r *calls.UpdateRecordingStatusRequest) *string { return &r.ClientContext }, opts)
}

// SendDtmfTones sends DTMF tones into the call.
func (c *Call) SendDtmfTones(ctx context.Context, tones []media.Tone, opts ...calls.RequestOption) (*Operation[*calls.SendDtmfTonesOperation], error) {
	return startOp(ctx, c, c.builder().SendDtmfTones(), &calls.SendDtmfTonesRequest{Tones: tones}, func(r *calls.SendDtmfTonesRequest) *string { return &r.ClientContext }, opts)
}
