package meetings_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/participants"
)

func TestOnlineMeetingLenient(t *testing.T) {
	in := `{"subject":"Standup","audioConferencing":{"ConferenceId":"9999"},"allowRecording":false,
		"startDateTime":"2026-11-26T09:00:00.0000000+01:00","lobbyBypassSettings":{"scope":"Organization"}}`
	var m meetings.OnlineMeeting
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.AudioConferencing.ConferenceID != "9999" || m.AllowRecording == nil || *m.AllowRecording ||
		m.LobbyBypassSettings.Scope != meetings.LobbyBypassOrganization || m.StartDateTime.Hour() != 9 {
		t.Errorf("%+v", m)
	}
	out, _ := json.Marshal(m)
	var back meetings.OnlineMeeting
	if err := json.Unmarshal(out, &back); err != nil || !back.StartDateTime.Equal(m.StartDateTime) {
		t.Errorf("round trip: %s %v", out, err)
	}
}

func TestCallEvent(t *testing.T) {
	in := `{"@odata.type":"#Microsoft.Graph.onlineMeeting","eventType":"Microsoft.Communication.CallRosterUpdate",
		"activeParticipants@joined":[{"Identity":{"User":{"Id":"u1","DisplayName":"Ana"}},"Role":"Attendee"}]}`
	var ev meetings.CallEvent
	if err := json.Unmarshal([]byte(in), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.EventType != meetings.EventCallRosterUpdate || len(ev.Joined) != 1 ||
		ev.Joined[0].Identity.User.DisplayName != "Ana" || ev.Joined[0].Role != meetings.RoleAttendee {
		t.Errorf("%+v", ev)
	}
}

func ExampleOnlineMeeting() {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	m := meetings.OnlineMeeting{
		Subject:       "Incident 4711 bridge",
		StartDateTime: start,
		EndDateTime:   start.Add(time.Hour),
		Participants: meetings.MeetingParticipants{
			Organizer: meetings.MeetingParticipantInfo{Identity: participants.User("aaaa1111-2222-4333-8444-555566667777", "")},
		},
		AllowRecording: new(bool), // explicitly off; nil would leave the tenant default
	}
	out, _ := json.Marshal(m)
	fmt.Println(string(out))
	// Output:
	// {"allowRecording":false,"subject":"Incident 4711 bridge","startDateTime":"2026-12-01T15:00:00Z","endDateTime":"2026-12-01T16:00:00Z","participants":{"organizer":{"identity":{"@odata.type":"#microsoft.graph.identitySet","user":{"@odata.type":"#microsoft.graph.identity","id":"aaaa1111-2222-4333-8444-555566667777"}}}}}
}
