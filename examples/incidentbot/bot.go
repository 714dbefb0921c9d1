package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// Incident joins an incident meeting, calls each responder, plays the incident
// message and, when the responder presses 1, moves their call into the meeting
// (invite with replacesCallId); 2 declines. The meeting call is kept alive by the
// client until the incident is closed.
type Incident struct {
	JoinURL string
	// Responders are the people to call, by identity.
	Responders []Responder
	// MessageURL is the incident message: "press 1 to join the bridge, 2 to decline".
	MessageURL string
	// PhoneSource is the bot's application instance (see
	// participants.ApplicationInstance): Graph places a call to a phone number only from
	// the resource account that holds the bot's number. Needed when a responder is a
	// phone number.
	PhoneSource participants.IdentitySet
	Logger      *slog.Logger
}

// Responder is someone to call.
type Responder struct {
	Name     string
	Identity participants.IdentitySet
}

// Outcome is what happened with one responder.
type Outcome string

// Outcomes.
const (
	Joined       Outcome = "joined the incident meeting"
	Declined     Outcome = "declined (pressed 2)"
	RejectedCall Outcome = "declined the call"
	NoAnswer     Outcome = "did not answer"
	HungUp       Outcome = "hung up without choosing"
	MoveFailed   Outcome = "pressed 1, but could not be moved into the meeting"
	CallFailed   Outcome = "could not be called"
)

// Report says what happened with each responder, in the order given.
type Report struct {
	Meeting  *graphcomms.Call
	Outcomes map[string]Outcome
}

// Run joins the meeting and calls every responder at once. It returns when each has
// an outcome; the meeting call stays up.
func (inc *Incident) Run(ctx context.Context, client *graphcomms.Client) (*Report, error) {
	meeting, err := client.JoinMeeting(ctx, graphcomms.JoinOptions{JoinURL: inc.JoinURL, Subject: "Incident bridge"})
	if err != nil {
		return nil, fmt.Errorf("joining the incident meeting: %w", err)
	}
	if err := meeting.WaitForState(ctx, calls.StateEstablished); err != nil {
		return nil, fmt.Errorf("joining the incident meeting: %w", err)
	}
	inc.Logger.Info("in the incident meeting", "call", meeting.ID())
	rep := &Report{Meeting: meeting, Outcomes: map[string]Outcome{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range inc.Responders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := inc.page(ctx, client, meeting, r)
			inc.Logger.Info("responder", "name", r.Name, "outcome", out)
			mu.Lock()
			rep.Outcomes[r.Name] = out
			mu.Unlock()
		}()
	}
	wg.Wait()
	return rep, nil
}

// page calls one responder and returns the outcome.
func (inc *Incident) page(ctx context.Context, client *graphcomms.Client, meeting *graphcomms.Call, r Responder) Outcome {
	c := calls.NewCall("", nil)
	c.Targets = []participants.Invitation{participants.Invite(r.Identity)}
	c.Subject = "Incident: you are paged"
	if r.Identity.Phone != nil {
		c.Source = participants.Info{Identity: inc.PhoneSource}
		if inc.PhoneSource.ApplicationInstance != nil {
			c.TenantID = inc.PhoneSource.ApplicationInstance.TenantID
		}
	}
	call, err := client.Create(ctx, c)
	if err != nil {
		return CallFailed
	}
	choice := make(chan byte, 1)
	call.OnTone(func(t media.ToneInfo) {
		select {
		case choice <- t.Tone.Key():
		default:
		}
	})
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		if end, ok := call.End(); ok && end.Reason == calls.EndReasonDeclined {
			return RejectedCall
		}
		return NoAnswer
	}
	if _, err := call.SubscribeToTone(ctx); err != nil {
		return HungUp
	}
	if _, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt(inc.MessageURL)}); err != nil {
		return HungUp
	}
	for {
		select {
		case key := <-choice:
			switch key {
			case '1':
				op, err := meeting.Invite(ctx, []participants.Invitation{participants.InviteReplacing(r.Identity, call.ID())})
				if err != nil {
					return MoveFailed
				}
				if _, err := op.Wait(ctx); err != nil {
					return MoveFailed
				}
				return Joined
			case '2':
				_ = call.HangUp(ctx)
				return Declined
			}
		case <-call.Done():
			return HungUp
		case <-ctx.Done():
			return NoAnswer
		}
	}
}
