// Command incidentbot pages responders into an incident meeting: it joins the meeting,
// calls each responder, plays the incident message, and moves those who press 1 into
// the meeting.
//
// With no configuration it runs a demo against an in-process emulator and prints what
// happened. With -emulator URL (or GRAPHCOMMS_EMULATOR_URL) it pages emulated people
// of a `graphcomms emulator` running in another process. With GRAPHCOMMS_APP_ID (see
// README.md) it pages real Teams users.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/examples/internal/demo"
	"github.com/graphcomms/graphcomms/participants"
)

func main() {
	demo.Main("incidentbot", runDemo, func(real demo.Real, client *graphcomms.Client, logger *slog.Logger) error {
		inc := &Incident{JoinURL: os.Getenv("INCIDENT_JOIN_URL"), MessageURL: os.Getenv("INCIDENT_MESSAGE_URL"), Logger: logger}
		if id := os.Getenv("INCIDENT_APP_INSTANCE_ID"); id != "" {
			inc.PhoneSource = participants.ApplicationInstance(id, real.TenantID, "Incident bot")
		}
		responders := os.Getenv("INCIDENT_RESPONDERS")
		identity := func(id string) (participants.IdentitySet, error) { return participants.User(id, real.TenantID), nil }
		wait := time.Second // let the server start before paging
		mux := http.NewServeMux()
		if x := real.Emulator; x != nil {
			if inc.MessageURL == "" {
				// A chime the bot serves itself, which the emulator's console plays.
				inc.MessageURL = demo.ServePrompts(mux, real.CallbackURL, map[string][]float64{"incident-4711": {880, 880, 880, 659.25}}) + "/incident-4711.wav"
			}
			if err := emulatorSetup(x, inc, &responders); err != nil {
				return err
			}
			identity = func(name string) (participants.IdentitySet, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				return x.AddUser(ctx, name)
			}
			wait = 0 // the bot's listener is open already
		}
		for _, id := range strings.Split(responders, ",") {
			switch id = strings.TrimSpace(id); {
			case id == "":
			case strings.HasPrefix(id, "+"): // a phone number, E.164
				phone, err := participants.Phone(id)
				if err != nil {
					return err
				}
				if inc.PhoneSource.ApplicationInstance == nil {
					return fmt.Errorf("responder %s is a phone number: set INCIDENT_APP_INSTANCE_ID to the bot's application instance", id)
				}
				if real.Emulator != nil { // the emulator must know the number
					if phone, err = identity(id); err != nil {
						return err
					}
				}
				inc.Responders = append(inc.Responders, Responder{Name: id, Identity: phone})
			default:
				ids, err := identity(id)
				if err != nil {
					return err
				}
				inc.Responders = append(inc.Responders, Responder{Name: cmp.Or(ids.DisplayName(), id), Identity: ids})
			}
		}
		go func() {
			time.Sleep(wait)
			rep, err := inc.Run(context.Background(), client)
			if err != nil {
				logger.Error("incident paging failed", "error", err)
				return
			}
			printReport(os.Stdout, rep.Outcomes)
		}()
		return real.Serve(client, mux, logger)
	})
}

// emulatorSetup prepares the incident for an external emulator (`graphcomms
// emulator`): without INCIDENT_JOIN_URL it creates the incident meeting there
// (organized by olivia), and without INCIDENT_RESPONDERS it pages alice and bob, emulated users who answer
// at once (press their keys with `graphcomms trigger tone --call ID 1`). Phone
// numbers are called from the emulator's application instance.
func emulatorSetup(x *demo.External, inc *Incident, responders *string) error {
	if *responders == "" {
		*responders = "alice,bob"
	}
	if inc.PhoneSource.ApplicationInstance == nil {
		inc.PhoneSource = x.ApplicationInstance
	}
	if inc.JoinURL != "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	inc.JoinURL, err = x.NewMeeting(ctx, "Incident 4711: checkout is down", "olivia")
	return err
}

func printReport(out io.Writer, outcomes map[string]Outcome) {
	names := make([]string, 0, len(outcomes))
	for n := range outcomes {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(out, "Report:")
	for _, n := range names {
		fmt.Fprintf(out, "  %-6s %s\n", n, outcomes[n])
	}
}

// runDemo pages four simulated responders into an emulated incident meeting.
func runDemo(out io.Writer) error {
	env, err := demo.StartEmulated(nil)
	if err != nil {
		return err
	}
	defer env.Close()
	emu := env.Emu
	oncall := emu.AddUser("olivia", emulator.Behavior{})
	meeting := emu.NewMeeting("Incident 4711: checkout is down", oncall)
	oncall.Join(meeting)
	people := map[string]emulator.Behavior{
		"alice": {AnswerAfter: 2 * time.Second},
		"bob":   {AnswerAfter: time.Second},
		"carol": {NoAnswer: true},
		"dave":  {Decline: true},
	}
	inc := &Incident{JoinURL: meeting.JoinWebURL(), MessageURL: "https://media.contoso.example/incident-4711.wav",
		PhoneSource: emu.ApplicationInstance(), Logger: slog.New(slog.DiscardHandler)}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		p := emu.AddUser(name, people[name])
		inc.Responders = append(inc.Responders, Responder{Name: p.DisplayName(), Identity: p.Identity()})
	}
	// The on-call phone, reached through the bot's application instance; nobody picks up.
	desk, err := emu.AddPhone("+14255550142", emulator.Behavior{NoAnswer: true})
	if err != nil {
		return err
	}
	inc.Responders = append(inc.Responders, Responder{Name: "Desk", Identity: desk.Identity()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fmt.Fprintf(out, "incidentbot demo: paging %d responders into %q\n", len(inc.Responders), "Incident 4711: checkout is down")

	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := inc.Run(ctx, env.Client)
		done <- result{rep, err}
	}()
	// The bot joins the meeting (1 s), then calls everyone.
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventCallCreated }); err != nil {
		return err
	}
	emu.Advance(time.Second)
	ringing := func(who string) (emulator.Event, error) {
		return emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventRinging && ev.Who == who })
	}
	for _, who := range []string{"alice", "bob", "carol", "dave", desk.Name()} {
		if _, err := ringing(who); err != nil {
			return err
		}
	}
	emu.Advance(time.Second) // Bob answers; Dave declines
	started := func(who string) (emulator.Event, error) {
		ev, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventPromptStarted && ev.Who == who })
		if err != nil {
			return ev, err
		}
		_, err = emu.WaitEvent(ctx, 0, func(e emulator.Event) bool {
			return e.Kind == emulator.EventTonesSubscribed && e.CallID == ev.CallID
		})
		return ev, err
	}
	bobPrompt, err := started("bob")
	if err != nil {
		return err
	}
	emu.Advance(time.Second) // Alice answers
	alicePrompt, err := started("alice")
	if err != nil {
		return err
	}
	emu.Advance(emulator.DefaultPromptDuration) // both have heard the message
	for who, ev := range map[string]emulator.Event{"alice": alicePrompt, "bob": bobPrompt} {
		h, err := emu.Handle(ev.CallID)
		if err != nil {
			return err
		}
		if err := h.Press(map[string]string{"alice": "1", "bob": "2"}[who]); err != nil {
			return err
		}
	}
	// The bot moves Alice into the meeting and hangs up on Bob.
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventInvited && ev.Who == "alice" }); err != nil {
		return err
	}
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool {
		return ev.Kind == emulator.EventTerminated && ev.CallID == bobPrompt.CallID
	}); err != nil {
		return err
	}
	emu.Advance(time.Minute) // Carol's phone rings out
	r := <-done
	if r.err != nil {
		return r.err
	}
	if err := emu.WaitIdle(ctx); err != nil {
		return err
	}
	env.PrintTranscript(out)
	var inMeeting []string
	for _, p := range r.rep.Meeting.Participants() {
		inMeeting = append(inMeeting, p.DisplayName())
	}
	fmt.Fprintf(out, "In the meeting now: %s\n", strings.Join(inMeeting, ", "))
	printReport(out, r.rep.Outcomes)
	return nil
}
