// Package graphcomms is a Go SDK for the Microsoft Graph calls and online-meetings API:
// the building blocks of calling bots for Microsoft Teams that answer and place calls,
// play prompts, collect DTMF, record, join meetings and watch their rosters.
//
// This package holds the stateful Client, the Go counterpart of the .NET SDK's
// ICommunicationsClient: it serves the bot's callback URL, tracks every call (Call) with
// its roster and pending operations, and delivers each call's events in order on that
// call's own queue:
//
//	client, _ := graphcomms.New(graphcomms.Config{AppID: appID, Credential: cred,
//		CallbackURL: "https://bot.example.com/api/calls"})
//	http.Handle("/api/calls", client)
//	client.OnIncoming(func(call *graphcomms.Call) {
//		call.OnTone(func(t media.ToneInfo) { ... })
//		_ = call.Answer(ctx, menuURL)
//	})
//
// What it adds to the raw API:
//
//   - Ordered dispatch: notifications for one call are applied and delivered one at a
//     time, in order; a slow callback delays only its own call, never another call or
//     the 202 Graph waits for. A panicking callback is recovered and reported through
//     OnError. Out-of-order and duplicated notifications are dropped (by etag, by the
//     call's state order, by tone sequence ID).
//   - Awaited operations: PlayPrompt, RecordResponse, Mute, Invite, ... return an
//     Operation whose Wait returns the final result (or an *OperationError with
//     resultInfo). Completions are matched by operation ID or client context, even when
//     they arrive before Graph's answer to the request; without a notification within
//     Config.OperationTimeout the client polls the operation.
//   - Roster: kept from full and delta roster notifications (a gap in delta sequence
//     numbers triggers a re-read), plus a snapshot when the call is established;
//     OnRosterChanged reports who was added, updated and removed.
//   - Keep-alive: every established call gets a keepAlive every 15 minutes (with
//     jitter); a 404 ends the call locally. A failed answer or create leaves no zombie.
//   - Termination: one final OnTerminated event with a typed end reason decoded from
//     resultInfo; then the call, its timers and its state are gone. Terminate hangs up
//     everything and waits.
//   - Store: call state (resource, roster, pending operations) is written to a Store;
//     MemoryStore is the default, storetest checks other implementations.
//
// # Running several replicas
//
// With Config.Cluster (store/redisstore on Redis), several replicas of a bot share
// their calls behind a plain load balancer:
//
//   - the callback handler stores each notification in its call's log (in Redis)
//     before it answers 202, and answers 503 with Retry-After when it cannot;
//   - one replica holds each call's lease and applies the call's log in order; it runs
//     all of the call's callbacks and its keep-alive; Config.ClaimCall chooses which
//     replicas may take calls;
//   - each step is stored with a versioned compare-and-set before its callbacks run,
//     so an event is delivered on one replica, once, even when two replicas briefly
//     both think they hold a call (the loser's write is refused and the call ends
//     there with ErrCallMoved);
//   - a Wait on one replica completes when the completion lands on another;
//   - when a replica dies, another takes its calls over within Config.LeaseTTL and
//     calls OnResume; Close hands calls over at once.
//
// Call and Calls return the calls this replica holds.
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
