package emulator

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

// Meeting is an emulated Teams meeting. People join and leave it; bots join it with a
// call.
type Meeting struct {
	e         *Emulator
	id        string
	threadID  string
	joinID    string
	passcode  string
	subject   string
	organizer string // user ID
	external  string
	created   time.Time
	members   []*Person
	calls     []*call // bot calls in the meeting
}

// NewMeeting creates a meeting organised by a user of the emulated tenant.
func (e *Emulator) NewMeeting(subject string, organizer *Person) *Meeting {
	e.mu.Lock()
	defer e.mu.Unlock()
	orgID := ""
	if organizer != nil {
		orgID = organizer.id
	}
	return e.newMeetingLocked(subject, orgID, "")
}

func (e *Emulator) newMeetingLocked(subject, organizerID, externalID string) *Meeting {
	id := e.newID()
	m := &Meeting{e: e, id: id, subject: subject, organizer: organizerID, external: externalID, created: e.clock.Now(),
		threadID: "19:meeting_" + strings.ReplaceAll(id, "-", "") + "@thread.v2",
		joinID:   fmt.Sprintf("%012d", e.rng.Uint64()%1_000_000_000_000), passcode: fmt.Sprintf("%06d", e.rng.Uint32()%1_000_000)}
	e.meetings[m.id] = m
	e.record(EventMeetingCreated, "", "", "meeting "+subject+" created", map[string]string{"joinWebUrl": m.JoinWebURL()})
	return m
}

// ID returns the meeting's ID; ThreadID its chat thread.
func (m *Meeting) ID() string { return m.id }

// ThreadID returns the meeting's chat thread ID.
func (m *Meeting) ThreadID() string { return m.threadID }

// JoinWebURL returns the meeting's Teams join URL.
func (m *Meeting) JoinWebURL() string {
	ctx := fmt.Sprintf(`{"Tid":"%s","Oid":"%s"}`, m.e.cfg.TenantID, m.organizer)
	return "https://teams.microsoft.com/l/meetup-join/" + url.PathEscape(m.threadID) + "/0?context=" + url.QueryEscape(ctx)
}

// JoinMeetingID returns the numeric meeting ID and its passcode.
func (m *Meeting) JoinMeetingID() (id, passcode string) { return m.joinID, m.passcode }

// ChatInfo and MeetingInfo return what a bot puts in a call to join the meeting.
func (m *Meeting) ChatInfo() calls.ChatInfo {
	return calls.ChatInfo{ODataType: "#microsoft.graph.chatInfo", ThreadID: m.threadID, MessageID: "0"}
}

// MeetingInfo returns organizer meeting info for the meeting.
func (m *Meeting) MeetingInfo() calls.MeetingInfo {
	return calls.NewOrganizerMeetingInfo(m.organizer, m.e.cfg.TenantID)
}

// resource returns the onlineMeeting resource.
func (m *Meeting) resource() meetings.OnlineMeeting {
	return meetings.OnlineMeeting{
		ODataType: "#microsoft.graph.onlineMeeting", ID: m.id, Subject: m.subject, JoinWebURL: m.JoinWebURL(),
		ChatInfo: m.ChatInfo(), CreationDateTime: m.created, ExternalID: m.external,
		JoinMeetingIDSettings: meetings.JoinMeetingIDSettings{JoinMeetingID: m.joinID, Passcode: m.passcode},
	}
}

// Join makes the person join the meeting: every bot call in it gets a roster update.
func (p *Person) Join(m *Meeting) { p.join(m, false) }

func (p *Person) join(m *Meeting, lobby bool) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range m.members {
		if x == p {
			return
		}
	}
	m.members = append(m.members, p)
	if lobby {
		e.record(EventJoined, "", p.name, p.DisplayName()+" waits in the lobby of "+m.subject, nil)
	} else {
		e.record(EventJoined, "", p.name, p.DisplayName()+" joins "+m.subject, nil)
	}
	for _, c := range m.calls {
		c.addParty(p).inLobby = lobby
		if c.state == calls.StateEstablished {
			e.notifyRoster(c)
		}
	}
}

// WaitInLobby makes the person join the meeting's lobby: bots in the meeting see them
// with isInLobby until Admit.
func (p *Person) WaitInLobby(m *Meeting) { p.join(m, true) }

// Admit lets a person in from the lobby.
func (m *Meeting) Admit(p *Person) {
	e := m.e
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record(EventJoined, "", p.name, p.DisplayName()+" is admitted from the lobby", nil)
	for _, c := range m.calls {
		for _, pt := range c.parties {
			if pt.person == p {
				pt.inLobby = false
			}
		}
		if c.state == calls.StateEstablished {
			e.notifyRoster(c)
		}
	}
}

// Leave makes the person leave the meeting.
func (p *Person) Leave(m *Meeting) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, x := range m.members {
		if x == p {
			m.members = append(m.members[:i], m.members[i+1:]...)
			e.record(EventLeft, "", p.name, p.DisplayName()+" leaves "+m.subject, nil)
			for _, c := range m.calls {
				if c.removeParty(p) && c.state == calls.StateEstablished {
					e.notifyRoster(c)
				}
			}
			return
		}
	}
}

func (m *Meeting) removeCall(c *call) {
	for i, x := range m.calls {
		if x == c {
			m.calls = append(m.calls[:i], m.calls[i+1:]...)
			return
		}
	}
}

// meetingFor finds the meeting a join request names (by thread ID or numeric ID), or
// creates an ad-hoc one so that any join URL works in the emulator.
func (e *Emulator) meetingFor(c calls.Call) *Meeting {
	thread := c.ChatInfo.ThreadID
	joinID := ""
	if mi, ok := c.MeetingInfo.(*calls.JoinMeetingIDMeetingInfo); ok {
		joinID = mi.JoinMeetingID
	}
	for _, m := range e.meetings {
		if thread != "" && m.threadID == thread || joinID != "" && m.joinID == joinID {
			return m
		}
	}
	org := ""
	if mi, ok := c.MeetingInfo.(*calls.OrganizerMeetingInfo); ok && mi.Organizer.User != nil {
		org = mi.Organizer.User.ID
	}
	m := e.newMeetingLocked("Ad hoc meeting", org, "")
	if thread != "" {
		m.threadID = thread
	}
	if joinID != "" {
		m.joinID = joinID
	}
	return m
}

// Meetings returns the emulator's meetings.
func (e *Emulator) Meetings() []*Meeting {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Meeting, 0, len(e.meetings))
	for _, m := range e.meetings {
		out = append(out, m)
	}
	return out
}
