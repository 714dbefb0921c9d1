package emulator

import (
	"cmp"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
)

// State is a snapshot of everything the emulator holds, as the console shows it and
// GET /_emulator/state serves it: the people, the live calls with their participants
// and media, the meetings, and the clock. It is a copy: changing it changes nothing.
type State struct {
	Now          time.Time `json:"now"`
	VirtualClock bool      `json:"virtualClock"`
	// BotConnected is set when there is a callback URL for incoming calls.
	BotConnected bool           `json:"botConnected"`
	CallbackURL  string         `json:"callbackUrl,omitempty"`
	BotName      string         `json:"botName"`
	People       []PersonState  `json:"people"`
	Calls        []CallState    `json:"calls"`
	Meetings     []MeetingState `json:"meetings"`
	// LastSeq is the Seq of the newest event when the snapshot was taken, and Epoch
	// names this emulator's run: an event stream resumed with another epoch (the
	// emulator restarted) starts again with a reset.
	LastSeq int    `json:"lastSeq"`
	Epoch   string `json:"epoch"`
}

// PersonState is a simulated person.
type PersonState struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	// Kind is "user", "phone" or "application".
	Kind     string        `json:"kind"`
	ID       string        `json:"id"`
	Behavior BehaviorState `json:"behavior"`
	// HasRecording is set while audio given with SetNextRecording waits for the bot's
	// next recordResponse.
	HasRecording bool `json:"hasRecording"`
}

// BehaviorState is a Behavior with its durations written as Go durations ("2s").
type BehaviorState struct {
	AnswerAfter string `json:"answerAfter"`
	Decline     bool   `json:"decline"`
	NoAnswer    bool   `json:"noAnswer"`
	Manual      bool   `json:"manual"`
	Speech      string `json:"speech"`
	HangUpAfter string `json:"hangUpAfter"`
}

// CallState is a live call.
type CallState struct {
	ID        string          `json:"id"`
	State     calls.State     `json:"state"`
	Direction calls.Direction `json:"direction"`
	// Person names the other party of a peer-to-peer call ("" in a group call or
	// meeting).
	Person string `json:"person,omitempty"`
	// Meeting is the ID of the meeting the call is in.
	Meeting         string             `json:"meeting,omitempty"`
	Group           bool               `json:"group"`
	TonesSubscribed bool               `json:"tonesSubscribed"`
	Participants    []ParticipantState `json:"participants"`
	Media           []MediaState       `json:"media"`
	// Ringing names the people with Behavior.Manual whose phone rings for the call
	// (Person.Answer, Person.Decline).
	Ringing []string `json:"ringing"`
}

// ParticipantState is a participant of a call: the bot or a person.
type ParticipantState struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName"`
	Bot         bool   `json:"bot"`
	Muted       bool   `json:"muted"`
	InLobby     bool   `json:"inLobby"`
	OnHold      bool   `json:"onHold"`
}

// MediaState is a media operation in progress: a prompt playing or a recording.
type MediaState struct {
	OperationID string `json:"operationId"`
	// Kind is "prompt" or "record".
	Kind string `json:"kind"`
	// URIs are the prompts' URIs; PlayURLs what a browser on the emulator's page plays
	// for each (PlayURL).
	URIs      []string  `json:"uris"`
	PlayURLs  []string  `json:"playUrls"`
	StartedAt time.Time `json:"startedAt"`
}

// MeetingState is a meeting.
type MeetingState struct {
	ID         string `json:"id"`
	Subject    string `json:"subject"`
	JoinWebURL string `json:"joinWebUrl"`
	// Members are the people in the meeting, Lobby those of them waiting in its lobby.
	Members []string `json:"members"`
	Lobby   []string `json:"lobby"`
	// Calls are the IDs of the bot's calls in the meeting.
	Calls []string `json:"calls"`
}

// State returns a snapshot of the emulator's people, live calls and meetings.
func (e *Emulator) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, virtual := e.clock.(*VirtualClock)
	s := State{Now: e.clock.Now(), VirtualClock: virtual, BotConnected: e.cfg.CallbackURL != "", CallbackURL: e.cfg.CallbackURL,
		BotName: e.cfg.BotName, People: []PersonState{}, Calls: []CallState{}, Meetings: []MeetingState{},
		LastSeq: e.LastSeq(), Epoch: e.epoch}
	for _, p := range e.people {
		s.People = append(s.People, p.state())
	}
	for _, c := range e.liveCalls() {
		s.Calls = append(s.Calls, e.callState(c))
	}
	for _, m := range e.meetings {
		ms := MeetingState{ID: m.id, Subject: m.subject, JoinWebURL: m.JoinWebURL(), Members: []string{}, Lobby: []string{}, Calls: []string{}}
		for _, p := range m.members {
			if m.lobby[p] {
				ms.Lobby = append(ms.Lobby, p.name)
			} else {
				ms.Members = append(ms.Members, p.name)
			}
		}
		for _, c := range m.calls {
			ms.Calls = append(ms.Calls, c.id)
		}
		s.Meetings = append(s.Meetings, ms)
	}
	slices.SortStableFunc(s.Meetings, func(a, b MeetingState) int {
		return cmp.Or(e.meetings[a.ID].created.Compare(e.meetings[b.ID].created), strings.Compare(a.ID, b.ID))
	})
	return s
}

// state describes the person. Callers hold e.mu.
func (p *Person) state() PersonState {
	kind := "user"
	switch {
	case p.phone != "":
		kind = "phone"
	case p.app:
		kind = "application"
	}
	b := p.behavior
	return PersonState{Name: p.name, DisplayName: p.DisplayName(), Kind: kind, ID: p.id, HasRecording: p.message != nil,
		Behavior: BehaviorState{AnswerAfter: b.AnswerAfter.String(), Decline: b.Decline, NoAnswer: b.NoAnswer, Manual: b.Manual,
			Speech: p.speech().String(), HangUpAfter: b.HangUpAfter.String()}}
}

// callState describes a live call. Callers hold e.mu.
func (e *Emulator) callState(c *call) CallState {
	cs := CallState{ID: c.id, State: c.state, Direction: c.res.Direction, Group: c.group, TonesSubscribed: c.tones,
		Participants: []ParticipantState{}, Media: []MediaState{}, Ringing: []string{}}
	if c.person != nil && !c.group {
		cs.Person = c.person.name
	}
	if c.meeting != nil {
		cs.Meeting = c.meeting.id
	}
	for _, pt := range c.parties {
		ps := ParticipantState{ID: pt.id, Muted: pt.muted, InLobby: pt.inLobby, OnHold: pt.onHold}
		if pt.person == nil {
			ps.Bot, ps.DisplayName = true, e.botIdentity().DisplayName()
		} else {
			ps.Name, ps.DisplayName = pt.person.name, pt.person.DisplayName()
		}
		cs.Participants = append(cs.Participants, ps)
	}
	// The media running, in the order their operations started.
	ids := slices.Collect(maps.Keys(c.media))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(c.media[a].started.Compare(c.media[b].started), cmp.Compare(slices.Index(c.opOrder, a), slices.Index(c.opOrder, b)))
	})
	for _, id := range ids {
		m := c.media[id]
		ms := MediaState{OperationID: id, Kind: m.kind, StartedAt: m.started, URIs: slices.Clone(m.uris), PlayURLs: []string{}}
		if ms.URIs == nil {
			ms.URIs = []string{}
		}
		for _, u := range m.uris {
			ms.PlayURLs = append(ms.PlayURLs, PlayURL(u))
		}
		cs.Media = append(cs.Media, ms)
	}
	for p := range c.ringing {
		cs.Ringing = append(cs.Ringing, p.name)
	}
	slices.Sort(cs.Ringing)
	return cs
}

// PlayURL returns the URL a browser showing the emulator's console plays for a prompt
// URI: a URI on loopback (the bot's own prompt server, which the browser may not
// reach the same way) through the emulator, /_emulator/prompt?uri=...; any other
// URI as it is, for the browser to fetch itself.
func PlayURL(uri string) string {
	if isLoopbackURL(uri) {
		return ControlPrefix + "/prompt?uri=" + url.QueryEscape(uri)
	}
	return uri
}

// index notes the prompts an event says the bot played (promptSet). Callers hold
// l.mu.
func (l *eventLog) index(ev Event) {
	if ev.Kind == EventPromptStarted {
		for _, u := range splitURIs(ev.Data["uri"]) {
			l.prompts.add(u)
		}
	}
}

// splitURIs splits a prompt event's "uri" (URIs joined with ", ").
func splitURIs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ", ")
}

func (e *Emulator) ctlState(w http.ResponseWriter, _ *http.Request) {
	ctlOK(w, e.State())
}

// maxPromptsKnown caps the prompt URIs the console may fetch through the emulator.
const maxPromptsKnown = 1024

// promptSet holds the URIs of the prompts the bot has played (the newest
// maxPromptsKnown): the only ones GET /_emulator/prompt fetches, so that it cannot be
// used to reach any other loopback URL. Guarded by eventLog.mu.
type promptSet struct {
	known map[string]bool
	order []string
}

func (p *promptSet) add(uri string) {
	if p.known[uri] {
		return
	}
	if p.known == nil {
		p.known = map[string]bool{}
	}
	p.known[uri] = true
	p.order = append(p.order, uri)
	if len(p.order) > maxPromptsKnown {
		delete(p.known, p.order[0])
		p.order = p.order[1:]
	}
}

// promptPlayed reports whether the bot has played a prompt with this URI.
func (l *eventLog) promptPlayed(uri string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.prompts.known[uri]
}
