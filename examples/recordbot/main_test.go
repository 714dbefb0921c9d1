package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/calls"

	"github.com/graphcomms/graphcomms/examples/internal/demotest"
)

func TestDemo(t *testing.T) {
	got := demotest.Run(t, runDemo,
		"alice: the bot records (max 30s)",
		"alice: recorded 4s (maxSilenceTimeout)",
		"bob: presses # (a stop tone)",
		"bob: recorded 3.5s (stopToneDetected)",
		"carol: recorded 0s (initialSilenceTimeout)",
		"Messages heard and discarded: 2",
		"from Alice: 4s of audio",
		"from Bob: 3.5s of audio",
	)
	if !strings.Contains(got, "/recordings/") {
		t.Error("the recording was not played back from the bot's server")
	}
}

// Outside the demo, a Recorder sends the access token over https only: a recording
// location on plain http, even on loopback, is refused before anything is sent.
func TestRealModeRefusesHTTPRecordings(t *testing.T) {
	var r Recorder // as main builds it for real mode: no Download options
	op := &calls.RecordOperation{RecordingLocation: "http://127.0.0.1:1/_emulator/recordings/1", RecordingAccessToken: "t"}
	if _, err := op.Download(context.Background(), &r.Download); !errors.Is(err, calls.ErrInsecureRecordingLocation) {
		t.Errorf("Download = %v, want ErrInsecureRecordingLocation", err)
	}
}
