// Package callstate is the state machine of one call: (state, input) -> (next state,
// effects). It does no I/O, takes no locks, reads no clock and calls no callback:
// times come in with the inputs, and what should happen (deliver an event, arm
// keep-alive, read the roster, finish an operation) goes out as Effects, which the
// client's runtime performs once the new state is stored.
//
// It owns: merging partial call updates, the order of call states, etags, the DTMF
// tone window, the roster (full, delta, sequence gaps, coalesced re-reads),
// operation matching (by ID or client context, completions arriving before the
// operation is known), the incoming-call answer deadline, and snapshot/restore to
// store.CallState.
//
// Values are immutable once they are in a State: a call update replaces Call with a
// new value rather than changing it, and roster snapshots are never changed in place,
// so that snapshots can be stored and handed to callbacks without copies.
package callstate

import (
	"encoding/json"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// ToneWindow is how many recent tone sequence IDs are remembered to drop duplicates
// (reordered tones inside the window are still delivered).
const ToneWindow = 64

// MaxEarly caps the completions kept for operations not (yet) known.
const MaxEarly = 64

// End says why a call ended.
type End struct {
	Reason     calls.EndReason
	ResultInfo calls.ResultInfo
	// Err is set for a local end (no terminated notification).
	Err error
}

// RosterEvent is a change of the roster.
type RosterEvent struct {
	Added, Updated, Removed []participants.Participant
}

// Empty reports whether the event changes nothing.
func (ev RosterEvent) Empty() bool {
	return len(ev.Added) == 0 && len(ev.Updated) == 0 && len(ev.Removed) == 0
}

// Kind says what an Effect asks for.
type Kind uint8

// Effect kinds.
const (
	// Updated: deliver OnUpdated(Old, New).
	Updated Kind = iota + 1
	// Tone: deliver OnTone(Tone).
	Tone
	// Roster: deliver OnRosterChanged(Roster).
	Roster
	// Changed: wake whoever waits for a state or roster change.
	Changed
	// OperationDone: the operation with client context ClientContext finished with
	// Operation (failed when its status says so).
	OperationDone
	// ArmKeepAlive: the call is established; start sending keepAlives.
	ArmKeepAlive
	// ReadRoster: GET the roster, then feed it to RosterRead with Gen.
	ReadRoster
	// Terminated: the call ended (End); fail the pending operations, stop
	// keep-alive and polling, deliver OnTerminated.
	Terminated
	// HandoffFailed: the transfer the bot asked for failed and the call stays up
	// (End.ResultInfo says why).
	HandoffFailed
)

// Handoff is an action of the bot that ends the call from its side when it succeeds,
// remembered so that the end can be classified: Graph sends a redirected or rejected
// call's end with no resultInfo.
type Handoff string

// Handoff kinds.
const (
	HandoffNone     Handoff = ""
	HandoffTransfer Handoff = "transfer"
	HandoffRedirect Handoff = "redirect"
	HandoffReject   Handoff = "reject"
)

// Effect is one thing the runtime must do after storing the state that caused it.
type Effect struct {
	Kind     Kind
	Old, New *calls.Call
	Tone     media.ToneInfo
	Roster   RosterEvent
	// ClientContext and Operation are set for OperationDone.
	ClientContext string
	Operation     calls.Operation
	// Gen is set for ReadRoster.
	Gen int64
	End End
}

// State is one call as the engine knows it. Create it with New or Restore.
type State struct {
	ID, Tenant string
	// Call is the resource as last known (never changed in place; ToneInfo empty).
	Call *calls.Call
	Etag int64
	// Ended is set once the call has ended; End says why.
	Ended bool
	End   End
	// ToneSeq is the highest tone sequence ID delivered; tones up to ToneFloor were
	// handled by a previous holder.
	ToneSeq, ToneFloor int64
	toneMask           uint64 // bit k: ToneSeq-k was delivered

	roster  roster
	reading bool // a roster read is in flight
	queued  bool // another one is wanted after it

	ops     []op
	opsSnap []store.PendingOperation
	early   []calls.Operation // completions of operations not (yet) known, oldest first

	// KeepAliveArmed says keep-alive runs; KeepAliveAt is when the next one is due
	// (both kept by the runtime).
	KeepAliveArmed bool
	KeepAliveAt    time.Time
	// IncomingAt is when an incoming call was first seen, zero once it was answered.
	IncomingAt time.Time
	// Data is the bot's own data (immutable; replaced by SetData).
	Data []byte
	// Position is the log position of the last entry applied.
	Position string
	// Handoff is the transfer, redirect or reject the bot asked for, if any.
	Handoff Handoff
	// ScenarioID is the call's scenario ID (set once, when the call is first seen).
	ScenarioID string
}

type op struct {
	cc, id, typ string
	started     time.Time
}

// New returns the state of a call first seen as res: an incoming call (state
// incoming, seen at now) or one the bot created.
func New(id, tenant string, res calls.Call, now time.Time) *State {
	res.ID, res.ToneInfo = id, media.ToneInfo{}
	s := &State{ID: id, Tenant: tenant, Call: &res, Etag: ParseEtag(res.ODataEtag)}
	if res.State == calls.StateIncoming {
		s.IncomingAt = now
	}
	return s
}

// Restore rebuilds a state from what was stored. Tones up to the stored sequence were
// delivered (or skipped) by the previous holder, so none of them is delivered again.
func Restore(st store.CallState) *State {
	res := st.Call
	res.ID = st.CallID
	s := &State{ID: st.CallID, Tenant: st.TenantID, Call: &res, Etag: st.Etag, ToneSeq: st.ToneSequence, ToneFloor: st.ToneSequence,
		KeepAliveAt: st.KeepAliveAt, IncomingAt: st.IncomingAt, Data: st.Data, Position: st.LogPosition, Handoff: Handoff(st.Handoff), ScenarioID: st.ScenarioID}
	s.roster.replace(st.Participants)
	s.roster.seq = st.RosterSequence
	for _, p := range st.Operations {
		s.ops = append(s.ops, op{cc: p.ClientContext, id: p.ID, typ: p.Type, started: p.StartedAt})
	}
	return s
}

// Snapshot returns the state to store as version, written at now by writer. It
// shares memory with s (the engine never changes what it shares).
func (s *State) Snapshot(version int64, now time.Time, writer string) store.CallState {
	if s.opsSnap == nil && len(s.ops) > 0 {
		s.opsSnap = make([]store.PendingOperation, len(s.ops))
		for i, o := range s.ops {
			s.opsSnap[i] = store.PendingOperation{ID: o.id, ClientContext: o.cc, Type: o.typ, StartedAt: o.started}
		}
	}
	return store.CallState{CallID: s.ID, TenantID: s.Tenant, Version: version, Call: *s.Call, Etag: s.Etag,
		Participants: s.roster.snapshot(), RosterSequence: s.roster.seq, ToneSequence: s.ToneSeq, Operations: s.opsSnap,
		KeepAliveAt: s.KeepAliveAt, IncomingAt: s.IncomingAt, Data: s.Data, LogPosition: s.Position, UpdatedAt: now, Writer: writer,
		Handoff: string(s.Handoff), ScenarioID: s.ScenarioID}
}

// Participants returns the roster (shared, never changed in place).
func (s *State) Participants() []participants.Participant { return s.roster.snapshot() }

// Participant returns one participant.
func (s *State) Participant(id string) (participants.Participant, bool) {
	p, ok := s.roster.byID[id]
	return p, ok
}

// Apply applies a notification and appends what it causes to fx.
func (s *State) Apply(n *notifications.Notification, fx []Effect) []Effect {
	if s.Ended {
		return fx
	}
	switch n.Kind {
	case notifications.KindCall:
		return s.applyCall(n, fx)
	case notifications.KindParticipants:
		return s.applyRoster(n, fx)
	case notifications.KindOperation:
		return s.complete(n.Operation, n.OperationID, fx)
	}
	return fx
}

// ParseEtag reads the number of an etag such as W/"5445", or 0.
func ParseEtag(e string) int64 {
	e = strings.TrimPrefix(e, "W/")
	n, err := strconv.ParseInt(strings.Trim(e, `"`), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Rank orders call states along a call's life.
func Rank(st calls.State) int {
	switch st {
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

func (s *State) applyCall(n *notifications.Notification, fx []Effect) []Effect {
	upd := n.Call
	if upd == nil {
		if n.ChangeType != notifications.ChangeDeleted {
			return fx
		}
		upd = &calls.Call{} // a deleted call without resourceData still ends it
	}
	if upd.ToneInfo.Tone != "" {
		if !s.newTone(upd.ToneInfo.SequenceID) {
			return fx
		}
		return append(fx, Effect{Kind: Tone, Tone: upd.ToneInfo})
	}
	terminal := n.ChangeType == notifications.ChangeDeleted || upd.State == calls.StateTerminated
	etag := ParseEtag(upd.ODataEtag)
	stale := etag > 0 && s.Etag > 0 && etag <= s.Etag
	if !terminal && upd.State != "" && !stale {
		from, to := Rank(s.Call.State), Rank(upd.State)
		// Out of order: a call does not go back, except to established after hold or
		// a failed transfer.
		stale = to < from && !(upd.State == calls.StateEstablished && from == 3)
	}
	if stale && !terminal {
		return fx
	}
	s.Etag = max(s.Etag, etag)
	old := s.Call
	next := Merge(old, upd)
	next.ID, next.ToneInfo = s.ID, media.ToneInfo{}
	s.Call = next
	if Rank(next.State) > 0 {
		s.IncomingAt = time.Time{} // answered (or moved on): no deadline any more
	}
	fx = append(fx, Effect{Kind: Updated, Old: old, New: next})
	if terminal {
		return s.finish(End{Reason: s.endReason(upd), ResultInfo: upd.ResultInfo}, fx)
	}
	fx = append(fx, Effect{Kind: Changed})
	// A failed transfer: the call goes back to established with a failing resultInfo
	// (call-transfer: 500/7000 blind, 500/7700 consultative) and stays up.
	if s.Handoff == HandoffTransfer && next.State == calls.StateEstablished && upd.ResultInfo.Code >= 400 {
		s.Handoff = HandoffNone
		fx = append(fx, Effect{Kind: HandoffFailed, End: End{Reason: upd.ResultInfo.EndReason(), ResultInfo: upd.ResultInfo}})
	}
	if old.State != calls.StateEstablished && next.State == calls.StateEstablished {
		if !s.KeepAliveArmed {
			fx = append(fx, Effect{Kind: ArmKeepAlive})
		}
		fx = s.wantRoster(fx)
	}
	return fx
}

// newTone reports whether a tone with sequence ID seq is to be delivered, and records
// it.
func (s *State) newTone(seq int64) bool {
	if seq <= s.ToneFloor && s.ToneFloor > 0 {
		return false
	}
	if seq > s.ToneSeq {
		shift := seq - s.ToneSeq
		if shift >= ToneWindow {
			s.toneMask = 0
		} else {
			s.toneMask <<= uint(shift)
		}
		s.toneMask |= 1
		s.ToneSeq = seq
		return true
	}
	d := s.ToneSeq - seq
	if d >= ToneWindow || s.toneMask&(1<<uint(d)) != 0 {
		return false // a duplicate, or older than anything still remembered
	}
	s.toneMask |= 1 << uint(d)
	return true
}

// Merge overlays the members a (possibly partial) update carries on the known
// resource, and returns a new value: what upd sets (every non-zero field, and each
// AdditionalData member) replaces what old had; the rest of old is kept.
func Merge(old, upd *calls.Call) *calls.Call {
	if old == nil || old.ID == "" && old.State == "" {
		c := *upd
		return &c
	}
	next := *old
	dst, src := reflect.ValueOf(&next).Elem(), reflect.ValueOf(upd).Elem()
	for i := range src.NumField() {
		if i == additionalDataField {
			continue
		}
		if f := src.Field(i); !f.IsZero() {
			dst.Field(i).Set(f)
		}
	}
	if len(upd.AdditionalData) > 0 {
		m := make(map[string]json.RawMessage, len(old.AdditionalData)+len(upd.AdditionalData))
		maps.Copy(m, old.AdditionalData)
		maps.Copy(m, upd.AdditionalData)
		next.AdditionalData = m
	}
	return &next
}

var additionalDataField = func() int {
	f, ok := reflect.TypeFor[calls.Call]().FieldByName("AdditionalData")
	if !ok {
		return -1
	}
	return f.Index[0]
}()

// finish ends the call once.
func (s *State) finish(end End, fx []Effect) []Effect {
	s.Ended, s.End = true, end
	if s.Call.State != calls.StateTerminated {
		c := *s.Call
		c.State = calls.StateTerminated
		s.Call = &c
	}
	s.IncomingAt = time.Time{}
	s.ops, s.opsSnap, s.early = nil, nil, nil
	s.KeepAliveArmed = false
	return append(fx, Effect{Kind: Terminated, End: end})
}

// endReason classifies the end a terminated notification brings: what Graph sent,
// else (no resultInfo, no terminationReason, as Graph ends a redirected or rejected
// call) what the bot asked for.
func (s *State) endReason(upd *calls.Call) calls.EndReason {
	r := upd.EndReason()
	if r != calls.EndReasonUnknown || !upd.ResultInfo.IsZero() {
		return r
	}
	switch s.Handoff {
	case HandoffRedirect:
		return calls.EndReasonRedirected
	case HandoffReject:
		return calls.EndReasonRejected
	case HandoffTransfer:
		return calls.EndReasonTransferred
	}
	return r
}

// StartHandoff records that the bot asked to transfer, redirect or reject the call
// (HandoffNone when that request failed).
func (s *State) StartHandoff(h Handoff) { s.Handoff = h }

// EndLocally ends the call without a terminated notification (a failed answer, a 404,
// a missed answer deadline, the bot forgetting the call).
func (s *State) EndLocally(end End, fx []Effect) []Effect {
	if s.Ended {
		return fx
	}
	return s.finish(end, fx)
}

// Answered records that the bot answered, rejected or redirected an incoming call:
// the answer deadline no longer applies.
func (s *State) Answered() { s.IncomingAt = time.Time{} }

// Unanswered reports whether the call is still incoming, unanswered, after limit.
func (s *State) Unanswered(now time.Time, limit time.Duration) bool {
	return !s.Ended && !s.IncomingAt.IsZero() && now.Sub(s.IncomingAt) >= limit
}

// SetData replaces the bot's data.
func (s *State) SetData(b []byte) { s.Data = b }
