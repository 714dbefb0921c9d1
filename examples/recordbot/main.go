// Command recordbot answers, records the caller's message, downloads it, plays it back
// and hangs up.
//
// With no configuration it runs a demo against an in-process emulator and prints what
// happened. With -emulator URL (or GRAPHCOMMS_EMULATOR_URL) it serves the calls of a
// `graphcomms emulator` running in another process. With GRAPHCOMMS_APP_ID (see
// README.md) it serves real Teams calls.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/examples/internal/demo"
)

func main() {
	demo.Main("recordbot", runDemo, func(real demo.Real, client *graphcomms.Client, logger *slog.Logger) error {
		u, _ := url.Parse(real.CallbackURL)
		mux := http.NewServeMux()
		rec := &Recorder{GreetingURL: os.Getenv("RECORD_GREETING_URL"), PublicBaseURL: u.Scheme + "://" + u.Host,
			MaxSeconds: 60, Logger: logger}
		if real.Emulator != nil {
			// `graphcomms emulator` serves recordings over plain http on loopback.
			rec.Download = calls.DownloadOptions{AllowLoopback: true}
			if rec.GreetingURL == "" {
				// A chime the bot serves itself, which the emulator's console plays.
				rec.GreetingURL = demo.ServePrompts(mux, real.CallbackURL, map[string][]float64{"leave-a-message": {659.25, 783.99}}) + "/leave-a-message.wav"
			}
		}
		rec.Attach(client, mux)
		return real.Serve(client, mux, logger)
	})
}

// runDemo: three callers leave a message, stop with #, or stay silent.
func runDemo(out io.Writer) error {
	env, err := demo.StartEmulated(nil)
	if err != nil {
		return err
	}
	defer env.Close()
	emu := env.Emu
	var mu sync.Mutex
	saved := map[string]time.Duration{}
	rec := &Recorder{GreetingURL: "https://media.contoso.example/leave-a-message.wav", PublicBaseURL: env.BaseURL,
		MaxSeconds: 30, Logger: slog.New(slog.DiscardHandler),
		// The emulator serves recordings over plain http on loopback; Graph uses https.
		Download: calls.DownloadOptions{AllowLoopback: true},
		Heard: func(id string, wav []byte) {
			d, _ := emulator.WAVDuration(bytes.NewReader(wav))
			mu.Lock()
			saved[id] = d
			mu.Unlock()
		}}
	rec.Attach(env.Client, env.Mux)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fmt.Fprintln(out, "recordbot demo: three people call the Contoso answering machine")

	// Alice leaves a 4-second message; the recording ends on silence.
	alice, err := emu.AddUser("alice", emulator.Behavior{Speech: 4 * time.Second}).CallBot()
	if err != nil {
		return err
	}
	if _, err := demo.Step(ctx, alice, emulator.EventRecordStarted); err != nil {
		return err
	}
	emu.Advance(12 * time.Second)                                                 // greeting, beep, message, silence
	if _, err := demo.Step(ctx, alice, emulator.EventPromptStarted); err != nil { // playback
		return err
	}
	emu.Advance(4 * time.Second)
	if _, err := demo.Step(ctx, alice, emulator.EventTerminated); err != nil {
		return err
	}
	// Bob talks, then presses # to finish.
	bob, err := emu.AddUser("bob", emulator.Behavior{Speech: 20 * time.Second}).CallBot()
	if err != nil {
		return err
	}
	if _, err := demo.Step(ctx, bob, emulator.EventRecordStarted); err != nil {
		return err
	}
	emu.Advance(6 * time.Second)
	if err := bob.Press("#"); err != nil {
		return err
	}
	if _, err := demo.Step(ctx, bob, emulator.EventPromptStarted); err != nil {
		return err
	}
	emu.Advance(3500 * time.Millisecond)
	if _, err := demo.Step(ctx, bob, emulator.EventTerminated); err != nil {
		return err
	}
	// Carol says nothing.
	carol, err := emu.AddUser("carol", emulator.Behavior{Speech: -1}).CallBot()
	if err != nil {
		return err
	}
	if _, err := demo.Step(ctx, carol, emulator.EventRecordStarted); err != nil {
		return err
	}
	emu.Advance(8 * time.Second) // greeting, beep, then 5 s of silence
	if _, err := demo.Step(ctx, carol, emulator.EventTerminated); err != nil {
		return err
	}
	if err := emu.WaitIdle(ctx); err != nil {
		return err
	}
	env.PrintTranscript(out)
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(out, "Messages heard and discarded: %d\n", len(saved))
	for _, h := range []*emulator.CallHandle{alice, bob, carol} {
		if d, ok := saved[h.ID()]; ok {
			fmt.Fprintf(out, "  from %s: %s of audio\n", h.Person().DisplayName(), d)
		}
	}
	return nil
}
