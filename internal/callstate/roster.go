package callstate

import (
	"reflect"
	"slices"

	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// roster is a call's participants.
type roster struct {
	byID    map[string]participants.Participant
	order   []string
	seq     int64
	changes int64                      // bumped by every applied roster, to detect reads overtaken by notifications
	snap    []participants.Participant // the roster as of the last change, shared read-only
}

// snapshot returns the roster as a slice that is never changed in place.
func (r *roster) snapshot() []participants.Participant {
	if r.snap == nil && len(r.order) > 0 {
		r.snap = make([]participants.Participant, 0, len(r.order))
		for _, id := range r.order {
			r.snap = append(r.snap, r.byID[id])
		}
	}
	return r.snap
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
		case !SameParticipant(&old, &p):
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
				r.order = slices.DeleteFunc(slices.Clone(r.order), func(id string) bool { return id == p.ID })
				ev.Removed = append(ev.Removed, old)
			}
		case !had:
			r.byID[p.ID] = p
			r.order = append(r.order, p.ID)
			ev.Added = append(ev.Added, p)
		case !SameParticipant(&old, &p):
			r.byID[p.ID] = p
			ev.Updated = append(ev.Updated, p)
		}
	}
	r.changes++
	r.snap = nil
	return ev
}

// SameParticipant reports whether two descriptions of a participant say the same,
// apart from their etag and roster sequence number (compared member by member, not
// through JSON).
func SameParticipant(a, b *participants.Participant) bool {
	x, y := *a, *b
	x.ODataEtag, y.ODataEtag = "", ""
	x.RosterSequenceNumber, y.RosterSequenceNumber = 0, 0
	return reflect.DeepEqual(x, y)
}

func (s *State) applyRoster(n *notifications.Notification, fx []Effect) []Effect {
	r := &s.roster
	if n.Delta {
		if r.seq != 0 && n.Sequence != r.seq+1 {
			if n.Sequence <= r.seq {
				return fx // a duplicate or stale delta
			}
			// A gap: re-read the whole roster (it includes this delta), and go on from
			// this sequence number.
			r.seq = n.Sequence
			return s.wantRoster(fx)
		}
		r.seq = n.Sequence
		return s.rosterChanged(r.applyDelta(n.Participants), fx)
	}
	if n.Sequence > 0 && n.Sequence < r.seq {
		return fx // an older full roster than the one applied
	}
	r.seq = max(r.seq, n.Sequence)
	return s.rosterChanged(r.replace(n.Participants), fx)
}

func (s *State) rosterChanged(ev RosterEvent, fx []Effect) []Effect {
	if ev.Empty() {
		return fx
	}
	return append(fx, Effect{Kind: Roster, Roster: ev}, Effect{Kind: Changed})
}

// wantRoster asks for a roster read: at most one is in flight and at most one more
// is queued behind it, however many are asked for.
func (s *State) wantRoster(fx []Effect) []Effect {
	if s.reading {
		s.queued = true
		return fx
	}
	s.reading = true
	return append(fx, Effect{Kind: ReadRoster, Gen: s.roster.changes})
}

// RosterRead applies the answer of the read a ReadRoster effect asked for (gen is
// that effect's Gen; ok false when the read failed). A read overtaken by a roster
// notification is dropped.
func (s *State) RosterRead(page []participants.Participant, gen int64, ok bool, fx []Effect) []Effect {
	s.reading = false
	if s.Ended {
		s.queued = false
		return fx
	}
	if ok && s.roster.changes == gen {
		fx = s.rosterChanged(s.roster.replace(page), fx)
	}
	if s.queued {
		s.queued = false
		fx = s.wantRoster(fx)
	}
	return fx
}
