package graphcomms

import (
	"context"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// RosterEvent is a change of a call's participants.
type RosterEvent struct {
	Added, Updated, Removed []participants.Participant
}

// Participants returns the participants as last known (see Call on sharing).
func (c *Call) Participants() []participants.Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Participants()
}

// Participant returns one participant (see Call on sharing).
func (c *Call) Participant(id string) (participants.Participant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Participant(id)
}

// WaitForParticipants waits until the roster satisfies ok (checked now and after each
// change) and returns it.
func (c *Call) WaitForParticipants(ctx context.Context, ok func([]participants.Participant) bool) ([]participants.Participant, error) {
	for {
		c.mu.Lock()
		ps, ended, end, ch := c.st.Participants(), c.ended, c.end, c.changed
		c.mu.Unlock()
		if ok(ps) {
			return ps, nil
		}
		if ended {
			return nil, endError(end)
		}
		select {
		case <-ch: // closed on every state or roster change
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Invite invites people into the call; with a ReplacesCallID on the first invitation it
// moves their peer-to-peer call into this one.
func (c *Call) Invite(ctx context.Context, invitations []participants.Invitation, opts ...calls.RequestOption) (*Operation[*calls.InviteParticipantsOperation], error) {
	return startOp(ctx, c, c.builder().Participants().Invite(), &calls.InviteParticipantsRequest{Participants: invitations},
		func(r *calls.InviteParticipantsRequest) *string { return &r.ClientContext }, opts)
}

// MuteParticipant server-mutes a participant.
func (c *Call) MuteParticipant(ctx context.Context, participantID string, opts ...calls.RequestOption) (*Operation[*calls.MuteParticipantOperation], error) {
	return startOp(ctx, c, c.builder().Participants().ByID(participantID).Mute(), &calls.ClientContextRequest{},
		func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// RemoveParticipant removes a participant from the call.
func (c *Call) RemoveParticipant(ctx context.Context, participantID string, opts ...calls.RequestOption) error {
	return c.do(ctx, func(ctx context.Context) error {
		return c.builder().Participants().ByID(participantID).Delete(ctx, c.opts(opts)...)
	})
}

// StartHoldMusic puts a participant on hold; prompt may be nil for the default music.
func (c *Call) StartHoldMusic(ctx context.Context, participantID string, prompt media.Prompt, opts ...calls.RequestOption) (*Operation[*calls.StartHoldMusicOperation], error) {
	return startOp(ctx, c, c.builder().Participants().ByID(participantID).StartHoldMusic(), &calls.StartHoldMusicRequest{CustomPrompt: prompt},
		func(r *calls.StartHoldMusicRequest) *string { return &r.ClientContext }, opts)
}

// StopHoldMusic takes a participant off hold.
func (c *Call) StopHoldMusic(ctx context.Context, participantID string, opts ...calls.RequestOption) (*Operation[*calls.StopHoldMusicOperation], error) {
	return startOp(ctx, c, c.builder().Participants().ByID(participantID).StopHoldMusic(), &calls.ClientContextRequest{},
		func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}
