package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// Two responders: Alice presses 1 and is moved into the incident meeting, Dave
// declines the call.
func TestIncidentPagesResponders(t *testing.T) {
	h := graphcommstest.New(t)
	olivia := h.AddUser("olivia")
	meeting := h.Emulator.NewMeeting("Incident 4711", olivia)
	olivia.Join(meeting)
	alice := h.AddUser("alice")
	dave := h.Emulator.AddUser("dave", emulator.Behavior{Decline: true})
	inc := &Incident{JoinURL: meeting.JoinWebURL(), MessageURL: "https://media.contoso.example/incident-4711.wav",
		Logger: slog.New(slog.DiscardHandler), Responders: []Responder{
			{Name: "Alice", Identity: alice.Identity()}, {Name: "Dave", Identity: dave.Identity()}}}
	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := inc.Run(h.Context(), h.Client)
		done <- result{rep, err}
	}()
	if _, err := h.Emulator.WaitEvent(h.Context(), 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventCallCreated }); err != nil {
		t.Fatal(err)
	}
	h.Advance(time.Second) // the bot is in the meeting, and calls both
	call := h.WaitCallTo(alice)
	h.Wait(call, emulator.EventTonesSubscribed)
	h.Wait(call, emulator.EventPromptStarted)
	h.Advance(emulator.DefaultPromptDuration)
	if err := call.Press("1"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.rep.Outcomes["Alice"]; got != Joined {
		t.Errorf("Alice: %s, want %s", got, Joined)
	}
	if got := r.rep.Outcomes["Dave"]; got != RejectedCall {
		t.Errorf("Dave: %s, want %s", got, RejectedCall)
	}
	h.ExpectTranscript("presses 1", "participant.invited")
}
