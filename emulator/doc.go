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
//	api := calls.NewAPI(adapter, calls.WithBaseURL(emu.GraphURL()))
//	v, _ := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{appID},
//		OpenIDConfigURL: emu.OpenIDConfigURL()})
//
// Simulated people (users and phone numbers) answer, decline or ignore calls, press
// DTMF keys, speak when recorded, join and leave meetings, hang up, and call the bot;
// see Person and Behavior. Time is virtual by default: nothing happens until the test
// advances the clock (Advance), so tests are instant and deterministic; a real clock
// serves interactive use (graphcomms emulator). Faults can be injected per instance:
// dropped, duplicated, delayed and reordered notifications, throttled (429) and failing
// (503) API calls, slow responses.
//
// The rules Graph enforces are enforced: an incoming call not answered within 15 s
// fails, a call without keepAlive for 45 minutes ends with 408/8537, and actions on an
// ended call get 404 with Graph's error body.
package emulator
