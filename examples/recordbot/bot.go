package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
)

// Recorder answers, records the caller's message (after a greeting and a beep, up to
// MaxSeconds, ending on "#"), downloads the recording with its access token (over
// https only, unless Download says otherwise), plays it back to the caller, and hangs
// up. It serves each recording at /recordings/{random name}.wav on the bot's own HTTP
// server, which is where playback fetches it from, until it has played or the call
// has ended; then it forgets it (Graph's terms do not let a bot keep media).
type Recorder struct {
	GreetingURL string
	// PublicBaseURL is where the bot's HTTP server is reachable by Graph.
	PublicBaseURL string
	MaxSeconds    int32
	Logger        *slog.Logger
	// Download configures the recording downloads. The zero value, for Microsoft Graph,
	// accepts only https locations and sends the access token to nowhere else; the demo
	// sets AllowLoopback, as its emulator serves recordings over http on 127.0.0.1.
	Download calls.DownloadOptions
	// Heard is called with each message once downloaded, before it is played back
	// and discarded. Keeping the audio is not allowed unless the bot signals recording
	// with updateRecordingStatus, under a compliance-recording policy (call-record).
	Heard func(callID string, wav []byte)

	mu   sync.Mutex
	wavs map[string][]byte
}

// Attach makes the recorder answer the client's incoming calls and serve recordings.
func (r *Recorder) Attach(client *graphcomms.Client, mux *http.ServeMux) {
	r.wavs = map[string][]byte{}
	client.OnIncoming(r.handle)
	mux.HandleFunc("GET /recordings/{file}", r.serve)
}

func (r *Recorder) serve(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimSuffix(req.PathValue("file"), ".wav")
	r.mu.Lock()
	wav, ok := r.wavs[id]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(wav)
}

func (r *Recorder) handle(call *graphcomms.Call) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	log := r.Logger.With("call", call.ID())
	call.OnTerminated(func(graphcomms.EndInfo) { cancel() })
	if err := call.Answer(ctx, r.GreetingURL); err != nil {
		log.Error("answer failed", "error", err)
		return
	}
	go func() {
		if err := r.converse(ctx, call); err != nil {
			log.Warn("recording a message", "error", err)
		}
		_ = call.HangUp(ctx)
	}()
}

func (r *Recorder) converse(ctx context.Context, call *graphcomms.Call) error {
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		return err
	}
	beep := true
	op, err := call.RecordResponse(ctx, calls.RecordResponseRequest{
		Prompts:                    []media.Prompt{media.NewMediaPrompt(r.GreetingURL)},
		PlayBeep:                   &beep,
		MaxRecordDurationInSeconds: r.MaxSeconds,
		StopTones:                  []string{"#"},
	})
	if err != nil {
		return err
	}
	rec, err := op.Wait(ctx)
	if err != nil {
		return err
	}
	if rec.CompletionReason == calls.RecordCompletionInitialSilenceTimeout || rec.RecordingLocation == "" {
		return fmt.Errorf("no message (%s)", rec.CompletionReason)
	}
	// At once: Graph keeps the recording briefly.
	wav, err := rec.Download(ctx, &r.Download)
	if err != nil {
		return err
	}
	// Served under a random name, and only until it has played (or the call has
	// ended): Graph's terms do not let a bot keep media (call-record).
	name := randomName()
	r.mu.Lock()
	r.wavs[name] = wav
	r.mu.Unlock()
	defer r.discard(name)
	call.OnTerminated(func(graphcomms.EndInfo) { r.discard(name) })
	if r.Heard != nil {
		r.Heard(call.ID(), wav)
	}
	play, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt(r.PublicBaseURL + "/recordings/" + name + ".wav")})
	if err != nil {
		return err
	}
	_, err = play.Wait(ctx)
	return err
}

// discard forgets a recording.
func (r *Recorder) discard(name string) {
	r.mu.Lock()
	delete(r.wavs, name)
	r.mu.Unlock()
}

// randomName returns 128 random bits in hex: a recording's URL cannot be guessed.
func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
