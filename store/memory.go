package store

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Defaults of MemoryConfig.
const (
	DefaultMaxLogEntries    = 1024
	DefaultMaxParkedCalls   = 4096
	DefaultMaxParkedEntries = 64
	DefaultMaxParkedBytes   = 16 << 20
	DefaultParkedTTL        = time.Minute
)

// MemoryConfig bounds a Memory. Zero fields take the defaults.
type MemoryConfig struct {
	// MaxLogEntries caps each call's log: the entries accepted for a call and not yet
	// applied and trimmed by its holder. Append returns ErrLogFull beyond it (the
	// client answers 503 with Retry-After). Default DefaultMaxLogEntries.
	MaxLogEntries int
	// MaxParkedCalls and MaxParkedBytes cap the parked logs (logs of calls with
	// neither state, nor lease, nor an incoming first entry) in number and in bytes
	// (LogEntry.Size); beyond either, the oldest parked log is dropped. Defaults
	// DefaultMaxParkedCalls and DefaultMaxParkedBytes.
	MaxParkedCalls int
	MaxParkedBytes int64
	// MaxParkedEntries caps each parked log; later entries are dropped. Default
	// DefaultMaxParkedEntries.
	MaxParkedEntries int
	// ParkedTTL is how long a parked log is kept, counted from its first entry's
	// LogEntry.At; expired ones are dropped on every Append and Unowned, oldest first,
	// at a constant cost per log. Default DefaultParkedTTL.
	ParkedTTL time.Duration
}

// MemoryStats counts what a Memory holds and what it dropped.
type MemoryStats struct {
	// Calls is the number of stored call states, Logs the number of logs (parked
	// ones included).
	Calls, Logs int
	// ParkedCalls and ParkedBytes are the parked logs and their size.
	ParkedCalls int
	ParkedBytes int64
	// DroppedParked counts parked entries dropped (expired, evicted or over the
	// per-call cap); Refused counts Append calls refused with ErrLogFull.
	DroppedParked, Refused int64
}

// Memory is the in-memory Cluster, the default of a client: a cluster of one process
// (several clients in one process may share one, which is how the replica tests run
// without Redis). Its state does not survive the process. It is safe for concurrent
// use, and every method costs the same whatever the number of calls, except List and
// Unowned, which the client calls only on its maintenance timer.
type Memory struct {
	cfg MemoryConfig

	mu      sync.Mutex
	states  map[string]*CallState
	logs    map[string]*memLog
	leases  map[string]*memLease
	parked  list.List // of *memLog, oldest first
	parkedB int64
	lastAt  time.Time
	seq     uint64
	subs    map[*memSub]struct{}
	dropped int64
	refused int64
}

type memLog struct {
	callID   string
	entries  []LogEntry
	last     string // position of the last entry appended
	incoming bool   // its first entry was incoming
	parked   *list.Element
	firstAt  time.Time
	bytes    int64
}

type memLease struct {
	holder string
	until  time.Time
}

type memSub struct {
	ch     chan Wakeup
	missed bool
}

// NewMemory returns an empty Memory.
func NewMemory(cfg MemoryConfig) *Memory {
	if cfg.MaxLogEntries <= 0 {
		cfg.MaxLogEntries = DefaultMaxLogEntries
	}
	if cfg.MaxParkedCalls <= 0 {
		cfg.MaxParkedCalls = DefaultMaxParkedCalls
	}
	if cfg.MaxParkedBytes <= 0 {
		cfg.MaxParkedBytes = DefaultMaxParkedBytes
	}
	if cfg.MaxParkedEntries <= 0 {
		cfg.MaxParkedEntries = DefaultMaxParkedEntries
	}
	if cfg.ParkedTTL <= 0 {
		cfg.ParkedTTL = DefaultParkedTTL
	}
	return &Memory{cfg: cfg, states: map[string]*CallState{}, logs: map[string]*memLog{}, leases: map[string]*memLease{},
		subs: map[*memSub]struct{}{}}
}

var _ Cluster = (*Memory)(nil)

// Stats returns what m holds and what it dropped.
func (m *Memory) Stats() MemoryStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryStats{Calls: len(m.states), Logs: len(m.logs), ParkedCalls: m.parked.Len(), ParkedBytes: m.parkedB,
		DroppedParked: m.dropped, Refused: m.refused}
}

// Ping implements Pinger: an in-process store is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }

// Get implements Store.
func (m *Memory) Get(_ context.Context, callID string) (CallState, bool, error) {
	m.mu.Lock()
	s, ok := m.states[callID]
	m.mu.Unlock()
	if !ok {
		return CallState{}, false, nil
	}
	c, err := CloneState(*s)
	return c, true, err
}

// Put implements Store; it stores a copy of s.
func (m *Memory) Put(ctx context.Context, s CallState) error {
	c, err := CloneState(s)
	if err != nil {
		return err
	}
	return m.PutOwned(ctx, &c)
}

// PutOwned is Put without the copy: it keeps *s, and the caller promises never to
// change it, or anything it refers to, afterwards. The client uses it on every state change, since
// it replaces what it changes instead of changing it in place.
func (m *Memory) PutOwned(_ context.Context, s *CallState) error {
	if s.CallID == "" {
		return errors.New("store: CallState without CallID")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var cur int64
	if old := m.states[s.CallID]; old != nil {
		cur = old.Version
	}
	if s.Version != cur+1 {
		return ErrVersionConflict
	}
	m.states[s.CallID] = s
	if l := m.logs[s.CallID]; l != nil {
		m.unpark(l)
	}
	return nil
}

// OwnedPutter is implemented by stores that can keep a state without copying it
// (see Memory.PutOwned).
type OwnedPutter interface {
	PutOwned(ctx context.Context, s *CallState) error
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, callID string) error {
	m.mu.Lock()
	delete(m.states, callID)
	m.mu.Unlock()
	return nil
}

// List implements Store, ordered by call ID.
func (m *Memory) List(context.Context) ([]CallState, error) {
	m.mu.Lock()
	all := make([]CallState, 0, len(m.states))
	for _, s := range m.states {
		all = append(all, *s)
	}
	m.mu.Unlock()
	slices.SortFunc(all, func(a, b CallState) int { return cmpString(a.CallID, b.CallID) })
	for i := range all {
		c, err := CloneState(all[i])
		if err != nil {
			return nil, err
		}
		all[i] = c
	}
	return all, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CloneState returns a deep copy of s (through its JSON form, which keeps every
// member of the call and its participants, AdditionalData included).
func CloneState(s CallState) (CallState, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return CallState{}, fmt.Errorf("store: copying call %s: %w", s.CallID, err)
	}
	var out CallState
	if err := json.Unmarshal(b, &out); err != nil {
		return CallState{}, fmt.Errorf("store: copying call %s: %w", s.CallID, err)
	}
	return out, nil
}

// Append implements Cluster. All entries are checked against the caps before any is
// appended, so a refused Append appends nothing.
func (m *Memory) Append(_ context.Context, entries []LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range entries {
		if entries[i].CallID == "" {
			return errors.New("store: log entry without CallID")
		}
		if entries[i].At.After(m.lastAt) {
			m.lastAt = entries[i].At
		}
	}
	m.expire()
	for i := range entries {
		e := &entries[i]
		if l := m.logs[e.CallID]; l != nil && l.parked == nil && len(l.entries) >= m.cfg.MaxLogEntries {
			m.refused++
			return fmt.Errorf("store: call %s has %d notifications waiting: %w", e.CallID, len(l.entries), ErrLogFull)
		}
	}
	// One wake-up per call and Append, of the kind its first entry decides, with the
	// position of its last.
	var wakes []Wakeup
	for i := range entries {
		e := &entries[i]
		l := m.logs[e.CallID]
		isNew := l == nil
		if isNew {
			l = &memLog{callID: e.CallID, incoming: e.Incoming, firstAt: e.At}
			m.logs[e.CallID] = l
			_, stored := m.states[e.CallID]
			if !e.Incoming && !stored && m.leases[e.CallID] == nil {
				l.parked = m.parked.PushBack(l)
			}
		}
		if l.parked != nil && len(l.entries) >= m.cfg.MaxParkedEntries {
			m.dropped++
			continue
		}
		m.seq++
		e.Prev, e.ID = l.last, strconv.FormatUint(m.seq, 10)
		l.last = e.ID
		l.entries = append(l.entries, *e)
		if l.parked != nil {
			// A parked entry keeps its bytes only (parsed notifications share memory
			// with the whole callback body).
			l.entries[len(l.entries)-1].Notifications = nil
			sz := e.Size()
			l.bytes += sz
			m.parkedB += sz
			m.evict()
			continue
		}
		if j := slices.IndexFunc(wakes, func(w Wakeup) bool { return w.CallID == e.CallID }); j >= 0 {
			wakes[j].Position = e.ID
			continue
		}
		lease := m.leases[e.CallID]
		switch {
		case lease != nil && lease.holder != "":
			if lease.holder != e.From {
				wakes = append(wakes, Wakeup{CallID: e.CallID, Kind: WakeAppended, Position: e.ID})
			}
		case isNew && e.Incoming:
			wakes = append(wakes, Wakeup{CallID: e.CallID, Kind: WakeNew, Position: e.ID})
		default:
			wakes = append(wakes, Wakeup{CallID: e.CallID, Kind: WakeAppended, Position: e.ID})
		}
	}
	for _, w := range wakes {
		m.wake(w)
	}
	return nil
}

// expire drops parked logs older than ParkedTTL (by the latest LogEntry.At or
// Unowned time seen), oldest first. m.mu is held.
func (m *Memory) expire() {
	for e := m.parked.Front(); e != nil; e = m.parked.Front() {
		l := e.Value.(*memLog)
		if m.lastAt.Sub(l.firstAt) < m.cfg.ParkedTTL {
			return
		}
		m.dropParked(l)
	}
}

// evict drops the oldest parked logs while the parked logs are over their caps.
// m.mu is held.
func (m *Memory) evict() {
	for m.parked.Len() > m.cfg.MaxParkedCalls || m.parkedB > m.cfg.MaxParkedBytes {
		m.dropParked(m.parked.Front().Value.(*memLog))
	}
}

func (m *Memory) dropParked(l *memLog) {
	m.parked.Remove(l.parked)
	l.parked = nil
	m.parkedB -= l.bytes
	m.dropped += int64(len(l.entries))
	delete(m.logs, l.callID)
}

// unpark makes a parked log an ordinary one: its call got a lease or a state.
// m.mu is held.
func (m *Memory) unpark(l *memLog) {
	if l.parked == nil {
		return
	}
	m.parked.Remove(l.parked)
	l.parked = nil
	m.parkedB -= l.bytes
	l.bytes = 0
}

func (m *Memory) wake(w Wakeup) {
	for s := range m.subs {
		if s.missed {
			select {
			case s.ch <- Wakeup{}:
				s.missed = false
			default:
				continue
			}
		}
		select {
		case s.ch <- w:
		default:
			s.missed = true
		}
	}
}

// ReadLog implements Cluster.
func (m *Memory) ReadLog(_ context.Context, callID, after string, max int) ([]LogEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logs[callID]
	if l == nil || max <= 0 {
		return nil, nil
	}
	i := 0
	if after != "" {
		i = l.index(after)
	}
	n := min(max, len(l.entries)-i)
	if n <= 0 {
		return nil, nil
	}
	return slices.Clone(l.entries[i : i+n]), nil
}

// index returns the index of the first entry after position pos.
func (l *memLog) index(pos string) int {
	p, err := strconv.ParseUint(pos, 10, 64)
	if err != nil {
		return 0
	}
	i, _ := slices.BinarySearchFunc(l.entries, p+1, func(e LogEntry, want uint64) int {
		got, _ := strconv.ParseUint(e.ID, 10, 64)
		switch {
		case got < want:
			return -1
		case got > want:
			return 1
		}
		return 0
	})
	return i
}

// TrimLog implements Cluster.
func (m *Memory) TrimLog(_ context.Context, callID, upTo string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logs[callID]
	if l == nil {
		return nil
	}
	i := l.index(upTo)
	if i == 0 {
		return nil
	}
	clear(l.entries[:i])
	if i == len(l.entries) {
		l.entries = l.entries[:0]
		return nil
	}
	l.entries = l.entries[i:]
	return nil
}

// Claim implements Cluster.
func (m *Memory) Claim(_ context.Context, callID, replica string, now time.Time, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.leases[callID]
	if l != nil && l.holder != "" && l.holder != replica && l.until.After(now) {
		return false, nil
	}
	if l == nil {
		l = &memLease{}
		m.leases[callID] = l
	}
	l.holder, l.until = replica, now.Add(ttl)
	if lg := m.logs[callID]; lg != nil {
		m.unpark(lg)
	}
	return true, nil
}

// Renew implements Cluster.
func (m *Memory) Renew(_ context.Context, replica string, callIDs []string, now time.Time, ttl time.Duration) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lost []string
	for _, id := range callIDs {
		l := m.leases[id]
		if l == nil || l.holder != replica {
			lost = append(lost, id)
			continue
		}
		l.until = now.Add(ttl)
	}
	return lost, nil
}

// Release implements Cluster.
func (m *Memory) Release(_ context.Context, callID, replica string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.leases[callID]
	if l == nil || l.holder != replica {
		return nil
	}
	l.holder, l.until = "", time.Time{}
	m.wake(Wakeup{CallID: callID, Kind: WakeReleased})
	return nil
}

// Unowned implements Cluster.
func (m *Memory) Unowned(_ context.Context, now time.Time, max int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.lastAt) {
		m.lastAt = now
	}
	m.expire()
	var expired, free []string
	seen := map[string]bool{}
	for id, l := range m.leases {
		seen[id] = true
		switch {
		case l.holder != "" && !l.until.After(now):
			expired = append(expired, id)
		case l.holder == "":
			free = append(free, id) // released (or never held: claimed, then released)
		}
	}
	for id := range m.states {
		if !seen[id] {
			free = append(free, id)
		}
	}
	for id, l := range m.logs {
		if !seen[id] && l.incoming {
			if _, stored := m.states[id]; !stored {
				free = append(free, id)
			}
		}
	}
	slices.Sort(expired)
	slices.Sort(free)
	out := append(expired, free...)
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// Forget implements Cluster.
func (m *Memory) Forget(_ context.Context, callID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.logs[callID]; l != nil {
		m.unpark(l)
		delete(m.logs, callID)
	}
	delete(m.leases, callID)
	return nil
}

// Wakeups implements Cluster. Each subscriber has a buffer of 1024 wake-ups; when it
// is full, wake-ups are dropped and the next one delivered is an empty Wakeup (re-check
// every call).
func (m *Memory) Wakeups(ctx context.Context) <-chan Wakeup {
	s := &memSub{ch: make(chan Wakeup, 1024)}
	s.ch <- Wakeup{}
	m.mu.Lock()
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	out := make(chan Wakeup)
	go func() {
		defer close(out)
		defer func() {
			m.mu.Lock()
			delete(m.subs, s)
			m.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case w := <-s.ch:
				select {
				case out <- w:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
