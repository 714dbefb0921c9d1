package graphcommstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graphcommstest"
	"github.com/graphcomms/graphcomms/media"
)

const (
	helloWAV = "https://cdn.example.com/hello.wav"
	otherWAV = "https://cdn.example.com/other.wav"
	// fixture is a session of promptBot recorded by TestPlayFixture with
	// -graphcommstest.update.
	fixture = "testdata/promptbot.cassette.jsonl"
)

// promptBot answers, plays its prompt once the call is established, and hangs up when
// the caller presses 9. mute makes it also mute itself (a request the cassette does
// not have); silent makes it play nothing; twice makes it play the prompt again once
// it has played; stay makes it ignore the 9.
type promptBot struct {
	prompt                    string
	mute, silent, twice, stay bool
	hungUp                    chan struct{}
	ended                     chan struct{}
	played                    chan error // the prompt's operation's outcome
}

func newPromptBot(prompt string) *promptBot {
	return &promptBot{prompt: prompt, hungUp: make(chan struct{}, 1), ended: make(chan struct{}, 1), played: make(chan error, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (b *promptBot) attach(client *graphcomms.Client) {
	client.OnIncoming(func(call *graphcomms.Call) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		call.OnTerminated(func(graphcomms.EndInfo) {
			cancel()
			signal(b.ended)
		})
		call.OnTone(func(t media.ToneInfo) {
			if t.Tone == media.Tone9 && !b.stay {
				go func() {
					// Not the call's context: the call may end before the answer.
					hctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					_ = call.HangUp(hctx)
					signal(b.hungUp)
				}()
			}
		})
		if err := call.Answer(ctx, b.prompt); err != nil {
			return
		}
		go func() {
			if call.WaitForState(ctx, calls.StateEstablished) != nil {
				return
			}
			_, _ = call.SubscribeToTone(ctx)
			if b.mute {
				_, _ = call.Mute(ctx)
			}
			if !b.silent {
				op, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt(b.prompt)})
				if err == nil {
					_, err = op.Wait(ctx)
				}
				if err == nil && b.twice {
					_, err = call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt(b.prompt)})
				}
				select {
				case b.played <- err:
				default:
				}
			}
		}()
	})
}

// recordSession runs promptBot on the harness with a recorder on both sides and
// writes the cassette to path: alice calls, hears the prompt, presses 9, and the bot
// hangs up. The recording runs as a subtest, so that its client is closed (and every
// exchange written) before the cassette is read.
func recordSession(t *testing.T, path, prompt string) {
	t.Helper()
	clock := emulator.NewVirtualClock(emulator.DefaultStart) // the emulator's and the recorder's
	rec, err := cassette.NewRecorder(cassette.RecorderConfig{Path: path, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("record", func(t *testing.T) {
		h := graphcommstest.New(t, graphcommstest.WithEmulator(emulator.Config{Clock: clock}), graphcommstest.WithCassette(rec))
		bot := newPromptBot(prompt)
		bot.attach(h.Client)
		call := h.CallBot(h.AddUser("alice"))
		h.Wait(call, emulator.EventPromptStarted)
		h.Advance(emulator.DefaultPromptDuration)
		h.Wait(call, emulator.EventPromptCompleted)
		if err := call.Press("9"); err != nil {
			t.Fatal(err)
		}
		h.Wait(call, emulator.EventTerminated)
		for _, ch := range []chan struct{}{bot.hungUp, bot.ended} {
			select {
			case <-ch:
			case <-time.After(graphcommstest.DefaultTimeout):
				t.Fatal("the bot did not hang up")
			}
		}
		// The emulator notes a prompt as started before its response is sent: settle
		// until every response has reached the bot (and so the recorder).
		h.Settle()
	})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st := rec.Stats(); st.Dropped != 0 || st.Err != nil {
		t.Fatalf("recorder: %+v", st)
	}
}

// captureTB records what a helper reports instead of failing the test. Fatal stops
// the goroutine, so run the helper with run.
type captureTB struct {
	testing.TB
	mu     sync.Mutex
	errs   []string
	fatals []string
}

func (c *captureTB) Helper() {}

func (c *captureTB) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *captureTB) Error(args ...any) { c.Errorf("%s", fmt.Sprint(args...)) }

func (c *captureTB) Fatalf(format string, args ...any) {
	c.mu.Lock()
	c.fatals = append(c.fatals, fmt.Sprintf(format, args...))
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *captureTB) Fatal(args ...any) { c.Fatalf("%s", fmt.Sprint(args...)) }
func (c *captureTB) FailNow()          { c.Fatalf("FailNow") }
func (c *captureTB) Fail()             { c.Errorf("Fail") }

func (c *captureTB) Failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.errs)+len(c.fatals) > 0
}

// all is everything reported, fatal or not.
func (c *captureTB) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(append(append([]string(nil), c.errs...), c.fatals...), "\n")
}

// run runs f with c on a goroutine of its own (so that Fatal can end it) and waits.
func (c *captureTB) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(c)
	}()
	<-done
}

func TestRecordAndPlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cassette of one session: %d bytes, %d lines", len(data), bytes.Count(data, []byte("\n")))
	if bytes.Contains(data, []byte("Bearer")) || bytes.Contains(bytes.ToLower(data), []byte(`"authorization"`)) {
		t.Errorf("the cassette holds a token:\n%s", data)
	}
	evs, err := cassette.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[cassette.Kind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[cassette.KindCallback] == 0 || kinds[cassette.KindRequest] < 4 {
		t.Fatalf("recorded %v", kinds)
	}

	start := time.Now()
	bot := newPromptBot(helloWAV)
	pb := graphcommstest.PlayCassette(t, path, bot.attach)
	t.Logf("played back in %s", time.Since(start))
	select {
	case <-bot.hungUp:
	case <-time.After(10 * time.Second):
		t.Error("the played-back bot did not hang up")
	}
	// The prompt's completion, recorded with the clientContext of the recording's
	// bot, reached this one's operation.
	select {
	case err := <-bot.played:
		if err != nil {
			t.Errorf("the prompt's operation: %v", err)
		}
	default:
		t.Error("the prompt's operation did not complete")
	}
	var got []string
	for _, r := range pb.Requests {
		got = append(got, r.Method+" "+r.Path[strings.LastIndex(r.Path, "/"):])
	}
	want := []string{"POST /answer", "POST /subscribeToTone", "POST /playPrompt", "DELETE /" + lastSegment(pb.Requests[0].Path)}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("requests %q, want %q", got, want)
	}
	if pb.Callbacks != kinds[cassette.KindCallback] {
		t.Errorf("delivered %d callbacks, want %d", pb.Callbacks, kinds[cassette.KindCallback])
	}
}

// diffLine says whether report has a diff line starting with sign (after any
// indentation) that contains text. go-cmp varies its spaces between runs, so spaces
// of either kind match any space in text.
func diffLine(report string, sign rune, text string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ") }
	text = norm(text)
	for _, l := range strings.Split(report, "\n") {
		l = norm(l)
		if strings.HasPrefix(l, string(sign)) && strings.Contains(l, text) {
			return true
		}
	}
	return false
}

// lastSegment of /v1.0/communications/calls/ID/answer is the call ID.
func lastSegment(answerPath string) string {
	parts := strings.Split(answerPath, "/")
	return parts[len(parts)-2]
}

func TestPlayChangedBot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, newPromptBot(otherWAV).attach, graphcommstest.WithUpdate(false))
	})
	report := ctb.all()
	t.Logf("reported:\n%s", report)
	for _, want := range []string{"the bot's request differs from the cassette's", "/answer\nbody (-cassette +bot):",
		"/playPrompt\nbody (-cassette +bot):"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report has no %q", want)
		}
	}
	if !diffLine(report, '-', `"hello"`) || !diffLine(report, '+', `"other"`) ||
		!diffLine(report, '-', `"uri": string("`+helloWAV+`")`) || !diffLine(report, '+', `"uri": string("`+otherWAV+`")`) {
		t.Errorf("the diff does not show the prompts")
	}
	if len(ctb.fatals) != 0 {
		t.Errorf("fatal: %q", ctb.fatals)
	}
	// The clientContext the bot made up differs from the recorded one at every run:
	// it is mapped, never reported.
	if diffLine(report, '-', "clientContext") || diffLine(report, '+', "clientContext") {
		t.Errorf("clientContext reported as a difference")
	}
}

func TestPlayUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, newPromptBot(otherWAV).attach, graphcommstest.WithUpdate(true))
	})
	if r := ctb.all(); r != "" {
		t.Fatalf("update reported failures:\n%s", r)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte(otherWAV)) {
		t.Fatalf("the cassette was not rewritten:\n%s", data)
	}
	// The rewritten cassette now expects the new prompt.
	graphcommstest.PlayCassette(t, path, newPromptBot(otherWAV).attach)
	ctb = &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, newPromptBot(helloWAV).attach, graphcommstest.WithUpdate(false))
	})
	if !diffLine(ctb.all(), '-', `"uri": string("`+otherWAV+`")`) {
		t.Errorf("the old bot passes the rewritten cassette:\n%s", ctb.all())
	}
}

func TestPlayMissingRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	bot := newPromptBot(helloWAV)
	bot.silent = true
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, bot.attach, graphcommstest.WithStepTimeout(300*time.Millisecond), graphcommstest.WithUpdate(false))
	})
	if len(ctb.fatals) != 1 {
		t.Fatalf("reported %q", ctb.all())
	}
	msg := ctb.fatals[0]
	t.Logf("reported: %s", msg)
	for _, want := range []string{"before the callback on line", "the bot did not send within 300ms", "/playPrompt (line "} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report has no %q", want)
		}
	}
}

func TestPlayUnexpectedRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	bot := newPromptBot(helloWAV)
	bot.mute = true
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, bot.attach, graphcommstest.WithStepTimeout(2*time.Second), graphcommstest.WithUpdate(false))
	})
	report := ctb.all()
	if !strings.Contains(report, "the bot sent a request the cassette does not have (answered 404):") || !strings.Contains(report, "/mute\n") {
		t.Errorf("reported:\n%s", report)
	}
}

var recordFixture sync.Once

// useFixture returns the committed cassette's path; with -graphcommstest.update, the
// first test to use it records it again.
func useFixture(t *testing.T) string {
	t.Helper()
	if graphcommstest.Updating() {
		recordFixture.Do(func() {
			if err := os.Remove(fixture); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			recordSession(t, fixture, helloWAV)
			if err := os.Chmod(fixture, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	return fixture
}

// TestPlayFixture plays the committed cassette and compares the bot's requests with
// a golden file.
func TestPlayFixture(t *testing.T) {
	pb := graphcommstest.PlayCassette(t, useFixture(t), newPromptBot(helloWAV).attach)
	graphcommstest.Golden(t, "promptbot/requests", pb.Requests)
	// Only clientContext values need mapping for this bot.
	graphcommstest.PlayCassette(t, fixture, newPromptBot(helloWAV).attach, graphcommstest.WithExactIDs())
}

// BenchmarkPlayCassette times playing the fixture back: one call, four requests.
func BenchmarkPlayCassette(b *testing.B) {
	for b.Loop() {
		graphcommstest.PlayCassette(b, fixture, newPromptBot(helloWAV).attach).Close()
	}
}

// A completion that names its operation by clientContext alone reaches the bot's
// operation: the recorded clientContext is delivered as the one the bot made up.
func TestPlayMapsClientContext(t *testing.T) {
	const (
		call   = `"resourceUrl":"/communications/calls/c1"`
		recCC  = "gc-0b7e6a4c-3f0e-4a55-9a53-3c2f1e000001"
		answer = `{"callbackUri":"https://bot.example.com/api/calls","acceptedModalities":["audio"],"mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}}`
	)
	note := func(change, rest string) json.RawMessage {
		return json.RawMessage(`{"value":[{"changeType":"` + change + `",` + rest + `}]}`)
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	evs := []cassette.Event{
		{Kind: cassette.KindCallback, Time: at, Path: "/api/calls", Body: note("created", call+`,"resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","direction":"incoming","tenantId":"t1"}`)},
		{Kind: cassette.KindRequest, Time: at, Method: "POST", Path: "/v1.0/communications/calls/c1/answer", Body: json.RawMessage(answer),
			Response: &cassette.Response{Status: 202}},
		{Kind: cassette.KindCallback, Time: at, Path: "/api/calls", Body: note("updated", call+`,"resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}`)},
		// Graph answers 202 without a body or Location: only the clientContext ties
		// the completion to the operation.
		{Kind: cassette.KindRequest, Time: at, Method: "POST", Path: "/v1.0/communications/calls/c1/playPrompt",
			Body:     json.RawMessage(`{"prompts":[{"@odata.type":"#microsoft.graph.mediaPrompt","mediaInfo":{"uri":"` + helloWAV + `","resourceId":"` + helloWAV + `"}}],"clientContext":"` + recCC + `"}`),
			Response: &cassette.Response{Status: 202}},
		{Kind: cassette.KindCallback, Time: at.Add(2 * time.Second), Path: "/api/calls", Body: note("deleted",
			`"resourceUrl":"/communications/calls/c1/operations/op1","resourceData":{"@odata.type":"#microsoft.graph.playPromptOperation","id":"op1","clientContext":"`+recCC+`","status":"completed"}`)},
	}
	path := filepath.Join(t.TempDir(), "handmade.jsonl")
	if err := cassette.WriteFile(path, evs); err != nil {
		t.Fatal(err)
	}
	played := make(chan error, 1)
	pb := graphcommstest.PlayCassette(t, path, func(client *graphcomms.Client) {
		client.OnIncoming(func(c *graphcomms.Call) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Answer(ctx); err != nil {
				cancel()
				played <- err
				return
			}
			go func() {
				defer cancel()
				if err := c.WaitForState(ctx, calls.StateEstablished); err != nil {
					played <- err
					return
				}
				op, err := c.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt(helloWAV)})
				if err == nil {
					_, err = op.Wait(ctx)
				}
				played <- err
			}()
		})
	}, graphcommstest.WithPlayConfig(func(cfg *graphcomms.Config) { cfg.CallbackURL = "https://bot.example.com/api/calls" }))
	select {
	case err := <-played:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the operation did not complete")
	}
	// The bot's own clientContext is reported as the cassette's.
	if len(pb.Requests) != 2 || !strings.Contains(string(pb.Requests[1].Body), recCC) {
		t.Errorf("requests %+v", pb.Requests)
	}
}

// -update adds the requests the bot sends now and removes those it no longer sends;
// the rewritten cassette then passes.
func TestPlayUpdateAddsAndRemoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.jsonl")
	recordSession(t, path, helloWAV)
	// This bot plays its prompt twice and does not hang up.
	changed := func() *promptBot { b := newPromptBot(helloWAV); b.twice, b.stay = true, true; return b }
	fast := graphcommstest.WithStepTimeout(300 * time.Millisecond)
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, changed().attach, fast, graphcommstest.WithUpdate(true))
	})
	if len(ctb.errs)+len(ctb.fatals) != 0 {
		t.Fatalf("update reported failures:\n%s", ctb.all())
	}
	evs, err := cassette.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, ev := range evs {
		if ev.Kind == cassette.KindRequest && ev.Method != http.MethodGet {
			routes = append(routes, ev.Method+" "+ev.Path[strings.LastIndex(ev.Path, "/")+1:])
		}
	}
	if got := strings.Join(routes, ", "); got != "POST answer, POST subscribeToTone, POST playPrompt, POST playPrompt" {
		t.Errorf("rewritten requests: %s", got)
	}
	graphcommstest.PlayCassette(t, path, changed().attach, graphcommstest.WithUpdate(false))
	// The bot of the recording now misses the second prompt and hangs up.
	ctb = &captureTB{TB: t}
	ctb.run(func(tb testing.TB) {
		graphcommstest.PlayCassette(tb, path, newPromptBot(helloWAV).attach, fast, graphcommstest.WithUpdate(false))
	})
	if r := ctb.all(); !strings.Contains(r, "/playPrompt (line ") || !strings.Contains(r, "the bot sent a request the cassette does not have (answered 404):\n    DELETE") {
		t.Errorf("reported:\n%s", r)
	}
}

// TestPlayRedactedSecrets: a bot whose requests hold a secret (a SAS signature in a
// prompt URL) records a cassette without it, and plays that cassette back: the bot's
// requests are compared as the recorder wrote them, secrets redacted.
func TestPlayRedactedSecrets(t *testing.T) {
	const signed = helloWAV + "?sv=2024-05-04&sig=abc123secret"
	path := filepath.Join(t.TempDir(), "signed.cassette.jsonl")
	recordSession(t, path, signed)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "abc123secret") {
		t.Fatal("the cassette holds the SAS signature")
	}
	graphcommstest.PlayCassette(t, path, newPromptBot(signed).attach, graphcommstest.WithUpdate(false))
}
