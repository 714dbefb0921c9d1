package meetings_test

import (
	"errors"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

func TestParseJoinURL(t *testing.T) {
	const tid, oid = "72f988bf-86f1-41af-91ab-2d7cd011db47", "550fae72-d251-43ec-868c-373732c2704f"
	thread := "19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4@thread.v2"
	cases := []struct {
		name, url, thread, joinID, passcode, cloud string
	}{
		{"encoded", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22550fae72-d251-43ec-868c-373732c2704f%22%7d", thread, "", "", "public"},
		{"not encoded", `https://teams.microsoft.com/l/meetup-join/19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4@thread.v2/0?context={"Tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","Oid":"550fae72-d251-43ec-868c-373732c2704f"}`, thread, "", "", "public"},
		{"new client deep link", "https://teams.microsoft.com/v2/?meetingjoin=true#/l/meetup-join/19%3ameeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22550fae72-d251-43ec-868c-373732c2704f%22%7d&anon=true", thread, "", "", "public"},
		{"gcc high", `https://gov.teams.microsoft.us/l/meetup-join/19%3ameeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4%40thread.v2/0?context={"Tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","Oid":"550fae72-d251-43ec-868c-373732c2704f"}`, thread, "", "", "gcch"},
		{"dod", `https://dod.teams.microsoft.us/l/meetup-join/19%3ameeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2YyZDg1ZmE4%40thread.v2/0?context={"Tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","Oid":"550fae72-d251-43ec-868c-373732c2704f"}`, thread, "", "", "dod"},
		{"short", "https://teams.microsoft.com/meet/2345678901234?p=AbCdEf123", "", "2345678901234", "AbCdEf123", "public"},
		{"consumer", "https://teams.live.com/meet/9876543210987?p=xyz", "", "9876543210987", "xyz", "consumer"},
		{"no scheme", "teams.microsoft.com/meet/2345678901234?p=Q", "", "2345678901234", "Q", "public"},
	}
	for _, c := range cases {
		info, err := meetings.ParseJoinURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if info.Cloud != c.cloud {
			t.Errorf("%s: cloud %q", c.name, info.Cloud)
		}
		if c.thread != "" {
			mi, ok := info.MeetingInfo.(*calls.OrganizerMeetingInfo)
			if info.ChatInfo.ThreadID != c.thread || info.ChatInfo.MessageID != "0" || !ok ||
				mi.Organizer.User.ID != oid || mi.Organizer.User.TenantID != tid || info.TenantID != tid {
				t.Errorf("%s: %+v %+v", c.name, info, info.MeetingInfo)
			}
			continue
		}
		mi, ok := info.MeetingInfo.(*calls.JoinMeetingIDMeetingInfo)
		if !ok || mi.JoinMeetingID != c.joinID || mi.Passcode != c.passcode {
			t.Errorf("%s: %+v", c.name, info.MeetingInfo)
		}
	}
}

func TestParseJoinURLErrors(t *testing.T) {
	for _, u := range []string{
		"https://example.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
		"https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
		"https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=nope",
		`https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context={"Tid":"t"}`,
		"https://teams.microsoft.com/l/meetup-join/not-a-thread/0?context={}",
		"https://teams.microsoft.com/meet/abc?p=1",
		"https://teams.microsoft.com/l/chat/0/0",
		"",
		"://",
	} {
		if _, err := meetings.ParseJoinURL(u); !errors.Is(err, meetings.ErrNotJoinURL) {
			t.Errorf("%q: %v", u, err)
		}
	}
}

func FuzzParseJoinURL(f *testing.F) {
	f.Add("https://teams.microsoft.com/meet/2345678901234?p=AbCdEf123")
	f.Add(`https://teams.microsoft.com/l/meetup-join/19:meeting_x@thread.v2/0?context={"Tid":"t","Oid":"o"}`)
	f.Add("https://teams.microsoft.com/v2/#/l/meetup-join/19%3a@thread/0?context=%7b%7d")
	f.Fuzz(func(t *testing.T, s string) {
		info, err := meetings.ParseJoinURL(s)
		if err == nil && info.MeetingInfo == nil {
			t.Fatal("no error and no meeting info")
		}
	})
}
