package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms/store"
)

// DefaultPrefix is the default of Options.Prefix.
const DefaultPrefix = "graphcomms:"

// Options configures a Store. Zero fields take the defaults.
type Options struct {
	// Prefix starts every key and the wake-up channel; default DefaultPrefix. Bots
	// (or tests) sharing one Redis use different prefixes.
	Prefix string
	// MaxLogEntries caps each call's log: the entries accepted for a call and not yet
	// applied and trimmed by its holder. When a call's log already holds that many,
	// Append appends nothing and returns an error wrapping store.ErrLogFull (the
	// client answers the callback 503 with Retry-After, and Graph sends it again
	// later); nothing accepted is ever dropped. Parked logs have their own cap,
	// MaxParkedEntries. Default store.DefaultMaxLogEntries.
	MaxLogEntries int64
	// MaxParkedEntries caps each parked log (the log of a call with neither state,
	// nor lease, nor an incoming first entry); its later entries are dropped without
	// an error (Append leaves their ID and Prev empty). Default
	// store.DefaultMaxParkedEntries.
	MaxParkedEntries int64
	// ParkedTTL is how long a parked log is kept, counted from its first entry by
	// Redis's clock: Redis expires it afterwards, unless its call got a lease
	// (Claim) or a state (Put) first, which keeps it. Default store.DefaultParkedTTL;
	// it is rounded up to whole milliseconds.
	ParkedTTL time.Duration
}

// Store is a store.Store and store.Cluster on Redis. It is safe for concurrent use.
type Store struct {
	rdb       redis.UniversalClient
	prefix    string
	calls     string
	leases    string
	owners    string
	channel   string
	maxLog    int64
	maxParked int64
	parkedTTL int64 // milliseconds
}

var (
	_ store.Cluster = (*Store)(nil)
	_ store.Pinger  = (*Store)(nil)
)

// New returns a Store on rdb. rdb is not closed by the Store.
func New(rdb redis.UniversalClient, opts Options) *Store {
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	maxLog := opts.MaxLogEntries
	if maxLog <= 0 {
		maxLog = store.DefaultMaxLogEntries
	}
	maxParked := opts.MaxParkedEntries
	if maxParked <= 0 {
		maxParked = store.DefaultMaxParkedEntries
	}
	ttl := opts.ParkedTTL
	if ttl <= 0 {
		ttl = store.DefaultParkedTTL
	}
	return &Store{rdb: rdb, prefix: p, calls: p + "calls", leases: p + "leases", owners: p + "owners", channel: p + "wake",
		maxLog: maxLog, maxParked: maxParked, parkedTTL: (ttl + time.Millisecond - 1).Milliseconds()}
}

func (s *Store) stateKey(id string) string { return s.prefix + "call:" + id }
func (s *Store) logKey(id string) string   { return s.prefix + "log:" + id }

// putScript: KEYS state, calls, leases, log; ARGV version, state JSON, call ID. A
// parked log (see Append) is kept from now on: its call has a state.
var putScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if tonumber(ARGV[1]) ~= cur + 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2])
if cur == 0 then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 'NX', 0, ARGV[3])
end
redis.call('PERSIST', KEYS[4])
return 1`)

// Ping implements store.Pinger with a Redis PING.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, callID string) (store.CallState, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.stateKey(callID), "s").Bytes()
	if errors.Is(err, redis.Nil) {
		return store.CallState{}, false, nil
	}
	if err != nil {
		return store.CallState{}, false, fmt.Errorf("redisstore: reading call %s: %w", callID, err)
	}
	st, err := decodeState(raw)
	if err != nil {
		return store.CallState{}, false, fmt.Errorf("redisstore: call %s: %w", callID, err)
	}
	return st, true, nil
}

func decodeState(raw []byte) (store.CallState, error) {
	var st store.CallState
	if err := json.Unmarshal(raw, &st); err != nil {
		return store.CallState{}, fmt.Errorf("stored state is not readable: %w", err)
	}
	return st, nil
}

// Put implements store.Store: a compare-and-set on the version.
func (s *Store) Put(ctx context.Context, st store.CallState) error {
	if st.CallID == "" {
		return errors.New("redisstore: CallState without CallID")
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("redisstore: encoding call %s: %w", st.CallID, err)
	}
	ok, err := putScript.Run(ctx, s.rdb, []string{s.stateKey(st.CallID), s.calls, s.leases, s.logKey(st.CallID)}, st.Version, raw, st.CallID).Int()
	if err != nil {
		return fmt.Errorf("redisstore: storing call %s: %w", st.CallID, err)
	}
	if ok != 1 {
		return store.ErrVersionConflict
	}
	return nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, callID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.stateKey(callID))
		p.SRem(ctx, s.calls, callID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: deleting call %s: %w", callID, err)
	}
	return nil
}

// List implements store.Store, ordered by call ID.
func (s *Store) List(ctx context.Context) ([]store.CallState, error) {
	ids, err := s.rdb.SMembers(ctx, s.calls).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: listing calls: %w", err)
	}
	slices.Sort(ids)
	cmds := make([]*redis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGet(ctx, s.stateKey(id), "s")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: listing calls: %w", err)
	}
	out := make([]store.CallState, 0, len(ids))
	for i, cmd := range cmds {
		raw, err := cmd.Bytes()
		if errors.Is(err, redis.Nil) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: reading call %s: %w", ids[i], err)
		}
		st, err := decodeState(raw)
		if err != nil {
			return nil, fmt.Errorf("redisstore: call %s: %w", ids[i], err)
		}
		out = append(out, st)
	}
	return out, nil
}

// appendScript: KEYS leases, owners; ARGV prefix, channel, max log length, max parked
// log length, parked TTL (ms), then call ID, tenant, replica, incoming ("1" or "0")
// and data of each entry.
//
// A first pass only reads: per call (decided by its first entry in the Append) the
// wake-up it gets, whether its log is parked, its length and the last position ever
// appended to it (the stream's last-generated-id, which XTRIM keeps), and it refuses
// the whole Append with {0, call ID, length} when a log that is not parked is full.
// The second pass appends, and returns {1, then ID and Prev of each entry} (empty
// strings for both when a parked log's cap dropped it). One PUBLISH per call, with the
// position of its last entry.
var appendScript = redis.NewScript(`
local calls, order = {}, {}
for i = 6, #ARGV, 7 do
  local id = ARGV[i]
  if not calls[id] then
    local c = {key = ARGV[1] .. 'log:' .. id, n = 0, prev = ''}
    c.exists = redis.call('EXISTS', c.key) == 1
    local holder = redis.call('HGET', KEYS[2], id)
    if holder then
      if holder ~= ARGV[i+2] then c.kind = 'a' end
    elseif not c.exists and ARGV[i+3] == '1' then
      c.kind, c.free = 'n', true
    elseif redis.call('ZSCORE', KEYS[1], id) or redis.call('EXISTS', ARGV[1] .. 'call:' .. id) == 1 then
      c.kind = 'a'
    else
      c.parked = true
    end
    if c.exists then
      c.n = redis.call('XLEN', c.key)
      if not c.parked and c.n >= tonumber(ARGV[3]) then return {0, id, c.n} end
      local info = redis.call('XINFO', 'STREAM', c.key)
      for j = 1, #info, 2 do
        if info[j] == 'last-generated-id' then
          if info[j+1] ~= '0-0' then c.prev = info[j+1] end
          break
        end
      end
    end
    calls[id] = c
    order[#order + 1] = id
  end
end
local out = {1}
for i = 6, #ARGV, 7 do
  local c = calls[ARGV[i]]
  if c.parked and c.n >= tonumber(ARGV[4]) then
    out[#out + 1], out[#out + 2] = '', ''
  else
    local eid = redis.call('XADD', c.key, '*', 't', ARGV[i+1], 'f', ARGV[i+2], 'i', ARGV[i+3], 'p', c.prev, 'd', ARGV[i+4], 's', ARGV[i+5], 'x', ARGV[i+6])
    if c.parked and not c.expires then
      if not c.exists or redis.call('PTTL', c.key) == -1 then redis.call('PEXPIRE', c.key, ARGV[5]) end
      c.expires = true
    end
    if c.free then
      redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[i])
      c.free = false
    end
    out[#out + 1], out[#out + 2] = eid, c.prev
    c.prev, c.n, c.last = eid, c.n + 1, eid
  end
end
for _, id in ipairs(order) do
  local c = calls[id]
  if c.kind and c.last then
    redis.call('PUBLISH', ARGV[2], c.kind .. ':' .. id .. ' ' .. c.last)
  end
end
return out`)

// Append implements store.Cluster in one script, so atomically: it appends every
// entry or, when a call's log is full, none (the error wraps store.ErrLogFull). It
// sets each entry's ID and Prev. A log that starts with an Incoming entry, for a call
// nobody holds, makes its call claimable (Unowned lists it) and wakes every replica
// ("n"); an entry for a call with a state or a lease wakes the replicas ("a"), unless
// the call's holder is the entry's From. Other logs are parked: they wake nobody, are
// not listed by Unowned, expire after Options.ParkedTTL unless their call gets a lease
// or a state, and take at most Options.MaxParkedEntries entries (later ones are
// dropped, with an empty ID).
func (s *Store) Append(ctx context.Context, entries []store.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 5+7*len(entries))
	args = append(args, s.prefix, s.channel, s.maxLog, s.maxParked, s.parkedTTL)
	for _, e := range entries {
		if e.CallID == "" {
			return errors.New("redisstore: log entry without CallID")
		}
		incoming := "0"
		if e.Incoming {
			incoming = "1"
		}
		args = append(args, e.CallID, e.TenantID, e.From, incoming, e.Data, e.ScenarioID, e.Trace)
	}
	res, err := appendScript.Run(ctx, s.rdb, []string{s.leases, s.owners}, args...).Slice()
	if err != nil {
		return fmt.Errorf("redisstore: appending %d notifications: %w", len(entries), err)
	}
	if len(res) == 3 && res[0] == int64(0) {
		return fmt.Errorf("redisstore: call %v has %v notifications waiting: %w", res[1], res[2], store.ErrLogFull)
	}
	if len(res) != 1+2*len(entries) || res[0] != int64(1) {
		return fmt.Errorf("redisstore: appending %d notifications: unexpected reply of %d values", len(entries), len(res))
	}
	for i := range entries {
		entries[i].ID, _ = res[1+2*i].(string)
		entries[i].Prev, _ = res[2+2*i].(string)
	}
	return nil
}

// ReadLog implements store.Cluster. The entries have their ID, Prev, CallID,
// TenantID, From, Incoming, Data, ScenarioID and Trace (At and Notifications are not
// stored).
func (s *Store) ReadLog(ctx context.Context, callID, after string, max int) ([]store.LogEntry, error) {
	if max <= 0 {
		return nil, nil
	}
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.logKey(callID), start, "+", int64(max)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading the log of call %s: %w", callID, err)
	}
	out := make([]store.LogEntry, len(msgs))
	for i, m := range msgs {
		t, _ := m.Values["t"].(string)
		f, _ := m.Values["f"].(string)
		inc, _ := m.Values["i"].(string)
		p, _ := m.Values["p"].(string)
		d, _ := m.Values["d"].(string)
		sc, _ := m.Values["s"].(string)
		x, _ := m.Values["x"].(string)
		out[i] = store.LogEntry{ID: m.ID, Prev: p, CallID: callID, TenantID: t, From: f, Incoming: inc == "1", Data: []byte(d),
			ScenarioID: sc, Trace: x}
	}
	return out, nil
}

// TrimLog implements store.Cluster.
func (s *Store) TrimLog(ctx context.Context, callID, upTo string) error {
	next, err := nextID(upTo)
	if err != nil {
		return err
	}
	if err := s.rdb.XTrimMinID(ctx, s.logKey(callID), next).Err(); err != nil {
		return fmt.Errorf("redisstore: trimming the log of call %s: %w", callID, err)
	}
	return nil
}

// nextID returns the stream ID just after id ("ms-seq").
func nextID(id string) (string, error) {
	ms, seq, ok := strings.Cut(id, "-")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("redisstore: %q is not a log position", id)
	}
	return ms + "-" + strconv.FormatUint(n+1, 10), nil
}

// claimScript: KEYS leases, owners, log; ARGV call ID, replica, now, until (ms). A
// parked log (see Append) is kept from now on: its call has a lease.
var claimScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local exp = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if cur and cur ~= ARGV[2] and exp > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PERSIST', KEYS[3])
return 1`)

// Claim implements store.Cluster.
func (s *Store) Claim(ctx context.Context, callID, replica string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := claimScript.Run(ctx, s.rdb, []string{s.leases, s.owners, s.logKey(callID)}, callID, replica, now.UnixMilli(), now.Add(ttl).UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: claiming call %s: %w", callID, err)
	}
	return ok == 1, nil
}

// renewScript: KEYS leases, owners; ARGV replica, until (ms), call IDs...
var renewScript = redis.NewScript(`
local lost = {}
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost`)

// Renew implements store.Cluster.
func (s *Store) Renew(ctx context.Context, replica string, callIDs []string, now time.Time, ttl time.Duration) ([]string, error) {
	if len(callIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 2+len(callIDs))
	args = append(args, replica, now.Add(ttl).UnixMilli())
	for _, id := range callIDs {
		args = append(args, id)
	}
	lost, err := renewScript.Run(ctx, s.rdb, []string{s.leases, s.owners}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: renewing %d leases: %w", len(callIDs), err)
	}
	return lost, nil
}

// releaseScript: KEYS leases, owners; ARGV call ID, replica, channel.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', 0, ARGV[1])
redis.call('PUBLISH', ARGV[3], 'r:' .. ARGV[1])
return 1`)

// Release implements store.Cluster.
func (s *Store) Release(ctx context.Context, callID, replica string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.leases, s.owners}, callID, replica, s.channel).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing call %s: %w", callID, err)
	}
	return nil
}

// Unowned implements store.Cluster. Calls whose holder's lease ran out come
// first (a replica died: they are the urgent ones), then calls nobody held yet or that
// were released, so that many of the latter never hide the former.
func (s *Store) Unowned(ctx context.Context, now time.Time, max int) ([]string, error) {
	var expired, free *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		expired = p.ZRangeByScore(ctx, s.leases, &redis.ZRangeBy{Min: "(0", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(max)})
		free = p.ZRangeByScore(ctx, s.leases, &redis.ZRangeBy{Min: "0", Max: "0", Count: int64(max)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisstore: listing calls without a lease: %w", err)
	}
	ids := expired.Val()
	for _, id := range free.Val() {
		if len(ids) >= max {
			break
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Forget implements store.Cluster.
func (s *Store) Forget(ctx context.Context, callID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.logKey(callID))
		p.HDel(ctx, s.owners, callID)
		p.ZRem(ctx, s.leases, callID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: forgetting call %s: %w", callID, err)
	}
	return nil
}

// Wakeups implements store.Cluster with a subscription to the wake-up channel.
// After each (re)subscription it sends a Wakeup without a call ID, since messages
// published while it was away are lost.
func (s *Store) Wakeups(ctx context.Context) <-chan store.Wakeup {
	out := make(chan store.Wakeup, 64)
	ps := s.rdb.Subscribe(ctx, s.channel)
	go func() {
		defer close(out)
		defer ps.Close()
		in := ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
		for {
			var w store.Wakeup
			select {
			case <-ctx.Done():
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				switch m := m.(type) {
				case *redis.Subscription:
					if m.Kind != "subscribe" {
						continue
					}
				case *redis.Message:
					kind, rest, ok := strings.Cut(m.Payload, ":")
					id, pos, _ := strings.Cut(rest, " ")
					if !ok || id == "" {
						continue
					}
					w.CallID, w.Position = id, pos
					switch kind {
					case "n":
						w.Kind = store.WakeNew
					case "r":
						w.Kind = store.WakeReleased
					default:
						w.Kind = store.WakeAppended
					}
				default:
					continue
				}
			}
			select {
			case out <- w:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
