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
		"alice: the bot records (max 30s)",
		"alice: recorded 4s (maxSilenceTimeout)",
		"bob: presses # (a stop tone)",
		"bob: recorded 3.5s (stopToneDetected)",
		"carol: recorded 0s (initialSilenceTimeout)",
		"Messages kept: 2",
		"from Alice: 4s of audio",
		"from Bob: 3.5s of audio",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(got, "/recordings/") {
		t.Error("the recording was not played back from the bot's server")
	}
	if t.Failed() {
		t.Log(got)
	}
}
