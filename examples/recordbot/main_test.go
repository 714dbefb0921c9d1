package main

import (
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/examples/internal/demotest"
)

func TestDemo(t *testing.T) {
	got := demotest.Run(t, runDemo,
		"alice: the bot records (max 30s)",
		"alice: recorded 4s (maxSilenceTimeout)",
		"bob: presses # (a stop tone)",
		"bob: recorded 3.5s (stopToneDetected)",
		"carol: recorded 0s (initialSilenceTimeout)",
		"Messages kept: 2",
		"from Alice: 4s of audio",
		"from Bob: 3.5s of audio",
	)
	if !strings.Contains(got, "/recordings/") {
		t.Error("the recording was not played back from the bot's server")
	}
}
