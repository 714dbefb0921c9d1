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
		"alice: Alice calls the bot",
		"alice: the bot plays https://media.contoso.example/ivr/hours.wav",
		"alice: presses 1",
		"alice: the bot transfers the call to Sam",
		"bob: the bot transfers the call to Reception's voicemail",
		"carol: the bot plays https://media.contoso.example/ivr/goodbye.wav",
		"carol: the bot hangs up (200/7000)",
		"dave: Dave hung up (200/4521)",
		"erin: the bot redirects the call to Reception's voicemail",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
