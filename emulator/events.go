package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// EventKind names something that happened in the emulator.
type EventKind string

// Event kinds.
const (
	EventIncomingCall      EventKind = "call.incoming"       // a person called the bot
	EventCallCreated       EventKind = "call.created"        // the bot created a call
	EventRinging           EventKind = "call.ringing"        // a person's phone rings
	EventAnswered          EventKind = "call.answered"       // the bot answered
	EventRejected          EventKind = "call.rejected"       // the bot rejected
	EventRedirected        EventKind = "call.redirected"     // the bot redirected
	EventEstablished       EventKind = "call.established"    // media is up
	EventTransferred       EventKind = "call.transferred"    // the bot transferred the call
	EventTransferFailed    EventKind = "call.transferFailed" // a transfer failed; the call is up again
	EventEscalated         EventKind = "call.escalated"      // a peer-to-peer call became a group call
	EventTerminated        EventKind = "call.terminated"     // the call ended
	EventDeclined          EventKind = "call.declined"       // a person declined the bot's call
	EventKeepAlive         EventKind = "call.keepAlive"      // the bot sent keepAlive
	EventPromptStarted     EventKind = "prompt.started"      // playPrompt began
	EventPromptCompleted   EventKind = "prompt.completed"    // playPrompt finished or was cancelled
	EventRecordStarted     EventKind = "record.started"      // recordResponse began
	EventRecordCompleted   EventKind = "record.completed"    // recordResponse finished
	EventTonesSubscribed   EventKind = "tones.subscribed"    // subscribeToTone
	EventTonePressed       EventKind = "tone.pressed"        // a person pressed a key
	EventTonesSent         EventKind = "tones.sent"          // the bot sent DTMF
	EventInvited           EventKind = "participant.invited"
	EventJoined            EventKind = "participant.joined"
	EventLeft              EventKind = "participant.left"
	EventMuted             EventKind = "participant.muted"
	EventUnmuted           EventKind = "participant.unmuted"
	EventHoldMusic         EventKind = "participant.holdMusic"
	EventRecordingStatus   EventKind = "call.recordingStatus"
	EventMetadataUpdated   EventKind = "participant.metadata" // the bot set its participant metadata
	EventMediaCancelled    EventKind = "media.cancelled"
	EventNotificationSent  EventKind = "notification.sent"
	EventNotificationFault EventKind = "notification.fault"
	EventMeetingCreated    EventKind = "meeting.created"
	EventMeetingUpdated    EventKind = "meeting.updated"     // the bot updated a meeting (PATCH)
	EventMeetingDeleted    EventKind = "meeting.deleted"     // the bot deleted a meeting
	EventSharingStarted    EventKind = "sharing.started"     // a person shares their screen
	EventSharingStopped    EventKind = "sharing.stopped"     // a person stops sharing
	EventQualityLogged     EventKind = "call.qualityLogged"  // logTeleconferenceDeviceQuality
	EventPersonAdded       EventKind = "person.added"        // Config.AutoCreatePeople made up a call target
	EventTargetNotFound    EventKind = "call.targetNotFound" // a call or invitation named nobody the emulator knows
	EventRequestFault      EventKind = "request.fault"       // an API request failed as FailNext or FailNextRequests asked
	EventOperationFailed   EventKind = "operation.failed"    // an operation failed as FailNextOperation asked
	// EventRequest is a Graph request the bot made, with its answer: Data holds
	// "method", "path", "query", "status", and the start (at most 4 KiB each) of the
	// "request" and "response" bodies. Like EventNotificationSent, it is raw traffic:
	// Transcript and the control API's event list leave it out; the console's
	// timeline and the event stream show it.
	EventRequest EventKind = "graph.request"
)

// traffic reports whether events of the kind are raw traffic (notifications sent,
// Graph requests) rather than something a person reading a transcript cares about.
func (k EventKind) traffic() bool { return k == EventNotificationSent || k == EventRequest }

// Event is one thing that happened, for transcripts and for tests to wait on.
type Event struct {
	Seq    int // 1, 2, ... in order
	Time   time.Time
	Kind   EventKind
	CallID string
	// Who is the simulated person involved, if any.
	Who string
	// Detail is a readable description ("played https://.../menu.wav").
	Detail string
	// Data holds kind-specific values: "uri" (prompts), "keys" (tones), "target"
	// (transfers and redirects), "operationId", "reason", "recordingLocation".
	Data map[string]string
}

// String formats the event as a transcript line.
func (ev Event) String() string {
	s := fmt.Sprintf("%s %-20s ", ev.Time.Format("15:04:05.000"), ev.Kind)
	switch {
	case ev.Who != "" && ev.Detail != "":
		s += ev.Who + ": " + ev.Detail
	case ev.Who != "":
		s += ev.Who
	default:
		s += ev.Detail
	}
	return strings.TrimRight(s, " ")
}

// MaxEvents caps the events an emulator keeps: past it, the oldest quarter is
// forgotten (Events, Transcript and the event stream start later; Seq goes on
// counting). A graph.request or notification.sent event holds a few KiB of bodies at
// most, so the log stays under a few hundred MiB however long `graphcomms emulator`
// runs.
const MaxEvents = 100_000

type eventLog struct {
	mu      sync.Mutex
	events  []Event // events[i].Seq == dropped+i+1
	dropped int     // how many of the oldest events were forgotten
	max     int     // MaxEvents, or less in tests
	changed chan struct{}
	prompts promptSet
}

func (l *eventLog) init() { l.changed, l.max = make(chan struct{}), MaxEvents }

// since returns the events kept whose Seq is above after. Callers hold l.mu.
func (l *eventLog) since(after int) []Event {
	i := min(max(0, after-l.dropped), len(l.events))
	return l.events[i:]
}

func (l *eventLog) add(ev Event) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) >= l.max {
		n := max(1, l.max/4)
		l.events = append(l.events[:0:0], l.events[n:]...)
		l.dropped += n
	}
	ev.Seq = l.dropped + len(l.events) + 1
	l.events = append(l.events, ev)
	l.index(ev)
	close(l.changed)
	l.changed = make(chan struct{})
	return ev
}

// record adds an event at the emulator's current time and logs it.
func (e *Emulator) record(kind EventKind, callID, who, detail string, data map[string]string) Event {
	ev := e.events.add(Event{Time: e.clock.Now(), Kind: kind, CallID: callID, Who: who, Detail: detail, Data: data})
	if !kind.traffic() {
		e.log.Info(ev.String())
	}
	return ev
}

// Events returns every event so far, in order.
func (e *Emulator) Events() []Event {
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	return append([]Event(nil), e.events.events...)
}

// WaitEvent waits until an event with Seq > after matches, and returns it. It fails
// when ctx ends first.
func (e *Emulator) WaitEvent(ctx context.Context, after int, match func(Event) bool) (Event, error) {
	for {
		e.events.mu.Lock()
		for _, ev := range e.events.since(after) {
			if match(ev) {
				e.events.mu.Unlock()
				return ev, nil
			}
		}
		ch := e.events.changed
		e.events.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("emulator: waiting for an event: %w", ctx.Err())
		}
	}
}

// LastSeq returns the Seq of the latest event (0 when there is none).
func (e *Emulator) LastSeq() int {
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	return e.events.dropped + len(e.events.events)
}

// Transcript returns the events a person reading along cares about (everything but
// raw notification traffic), one line each.
func (e *Emulator) Transcript() []string {
	var out []string
	for _, ev := range e.Events() {
		if ev.Kind.traffic() {
			continue
		}
		out = append(out, ev.String())
	}
	return out
}
