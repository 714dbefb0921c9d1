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
		"the bot joins Incident 4711",
		"alice: the bot plays https://media.contoso.example/incident-4711.wav",
		"alice: the bot invites Alice",
		"Alice  joined the incident meeting",
		"Bob    declined (pressed 2)",
		"Carol  did not answer",
		"Dave   declined the call",
		"In the meeting now: Contoso bot, Olivia, Alice",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
