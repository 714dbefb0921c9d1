package meetings_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestParseJoinURLLink(t *testing.T) {
	for in, want := range map[string]string{
		"teams.microsoft.com/meet/2345678901234?p=Q":                      "https://teams.microsoft.com/meet/2345678901234?p=Q",
		" <https://teams.microsoft.com/meet/2345678901234?p=Q&amp;x=1>\n": "https://teams.microsoft.com/meet/2345678901234?p=Q&x=1",
		`"https://teams.microsoft.com/meet/2345678901234?p=Q"`:            "https://teams.microsoft.com/meet/2345678901234?p=Q",
	} {
		info, err := meetings.ParseJoinURL(in)
		if err != nil || info.Link != want || len(info.Unwrapped) != 0 {
			t.Errorf("%q: %v %q", in, err, info.Link)
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
		`https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/abc?context={"Tid":"t","Oid":"o"}`,
		`https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%zz`,
		"https://teams.microsoft.com/meet/abc?p=1",
		"https://teams.microsoft.com/meet/",
		"https://teams.microsoft.com/l/chat/0/0",
		"https://teams.microsoft.com/l/",
		"https://teams.microsoft.com/l/whatever/x",
		"https://teams.microsoft.com/l/call/0/0?users=a@contoso.com",
		"https://teams.microsoft.com/l/entity/1234/tab",
		"https://teams.microsoft.com/some/page",
		"https://nam12.safelinks.protection.outlook.com/elsewhere/?url=https%3A%2F%2Fteams.microsoft.com%2Fmeet%2F1",
		"https://nam12.safelinks.protection.outlook.com/?url=%zz",
		"msteams:/l/meetup-join/19:meeting_x@thread.v2/0",
		"https://",
		"",
		"   ",
		"<>",
		"://",
		"https://teams.microsoft.com:badport/meet/1",
	} {
		_, err := meetings.ParseJoinURL(u)
		var jerr *meetings.JoinURLError
		if !errors.Is(err, meetings.ErrNotJoinURL) || !errors.As(err, &jerr) || jerr.Kind == "" || jerr.Reason == "" {
			t.Errorf("%q: %v", u, err)
		}
	}
}

// fixture is one file of testdata/joinurls: "key: value" lines, # comments.
type fixture map[string]string

func readFixtures(t testing.TB) map[string]fixture {
	t.Helper()
	files, err := filepath.Glob("../testdata/joinurls/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string]fixture{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx := fixture{}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("%s: bad line %q", f, line)
			}
			fx[k] = v
		}
		if fx["link"] == "" || fx["result"] == "" {
			t.Fatalf("%s: needs link and result", f)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".txt")] = fx
	}
	return out
}

func wrapperKinds(ws []meetings.Wrapper) string {
	var ks []string
	for _, w := range ws {
		ks = append(ks, string(w.Kind))
	}
	return strings.Join(ks, ",")
}

// fields returns the fixture fields of a parse result.
func fields(info meetings.JoinInfo) map[string]string {
	f := map[string]string{
		"cloud":               info.Cloud,
		"threadId":            info.ChatInfo.ThreadID,
		"messageId":           info.ChatInfo.MessageID,
		"replyChainMessageId": info.ChatInfo.ReplyChainMessageID,
		"tenantId":            info.TenantID,
		"organizerId":         info.OrganizerID,
		"channelId":           info.ChannelID,
		"unwrapped":           wrapperKinds(info.Unwrapped),
	}
	if mi, ok := info.MeetingInfo.(*calls.JoinMeetingIDMeetingInfo); ok {
		f["joinMeetingId"], f["passcode"] = mi.JoinMeetingID, mi.Passcode
	}
	return f
}

func TestJoinURLFixtures(t *testing.T) {
	fxs := readFixtures(t)
	// The kinds of link the issue names; each must keep a fixture.
	for _, name := range []string{
		"meetup-join", "meet-short", "v2-hash", "underscore-hash", "launcher", "launcher-pasted",
		"safelinks", "safelinks-ap", "safelinks-launcher", "gcch", "dod", "teams-live", "channel-meeting",
		"team", "channel", "meeting-options", "chat", "not-teams", "safelinks-not-teams", "too-deep",
	} {
		if _, ok := fxs[name]; !ok {
			t.Errorf("fixture %s.txt is missing", name)
		}
	}
	for name, fx := range fxs {
		t.Run(name, func(t *testing.T) {
			info, err := meetings.ParseJoinURL(fx["link"])
			if fx["result"] != "join" {
				var jerr *meetings.JoinURLError
				if !errors.Is(err, meetings.ErrNotJoinURL) || !errors.As(err, &jerr) {
					t.Fatalf("want a *JoinURLError, got %v (%+v)", err, info)
				}
				if string(jerr.Kind) != fx["result"] || !strings.Contains(err.Error(), fx["error"]) || wrapperKinds(jerr.Unwrapped) != fx["unwrapped"] {
					t.Errorf("got kind %q unwrapped %q error %q; want %q %q %q", jerr.Kind, wrapperKinds(jerr.Unwrapped), err, fx["result"], fx["unwrapped"], fx["error"])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, got := range fields(info) {
				if got != fx[k] {
					t.Errorf("%s = %q, want %q", k, got, fx[k])
				}
			}
			switch mi := info.MeetingInfo.(type) {
			case *calls.OrganizerMeetingInfo:
				if mi.Organizer.User == nil || mi.Organizer.User.ID != fx["organizerId"] || mi.Organizer.User.TenantID != fx["tenantId"] || fx["threadId"] == "" {
					t.Errorf("meeting info %+v", mi.Organizer)
				}
			case *calls.JoinMeetingIDMeetingInfo:
				if fx["joinMeetingId"] == "" {
					t.Errorf("meeting info %+v", mi)
				}
			default:
				t.Errorf("meeting info %T", info.MeetingInfo)
			}
			// Each link inside a wrapper, and the meeting link itself, parses on its own
			// to the same meeting: the wrappers' encoding was taken off exactly once.
			inner := []string{info.Link}
			for _, w := range info.Unwrapped {
				inner = append(inner, w.Inner)
			}
			if len(info.Unwrapped) > 0 && info.Unwrapped[len(info.Unwrapped)-1].Inner != info.Link {
				t.Errorf("Link %q is not the innermost wrapper's link", info.Link)
			}
			for _, l := range inner {
				again, err := meetings.ParseJoinURL(l)
				if err != nil {
					t.Errorf("inner link %q: %v", l, err)
					continue
				}
				a, b := fields(again), fields(info)
				delete(a, "unwrapped")
				delete(b, "unwrapped")
				for k := range a {
					if a[k] != b[k] {
						t.Errorf("inner link %q: %s = %q, want %q", l, k, a[k], b[k])
					}
				}
			}
		})
	}
}

// safeLinks wraps link in n SafeLinks layers.
func safeLinks(link string, n int) string {
	for range n {
		link = "https://nam12.safelinks.protection.outlook.com/?url=" + url.QueryEscape(link) + "&data=05%7C02%7C&reserved=0"
	}
	return link
}

func TestParseJoinURLWrapperDepth(t *testing.T) {
	const inner = "https://teams.microsoft.com/meet/2345678901234?p=AbC"
	for n := 0; n <= meetings.MaxJoinURLWrappers+2; n++ {
		info, err := meetings.ParseJoinURL(safeLinks(inner, n))
		if n <= meetings.MaxJoinURLWrappers {
			if err != nil || len(info.Unwrapped) != n || info.Link != inner {
				t.Errorf("%d wrappers: %v %+v", n, err, info)
			}
			continue
		}
		var jerr *meetings.JoinURLError
		if !errors.As(err, &jerr) || jerr.Kind != meetings.LinkTooDeep || len(jerr.Unwrapped) != meetings.MaxJoinURLWrappers {
			t.Errorf("%d wrappers: %v", n, err)
		}
	}
}

func TestParseJoinURLTooLong(t *testing.T) {
	ok := "https://teams.microsoft.com/meet/2345678901234?p=AbC&x="
	ok += strings.Repeat("a", meetings.MaxJoinURLLength-len(ok))
	if _, err := meetings.ParseJoinURL(ok); err != nil {
		t.Errorf("%d bytes: %v", len(ok), err)
	}
	for _, n := range []int{meetings.MaxJoinURLLength + 1, 1 << 20} {
		long := ok + strings.Repeat("%", n-len(ok))
		start := time.Now()
		_, err := meetings.ParseJoinURL(long)
		var jerr *meetings.JoinURLError
		if !errors.As(err, &jerr) || jerr.Kind != meetings.LinkTooLong || !errors.Is(err, meetings.ErrNotJoinURL) {
			t.Errorf("%d bytes: %v", n, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%d bytes took %v", n, d)
		}
	}
}

func TestParseJoinURLChatInfo(t *testing.T) {
	const th = "19%3a4f2a9c1e7b3d4e5f8a6b0c9d1e2f3a4b%40thread.tacv2"
	cases := []struct {
		name, path, ctx     string
		message, replyChain string
	}{
		{"scheduled meeting", "0", `{"Tid":"t","Oid":"o"}`, "0", ""},
		{"no message segment", "", `{"Tid":"t","Oid":"o"}`, "0", ""},
		{"channel meeting", "1603981234567", `{"Tid":"t","Oid":"o","MessageId":"1603981234567","ChannelId":"19:4f2a9c1e7b3d4e5f8a6b0c9d1e2f3a4b@thread.tacv2"}`, "1603981234567", "1603981234567"},
		{"message only in the path", "1603981234567", `{"Tid":"t","Oid":"o"}`, "1603981234567", ""},
		{"message only in the context", "0", `{"Tid":"t","Oid":"o","MessageId":"1603981234567"}`, "1603981234567", "1603981234567"},
		{"reply in a channel thread", "1603981299999", `{"Tid":"t","Oid":"o","MessageId":"1603981234567"}`, "1603981299999", "1603981234567"},
	}
	for _, c := range cases {
		link := "https://teams.microsoft.com/l/meetup-join/" + th + "/" + c.path + "?context=" + url.QueryEscape(c.ctx)
		info, err := meetings.ParseJoinURL(link)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if info.ChatInfo.ThreadID != "19:4f2a9c1e7b3d4e5f8a6b0c9d1e2f3a4b@thread.tacv2" || info.ChatInfo.MessageID != c.message || info.ChatInfo.ReplyChainMessageID != c.replyChain {
			t.Errorf("%s: %+v", c.name, info.ChatInfo)
		}
	}
}

func TestJoinURLErrorUnwrap(t *testing.T) {
	_, err := meetings.ParseJoinURL(`https://teams.microsoft.com/l/meetup-join/19:meeting_x@thread.v2/0?context={"Tid":1}`)
	var jerr *meetings.JoinURLError
	var terr *json.UnmarshalTypeError
	if !errors.As(err, &jerr) || jerr.Kind != meetings.LinkMalformed || !errors.As(err, &terr) {
		t.Errorf("%v", err)
	}
	_, err = meetings.ParseJoinURL(safeLinks("https://teams.microsoft.com/l/team/19%3ax%40thread.tacv2/conversations", 2))
	if want := "meetings: not a Teams meeting join URL: a link to a team, not to a meeting (found inside a SafeLinks link > a SafeLinks link)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func FuzzParseJoinURL(f *testing.F) {
	f.Add("https://teams.microsoft.com/meet/2345678901234?p=AbCdEf123")
	f.Add(`https://teams.microsoft.com/l/meetup-join/19:meeting_x@thread.v2/0?context={"Tid":"t","Oid":"o"}`)
	f.Add("https://teams.microsoft.com/v2/#/l/meetup-join/19%3a@thread/0?context=%7b%7d")
	f.Add("https://teams.microsoft.com/_#/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%257b%2522Tid%2522%253a%2522t%2522%252c%2522Oid%2522%253a%2522o%2522%257d")
	f.Add("https://teams.microsoft.com/dl/launcher/launcher.html?url=/_#/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%2c%22Oid%22%3a%22o%22%7d&type=meetup-join")
	f.Add("https://nam12.safelinks.protection.outlook.com/ap/t-59584e83/?url=https%3A%2F%2Fteams.microsoft.com%2Fmeet%2F1%3Fp%3Dx&data=05&reserved=0")
	f.Add(safeLinks("https://teams.microsoft.com/dl/launcher/launcher.html?url=%2Fmeet%2F1", 3))
	f.Add("https://teams.microsoft.com/meetingOptions/?organizerId=o&tenantId=t&threadId=19_meeting_x@thread.v2&messageId=0")
	for _, fx := range readFixtures(f) {
		f.Add(fx["link"])
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := meetings.ParseJoinURL(s)
		if err == nil {
			if info.MeetingInfo == nil {
				t.Fatal("no error and no meeting info")
			}
			if len(info.Unwrapped) > meetings.MaxJoinURLWrappers {
				t.Fatalf("%d wrappers taken off", len(info.Unwrapped))
			}
			return
		}
		var jerr *meetings.JoinURLError
		if !errors.Is(err, meetings.ErrNotJoinURL) || !errors.As(err, &jerr) || jerr.Kind == "" {
			t.Fatalf("error %v is not a *JoinURLError matching ErrNotJoinURL", err)
		}
		if len(s) > meetings.MaxJoinURLLength && jerr.Kind != meetings.LinkTooLong {
			t.Fatalf("%d-byte input refused as %s, not as too long", len(s), jerr.Kind)
		}
	})
}
