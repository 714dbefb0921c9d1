// Package redisstore shares a bot's calls between replicas through Redis: it is a
// graphcomms.Store and a graphcomms.Cluster. Give the same Redis (and Prefix) to every
// replica of a bot, put any plain load balancer in front of them, and any replica can
// take any callback:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	client, err := graphcomms.New(graphcomms.Config{
//		AppID: appID, Credential: cred, CallbackURL: "https://bot.example.com/api/calls",
//		Cluster: redisstore.New(rdb, redisstore.Options{}),
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
//   - log:{id}, a stream: the call's notifications not yet applied, in arrival order;
//   - leases, a sorted set: per call, when its lease runs out (Unix milliseconds; 0
//     means nobody holds it);
//   - owners, a hash: per call, the replica holding its lease;
//   - wake, a pub/sub channel: "a:{id} {position}" when a call's log grew up to
//     position, "n:{id} {position}" for a new call nobody holds, "r:{id}" when a
//     replica released a call.
//
// Every write is one Lua script, so it is atomic; the scripts name keys they build
// from Prefix, so this package needs a single Redis primary (standalone or with
// Sentinel), not Redis Cluster.
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
// milliseconds; the default lease is 15 s).
//
// # Durability
//
// A notification is acknowledged to Graph once Append returned, that is once Redis
// has it in memory. For it to survive a Redis restart, run Redis with an append-only
// file: appendonly yes and appendfsync always loses nothing that was acknowledged;
// appendfsync everysec (Redis's default when AOF is on) can lose the last second on a
// crash of the Redis host. With replicas, a failover can lose what the primary had not
// yet sent them.
//
// # Failures
//
// Every method returns Redis's error; the client answers callbacks 503 with
// Retry-After while Redis is unreachable and retries state writes until they pass.
// go-redis reconnects by itself, and Wakeups re-subscribes, announcing the gap with a
// Wakeup without a call ID.
package redisstore
