// Package graphcommstest is the test kit for bots built on graphcomms: [New] starts
// an emulator and a client wired to it in one line, and [Harness] has the waits every
// bot test needs.
//
// A complete test of a bot that answers and plays a prompt:
//
//	func TestGreeter(t *testing.T) {
//		h := graphcommstest.New(t)
//		greeter.Attach(h.Client) // the bot's OnIncoming: answer, then play hello.wav
//		call := h.CallBot(h.AddUser("alice"))
//		h.Wait(call, emulator.EventPromptStarted)
//		h.ExpectTranscript("call.answered", "the bot plays https://cdn.example.com/hello.wav")
//	}
//
// The harness's client validates callbacks with the emulator's keys, sends its
// requests with the emulator's token and shares the emulator's virtual clock: time
// moves only with [Harness.Advance]. Its logs go to t.Log; when the test fails, the
// emulator's transcript and the errors the client reported through OnError are
// logged too. Everything is closed by t.Cleanup.
//
// [Harness.Wait] returns once the event has happened and the bot's requests have
// returned (so after Wait(call, emulator.EventRecordStarted) the bot's RecordResponse
// has its answer); [Harness.WaitCallTo] finds the call the bot places to a person;
// [Harness.ExpectTranscript] checks transcript lines in order.
//
// Recorded traffic: a [cassette] recorder captures a bot's callbacks and Graph
// requests in production or staging; [PlayCassette] plays a cassette back into a
// fresh client with the bot's handlers, answers the bot's requests from it and fails
// the test with a diff when the bot's requests differ. [Golden] and
// [GoldenNotifications] compare values with files under testdata/; run the tests
// with -graphcommstest.update to rewrite the expected requests and golden files
// (a test binary's own boolean -update flag is honoured too).
//
// [cassette]: https://pkg.go.dev/github.com/graphcomms/graphcomms/cassette
package graphcommstest
