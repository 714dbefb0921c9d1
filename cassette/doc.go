// Package cassette records a calling bot's traffic, in production, staging or a
// test, into a cassette: one JSON line per event, for every callback the bot
// accepts and every request it sends to Microsoft Graph with Graph's response.
// Tests play cassettes back with graphcommstest.PlayCassette (the bot's handlers
// get the recorded callbacks, its requests are answered from the cassette and
// compared with the recorded ones); Read and Decode read them for anything else.
//
// A Recorder wraps both sides of a bot:
//
//	rec, err := cassette.NewRecorder(cassette.RecorderConfig{Path: "/var/log/bot/traffic.jsonl"})
//	adapter, err := auth.NewRequestAdapter(cred, auth.AdapterConfig{
//		HTTPClient: &http.Client{Transport: rec.Transport(nil)}}) // outbound
//	client, err := graphcomms.New(graphcomms.Config{..., Adapter: adapter})
//	mux.Handle("/api/calls", rec.Handler(client))               // inbound
//	defer rec.Close()
//
// It never fails the bot's traffic: an event it cannot write (the disk is full,
// the recorder is closed) is dropped and counted in Stats. It buffers at most
// RecorderConfig.MaxBodyBytes (1 MiB) of each body, passing bodies through as they
// arrive; a longer body is recorded as its first MaxBodyBytes bytes, marked
// truncated. A file that would grow past MaxBytes (16 MiB) is rotated: path
// becomes path.1, path.1 becomes path.2, and so on, MaxFiles (3) old files kept.
//
// # Secrets
//
// A cassette holds what Graph and the bot said, not their credentials:
//
//   - the Authorization, Proxy-Authorization, Cookie and Set-Cookie headers are never
//     recorded; of the others, only client-request-id, scenario-id, request-id,
//     content-type, location and retry-after are (RecorderConfig.Headers adds more);
//   - the values of JSON members named recordingAccessToken, access_token,
//     accessToken, refresh_token, id_token, token, clientSecret, client_secret,
//     password, secret and client_assertion, and of those in RecorderConfig.Redact,
//     are replaced by "REDACTED" at any depth (names match ignoring case);
//   - query parameters (of the request, and of URLs inside JSON strings and
//     headers) and form fields named like secrets (any name with token, secret,
//     password, signature or assertion in it; sig, code, key, sas; and the names
//     above) have their values replaced by "REDACTED";
//   - a body that is not whole JSON (a truncated one) gets the same treatment as
//     text.
//
// # Format
//
// A cassette is UTF-8 text, one JSON object per line (JSON Lines); Event is its Go
// form. Every line has:
//
//   - kind: "callback" (Graph to the bot, accepted with a 2xx status) or "request"
//     (the bot to Graph);
//   - recording and seq: the recorder that wrote the line (one per NewRecorder) and
//     the exchange's number in it, in the order exchanges started (the callback
//     arrived, the request was sent). Lines are written in the order exchanges
//     completed, so a request whose response came after a callback it caused is
//     written after that callback; StartOrder sorts them back;
//   - time: when the exchange started (RFC 3339, by RecorderConfig.Now);
//   - method, path (escaped, without scheme and host) and query (raw, redacted);
//   - headers: the recorded headers, lower-case names;
//   - body: the body when it is JSON, as JSON (not a string); text: any other body
//     (or a truncated one) as a string; size: the body's size in bytes when it is
//     not recorded whole; truncated: true when it was cut at MaxBodyBytes;
//   - response: status, headers, body, text, size and truncated of the answer (the
//     bot's to a callback, Graph's to a request, a gzip body decoded); absent when a
//     request failed without one;
//   - durationMs: how long the exchange took (until the response body was read);
//   - error: why a request got no response, or its response could not be read.
//
// Members without a value are left out. A callback (shortened here):
//
//	{"kind":"callback","recording":"b4425cd2","seq":1,"time":"2026-01-05T09:00:00Z","method":"POST","path":"/api/calls","headers":{"client-request-id":"76f0785c-5cc6-4a63-89fa-fce7ce485290","content-type":"application/json"},"body":{"@odata.type":"#microsoft.graph.commsNotifications","value":[{"@odata.type":"#microsoft.graph.commsNotification","changeType":"created","resourceUrl":"/communications/calls/7655d15c-919e-4624-b87a-421000000001","resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","direction":"incoming"}}]},"response":{"status":202,"headers":{"client-request-id":"76f0785c-5cc6-4a63-89fa-fce7ce485290"}},"durationMs":1.622}
//
// A request:
//
//	{"kind":"request","recording":"b4425cd2","seq":6,"time":"2026-01-05T09:00:00Z","method":"POST","path":"/v1.0/communications/calls/7655d15c-919e-4624-b87a-421000000001/subscribeToTone","headers":{"client-request-id":"47cf004d-3f09-4725-9aec-2527aa0a34f2","content-type":"application/json"},"body":{"clientContext":"gc-7a33e44a-cfa5-4fc9-801c-954a75cddeed"},"response":{"status":200,"headers":{"content-type":"application/json","request-id":"641c751a-4368-4b06-a467-c2c9c9cbbb86"},"body":{"@odata.type":"#microsoft.graph.subscribeToToneOperation","id":"a815842c-a556-4288-8d4d-0dd300000003","clientContext":"gc-7a33e44a-cfa5-4fc9-801c-954a75cddeed","status":"running"}},"durationMs":0.845}
//
// Decode skips blank lines, ignores members it does not know, and fails on a line
// that is not an event with a *LineError naming the line. The package builds on the
// standard library and this module's own JSON writer only (no Kiota, no
// OpenTelemetry).
package cassette
