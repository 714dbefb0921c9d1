package emulator_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// bot is a small IVR and meeting bot built only from the SDK's public packages: it
// validates callbacks with auth.Validator, parses them with notifications.Handler and
// acts through calls.API.
type bot struct {
	t          *testing.T
	api        *calls.API
	handler    *notifications.Handler
	srv        *httptest.Server
	seen       chan string // what the bot observed, in order
	menu       string
	transferTo participants.IdentitySet

	mu      sync.Mutex
	rosters [][]string
}

func newBot(t *testing.T, emu *emulator.Server) *bot {
	t.Helper()
	v, err := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{emu.AppID()}, OpenIDConfigURL: emu.OpenIDConfigURL()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := notifications.NewHandler(notifications.HandlerConfig{Validator: v})
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b := &bot{t: t, api: calls.NewAPI(adapter), handler: h,
		seen: make(chan string, 256), menu: "https://media.example.com/menu.wav"}
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go b.run(ctx)
	return b
}

func (b *bot) note(s string) { b.seen <- s }

func (b *bot) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case batch := <-b.handler.Batches():
			for _, n := range batch.Notifications {
				b.handle(ctx, n)
			}
		}
	}
}

func (b *bot) handle(ctx context.Context, n notifications.Notification) {
	call := b.api.Calls().ByID(n.CallID)
	switch n.Kind {
	case notifications.KindCall:
		if n.Call == nil {
			return
		}
		switch {
		case n.ChangeType == notifications.ChangeCreated && n.Call.State == calls.StateIncoming:
			b.note("incoming from " + n.Call.Source.Identity.DisplayName())
			if err := call.Answer().Post(ctx, calls.NewAnswerRequest(b.srv.URL, b.menu)); err != nil {
				b.note("answer failed: " + err.Error())
			}
		case n.Call.ToneInfo.Tone != "":
			key := n.Call.ToneInfo.Tone.Key()
			b.note("key " + string(key))
			switch key {
			case '1':
				err := call.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(b.transferTo)})
				if err != nil {
					b.note("transfer failed: " + err.Error())
				}
			case '9':
				if err := call.Delete(ctx); err != nil {
					b.note("hang up failed: " + err.Error())
				}
			}
		case n.Call.State == calls.StateEstablished && n.ChangeType == notifications.ChangeUpdated && n.Call.MediaState.Audio == "":
			b.note("established")
		case n.Call.MediaState.Audio == media.StateActive:
			// Graph's update once the call's audio is up: the bot may be heard now.
			b.note("audio active")
			if _, err := call.SubscribeToTone().Post(ctx, nil); err != nil {
				b.note("subscribe failed: " + err.Error())
			}
			if _, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt(b.menu)}, ClientContext: "menu"}); err != nil {
				b.note("prompt failed: " + err.Error())
			}
		case n.Call.State == calls.StateTerminated:
			b.note("terminated " + n.Call.ResultInfo.String())
		}
	case notifications.KindOperation:
		if op, ok := n.Operation.(*calls.PlayPromptOperation); ok {
			b.note("prompt " + string(op.Status))
		}
	case notifications.KindParticipants:
		var names []string
		for _, p := range n.Participants {
			names = append(names, p.DisplayName())
		}
		b.mu.Lock()
		b.rosters = append(b.rosters, names)
		b.mu.Unlock()
		b.note("roster " + strings.Join(names, ","))
	}
}

// expect reads the bot's observations until want arrives, failing on timeout.
func (b *bot) expect(want string) {
	b.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-b.seen:
			if got == want {
				return
			}
			if strings.Contains(got, "failed") {
				b.t.Fatalf("bot: %s (while waiting for %q)", got, want)
			}
		case <-timeout:
			b.t.Fatalf("the bot never observed %q", want)
		}
	}
}

func startEmulator(t *testing.T) *emulator.Server {
	t.Helper()
	emu, err := emulator.Start(emulator.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	return emu
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestIVRFlow: incoming call -> answer -> prompt -> DTMF -> transfer; then a call the
// bot hangs up on, and one the caller hangs up.
func TestIVRFlow(t *testing.T) {
	emu := startEmulator(t)
	b := newBot(t, emu)
	emu.SetCallbackURL(b.srv.URL)
	ctx := ctxT(t)
	alice := emu.AddUser("alice", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	b.transferTo = bob.Identity()

	h, err := alice.CallBot()
	if err != nil {
		t.Fatal(err)
	}
	b.expect("incoming from Alice")
	b.expect("established")
	prompt, err := h.Wait(ctx, emulator.EventPromptStarted)
	if err != nil {
		t.Fatal(err)
	}
	if prompt.Data["uri"] != b.menu {
		t.Errorf("prompt %q", prompt.Data["uri"])
	}
	if _, err := h.Wait(ctx, emulator.EventTonesSubscribed); err != nil {
		t.Fatal(err)
	}
	emu.Advance(emulator.DefaultPromptDuration)
	b.expect("prompt completed")
	if err := h.Press("1"); err != nil {
		t.Fatal(err)
	}
	b.expect("key 1")
	tr, err := h.Wait(ctx, emulator.EventTransferred)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Data["target"] != "Bob" {
		t.Errorf("transferred to %q", tr.Data["target"])
	}
	// v1.0/call-transfer/05-notification.json: code 0, subcode 7015.
	b.expect("terminated 0/7015: GracefulTransferCompleted")
	if h.State() != calls.StateTerminated {
		t.Errorf("state %s", h.State())
	}

	// The bot hangs up on "9".
	h2, _ := alice.CallBot()
	b.expect("established")
	if _, err := h2.Wait(ctx, emulator.EventTonesSubscribed); err != nil {
		t.Fatal(err)
	}
	_ = h2.Press("9")
	b.expect("terminated 200/7000: The call was ended by the application.")

	// The caller hangs up.
	h3, _ := alice.CallBot()
	b.expect("established")
	if _, err := h3.Wait(ctx, emulator.EventPromptStarted); err != nil {
		t.Fatal(err)
	}
	if err := h3.HangUp(); err != nil {
		t.Fatal(err)
	}
	b.expect("terminated 200/4521: The call was ended by the other party.")

	// An action on the ended call gets Graph's 404.
	_, err = b.api.Calls().ByID(h3.ID()).PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt(b.menu)}})
	if !calls.IsNotFound(err) {
		t.Errorf("action on an ended call: %v", err)
	}
	if err := emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, line := range emu.Transcript() {
		t.Log(line)
	}
}

// TestMeetingFlow: join meeting -> roster changes -> leave.
func TestMeetingFlow(t *testing.T) {
	emu := startEmulator(t)
	b := newBot(t, emu)
	ctx := ctxT(t)
	org := emu.AddUser("olivia", emulator.Behavior{})
	carol := emu.AddUser("carol", emulator.Behavior{})
	dave := emu.AddUser("dave", emulator.Behavior{})
	m := emu.NewMeeting("Incident bridge", org)

	call := calls.NewCall(b.srv.URL, nil)
	call.ChatInfo = m.ChatInfo()
	call.MeetingInfo = m.MeetingInfo()
	created, err := b.api.Calls().Post(ctx, call)
	if err != nil {
		t.Fatal(err)
	}
	if created.State != calls.StateEstablishing {
		t.Errorf("created in state %s", created.State)
	}
	start := 0
	if _, err := emu.WaitEvent(ctx, start, func(ev emulator.Event) bool { return ev.Kind == emulator.EventCallCreated }); err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Second)
	b.expect("established")
	b.expect("roster Emulated bot")
	carol.Join(m)
	b.expect("roster Emulated bot,Carol")
	dave.Join(m)
	b.expect("roster Emulated bot,Carol,Dave")
	carol.Leave(m)
	b.expect("roster Emulated bot,Dave")

	// The bot mutes Dave, then leaves.
	parts, err := b.api.Calls().ByID(created.ID).Participants().Get(ctx)
	if err != nil || len(parts.Value) != 2 {
		t.Fatalf("participants: %v %+v", err, parts)
	}
	if _, err := b.api.Calls().ByID(created.ID).Participants().ByID(parts.Value[1].ID).Mute().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.api.Calls().ByID(created.ID).Delete(ctx); err != nil {
		t.Fatal(err)
	}
	b.expect("terminated 200/7000: The call was ended by the application.")
}

// testLogger sends the emulator's log to the test log when -v is given.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
