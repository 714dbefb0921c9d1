package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
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
