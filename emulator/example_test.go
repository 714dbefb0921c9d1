package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// The emulator plays Graph: the bot dials a simulated person who answers after two
// seconds of emulated time, then hangs up ten seconds later.
func ExampleStart() {
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted) // a real bot parses and validates these
	}))
	defer callback.Close()
	bob := emu.AddUser("bob", emulator.Behavior{AnswerAfter: 2 * time.Second, HangUpAfter: 10 * time.Second})

	adapter, _ := emu.Adapter(auth.AdapterConfig{}) // sends the emulator's token
	api := calls.NewAPI(adapter)
	call := calls.NewCall(callback.URL, nil)
	call.Targets = []participants.Invitation{participants.Invite(bob.Identity())}
	if _, err := api.Calls().Post(context.Background(), call); err != nil {
		panic(err)
	}
	emu.Advance(time.Minute) // emulated: returns at once
	_ = emu.WaitIdle(context.Background())
	for _, line := range emu.Transcript() {
		fmt.Println(line)
	}
	// Output:
	// 09:00:00.000 call.created         the bot calls Bob
	// 09:00:00.000 call.ringing         bob: Bob's phone rings
	// 09:00:02.000 participant.joined   bob: Bob answers
	// 09:00:02.000 call.established     bob: call established
	// 09:00:12.000 participant.left     bob: Bob hangs up
	// 09:00:12.000 call.terminated      bob: Bob hung up (200/4521)
}

// exampleCall starts an emulator and a callback endpoint, and has the bot call a
// person who answers at once (Behavior{}: no Advance needed). It returns the call's
// builder and a function that stops it all.
func exampleCall(cfg emulator.Config, target func(*emulator.Server) participants.IdentitySet) (*emulator.Server, *calls.CallRequestBuilder, func()) {
	emu, err := emulator.Start(cfg)
	if err != nil {
		panic(err)
	}
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	// No retries: the example shows the failures the emulator injects.
	adapter, _ := emu.Adapter(auth.AdapterConfig{Retry: auth.RetryPolicy{MaxRetries: -1}})
	api := calls.NewAPI(adapter)
	call := calls.NewCall(callback.URL, nil)
	call.Targets = []participants.Invitation{participants.Invite(target(emu))}
	created, err := api.Calls().Post(context.Background(), call)
	if err != nil {
		panic(err)
	}
	return emu, api.Calls().ByID(created.ID), func() { emu.Close(); callback.Close() }
}

// Aimed faults: the next playPrompt request fails with 503 and only it, whatever else
// the bot sends meanwhile; then the next subscribeToTone operation starts and fails
// with the resultInfo the test chose.
func ExampleEmulator_FailNext() {
	emu, call, stop := exampleCall(emulator.Config{}, func(emu *emulator.Server) participants.IdentitySet {
		return emu.AddUser("bob", emulator.Behavior{}).Identity()
	})
	defer stop()
	ctx := context.Background()
	got, _ := call.Get(ctx)
	fmt.Println("call:", got.State) // Bob answered at once, without Advance

	emu.FailNext(emulator.Match{Method: "POST", Route: "/communications/calls/{id}/playPrompt"}, http.StatusServiceUnavailable)
	prompt := &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/hello.wav")}}
	_, err := call.Mute().Post(ctx, nil)
	fmt.Println("mute:", err)
	_, err = call.PlayPrompt().Post(ctx, prompt)
	var ge *calls.Error
	if errors.As(err, &ge) {
		fmt.Println("playPrompt:", ge.StatusCode, "retry after", ge.RetryAfter)
	}
	_, err = call.PlayPrompt().Post(ctx, prompt)
	fmt.Println("playPrompt again:", err)

	emu.FailNextOperation(emulator.OperationFault{Action: "subscribeToTone",
		Result: calls.ResultInfo{Code: 500, Subcode: 8518, Message: "Call Exception"}})
	op, err := call.SubscribeToTone().Post(ctx, nil)
	fmt.Println("subscribeToTone:", op.Status, err)
	done, _ := call.Operations().ByID(op.ID).Get(ctx)
	fmt.Println("then:", done.Base().Status, done.Base().ResultInfo)
	// Output:
	// call: established
	// mute: <nil>
	// playPrompt: 503 retry after 1s
	// playPrompt again: <nil>
	// subscribeToTone: running <nil>
	// then: failed 500/8518: Call Exception
}

// A typo in a user ID fails, as on Graph: the call is created, then ends at once
// because nobody has that ID (Config.AutoCreatePeople would make the user up).
func ExampleConfig_unknownUser() {
	emu, call, stop := exampleCall(emulator.Config{}, func(emu *emulator.Server) participants.IdentitySet {
		emu.AddUser("bob", emulator.Behavior{})
		return participants.User("00000000-0000-4000-8000-00000000b0b1", emu.TenantID()) // not Bob's ID
	})
	defer stop()
	_ = emu.WaitIdle(context.Background())
	for _, line := range emu.Transcript() {
		fmt.Println(line)
	}
	_, err := call.Get(context.Background())
	fmt.Println(calls.IsNotFound(err))
	// Output:
	// 09:00:00.000 call.created         the bot calls user 00000000-0000-4000-8000-00000000b0b1
	// 09:00:00.000 call.targetNotFound  no user 00000000-0000-4000-8000-00000000b0b1 is known: declare it with AddUser, or set Config.AutoCreatePeople
	// 09:00:00.000 call.terminated      nobody to call (404/8522)
	// true
}

// A person whose phone rings until someone decides: the bot calls Bob, and the
// console's Answer button (here Person.Answer) picks up. State is what the console
// shows.
func ExamplePerson_Answer() {
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer callback.Close()
	bob := emu.AddUser("bob", emulator.Behavior{Manual: true})
	adapter, _ := emu.Adapter(auth.AdapterConfig{})
	call := calls.NewCall(callback.URL, nil)
	call.Targets = []participants.Invitation{participants.Invite(bob.Identity())}
	created, err := calls.NewAPI(adapter).Calls().Post(context.Background(), call)
	if err != nil {
		panic(err)
	}
	s := emu.State()
	fmt.Println(s.Calls[0].State, "ringing:", s.Calls[0].Ringing)
	if err := bob.Answer(created.ID); err != nil {
		panic(err)
	}
	s = emu.State()
	fmt.Println(s.Calls[0].State, "with", s.Calls[0].Participants[1].DisplayName)
	// Output:
	// establishing ringing: [bob]
	// established with Bob
}

// A voice message: what the person says when the bot records them, here a generated
// 1.5-second WAV file; the console sends the microphone's audio the same way.
func ExamplePerson_SetNextRecording() {
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	carol := emu.AddUser("carol", emulator.Behavior{})
	if err := carol.SetNextRecording(emulator.WAV(1500*time.Millisecond, true)); err != nil {
		panic(err)
	}
	fmt.Println(emu.State().People[0].HasRecording)
	fmt.Println(carol.SetNextRecording([]byte("RIFF....WAVE")))
	// Output:
	// true
	// emulator: WAV file without a data chunk: EOF
}
