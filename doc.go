// Package graphcomms is a Go SDK for the Microsoft Graph calls and online-meetings API:
// the building blocks of calling bots for Microsoft Teams that answer and place calls,
// play prompts, collect DTMF, record, join meetings and watch their rosters.
//
// This package holds the stateful [Client], the Go counterpart of the .NET SDK's
// ICommunicationsClient: it serves the bot's callback URL, tracks every call ([Call])
// with its roster and pending operations, and delivers each call's events in order on
// that call's own queue:
//
//	client, _ := graphcomms.New(graphcomms.Config{AppID: appID, Credential: cred,
//		CallbackURL: "https://bot.example.com/api/calls"})
//	http.Handle("/api/calls", client)
//	client.OnIncoming(func(call *graphcomms.Call) {
//		call.OnTone(func(t media.ToneInfo) { ... })
//		_ = call.Answer(ctx, menuURL)
//	})
//
// # One path for every notification
//
// [Client.ServeHTTP] validates and parses each callback, appends each call's
// notifications to that call's log in a [store.Cluster], and answers 202. The replica
// holding the call (a single process holds every call) applies the log in order with
// a pure state machine, stores the new state with one versioned Put per batch, and
// only then runs the callbacks, the completions of waiting operations, timers and
// roster reads the batch caused. A single process is a cluster of one: a
// [store.Memory], the default of [Config].Cluster; replicas share
// store/redisstore (see [ClusterConfig] and "Running several replicas" below). The
// contracts ([store.Store], [store.Cluster], [store.CallState], [store.LogEntry],
// [store.Wakeup]) live in package store, their conformance tests in store/storetest.
//
// What this gives a bot:
//
//   - Ordered dispatch: a call's notifications are applied and delivered one at a
//     time, in order; a slow callback delays only its own call, never another call or
//     the 202 Graph waits for. Out-of-order and duplicated notifications are dropped
//     (by etag, by the call's state order, by tone sequence ID).
//   - Awaited operations: [Call.PlayPrompt], [Call.RecordResponse], [Call.Mute],
//     [Call.Invite], ... return an [Operation] whose [Operation.Wait] returns the
//     final result (or an [*OperationError] with resultInfo). Completions are matched
//     by operation ID or client context, even when they arrive before Graph's answer
//     to the request; without a notification within [Config].OperationTimeout the
//     client polls the operation.
//   - Roster: kept from full and delta roster notifications (a gap in delta sequence
//     numbers triggers a re-read), plus a snapshot when the call is established;
//     re-reads are coalesced per call (one in flight, one queued).
//     [Call.OnRosterChanged] reports who was added, updated and removed.
//   - Keep-alive: every established call gets a keepAlive every
//     [Config].KeepAliveInterval (15 minutes by default, with jitter).
//   - Per-call data: [SetData] and [Data] keep the bot's own data about a call (JSON,
//     at most [store.MaxDataBytes]) with the call's state; a replica taking the call
//     over has it before [Client.OnResume] runs.
//   - Failures with no caller to return to (a panicking callback, a failed
//     keep-alive, a refused store write, ...) go to [Client.OnError] as a
//     [*CallError] with the call's ID and a stage ([StageCallback], [StageKeepAlive],
//     [StageStore], [StageLog], [StageRoster], [StagePoll]); a panic's Err is a
//     [*PanicError].
//
// # Registering handlers
//
// Every On... method ([Client.OnIncoming], [Client.OnResume], [Client.OnError],
// [Call.OnUpdated], [Call.OnTone], [Call.OnTerminated], [Call.OnRosterChanged]) adds
// a handler (all handlers run, in the order they were added) and returns a function
// that removes it. Handlers added to a call inside OnIncoming or OnResume miss none of
// its events; for calls the bot places, [Client.Create] and [Client.JoinMeeting] take
// [WithSetup], which runs before the call's first event, and [WithRequestOptions].
//
// Values handed out (Resource, Participants, callback arguments) share memory with
// the client's state: treat them as read-only.
//
// # Lifecycle
//
// [Call.Context] is cancelled when the call ends, with a cause wrapping
// [ErrCallEnded]. Every action on an ended call, [Call.HangUp] included, returns an
// error wrapping ErrCallEnded without sending a request, and a request cut off by the
// end wraps it too. A 404 from any action ends the call locally (see [Call]). A call
// ends with one [Call.OnTerminated] event and an [EndInfo]: a typed end reason decoded
// from resultInfo, or, for a local end, EndInfo.Err: the 404, [ErrNotAnswered] for an
// incoming call not answered, rejected or redirected within [Config].AnswerTimeout
// ([DefaultAnswerTimeout], Graph's 15 s plus a 5 s margin), [ErrForgotten] after
// [Call.Forget]. Then the call, its timers and its state are gone. [Client.Terminate]
// hangs up every call and waits; [Client.Close] stops the client: its calls end here
// with [ErrCallMoved], without OnTerminated, and their leases are released.
//
// # Bounds
//
// Each call's log is capped ([store.MemoryConfig].MaxLogEntries, 1024 by default;
// MaxLogEntries in redisstore's Options); when it is full, the callback is answered
// 503 with Retry-After ([store.ErrLogFull]) and Graph sends it again. Notifications
// for calls nobody holds yet (a call whose Create has not returned, or one no replica
// knows) are parked in the store, bounded in number, bytes, entries per call and time
// (see [store.MemoryConfig]; Redis parks with key expiry and the per-call cap) and
// dropped oldest first. A callback whose token tenant (tid) is not the call's tenant
// is refused with 403 and logged, unless [Config].AllowTenantMismatch is set (Graph
// does not document which tid a callback carries when the bot is in another tenant's
// meeting).
//
// # Running several replicas
//
// With a shared [ClusterConfig].Store (store/redisstore on Redis), several replicas of
// a bot share their calls behind a plain load balancer:
//
//   - the callback handler stores each notification in its call's log (in Redis)
//     before it answers 202, and answers 503 with Retry-After when it cannot within
//     [ClusterConfig].Timeout;
//   - one replica holds each call's lease and applies the call's log in order; it runs
//     all of the call's callbacks and its keep-alive; [ClusterConfig].ClaimCall
//     chooses which replicas may take calls;
//   - each batch is stored with a versioned compare-and-set before its callbacks run,
//     so an event is delivered on one replica, once, even when two replicas briefly
//     both think they hold a call (the loser's write is refused and the call ends
//     there with ErrCallMoved);
//   - a Wait on one replica completes when the completion lands on another;
//   - when a replica dies, another takes its calls over within
//     [ClusterConfig].LeaseTTL and calls OnResume; Close hands calls over at once.
//
// [Client.Call] and [Client.Calls] return the calls this replica holds.
//
// The module is organised by layer, leaves first:
//
//   - media: media configurations, prompts, media streams, DTMF tones;
//   - participants: identities, participant info, invitations, the participant resource;
//   - calls: the call resource, operations (playPrompt, recordResponse, ...), resultInfo
//     and end reasons, and the request body of every call action;
//   - meetings: online meetings, attendance reports, presence;
//   - notifications: the bodies Graph POSTs to a bot's callback URL;
//   - auth: outbound credentials and inbound callback validation;
//   - emulator: a local Graph calls service for tests, examples and development.
//
// # The wire model
//
// Every Graph type is a plain Go struct with value fields and json tags. Three rules hold
// for all of them:
//
//   - Lenient in: member names and enum values match ignoring case ("Established",
//     "subCode"), numbers sent as strings decode, and a member whose value does not fit
//     its field (a null, or "transferring" where a number is declared) is kept rather
//     than rejected.
//   - Nothing lost: what a struct's fields do not carry is kept verbatim in its
//     AdditionalData map and written back, so decoding then encoding a Graph payload
//     gives the same payload.
//   - Exact out: encoding writes the documented spelling of every enum and the
//     @odata.type that polymorphic members (media.Config, media.Prompt,
//     calls.MeetingInfo, calls.Operation) need.
//
// Malformed JSON is an error that says what is wrong and where (byte offset and member
// path); decoding never panics.
//
// The module is tested against the 572 request, response and notification examples of
// the Graph documentation; see internal/conformance.
package graphcomms

import "github.com/graphcomms/graphcomms/internal/version"

// Version is the version of this module, sent in the User-Agent of its requests.
const Version = version.Version
