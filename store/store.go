// Package store holds what the graphcomms client keeps about its calls, and the
// contracts of the places it keeps it: a Store of call state, and a Cluster (a Store
// plus a log of accepted notifications per call, a lease per call and wake-ups) that
// lets several replicas of a bot share their calls.
//
// A client always runs on a Cluster. A single process uses a [Memory], the default:
// a cluster of one, with an in-memory log and leases that this process always holds.
// Replicas share one on Redis (package store/redisstore). Every notification takes
// the same path in both cases: the callback handler appends it to its call's log
// before it answers 202, and the call's holder applies the log in order, stores the
// new state, and only then runs the call's callbacks.
//
// Package store/storetest holds the conformance tests every implementation must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// ErrVersionConflict is returned by Store.Put when the stored version is not the one
// the caller read: another writer got there first.
var ErrVersionConflict = errors.New("store: call state version conflict")

// ErrLogFull is returned by Cluster.Append when a call's log already holds as many
// entries as its cap allows (its holder is not keeping up, or its callbacks are
// blocked). The client answers the callback 503 with Retry-After, so that Graph sends
// it again later instead of the bot queueing without bound.
var ErrLogFull = errors.New("store: call log full")

// MaxDataBytes caps CallState.Data, the bot's own per-call data.
const MaxDataBytes = 16 << 10

// CallState is what a Store keeps for one call: enough to rebuild the call after a
// restart or on another replica.
type CallState struct {
	CallID string
	// TenantID is the tenant the call belongs to: its requests are authenticated for
	// it, and only callbacks whose token names it are applied to the call.
	TenantID string
	// Version is 1 for a call's first state and grows by one with every Put.
	Version int64
	// Call is the call resource as last known.
	Call calls.Call
	// Etag is the highest @odata.etag number applied (0 when none was seen).
	Etag int64
	// Participants is the roster as last known.
	Participants []participants.Participant
	// RosterSequence is the highest roster sequence number applied.
	RosterSequence int64
	// ToneSequence is the highest DTMF sequence ID delivered.
	ToneSequence int64
	// Operations are the operations still pending.
	Operations []PendingOperation
	// KeepAliveAt is when the next keepAlive is due.
	KeepAliveAt time.Time
	// IncomingAt is when an incoming call was first seen; it is cleared once the
	// call was answered, rejected or redirected. A call still incoming long after
	// it (Graph's answer deadline) is dropped.
	IncomingAt time.Time
	// Data is the bot's own data about the call (see graphcomms.Call.SetData), at
	// most MaxDataBytes.
	Data []byte
	// LogPosition is the position of the last entry of the call's log that this
	// state includes (see Cluster).
	LogPosition string
	// UpdatedAt is when the state was written (by the client's clock).
	UpdatedAt time.Time
	// Writer is the replica that wrote the state.
	Writer string
	// ScenarioID is the call's scenario ID, sent as scenario-id with each of its
	// requests.
	ScenarioID string `json:",omitempty"`
	// Handoff is "transfer", "redirect" or "reject" while such a request of the bot
	// is pending: Graph ends a redirected or rejected call without a resultInfo, and
	// whichever replica applies that end classifies it from this.
	Handoff string `json:",omitempty"`
}

// PendingOperation is an operation the client waits on.
type PendingOperation struct {
	ID            string
	ClientContext string
	// Type is the operation's @odata.type.
	Type      string
	StartedAt time.Time
}

// Store keeps call state. Implementations must be safe for concurrent use and must
// pass storetest.Run. What a distributed implementation (one shared by several bot
// replicas) must guarantee:
//
//   - Put is a compare-and-set on Version: it stores state only when state.Version is
//     the stored version plus one (or 1 for a call not stored), and returns
//     ErrVersionConflict otherwise, so that no writer loses another's update;
//   - a successful Put is durable and visible to every later Get, on every replica
//     (read-your-writes across replicas);
//   - Get and List return copies: changing them changes nothing stored;
//   - Delete is idempotent, and a deleted call stays deleted until a Put with Version 1.
type Store interface {
	// Get returns the state of a call; ok is false when none is stored.
	Get(ctx context.Context, callID string) (state CallState, ok bool, err error)
	// Put stores state if state.Version is the next version (see Store).
	Put(ctx context.Context, state CallState) error
	// Delete removes a call's state.
	Delete(ctx context.Context, callID string) error
	// List returns every stored call's state.
	List(ctx context.Context) ([]CallState, error)
}

// Cluster is what the replicas of one bot share so that any of them can take any
// callback: call state (it is the Store), a log of accepted notifications per call, a
// lease per call that says which replica runs it, and wake-ups between replicas.
// [Memory] implements it in one process, package store/redisstore on Redis;
// storetest.RunCluster is the conformance test of other implementations. An
// implementation must make each method atomic, and one shared between processes must
// keep what Append and Put acknowledged through a restart.
//
// How the client uses it: the callback handler appends each callback's notifications
// to their calls' logs and answers 202 only once Append has returned (503 with
// Retry-After when it fails). The replica holding a call's lease reads the log in
// order, applies the entries and stores the call's state together with the last
// entry's position through a versioned Put, and only then runs the callbacks the
// entries caused. The lease says who should do the work (liveness); the version check
// on Put is the fence (safety): a replica that lost its lease without noticing has its
// next Put refused, so it runs no callback twice and loses no update.
//
// Logs of calls that have neither state nor a lease nor an incoming first entry are
// "parked": they are kept for a short while only (a replica may be creating that
// call right now), they are not listed by Unowned, and an implementation bounds them
// in number and in size, dropping the oldest first.
type Cluster interface {
	Store
	// Append adds entries to their calls' logs, in order, and returns once they are
	// stored. It sets each entry's ID (its position) and Prev (the position of the
	// entry appended before it to the same call's log, empty for the first).
	//
	// A call whose log starts with an Incoming entry and that has no lease holder
	// becomes claimable (Unowned lists it) and every replica is woken with WakeNew;
	// a call with a holder wakes it with WakeAppended (an implementation may skip
	// the wake-up when the holder is the entry's From). It returns an error wrapping
	// ErrLogFull, and appends nothing, when a call's log is at its cap.
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
	// Unowned returns up to max calls that have state, or a log whose first entry is
	// Incoming, but no unexpired lease at now: those whose lease ran out first (their
	// replica died), then those nobody held yet or that were released. Parked logs
	// are not listed; an implementation may drop those older than its parking time
	// here.
	Unowned(ctx context.Context, now time.Time, max int) ([]string, error)
	// Forget removes a call's log and lease (the call has ended; Delete removes its
	// state).
	Forget(ctx context.Context, callID string) error
	// Wakeups delivers wake-ups until ctx ends, then closes the channel. Delivery is
	// best effort; a Wakeup with an empty CallID says the subscription is ready, and
	// after a gap (a reconnection, a full buffer) that some may have been missed.
	Wakeups(ctx context.Context) <-chan Wakeup
}

// Pinger is implemented by a store that can report whether it is reachable with one
// cheap request (Memory, redisstore.Store). The client's readiness probe uses it when
// present, and a Get of an unknown call otherwise.
type Pinger interface {
	// Ping returns nil when the store answers.
	Ping(ctx context.Context) error
}

// LogEntry is one callback's notifications about one call, in the call's log.
type LogEntry struct {
	// ID is the entry's position and Prev the position of the entry before it in the
	// call's log (empty for the first), both set by Append.
	ID, Prev string
	// CallID is the call the notifications are about.
	CallID string
	// TenantID is the tenant of the callback's token.
	TenantID string
	// From is the replica that accepted the callback.
	From string
	// Incoming is true when the entry starts a new incoming call.
	Incoming bool
	// At is when the callback was accepted (by the accepting client's clock).
	At time.Time
	// ScenarioID is the callback's scenario-id header, if any.
	ScenarioID string
	// Trace is the W3C traceparent of the callback's span, so that the holder's span
	// applying the entry can link to it (empty when tracing is off).
	Trace string
	// Data is a commsNotifications body holding the call's notifications of one
	// callback, in order: the body Graph sent when it was all about this call.
	Data []byte
	// Notifications are the parsed notifications of Data. In-process
	// implementations ([Memory]) may keep them, so that the holder need not parse
	// Data again; others leave them out. Nobody may change them.
	Notifications []notifications.Notification
}

// Size is the number of bytes an entry holds, as counted against a cap.
func (e *LogEntry) Size() int64 {
	return int64(len(e.Data) + len(e.ID) + len(e.Prev) + len(e.CallID) + len(e.TenantID) + len(e.From) +
		len(e.ScenarioID) + len(e.Trace) + 64)
}

// WakeupKind says why a replica is woken.
type WakeupKind int

// Wake-up kinds.
const (
	// WakeAppended: a call's log grew.
	WakeAppended WakeupKind = iota
	// WakeNew: a new incoming call has no lease holder yet.
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
