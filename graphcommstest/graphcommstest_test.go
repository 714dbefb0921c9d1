package graphcommstest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// greet is a small bot: it answers every call and plays a greeting.
func greet(client *graphcomms.Client) {
	client.OnIncoming(func(call *graphcomms.Call) {
		ctx := context.Background()
		if err := call.Answer(ctx); err != nil {
			return
		}
		go func() {
			if call.WaitForState(ctx, calls.StateEstablished) == nil {
				_, _ = call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/hello.wav")})
			}
		}()
	})
}

// The smallest complete test of a bot that answers and plays a prompt (README's
// "Testing your bot").
func TestGreeter(t *testing.T) {
	h := graphcommstest.New(t)
	greet(h.Client)
	call := h.CallBot(h.AddUser("alice"))
	h.Wait(call, emulator.EventPromptStarted)
	h.ExpectTranscript("call.answered", "the bot plays https://cdn.example.com/hello.wav")
}

// Wait returns once the bot's request has its answer: the recording the bot started
// has its operation ID (the emulator records record.started as the request arrives).
func TestWaitAfterTheBotsRequest(t *testing.T) {
	h := graphcommstest.New(t)
	started := make(chan *graphcomms.Operation[*calls.RecordOperation], 1)
	h.Client.OnIncoming(func(call *graphcomms.Call) {
		ctx := context.Background()
		_ = call.Answer(ctx)
		go func() {
			_ = call.WaitForState(ctx, calls.StateEstablished)
			op, err := call.RecordResponse(ctx, calls.RecordResponseRequest{})
			if err == nil {
				started <- op
			}
		}()
	})
	call := h.CallBot(h.AddUser("bob"))
	h.Wait(call, emulator.EventRecordStarted)
	bot, ok := h.Client.Call(call.ID())
	if !ok {
		t.Fatal("call not tracked")
	}
	if ops := bot.PendingOperations(); len(ops) != 1 {
		t.Fatalf("%d pending operations after Wait, want the recording", len(ops))
	}
	if op := <-started; op.ID() == "" {
		t.Error("the recording has no operation ID")
	}
}

// WaitCallTo finds the call the bot places; a person with zero delays answers it
// without Advance.
func TestWaitCallTo(t *testing.T) {
	h := graphcommstest.New(t)
	carol := h.AddUser("carol")
	ctx := h.Context()
	created := make(chan error, 1)
	go func() {
		c := calls.NewCall("", nil)
		c.Targets = []participants.Invitation{participants.Invite(carol.Identity())}
		_, err := h.Client.Create(ctx, c)
		created <- err
	}()
	placed := h.WaitCallTo(carol)
	// The client registers the call once Create has its answer; Create returns after.
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	call, ok := h.Client.Call(placed.ID())
	if !ok {
		t.Fatal("the client does not track the call it placed")
	}
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		t.Fatal(err)
	}
}

// fakeTB records failures instead of failing the test.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func TestExpectTranscriptOrder(t *testing.T) {
	h := graphcommstest.New(t)
	greet(h.Client)
	call := h.CallBot(h.AddUser("dave"))
	h.Wait(call, emulator.EventPromptStarted)
	h.ExpectTranscript("call.incoming", "call.answered", "prompt.started")
	// Out of order: reported. ExpectTranscript only calls Helper and Errorf.
	f := &fakeTB{TB: t}
	graphcommstest.ExpectTranscriptOf(f, h.Emulator, "prompt.started", "call.incoming")
	if len(f.errors) != 1 || !strings.Contains(f.errors[0], `no line with "call.incoming"`) {
		t.Errorf("errors %q", f.errors)
	}
}
