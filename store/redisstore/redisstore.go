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

	"github.com/graphcomms/graphcomms"
)

// DefaultPrefix is the default of Options.Prefix.
const DefaultPrefix = "graphcomms:"

// Options configures a Store.
type Options struct {
	// Prefix starts every key and the wake-up channel; default DefaultPrefix. Bots
	// (or tests) sharing one Redis use different prefixes.
	Prefix string
	// MaxLogEntries caps each call's log (older entries are dropped first, which
	// loses them); default 10,000. Logs are trimmed as they are applied, so the cap
	// matters only for a call nobody handles.
	MaxLogEntries int64
}

// Store is a graphcomms.Store and graphcomms.Cluster on Redis. It is safe for
// concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	calls   string
	leases  string
	owners  string
	channel string
	maxLog  int64
}

var _ graphcomms.Cluster = (*Store)(nil)

// New returns a Store on rdb. rdb is not closed by the Store.
func New(rdb redis.UniversalClient, opts Options) *Store {
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	maxLog := opts.MaxLogEntries
	if maxLog <= 0 {
		maxLog = 10_000
	}
	return &Store{rdb: rdb, prefix: p, calls: p + "calls", leases: p + "leases", owners: p + "owners", channel: p + "wake", maxLog: maxLog}
}

func (s *Store) stateKey(id string) string { return s.prefix + "call:" + id }
func (s *Store) logKey(id string) string   { return s.prefix + "log:" + id }

// putScript: KEYS state, calls, leases; ARGV version, state JSON, call ID.
var putScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if tonumber(ARGV[1]) ~= cur + 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2])
if cur == 0 then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 'NX', 0, ARGV[3])
end
return 1`)

// Get implements graphcomms.Store.
func (s *Store) Get(ctx context.Context, callID string) (graphcomms.CallState, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.stateKey(callID), "s").Bytes()
	if errors.Is(err, redis.Nil) {
		return graphcomms.CallState{}, false, nil
	}
	if err != nil {
		return graphcomms.CallState{}, false, fmt.Errorf("redisstore: reading call %s: %w", callID, err)
	}
	st, err := decodeState(raw)
	if err != nil {
		return graphcomms.CallState{}, false, fmt.Errorf("redisstore: call %s: %w", callID, err)
	}
	return st, true, nil
}

func decodeState(raw []byte) (graphcomms.CallState, error) {
	var st graphcomms.CallState
	if err := json.Unmarshal(raw, &st); err != nil {
		return graphcomms.CallState{}, fmt.Errorf("stored state is not readable: %w", err)
	}
	return st, nil
}

// Put implements graphcomms.Store: a compare-and-set on the version.
func (s *Store) Put(ctx context.Context, st graphcomms.CallState) error {
	if st.CallID == "" {
		return errors.New("redisstore: CallState without CallID")
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("redisstore: encoding call %s: %w", st.CallID, err)
	}
	ok, err := putScript.Run(ctx, s.rdb, []string{s.stateKey(st.CallID), s.calls, s.leases}, st.Version, raw, st.CallID).Int()
	if err != nil {
		return fmt.Errorf("redisstore: storing call %s: %w", st.CallID, err)
	}
	if ok != 1 {
		return graphcomms.ErrVersionConflict
	}
	return nil
}

// Delete implements graphcomms.Store.
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

// List implements graphcomms.Store, ordered by call ID.
func (s *Store) List(ctx context.Context) ([]graphcomms.CallState, error) {
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
	out := make([]graphcomms.CallState, 0, len(ids))
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

// appendScript: KEYS leases; ARGV prefix, channel, max log length, then call ID,
// tenant and data for each entry.
var appendScript = redis.NewScript(`
local seen, last, order = {}, {}, {}
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local eid = redis.call('XADD', ARGV[1] .. 'log:' .. id, 'MAXLEN', '~', ARGV[3], '*', 't', ARGV[i+1], 'd', ARGV[i+2])
  if not seen[id] then
    order[#order + 1] = id
    seen[id] = redis.call('ZADD', KEYS[1], 'NX', 0, id) == 1 and 'n' or 'a'
  end
  last[id] = eid
end
for _, id in ipairs(order) do
  redis.call('PUBLISH', ARGV[2], seen[id] .. ':' .. id .. ' ' .. last[id])
end
return 1`)

// Append implements graphcomms.Cluster.
func (s *Store) Append(ctx context.Context, entries []graphcomms.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 3+3*len(entries))
	args = append(args, s.prefix, s.channel, s.maxLog)
	for _, e := range entries {
		if e.CallID == "" {
			return errors.New("redisstore: log entry without CallID")
		}
		args = append(args, e.CallID, e.TenantID, e.Data)
	}
	if err := appendScript.Run(ctx, s.rdb, []string{s.leases}, args...).Err(); err != nil {
		return fmt.Errorf("redisstore: appending %d notifications: %w", len(entries), err)
	}
	return nil
}

// ReadLog implements graphcomms.Cluster.
func (s *Store) ReadLog(ctx context.Context, callID, after string, max int) ([]graphcomms.LogEntry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.logKey(callID), start, "+", int64(max)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading the log of call %s: %w", callID, err)
	}
	out := make([]graphcomms.LogEntry, len(msgs))
	for i, m := range msgs {
		t, _ := m.Values["t"].(string)
		d, _ := m.Values["d"].(string)
		out[i] = graphcomms.LogEntry{ID: m.ID, CallID: callID, TenantID: t, Data: []byte(d)}
	}
	return out, nil
}

// TrimLog implements graphcomms.Cluster.
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

// claimScript: KEYS leases, owners; ARGV call ID, replica, now, until (ms).
var claimScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local exp = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if cur and cur ~= ARGV[2] and exp > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1`)

// Claim implements graphcomms.Cluster.
func (s *Store) Claim(ctx context.Context, callID, replica string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := claimScript.Run(ctx, s.rdb, []string{s.leases, s.owners}, callID, replica, now.UnixMilli(), now.Add(ttl).UnixMilli()).Int()
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

// Renew implements graphcomms.Cluster.
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

// Release implements graphcomms.Cluster.
func (s *Store) Release(ctx context.Context, callID, replica string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.leases, s.owners}, callID, replica, s.channel).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing call %s: %w", callID, err)
	}
	return nil
}

// Unowned implements graphcomms.Cluster. Calls whose holder's lease ran out come
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

// Forget implements graphcomms.Cluster.
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

// Wakeups implements graphcomms.Cluster with a subscription to the wake-up channel.
// After each (re)subscription it sends a Wakeup without a call ID, since messages
// published while it was away are lost.
func (s *Store) Wakeups(ctx context.Context) <-chan graphcomms.Wakeup {
	out := make(chan graphcomms.Wakeup, 64)
	ps := s.rdb.Subscribe(ctx, s.channel)
	go func() {
		defer close(out)
		defer ps.Close()
		in := ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
		for {
			var w graphcomms.Wakeup
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
						w.Kind = graphcomms.WakeNew
					case "r":
						w.Kind = graphcomms.WakeReleased
					default:
						w.Kind = graphcomms.WakeAppended
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
