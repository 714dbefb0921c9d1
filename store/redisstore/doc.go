// Package redisstore shares a bot's calls between replicas through Redis: it is a
// store.Store and a store.Cluster. Give the same Redis (and Prefix) to every replica
// of a bot, put any plain load balancer in front of them, and any replica can take any
// callback:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	client, err := graphcomms.New(graphcomms.Config{
//		AppID: appID, Credential: cred, CallbackURL: "https://bot.example.com/api/calls",
//		Cluster: graphcomms.ClusterConfig{Store: redisstore.New(rdb, redisstore.Options{})},
//	})
//
// # What is stored
//
// Under Prefix (default "graphcomms:"):
//
//   - call:{id}, a hash: the call's state (resource, roster, roster and tone
//     sequence numbers, pending operations, next keep-alive, log position) as JSON in
//     field s, its version in field v;
//   - calls, a set of the IDs of stored calls (for List);
//   - log:{id}, a stream: the call's notifications not yet applied, in arrival order,
//     one entry per callback with its tenant (field t), accepting replica (f),
//     whether it starts an incoming call (i), previous position (p) and body (d);
//     the stream's IDs are the log positions, and its last-generated-id, which
//     trimming keeps, is the position of the last entry ever appended;
//   - leases, a sorted set: per call, when its lease runs out (Unix milliseconds; 0
//     means nobody holds it); a call is in it once it has a state, a lease or a log
//     whose first entry is incoming;
//   - owners, a hash: per call, the replica holding its lease;
//   - wake, a pub/sub channel: "a:{id} {position}" when a call's log grew up to
//     position, "n:{id} {position}" for a new call nobody holds, "r:{id}" when a
//     replica released a call.
//
// Every write is one Lua script (Delete and Forget: one MULTI transaction), so it is
// atomic; the scripts name keys they build from Prefix, so this package needs a single
// Redis primary (standalone or with Sentinel), not Redis Cluster.
//
// # Caps and parked logs
//
// A call's log holds at most Options.MaxLogEntries entries (default 1024): the holder
// trims it as it applies it, so it fills only when the holder is not keeping up or
// its callbacks are blocked. Append then appends nothing and returns an error wrapping
// store.ErrLogFull; the client answers the callback 503 with Retry-After, so Graph
// sends it again later instead of Redis queueing without bound.
//
// A log whose first entry is not incoming, for a call with neither state nor lease,
// is parked: a replica may be creating that call right now (its callbacks can come
// before Create returns), or it is a call no replica knows. A parked log wakes nobody
// and Unowned does not list it; it expires Options.ParkedTTL (default one minute)
// after its first entry, and takes at most Options.MaxParkedEntries entries (default
// 64; later ones are dropped, without an error). Claim or Put on its call removes the
// expiry, and it is an ordinary log from then on. Redis's expiry bounds the parked
// logs in time, not in number: their number is at most what arrives in a ParkedTTL.
//
// # Versioned compare-and-set, with a lease for liveness
//
// Put stores a state only when its version is the stored one plus one. That check is
// the fence: every state a replica writes follows the one it read, so two replicas
// never lose each other's updates, and a replica that lost its lease without knowing
// it (a long GC pause, a network partition) has its next write refused and stops
// handling the call before running any callback for it. The lease (Claim, Renew,
// Release) decides who should handle a call; it is not trusted for safety, which is
// why it needs no fencing token of its own: the version is one. A lock held across
// the read, the work and the write was the alternative; it would need the same
// fencing on the write anyway and would block the call's events behind a lock
// timeout whenever a holder dies, where compare-and-set only costs a retry.
//
// Lease times come from the replicas' clocks (graphcomms.Config.Clock), so replicas
// need clocks within a small fraction of the lease TTL of each other (NTP gives
// milliseconds; the default graphcomms.ClusterConfig.LeaseTTL is 15 s).
//
// # Durability
//
// A notification is acknowledged to Graph once Append returned, that is once Redis
// has it in memory. For it to survive a Redis restart, run Redis with an append-only
// file: appendonly yes and appendfsync always loses nothing that was acknowledged;
// appendfsync everysec (Redis's default when AOF is on) can lose the last second on a
// crash of the Redis host. With replicas, a failover can lose what the primary had not
// yet sent them. Entries of parked logs are acknowledged too, and lost when their log
// expires or is at its cap: they are about calls no replica has.
//
// # Failures
//
// Every method returns Redis's error; the client answers callbacks 503 with
// Retry-After while Redis is unreachable and retries state writes until they pass.
// go-redis reconnects by itself, and Wakeups re-subscribes, announcing the gap with a
// Wakeup without a call ID.
package redisstore
