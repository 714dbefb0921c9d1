package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/participants"
)

// RosterBot joins a meeting and streams roster changes: who joined, left, was muted or unmuted, waits in the
// lobby or was admitted. It mutes, on entry, the people named in MuteOnEntry.
type RosterBot struct {
	JoinURL     string
	MuteOnEntry []string // display names
	// Out receives one line per roster change.
	Out    func(string)
	Logger *slog.Logger

	mu   sync.Mutex
	seen map[string]participants.Participant
}

// Run joins the meeting and returns the meeting call, established. (It does not call
// updateRecordingStatus: Graph accepts that only on a compliance-recording call, which
// a bot is invited into by a Teams policy, never on a meeting it joined itself.)
func (b *RosterBot) Run(ctx context.Context, client *graphcomms.Client) (*graphcomms.Call, error) {
	b.seen = map[string]participants.Participant{}
	call, err := client.JoinMeeting(ctx, graphcomms.JoinOptions{JoinURL: b.JoinURL, Subject: "Roster bot"})
	if err != nil {
		return nil, err
	}
	call.OnRosterChanged(func(ev graphcomms.RosterEvent) { b.changed(ctx, call, ev) })
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		return nil, err
	}
	return call, nil
}

// changed runs on the call's queue, in order.
func (b *RosterBot) changed(ctx context.Context, call *graphcomms.Call, ev graphcomms.RosterEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range ev.Added {
		b.seen[p.ID] = p
		state := ""
		switch {
		case p.IsInLobby:
			state = " (waiting in the lobby)"
		case p.IsMuted:
			state = " (muted)"
		}
		b.Out(fmt.Sprintf("joined: %s%s", p.DisplayName(), state))
		if slices.Contains(b.MuteOnEntry, p.DisplayName()) && !p.IsMuted {
			go func() {
				if _, err := call.MuteParticipant(ctx, p.ID); err != nil {
					b.Logger.Warn("mute failed", "participant", p.DisplayName(), "error", err)
				}
			}()
		}
	}
	for _, p := range ev.Updated {
		old := b.seen[p.ID]
		b.seen[p.ID] = p
		switch {
		case old.IsInLobby && !p.IsInLobby:
			b.Out("admitted from the lobby: " + p.DisplayName())
		case !old.IsMuted && p.IsMuted:
			b.Out("muted: " + p.DisplayName())
		case old.IsMuted && !p.IsMuted:
			b.Out("unmuted: " + p.DisplayName())
		default:
			b.Out("updated: " + p.DisplayName())
		}
	}
	for _, p := range ev.Removed {
		delete(b.seen, p.ID)
		b.Out("left: " + p.DisplayName())
	}
}
