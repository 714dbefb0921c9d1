package graphcomms

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/participants"
)

// ErrVersionConflict is returned by Store.Put when the stored version is not the one
// the caller read: another writer got there first.
var ErrVersionConflict = errors.New("graphcomms: call state version conflict")

// CallState is what a Store keeps for one call: enough to rebuild the call after a
// restart or on another replica.
type CallState struct {
	CallID string
	// TenantID is the tenant the call's requests are authenticated for.
	TenantID string
	// Version is 1 for a call's first state and grows by one with every Put.
	Version int64
	// Call is the call resource as last known.
	Call calls.Call
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
	// LogPosition is the position of the last entry of the call's cluster log that
	// this state includes (see Cluster); empty without a cluster.
	LogPosition string
	// UpdatedAt is when the state was written (by the client's clock).
	UpdatedAt time.Time
	// Writer is the replica that wrote the state (see Config.ReplicaID); empty
	// without a cluster.
	Writer string
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

// MemoryStore is the in-memory Store, the default. It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.RWMutex
	calls map[string]CallState
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{calls: map[string]CallState{}} }

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, callID string) (CallState, bool, error) {
	m.mu.RLock()
	s, ok := m.calls[callID]
	m.mu.RUnlock()
	if !ok {
		return CallState{}, false, nil
	}
	return cloneState(s), true, nil
}

// Put implements Store.
func (m *MemoryStore) Put(_ context.Context, s CallState) error {
	if s.CallID == "" {
		return errors.New("graphcomms: CallState without CallID")
	}
	return m.putOwned(cloneState(s))
}

// putOwned stores state without copying it: the client hands over values it never
// changes afterwards.
func (m *MemoryStore) putOwned(s CallState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Version != m.calls[s.CallID].Version+1 {
		return ErrVersionConflict
	}
	m.calls[s.CallID] = s
	return nil
}

// ownedPutter is implemented by stores that can take ownership of a state.
type ownedPutter interface{ putOwned(CallState) error }

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, callID string) error {
	m.mu.Lock()
	delete(m.calls, callID)
	m.mu.Unlock()
	return nil
}

// List implements Store.
func (m *MemoryStore) List(context.Context) ([]CallState, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CallState, 0, len(m.calls))
	for _, s := range m.calls {
		out = append(out, cloneState(s))
	}
	slices.SortFunc(out, func(a, b CallState) int {
		switch {
		case a.CallID < b.CallID:
			return -1
		case a.CallID > b.CallID:
			return 1
		}
		return 0
	})
	return out, nil
}

// cloneState deep-copies a state, so that no caller shares memory with the store.
func cloneState(s CallState) CallState {
	s.Call = cloneCall(s.Call)
	s.Participants = cloneParticipants(s.Participants)
	s.Operations = slices.Clone(s.Operations)
	return s
}

// cloneCall deep-copies a call resource through its JSON form, which keeps every
// member (AdditionalData included).
func cloneCall(c calls.Call) calls.Call {
	if isEmptyCall(&c) {
		return c
	}
	b, err := wire.Marshal(c)
	if err != nil {
		return c
	}
	var out calls.Call
	if wire.Unmarshal(b, &out) != nil {
		return c
	}
	return out
}

func isEmptyCall(c *calls.Call) bool { return c.ID == "" && c.State == "" && c.ODataType == "" }

func cloneParticipants(ps []participants.Participant) []participants.Participant {
	if ps == nil {
		return nil
	}
	out := make([]participants.Participant, len(ps))
	for i, p := range ps {
		out[i] = cloneParticipant(p)
	}
	return out
}

func cloneParticipant(p participants.Participant) participants.Participant {
	b, err := wire.Marshal(p)
	if err != nil {
		return p
	}
	var out participants.Participant
	if wire.Unmarshal(b, &out) != nil {
		return p
	}
	return out
}
