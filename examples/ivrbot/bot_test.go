package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/cassette"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// newIVR attaches an IVR to a harness's client, with sam in sales and reception's
// voicemail.
func newIVR(t *testing.T, opts ...graphcommstest.Option) *graphcommstest.Harness {
	h := graphcommstest.New(t, opts...)
	ivrFor(h).Attach(h.Client)
	return h
}

// ivrFor is the IVR of the tests; without a harness (playing a cassette back) it has
// no transfer targets.
func ivrFor(h *graphcommstest.Harness) *IVR {
	const p = "https://media.contoso.example/ivr"
	ivr := &IVR{MenuURL: p + "/menu.wav", HoursURL: p + "/hours.wav", GoodbyeURL: p + "/goodbye.wav", InvalidURL: p + "/invalid.wav",
		Logger: slog.New(slog.DiscardHandler)}
	if h != nil {
		ivr.Sales, ivr.Voicemail = h.AddUser("sam").Identity(), h.AddUser("reception").Identity()
	}
	return ivr
}

// A caller hears the menu, asks for the opening hours (3), hears them and the menu
// again, then says goodbye (9) and the bot hangs up.
func TestIVRHoursThenGoodbye(t *testing.T) {
	hoursThenGoodbye(t, newIVR(t))
}

func hoursThenGoodbye(t *testing.T, h *graphcommstest.Harness) {
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

// The same call, recorded once (go test -graphcommstest.update) into
// testdata/hours.cassette.jsonl, played back against the IVR: the bot must send the
// same requests in answer to the same callbacks.
func TestIVRCassette(t *testing.T) {
	path := filepath.Join("testdata", "hours.cassette.jsonl")
	if graphcommstest.Updating() {
		rec, err := cassette.NewRecorder(cassette.RecorderConfig{Path: path + ".new"})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("record", func(t *testing.T) { hoursThenGoodbye(t, newIVR(t, graphcommstest.WithCassette(rec))) })
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	graphcommstest.PlayCassette(t, path, func(c *graphcomms.Client) { ivrFor(nil).Attach(c) })
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
