package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// The bot joins a meeting, reports who joins and mutes Dave on entry.
func TestRosterBotReportsAndMutes(t *testing.T) {
	h := graphcommstest.New(t)
	olivia := h.AddUser("olivia")
	m := h.Emulator.NewMeeting("Weekly sync", olivia)
	olivia.Join(m)
	lines := make(chan string, 100)
	bot := &RosterBot{JoinURL: m.JoinWebURL(), MuteOnEntry: []string{"Dave"}, Logger: slog.New(slog.DiscardHandler),
		Out: func(line string) { lines <- line }}
	joined := make(chan error, 1)
	go func() {
		_, err := bot.Run(h.Context(), h.Client)
		joined <- err
	}()
	if _, err := h.Emulator.WaitEvent(h.Context(), 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventCallCreated }); err != nil {
		t.Fatal(err)
	}
	h.Advance(time.Second)
	if err := <-joined; err != nil {
		t.Fatal(err)
	}
	waitFor := func(want string) {
		t.Helper()
		timeout := time.After(graphcommstest.DefaultTimeout)
		for {
			select {
			case got := <-lines:
				if got == want {
					return
				}
			case <-timeout:
				t.Fatalf("the bot never reported %q", want)
			}
		}
	}
	h.AddUser("carol").Join(m)
	waitFor("joined: Carol")
	h.AddUser("dave").Join(m)
	waitFor("muted: Dave")
	h.ExpectTranscript("participant.joined   carol", "participant.joined   dave", "participant.muted")
}
