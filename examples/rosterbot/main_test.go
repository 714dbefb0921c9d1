package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := runDemo(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"joined: Contoso bot",
		"joined: Olivia",
		"recording status set to recording",
		"joined: Carol",
		"joined: Dave",
		"muted: Dave",
		"joined: Erin (waiting in the lobby)",
		"admitted from the lobby: Erin",
		"left: Carol",
		"call.recordingStatus",
		"the bot mutes Dave",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
