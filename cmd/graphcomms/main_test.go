package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInspectFixtures(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/notifications/*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		code, out, errs := runCLI("", "inspect", "--format", "json", f)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", f, code, errs)
			continue
		}
		var doc struct {
			Notifications []map[string]any `json:"notifications"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Notifications) == 0 {
			t.Errorf("%s: bad JSON output %v: %s", f, err, out)
			continue
		}
		for _, n := range doc.Notifications {
			if n["kind"] == "unknown" || n["changeType"] == "" || !strings.HasPrefix(n["resourceUrl"].(string), "/communications/calls/") {
				t.Errorf("%s: %v", f, n)
			}
		}
		if code, _, _ := runCLI("", "inspect", f); code != 0 {
			t.Errorf("%s: text format failed", f)
		}
	}
}

func TestInspectJSONShape(t *testing.T) {
	code, out, _ := runCLI("", "inspect", "--format=json", "../../testdata/notifications/call-terminated.json")
	if code != 0 {
		t.Fatal(code)
	}
	want := `"resultInfo": {
        "code": 200,
        "subcode": 4521,
        "message": "The other party hung up."
      }`
	if !strings.Contains(out, want) || !strings.Contains(out, `"state": "terminated"`) || !strings.Contains(out, `"kind": "call"`) {
		t.Errorf("output:\n%s", out)
	}
	code, out, _ = runCLI("", "inspect", "--format=json", "../../testdata/notifications/legacy-wild.json")
	if code != 0 || !strings.Contains(out, `"changeType": "updated"`) || !strings.Contains(out, `"resourceUrl": "/communications/calls/57DAB8B1894C409AB240BD8BEAE78896"`) {
		t.Errorf("legacy output:\n%s", out)
	}
}

func TestInspectErrors(t *testing.T) {
	cases := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{`{"value":[{"changeType":"updated",}]}`, []string{"inspect", "-"}, 1, "trailing comma"},
		{`not json`, []string{"inspect"}, 1, "offset 0"},
		{`[]`, []string{"inspect"}, 1, "array"},
		{``, []string{"inspect", "--format", "xml"}, 2, "unknown format"},
		{``, []string{"inspect", "no-such-file.json"}, 1, "no such file"},
		{``, []string{"bogus"}, 2, "unknown command"},
		{``, nil, 2, "usage"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(c.stdin, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
		if code == 1 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: reason should be one line: %q", c.args, errs)
		}
	}
}

func TestJoinURL(t *testing.T) {
	code, out, _ := runCLI("", "joinurl", "https://teams.microsoft.com/meet/2345678901234?p=AbC")
	if code != 0 || !strings.Contains(out, `"joinMeetingId": "2345678901234"`) || !strings.Contains(out, `"passcode": "AbC"`) {
		t.Errorf("%d %s", code, out)
	}
	code, out, _ = runCLI("", "joinurl", `https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%3a%22t1%22%2c%22Oid%22%3a%22o1%22%7d`)
	if code != 0 || !strings.Contains(out, `"threadId": "19:meeting_x@thread.v2"`) || !strings.Contains(out, `"tenantId": "t1"`) ||
		!strings.Contains(out, "#microsoft.graph.organizerMeetingInfo") {
		t.Errorf("%d %s", code, out)
	}
	if code, _, errs := runCLI("", "joinurl", "https://example.com/x"); code != 1 || !strings.Contains(errs, "not a Teams host") {
		t.Errorf("%d %s", code, errs)
	}
	if code, _, _ := runCLI("", "joinurl"); code != 2 {
		t.Errorf("usage: %d", code)
	}
}
