package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// joinURLFixtures reads testdata/joinurls (see meetings/joinurl_test.go for the format).
func joinURLFixtures(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/joinurls/*.txt")
	if len(files) == 0 {
		t.Fatal("no join URL fixtures")
	}
	out := map[string]map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, "#") {
				fx[k] = v
			}
		}
		out[strings.TrimSuffix(filepath.Base(f), ".txt")] = fx
	}
	return out
}

// joinURLOutput is the part of joinurl's JSON the tests read.
type joinURLOutput struct {
	Cloud       string `json:"cloud"`
	TenantID    string `json:"tenantId"`
	OrganizerID string `json:"organizerId"`
	ChannelID   string `json:"channelId"`
	ChatInfo    struct {
		ThreadID            string `json:"threadId"`
		MessageID           string `json:"messageId"`
		ReplyChainMessageID string `json:"replyChainMessageId"`
	} `json:"chatInfo"`
	MeetingInfo map[string]any `json:"meetingInfo"`
	Link        string         `json:"link"`
	Unwrapped   []struct {
		Kind, Host, Inner string
	} `json:"unwrapped"`
}

func TestJoinURLFixtureLinks(t *testing.T) {
	for name, fx := range joinURLFixtures(t) {
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI("", "joinurl", fx["link"])
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if fx["result"] != "join" {
				last := lines[len(lines)-1]
				if code != 1 || out != "" || !strings.HasPrefix(last, "graphcomms joinurl: meetings: not a Teams meeting join URL: ") || !strings.Contains(last, fx["error"]) {
					t.Errorf("exit %d stdout %q stderr %q; want exit 1 and %q", code, out, errs, fx["error"])
				}
				if n := len(strings.Split(fx["unwrapped"], ",")); fx["unwrapped"] != "" && len(lines) != n+1 {
					t.Errorf("want %d unwrapping lines before the error: %q", n, errs)
				}
				return
			}
			if code != 0 || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got joinURLOutput
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			var kinds []string
			for _, w := range got.Unwrapped {
				kinds = append(kinds, w.Kind)
				if w.Host == "" || w.Inner == "" {
					t.Errorf("unwrapping step %+v", w)
				}
			}
			for k, v := range map[string]string{
				"cloud": got.Cloud, "tenantId": got.TenantID, "organizerId": got.OrganizerID, "channelId": got.ChannelID,
				"threadId": got.ChatInfo.ThreadID, "messageId": got.ChatInfo.MessageID, "replyChainMessageId": got.ChatInfo.ReplyChainMessageID,
				"unwrapped": strings.Join(kinds, ","),
			} {
				if v != fx[k] {
					t.Errorf("%s = %q, want %q", k, v, fx[k])
				}
			}
			if got.MeetingInfo["@odata.type"] == nil || got.Link == "" {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}

func TestJoinURLUnwrapSteps(t *testing.T) {
	fx := joinURLFixtures(t)["safelinks-launcher"]
	code, out, errs := runCLI("", "joinurl", fx["link"])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got joinURLOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Unwrapped) != 2 {
		t.Fatalf("%v:\n%s", err, out)
	}
	s, l := got.Unwrapped[0], got.Unwrapped[1]
	if s.Kind != "safelinks" || s.Host != "nam12.safelinks.protection.outlook.com" || !strings.HasPrefix(s.Inner, "https://teams.microsoft.com/dl/launcher/launcher.html?url=") ||
		l.Kind != "launcher" || l.Host != "teams.microsoft.com" || !strings.HasPrefix(l.Inner, "https://teams.microsoft.com/_#/l/meetup-join/19:meeting_") || got.Link != l.Inner {
		t.Errorf("steps %+v, link %q", got.Unwrapped, got.Link)
	}
	for _, want := range []string{`"kind": "safelinks"`, `"kind": "launcher"`, `"@odata.type": "#microsoft.graph.organizerMeetingInfo"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in:\n%s", want, out)
		}
	}
}

func TestJoinURLStdin(t *testing.T) {
	fx := joinURLFixtures(t)["safelinks-channel-meeting"]
	code, out, errs := runCLI(fx["link"]+"\r\n", "joinurl", "-")
	if code != 0 || !strings.Contains(out, `"messageId": "1603981234567"`) || !strings.Contains(out, `"kind": "safelinks"`) {
		t.Errorf("exit %d %s %s", code, out, errs)
	}
	if code, _, errs := runCLI("", "joinurl", "-"); code != 1 || !strings.Contains(errs, "the link is empty") {
		t.Errorf("empty stdin: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(strings.Repeat("x", 10<<10), "joinurl", "-"); code != 1 || !strings.Contains(errs, "byte limit") {
		t.Errorf("long stdin: exit %d %s", code, errs)
	}
}

func TestJoinURLUsage(t *testing.T) {
	for _, args := range [][]string{{"joinurl"}, {"joinurl", "a", "b"}} {
		if code, _, errs := runCLI("", args...); code != 2 || !strings.Contains(errs, "usage: graphcomms joinurl URL|-") {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
}

func TestJoinURLReadableLinks(t *testing.T) {
	code, out, _ := runCLI("", "joinurl", joinURLFixtures(t)["launcher"]["link"])
	if code != 0 || strings.Contains(out, `\u0026`) || !strings.Contains(out, "&anon=true") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
