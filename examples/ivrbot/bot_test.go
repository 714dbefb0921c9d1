package main

import (
	"log/slog"
	"testing"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// newIVR attaches an IVR to a harness's client, with sam in sales and reception's
// voicemail.
func newIVR(t *testing.T) *graphcommstest.Harness {
	h := graphcommstest.New(t)
	const p = "https://media.contoso.example/ivr"
	ivr := &IVR{MenuURL: p + "/menu.wav", HoursURL: p + "/hours.wav", GoodbyeURL: p + "/goodbye.wav", InvalidURL: p + "/invalid.wav",
		Sales: h.AddUser("sam").Identity(), Voicemail: h.AddUser("reception").Identity(), Logger: slog.New(slog.DiscardHandler)}
	ivr.Attach(h.Client)
	return h
}

// A caller hears the menu, asks for the opening hours (3), hears them and the menu
// again, then says goodbye (9) and the bot hangs up.
func TestIVRHoursThenGoodbye(t *testing.T) {
	h := newIVR(t)
	alice := h.CallBot(h.AddUser("alice"))
	h.Wait(alice, emulator.EventTonesSubscribed)
	h.Wait(alice, emulator.EventPromptStarted) // the menu
	h.Advance(emulator.DefaultPromptDuration)
	if err := alice.Press("3"); err != nil {
		t.Fatal(err)
	}
	h.Wait(alice, emulator.EventPromptStarted) // the hours
	h.Advance(emulator.DefaultPromptDuration)
	h.Wait(alice, emulator.EventPromptStarted) // the menu again
	if err := alice.Press("9"); err != nil {
		t.Fatal(err)
	}
	h.Wait(alice, emulator.EventPromptStarted) // goodbye
	h.Advance(emulator.DefaultPromptDuration)
	h.Wait(alice, emulator.EventTerminated)
	h.ExpectTranscript("menu.wav", "presses 3", "hours.wav", "menu.wav", "presses 9", "goodbye.wav", "call.terminated")
}

// Key 1 transfers the caller to sales.
func TestIVRSales(t *testing.T) {
	h := newIVR(t)
	bob := h.CallBot(h.AddUser("bob"))
	h.Wait(bob, emulator.EventTonesSubscribed)
	h.Wait(bob, emulator.EventPromptStarted)
	if err := bob.Press("1"); err != nil {
		t.Fatal(err)
	}
	h.Wait(bob, emulator.EventTransferred)
	h.ExpectTranscript("presses 1", "call.transferred")
}
