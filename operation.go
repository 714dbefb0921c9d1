package graphcomms

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/transport"
	"go.opentelemetry.io/otel/metric"
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
	if any(o.initial) == nil {
		var zero T
		return zero, fmt.Errorf("graphcomms: operation %s finished as %T", o.st.id, o.st.result)
	}
	*o.initial.Base() = *o.st.result.Base()
	return o.initial, nil
}

// PendingOperations returns the call's operations still pending, as generic
// operations: on a replica that took the call over (see Client.OnResume), Wait on them
// returns what Graph finally says about the operations started on the previous one.
func (c *Call) PendingOperations() []*Operation[calls.Operation] {
	c.mu.Lock()
	defer c.mu.Unlock()
	ccs, _, _ := c.st.PendingOperations()
	out := make([]*Operation[calls.Operation], 0, len(ccs))
	for _, cc := range ccs {
		if w := c.waiters[cc]; w != nil {
			out = append(out, &Operation[calls.Operation]{st: w})
		}
	}
	return out
}

// opState is what a waiter of one operation sees.
type opState struct {
	cc, typ string
	id      string // set once Graph has answered (guarded by Call.mu)
	done    chan struct{}

	mu       sync.Mutex
	result   calls.Operation
	err      error
	finished bool
	stopPoll func()
	// onFinish, when set, runs once the operation has finished (its span and
	// duration metric).
	onFinish func(op calls.Operation, err error)
}

func newOpState(cc, typ string) *opState {
	return &opState{cc: cc, typ: typ, done: make(chan struct{})}
}

// resolve finishes the operation with its final form, once.
func (st *opState) resolve(op calls.Operation) {
	var err error
	if b := op.Base(); b.Status == calls.OperationFailed {
		err = &OperationError{Operation: op, ResultInfo: b.ResultInfo}
	}
	st.finish(op, err)
}

// fail finishes the operation with err, once.
func (st *opState) fail(err error) { st.finish(nil, err) }

func (st *opState) finish(op calls.Operation, err error) {
	st.mu.Lock()
	if st.finished {
		st.mu.Unlock()
		return
	}
	st.finished, st.result, st.err = true, op, err
	if st.stopPoll != nil {
		st.stopPoll()
	}
	onFinish := st.onFinish
	st.mu.Unlock()
	// The span ends and the duration is recorded before any Wait returns, so that a
	// caller (or a test) that has the result finds them too.
	if onFinish != nil {
		onFinish(op, err)
	}
	close(st.done)
}

// startOp sends an operation action and tracks the operation it starts. cc points at
// the request's clientContext, which is filled with a unique value when empty so that
// a completion can be matched even before Graph's answer arrives.
func startOp[Req any, T calls.Operation](ctx context.Context, c *Call, action *calls.OperationAction[Req, T], body *Req,
	cc func(*Req) *string, opts []calls.RequestOption) (*Operation[T], error) {
	ccp := cc(body)
	if *ccp == "" {
		*ccp = "gc-" + transport.NewUUID()
	}
	var zero T
	w := newOpState(*ccp, zero.ODataTypeName())
	typ := odata.Name(w.typ)
	ctx, span := c.startSpan(ctx, "graphcomms.operation "+typ, attrOpType.String(typ))
	started := c.client.clock.Now()
	w.onFinish = func(op calls.Operation, err error) {
		outcome := "completed"
		if op != nil {
			b := op.Base()
			span.SetAttributes(attrOpID.String(b.ID))
			span.SetAttributes(resultAttrs(b.ResultInfo)...)
		}
		if err != nil {
			outcome = "failed"
		}
		c.client.tel.opDur.Record(context.Background(), c.client.since(started),
			metric.WithAttributes(attrOpType.String(typ), attrOutcome.String(outcome)))
		endSpan(span, err)
	}
	c.mu.Lock()
	if c.ended {
		err := endError(c.end)
		c.mu.Unlock()
		w.fail(err)
		return nil, err
	}
	c.st.StartOperation(w.cc, w.typ, c.client.clock.Now())
	c.waiters[w.cc] = w
	c.mu.Unlock()
	var op T
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		op, err = action.Post(ctx, body, c.opts(opts)...)
		return err
	})
	if err != nil {
		c.mu.Lock()
		c.st.OperationFinished(w.cc)
		delete(c.waiters, w.cc)
		c.mu.Unlock()
		w.fail(err)
		return nil, err
	}
	c.mu.Lock()
	w.id = op.Base().ID
	early := c.st.OperationStarted(w.cc, w.id)
	if early == nil && op.Base().Status.IsFinal() {
		c.st.OperationFinished(w.cc)
		early = op
	}
	if early != nil || c.waiters[w.cc] != w {
		delete(c.waiters, w.cc)
	} else {
		c.schedulePollLocked(w)
	}
	c.mu.Unlock()
	if early != nil {
		w.resolve(early)
	}
	c.persistLater()
	return &Operation[T]{st: w, initial: op}, nil
}

// schedulePollLocked polls the operation after OperationTimeout without a
// notification. c.mu is held.
func (c *Call) schedulePollLocked(w *opState) {
	stop := c.client.clock.AfterFunc(c.client.cfg.OperationTimeout, func() { go c.poll(w) })
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		stop()
		return
	}
	w.stopPoll = stop
}

func (c *Call) poll(w *opState) {
	c.mu.Lock()
	id := w.id
	c.mu.Unlock()
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	op, err := c.builder().Operations().ByID(id).Get(ctx, c.opts(nil)...)
	switch {
	case c.ctx.Err() != nil:
		return // the call ended: its waiters were told
	case calls.IsNotFound(err):
		c.settle(w, nil, fmt.Errorf("graphcomms: operation %s not found: %w", id, err))
	case err != nil:
		c.client.reportError(&CallError{CallID: c.id, Stage: StagePoll, Err: err})
		c.mu.Lock()
		c.schedulePollLocked(w)
		c.mu.Unlock()
	case op.Base().Status.IsFinal():
		c.settle(w, op, nil)
	default:
		c.mu.Lock()
		c.schedulePollLocked(w)
		c.mu.Unlock()
	}
}

// settle finishes an operation found final (or gone) by a poll, then stores that it
// is no longer pending.
func (c *Call) settle(w *opState, op calls.Operation, err error) {
	c.mu.Lock()
	c.st.OperationFinished(w.cc)
	if c.waiters[w.cc] == w {
		delete(c.waiters, w.cc)
	}
	c.mu.Unlock()
	if err != nil {
		w.fail(err)
	} else {
		w.resolve(op)
	}
	c.persistLater()
}
