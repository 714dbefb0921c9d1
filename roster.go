package graphcomms

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// RosterEvent is a change of a call's participants.
type RosterEvent struct {
	Added, Updated, Removed []participants.Participant
}

// roster is a call's participants, guarded by Call.mu.
type roster struct {
	byID    map[string]participants.Participant
	order   []string
	seq     int64
	changes int                        // bumped by every applied roster, to detect snapshots overtaken by notifications
	snap    []participants.Participant // list() as of the last change, shared read-only
}

// snapshot returns the roster as a slice that is never changed in place.
func (r *roster) snapshot() []participants.Participant {
	if r.snap == nil && len(r.order) > 0 {
		r.snap = r.list()
	}
	return r.snap
}

func (r *roster) list() []participants.Participant {
	if len(r.order) == 0 {
		return nil
	}
	out := make([]participants.Participant, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.byID[id])
	}
	return out
}

// replace sets the full roster and returns what changed.
func (r *roster) replace(ps []participants.Participant) RosterEvent {
	var ev RosterEvent
	next := make(map[string]participants.Participant, len(ps))
	order := make([]string, 0, len(ps))
	for _, p := range ps {
		if _, dup := next[p.ID]; !dup {
			order = append(order, p.ID)
		}
		next[p.ID] = p
	}
	for _, id := range order {
		p := next[id]
		old, had := r.byID[id]
		switch {
		case !had:
			ev.Added = append(ev.Added, p)
		case !sameParticipant(old, p):
			ev.Updated = append(ev.Updated, p)
		}
	}
	for _, id := range r.order {
		if _, still := next[id]; !still {
			ev.Removed = append(ev.Removed, r.byID[id])
		}
	}
	r.byID, r.order = next, order
	r.changes++
	r.snap = nil
	return ev
}

// applyDelta applies changed participants (removedState set: removed).
func (r *roster) applyDelta(ps []participants.Participant) RosterEvent {
	var ev RosterEvent
	if r.byID == nil {
		r.byID = map[string]participants.Participant{}
	}
	for _, p := range ps {
		old, had := r.byID[p.ID]
		switch {
		case p.RemovedState.Reason != "":
			if had {
				delete(r.byID, p.ID)
				r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == p.ID })
				ev.Removed = append(ev.Removed, old)
			}
		case !had:
			r.byID[p.ID] = p
			r.order = append(r.order, p.ID)
			ev.Added = append(ev.Added, p)
		case !sameParticipant(old, p):
			r.byID[p.ID] = p
			ev.Updated = append(ev.Updated, p)
		}
	}
	r.changes++
	r.snap = nil
	return ev
}

func sameParticipant(a, b participants.Participant) bool {
	a.ODataEtag, b.ODataEtag = "", ""
	a.RosterSequenceNumber, b.RosterSequenceNumber = 0, 0
	x, err1 := wire.Marshal(a)
	y, err2 := wire.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func (ev RosterEvent) empty() bool {
	return len(ev.Added) == 0 && len(ev.Updated) == 0 && len(ev.Removed) == 0
}

// applyRoster applies a roster notification; it runs on the call's queue.
func (c *Call) applyRoster(n notifications.Notification) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	r := &c.roster
	if n.Delta {
		if r.seq != 0 && n.Sequence != r.seq+1 {
			if n.Sequence <= r.seq {
				c.mu.Unlock()
				return // a duplicate or stale delta
			}
			c.mu.Unlock()
			c.client.log.Info("graphcomms: roster sequence gap; re-reading the roster", "call", c.id, "have", r.seq, "got", n.Sequence)
			c.snapshotRoster()
			return
		}
		r.seq = n.Sequence
		ev := r.applyDelta(n.Participants)
		c.mu.Unlock()
		c.emitRoster(ev)
		return
	}
	if n.Sequence > 0 && n.Sequence < r.seq {
		c.mu.Unlock()
		return // an older full roster than the one applied
	}
	r.seq = max(r.seq, n.Sequence)
	ev := r.replace(n.Participants)
	c.mu.Unlock()
	c.emitRoster(ev)
}

func (c *Call) emitRoster(ev RosterEvent) {
	if ev.empty() {
		return
	}
	c.mu.Lock()
	handlers := c.onRoster
	close(c.changed) // wakes WaitForParticipants
	c.changed = make(chan struct{})
	c.mu.Unlock()
	if len(handlers) > 0 {
		ev = RosterEvent{cloneParticipants(ev.Added), cloneParticipants(ev.Updated), cloneParticipants(ev.Removed)}
		for _, f := range handlers {
			c.later(func() { f(ev) })
		}
	}
}

// snapshotRoster reads the roster with GET and reconciles it on the call's queue,
// unless a roster notification overtook it.
func (c *Call) snapshotRoster() {
	c.mu.Lock()
	before := c.roster.changes
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		page, err := c.builder().Participants().Get(ctx, c.opts(nil)...)
		if err != nil {
			if !calls.IsNotFound(err) {
				c.client.log.Warn("graphcomms: reading the roster", "call", c.id, "error", err)
			}
			return
		}
		c.enqueue(func() {
			c.step(func() {
				c.mu.Lock()
				if c.ended || c.roster.changes != before {
					c.mu.Unlock()
					return
				}
				ev := c.roster.replace(page.Value)
				c.mu.Unlock()
				c.emitRoster(ev)
			}, "")
		})
	}()
}

// Participants returns the participants as last known (copies).
func (c *Call) Participants() []participants.Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneParticipants(c.roster.list())
}

// Participant returns one participant (a copy).
func (c *Call) Participant(id string) (participants.Participant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.roster.byID[id]
	if !ok {
		return participants.Participant{}, false
	}
	return cloneParticipant(p), true
}

// OnRosterChanged adds a function called with the participants added, updated and
// removed by each roster change.
func (c *Call) OnRosterChanged(f func(RosterEvent)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onRoster = append(c.onRoster, f)
}

// WaitForParticipants waits until the roster satisfies ok (checked now and after each
// change) and returns it.
func (c *Call) WaitForParticipants(ctx context.Context, ok func([]participants.Participant) bool) ([]participants.Participant, error) {
	for {
		c.mu.Lock()
		ps, ended, ch := c.roster.list(), c.ended, c.changed
		c.mu.Unlock()
		if ok(ps) {
			return cloneParticipants(ps), nil
		}
		if ended {
			return nil, ErrCallEnded
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
	return c.check(c.builder().Participants().ByID(participantID).Delete(ctx, c.opts(opts)...))
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
