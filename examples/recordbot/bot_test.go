package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// A caller leaves a 4-second message: the bot records it, downloads it and plays it
// back from its own server, then hangs up.
func TestRecorderPlaysTheMessageBack(t *testing.T) {
	h := graphcommstest.New(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux) // the bot's own server, where playback fetches the recording
	t.Cleanup(srv.Close)
	heard := make(chan time.Duration, 1)
	rec := &Recorder{GreetingURL: "https://media.contoso.example/leave-a-message.wav", PublicBaseURL: srv.URL,
		MaxSeconds: 30, Logger: slog.New(slog.DiscardHandler), Download: calls.DownloadOptions{AllowLoopback: true},
		Heard: func(_ string, wav []byte) {
			d, _ := emulator.WAVDuration(bytes.NewReader(wav))
			heard <- d
		}}
	rec.Attach(h.Client, mux)
	alice := h.CallBot(h.Emulator.AddUser("alice", emulator.Behavior{Speech: 4 * time.Second}))
	h.Wait(alice, emulator.EventRecordStarted)
	h.Advance(12 * time.Second) // greeting, beep, message, silence
	h.Wait(alice, emulator.EventPromptStarted)
	if d := <-heard; d != 4*time.Second {
		t.Errorf("the bot heard %s of audio, want 4s", d)
	}
	h.Advance(4 * time.Second)
	h.Wait(alice, emulator.EventTerminated)
	h.ExpectTranscript("record.started", "maxSilenceTimeout", srv.URL+"/recordings/", "call.terminated")
}
