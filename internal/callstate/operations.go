package callstate

import (
	"time"

	"github.com/graphcomms/graphcomms/calls"
)

// StartOperation records an operation the bot is starting, by client context (which
// must be unique in the call), before the request is sent.
func (s *State) StartOperation(cc, typ string, now time.Time) {
	s.ops = append(s.ops, op{cc: cc, typ: typ, started: now})
	s.opsSnap = nil
}

// OperationStarted records the ID Graph gave the operation with client context cc,
// and returns a completion that arrived before it (nil when none did; the operation
// is then finished: it is no longer pending).
func (s *State) OperationStarted(cc, id string) calls.Operation {
	i := s.opIndex(cc, "")
	if i < 0 {
		return nil
	}
	s.ops[i].id = id
	s.opsSnap = nil
	for j, e := range s.early {
		b := e.Base()
		if id != "" && b.ID == id || b.ClientContext != "" && b.ClientContext == cc {
			s.early = append(s.early[:j:j], s.early[j+1:]...)
			s.dropOp(i)
			return e
		}
	}
	return nil
}

// OperationFinished drops an operation from the pending ones (its request failed, its
// poll found it final or gone).
func (s *State) OperationFinished(cc string) {
	if i := s.opIndex(cc, ""); i >= 0 {
		s.dropOp(i)
	}
}

// Pending reports whether the operation with client context cc is pending.
func (s *State) Pending(cc string) bool { return s.opIndex(cc, "") >= 0 }

// PendingOperations returns the client contexts and IDs of the pending operations,
// in the order they started.
func (s *State) PendingOperations() (ccs, ids, types []string) {
	for _, o := range s.ops {
		ccs, ids, types = append(ccs, o.cc), append(ids, o.id), append(types, o.typ)
	}
	return ccs, ids, types
}

// opIndex finds a pending operation by client context or ID. A call has few
// operations pending at once (each one the bot started and is waiting on), so a
// scan is cheaper than maps.
func (s *State) opIndex(cc, id string) int {
	for i, o := range s.ops {
		if cc != "" && o.cc == cc || id != "" && o.id == id {
			return i
		}
	}
	return -1
}

func (s *State) dropOp(i int) {
	s.ops = append(s.ops[:i:i], s.ops[i+1:]...)
	s.opsSnap = nil
}

// complete applies an operation's progress or completion notification.
func (s *State) complete(o calls.Operation, urlID string, fx []Effect) []Effect {
	if o == nil {
		return fx
	}
	b := o.Base()
	id := b.ID
	if id == "" {
		id = urlID // the resource URL names the operation when its data does not
	}
	i := -1
	if id != "" {
		i = s.opIndex("", id)
	}
	if i < 0 && b.ClientContext != "" {
		i = s.opIndex(b.ClientContext, "")
	}
	if !b.Status.IsFinal() {
		return fx
	}
	if i < 0 {
		// Before Graph's answer to the request that started it (or not ours): kept,
		// a bounded number, oldest dropped first.
		if len(s.early) >= MaxEarly {
			s.early = s.early[1:]
		}
		s.early = append(s.early, o)
		return fx
	}
	cc := s.ops[i].cc
	s.dropOp(i)
	return append(fx, Effect{Kind: OperationDone, ClientContext: cc, Operation: o})
}
