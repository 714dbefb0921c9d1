package graphcomms

import (
	"context"
	"fmt"
	"sync"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/callstate"
)

// Handoff is a transfer or a redirect in progress: an action whose success takes the
// call away from the bot. Graph answers the request at once (202) and tells the
// outcome later, in notifications; Wait waits for it.
//
// Graph sends a completed blind transfer as a terminated call with resultInfo 0/7015
// "GracefulTransferCompleted", a completed consultative transfer as a terminated call
// with terminationReason "AppTransferred", and a failed transfer as the call going
// back to established with resultInfo 500/7000 (blind) or 500/7700 (consultative),
// the call staying up (call-transfer). A redirected call ends with no resultInfo
// (call-redirect).
type Handoff struct {
	kind string
	once sync.Once
	done chan struct{}
	end  EndInfo
	err  error
}

func newHandoff(kind callstate.Handoff) *Handoff {
	return &Handoff{kind: string(kind), done: make(chan struct{})}
}

// Kind returns "transfer" or "redirect".
func (h *Handoff) Kind() string { return h.kind }

// Done is closed once the outcome is known.
func (h *Handoff) Done() <-chan struct{} { return h.done }

// Wait returns the outcome. On success the call has ended and Wait returns its
// EndInfo (Reason calls.EndReasonTransferred or calls.EndReasonRedirected) and nil.
// A transfer Graph reports as failed returns a *HandoffError, and the call is still
// up. A call that ended some other way (the caller hung up meanwhile, say) returns
// its EndInfo and an error wrapping ErrCallEnded. ctx bounds the wait only.
func (h *Handoff) Wait(ctx context.Context) (EndInfo, error) {
	select {
	case <-h.done:
		return h.end, h.err
	case <-ctx.Done():
		return EndInfo{}, context.Cause(ctx)
	}
}

func (h *Handoff) settle(end EndInfo, err error) {
	h.once.Do(func() {
		h.end, h.err = end, err
		close(h.done)
	})
}

// HandoffError is a transfer that Graph reported as failed: the call went back to
// established and stays up.
type HandoffError struct {
	// Kind is "transfer".
	Kind string
	// ResultInfo is what Graph sent, e.g. 500/7000.
	ResultInfo calls.ResultInfo
}

// Error returns "graphcomms: transfer failed: 500/7000: <message>".
func (e *HandoffError) Error() string {
	return fmt.Sprintf("graphcomms: %s failed: %s", e.Kind, e.ResultInfo)
}

// startHandoff records the handoff in the call's state (so that every replica
// classifies the end the same way) and returns its waiter, replacing any earlier one.
func (c *Call) startHandoff(kind callstate.Handoff) *Handoff {
	h := newHandoff(kind)
	c.mu.Lock()
	old := c.handoff
	c.handoff = h
	c.st.StartHandoff(kind)
	c.mu.Unlock()
	if old != nil {
		old.settle(EndInfo{}, fmt.Errorf("graphcomms: %s superseded by a %s", old.kind, kind))
	}
	c.persistLater()
	return h
}

// dropHandoff forgets a handoff whose request failed.
func (c *Call) dropHandoff(h *Handoff, err error) {
	c.mu.Lock()
	if c.handoff == h {
		c.handoff = nil
		c.st.StartHandoff(callstate.HandoffNone)
	}
	c.mu.Unlock()
	h.settle(EndInfo{}, err)
	c.persistLater()
}

// handoffFailed settles the pending transfer with Graph's failure. It runs on the
// queue.
func (c *Call) handoffFailed(ri calls.ResultInfo) {
	c.mu.Lock()
	h := c.handoff
	c.handoff = nil
	c.mu.Unlock()
	if h != nil {
		h.settle(EndInfo{}, &HandoffError{Kind: h.kind, ResultInfo: ri})
	}
}

// handoffEnded settles the pending handoff with the call's end: success when the end
// is the one it asked for.
func (h *Handoff) ended(end EndInfo) {
	want := calls.EndReasonTransferred
	if h.kind == string(callstate.HandoffRedirect) {
		want = calls.EndReasonRedirected
	}
	if end.Err == nil && end.Reason == want {
		h.settle(end, nil)
		return
	}
	h.settle(end, endError(end))
}
