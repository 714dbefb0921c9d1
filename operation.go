package graphcomms

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/transport"
)

// OperationError is a failed operation: Graph's resultInfo says why.
type OperationError struct {
	// Operation is the failed operation as Graph last described it.
	Operation  calls.Operation
	ResultInfo calls.ResultInfo
}

// Error returns "graphcomms: playPromptOperation op-1 failed: 400/8508: ...".
func (e *OperationError) Error() string {
	b := e.Operation.Base()
	return fmt.Sprintf("graphcomms: %s %s failed: %s", shortType(e.Operation), b.ID, e.ResultInfo)
}

func shortType(op calls.Operation) string {
	t := op.Base().ODataType
	if t == "" {
		t = op.ODataTypeName()
	}
	return odata.Name(t)
}

// Operation is a running Graph operation (a prompt, a recording, an invitation, ...)
// that can be awaited. T is the operation's type, e.g. *calls.PlayPromptOperation.
type Operation[T calls.Operation] struct {
	st      *opState
	initial T
}

// ID returns the operation's ID.
func (o *Operation[T]) ID() string { return o.st.id }

// ClientContext returns the operation's client context.
func (o *Operation[T]) ClientContext() string { return o.st.cc }

// Done returns a channel closed when the operation has finished.
func (o *Operation[T]) Done() <-chan struct{} { return o.st.done }

// Wait waits for the operation to finish and returns its final form: for a completed
// recording, the recording's location and access token. A failed operation gives an
// *OperationError; an operation still pending when its call ends gives an error
// wrapping ErrCallEnded. A completion that arrived before Wait is not missed.
func (o *Operation[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-o.st.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	o.st.mu.Lock()
	defer o.st.mu.Unlock()
	if o.st.err != nil {
		var zero T
		return zero, o.st.err
	}
	if t, ok := o.st.result.(T); ok {
		return t, nil
	}
	// Graph described the operation with another type (polling without @odata.type):
	// keep the typed value and update its common members.
	*o.initial.Base() = *o.st.result.Base()
	return o.initial, nil
}

// PendingOperations returns the call's operations still pending, as generic
// operations: on a replica that took the call over (see Client.OnResume), Wait on them
// returns what Graph finally says about the operations started on the previous one.
func (c *Call) PendingOperations() []*Operation[calls.Operation] {
	c.ops.mu.Lock()
	defer c.ops.mu.Unlock()
	out := make([]*Operation[calls.Operation], 0, len(c.ops.byCtx))
	for _, st := range c.ops.byCtx {
		out = append(out, &Operation[calls.Operation]{st: st})
	}
	return out
}

// opState is one pending operation.
type opState struct {
	id, cc, typ string
	started     time.Time
	done        chan struct{}
	settling    bool // its completion is applied, waiting to be stored (guarded by opTable.mu)

	mu       sync.Mutex
	result   calls.Operation
	err      error
	finished bool
	stopPoll func()
}

// opTable tracks a call's pending operations, and completions that arrived before
// their operation was known.
type opTable struct {
	mu      sync.Mutex
	byID    map[string]*opState
	byCtx   map[string]*opState
	orphans map[string]calls.Operation
}

// lazy makes the table's maps on first use (most calls never start an operation).
// t.mu is held.
func (t *opTable) lazy() {
	if t.byCtx == nil {
		t.byID, t.byCtx = map[string]*opState{}, map[string]*opState{}
	}
	if t.orphans == nil { // also dropped by failAll
		t.orphans = map[string]calls.Operation{}
	}
}

func (t *opTable) register(cc, typ string, now time.Time) *opState {
	st := &opState{cc: cc, typ: typ, started: now, done: make(chan struct{})}
	t.mu.Lock()
	t.lazy()
	t.byCtx[cc] = st
	t.mu.Unlock()
	return st
}

// setID records the operation's ID and returns a completion that already arrived.
func (t *opTable) setID(st *opState, id string) calls.Operation {
	t.mu.Lock()
	defer t.mu.Unlock()
	st.id = id
	if id != "" && t.byID != nil {
		t.byID[id] = st
	}
	if op, ok := t.orphans["id:"+id]; ok && id != "" {
		delete(t.orphans, "id:"+id)
		return op
	}
	if op, ok := t.orphans["cc:"+st.cc]; ok {
		delete(t.orphans, "cc:"+st.cc)
		return op
	}
	return nil
}

func (t *opTable) forget(st *opState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[st.id] == st {
		delete(t.byID, st.id)
	}
	if t.byCtx[st.cc] == st {
		delete(t.byCtx, st.cc)
	}
}

// complete applies a completion (or progress) notification.
func (t *opTable) complete(c *Call, op calls.Operation) {
	if op == nil {
		return
	}
	b := op.Base()
	t.mu.Lock()
	st := t.byID[b.ID]
	if st == nil && b.ClientContext != "" {
		st = t.byCtx[b.ClientContext]
	}
	if st == nil {
		t.lazy()
		if b.Status.IsFinal() && len(t.orphans) < 64 {
			if b.ID != "" {
				t.orphans["id:"+b.ID] = op
			}
			if b.ClientContext != "" {
				t.orphans["cc:"+b.ClientContext] = op
			}
		}
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if b.Status.IsFinal() {
		// Off the pending list in the state stored for this step; the waiter wakes
		// once it is stored (or fails with the call if the step is refused).
		t.mu.Lock()
		st.settling = true
		t.mu.Unlock()
		c.later(func() { t.resolve(st, op) })
	}
}

// resolve finishes an operation once.
func (t *opTable) resolve(st *opState, op calls.Operation) {
	st.mu.Lock()
	if st.finished {
		st.mu.Unlock()
		return
	}
	st.finished = true
	st.result = op
	if b := op.Base(); b.Status == calls.OperationFailed {
		st.err = &OperationError{Operation: op, ResultInfo: b.ResultInfo}
	}
	if st.stopPoll != nil {
		st.stopPoll()
	}
	st.mu.Unlock()
	close(st.done)
	t.forget(st)
}

// fail finishes an operation with err.
func (t *opTable) fail(st *opState, err error) {
	st.mu.Lock()
	if st.finished {
		st.mu.Unlock()
		return
	}
	st.finished, st.err = true, err
	if st.stopPoll != nil {
		st.stopPoll()
	}
	st.mu.Unlock()
	close(st.done)
	t.forget(st)
}

func (t *opTable) failAll(err error) {
	t.mu.Lock()
	var all []*opState
	for _, st := range t.byCtx {
		all = append(all, st)
	}
	for _, st := range t.byID {
		if t.byCtx[st.cc] != st { // not already listed under its clientContext
			all = append(all, st)
		}
	}
	t.orphans = nil
	t.mu.Unlock()
	for _, st := range all {
		t.fail(st, err)
	}
}

func (t *opTable) pending() []PendingOperation {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byCtx) == 0 {
		return nil
	}
	out := make([]PendingOperation, 0, len(t.byCtx))
	for _, st := range t.byCtx {
		if !st.settling {
			out = append(out, PendingOperation{ID: st.id, ClientContext: st.cc, Type: st.typ, StartedAt: st.started})
		}
	}
	return out
}

// startOp sends an operation action and tracks the operation it starts. cc points at
// the request's clientContext, which is filled with a unique value when empty so that
// a completion can be matched even before Graph's answer arrives.
func startOp[Req any, T calls.Operation](ctx context.Context, c *Call, action *calls.OperationAction[Req, T], body *Req,
	cc func(*Req) *string, opts []calls.RequestOption) (*Operation[T], error) {
	if c.isEnded() {
		return nil, ErrCallEnded
	}
	ccp := cc(body)
	if *ccp == "" {
		*ccp = "gc-" + transport.NewUUID()
	}
	var zero T
	st := c.ops.register(*ccp, zero.ODataTypeName(), c.client.clock.Now())
	op, err := action.Post(ctx, body, c.opts(opts)...)
	if err != nil {
		c.ops.fail(st, err)
		return nil, c.check(err)
	}
	early := c.ops.setID(st, op.Base().ID)
	switch {
	case early != nil:
		c.ops.resolve(st, early)
	case op.Base().Status.IsFinal():
		c.ops.resolve(st, op)
	default:
		c.schedulePoll(st)
	}
	c.persist()
	return &Operation[T]{st: st, initial: op}, nil
}

// schedulePoll polls the operation after OperationTimeout without a notification.
func (c *Call) schedulePoll(st *opState) {
	stop := c.client.clock.AfterFunc(c.client.cfg.OperationTimeout, func() { go c.poll(st) })
	st.mu.Lock()
	if st.finished {
		st.mu.Unlock()
		stop()
		return
	}
	st.stopPoll = stop
	st.mu.Unlock()
}

func (c *Call) poll(st *opState) {
	if st.id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	op, err := c.builder().Operations().ByID(st.id).Get(ctx, c.opts(nil)...)
	switch {
	case calls.IsNotFound(err):
		c.ops.fail(st, fmt.Errorf("graphcomms: operation %s not found: %w", st.id, err))
	case err != nil:
		c.client.log.Warn("graphcomms: polling an operation", "call", c.id, "operation", st.id, "error", err)
		c.schedulePoll(st)
	case op.Base().Status.IsFinal():
		c.ops.resolve(st, op)
		c.persist()
	default:
		c.schedulePoll(st)
	}
}
