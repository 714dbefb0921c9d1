// Package emulator is a local stand-in for the Microsoft Graph calls API, for tests,
// examples and development without a Microsoft tenant.
//
// An Emulator is an http.Handler that serves the v1.0 calls API the SDK uses
// (/v1.0/communications/calls/** and online meetings), keeps a realistic state machine
// for every call, and POSTs to the bot's callback URL the notifications Graph would
// send, each signed with a JWT from the emulator's own key. It serves the matching
// OpenID configuration and JWKS, so the SDK's real callback validator runs unchanged:
//
//	emu, _ := emulator.Start(emulator.Config{AppID: appID, CallbackURL: botURL})
//	defer emu.Close()
//	adapter, _ := emu.Adapter(auth.AdapterConfig{}) // sends the emulator's token
//	api := calls.NewAPI(adapter)
//	v, _ := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{appID},
//		OpenIDConfigURL: emu.OpenIDConfigURL()})
//
// Like Graph, it answers a request without a bearer token with 401
// InvalidAuthenticationToken: give clients Credential (graphcomms.Config.Credential,
// auth.NewRequestAdapter, msgraph-sdk-go) or Adapter. It accepts gzip-encoded request
// bodies, as Kiota clients send them by default (up to MaxRequestBody, inflated), and
// answers every route it does not serve with Graph's JSON error body (404, or 405 with
// Allow). README.md lists every route it serves, and which of its behaviours Graph
// documents and which are its own choices.
//
// Simulated people (users, phone numbers and other applications) answer, decline or ignore calls, press
// DTMF keys, speak when recorded, join and leave meetings, hang up, and call the bot;
// see Person and Behavior. The bot reaches only the people a test declares (AddUser,
// AddPhone, AddApplication): a call or invitation to an ID nobody declared fails
// (CodeTargetNotFound), so that a typo in a configured user ID fails the test;
// Config.AutoCreatePeople makes unknown targets up instead. Time is virtual by default:
// what takes time waits until the test advances the clock (Advance), so tests are
// instant and deterministic, and what takes none (a person with Behavior{} answers at
// once) happens at once; a real clock serves interactive use (graphcomms emulator).
// Faults can be injected per instance: dropped, duplicated, delayed and reordered
// notifications, throttled (429) and failing (503) API calls, slow responses; and
// aimed: the next request to one route (FailNext), the next operation of one action
// (FailNextOperation), the next invitation of one person (Person.DeclineNextInvite).
//
// The rules Graph enforces are enforced, each as the Graph docs describe it (the
// tests name the doc page, in the corpus of examples, that each follows):
//
//   - call outcomes: a blind transfer ends the call with 0/7015
//     "GracefulTransferCompleted", a consultative one with terminationReason
//     "AppTransferred", a failed one takes the call back to established with 500 and
//     subCode 7000 or 7700; redirect and reject end the call without resultInfo;
//   - the limits of calls/limits.go (prompts, timeouts, targets, clientContext,
//     callbackUri, mediaConfig), refused with 400 and Graph's error body; prompts the
//     emulator can fetch (loopback only) must be 16 kHz mono 16-bit PCM WAV files;
//   - answer budgets: an incoming call not answered within 15 s fails, a
//     compliance-recording invitation (Person.StartComplianceRecording) within 5 s;
//   - permissions (Config.Permissions): what the bot's app is not granted is refused
//     with 403, and a call to a phone number needs the bot's application instance;
//   - escalation: a peer-to-peer call a third party joins becomes a group call, and a
//     bot that may not join group calls is dropped from it (CallHandle.Escalate);
//   - a call without keepAlive for 45 minutes ends with 408/8537, and actions on an
//     ended call get 404 with Graph's error body.
//
// Where Graph documents no code for an outcome, the emulator says so and uses a
// clearly named one of its own (SubcodePromptNotPlayable, SubcodeDroppedOnEscalation).
//
// # The console and the control API
//
// Besides Graph, the emulator serves its own control API under [ControlPrefix]: a read
// model of everything it holds ([Emulator.State]: people, live calls with their
// participants and media, meetings with their lobby, the clock), a live stream of
// every [Event] as server-sent events ([EventJSON]), the connect routes with which a
// bot in another process connects ([ConnectInfo]), and the actions a person takes
// (call the bot, answer or decline a ringing call with [Behavior].Manual, press keys,
// hang up, leave a voice message with [Person.SetNextRecording], join, leave or wait in
// a meeting's lobby, move the virtual clock). `graphcomms trigger` and the web console
// at [ConsolePath] use these routes, and they call the same Go methods a test calls.
// The console's files are embedded in the package. Every Graph request the bot makes is
// an [EventRequest] event with its answer, so the console's per-call timeline shows
// what a person did, what the bot was told, and what it asked.
//
// The control API needs no Graph token, so it is guarded ([Config].ControlToken):
// cross-site browser requests are refused, and an emulator served beyond loopback
// needs an access token.
package emulator
