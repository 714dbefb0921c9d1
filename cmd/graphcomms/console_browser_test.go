package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/participants"
)

// The tests below drive the emulator's web console in headless Chromium, as a
// developer uses it: `graphcomms emulator` (startHost) with an example bot in its own
// process, and the console's buttons. They need a Chromium (Debian's chromium
// package): they skip without one, unless GRAPHCOMMS_REQUIRE_BROWSER is set, as
// .ci/run sets it. Any JavaScript exception or console.error in the page fails them.

// browserEnv names the variable that makes a missing Chromium fail the tests.
const browserEnv = "GRAPHCOMMS_REQUIRE_BROWSER"

// findChromium returns the path of a Chromium or Chrome, or skips the test (with
// -short too).
func findChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, name := range []string{os.Getenv("GRAPHCOMMS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(browserEnv) != "" {
		t.Fatalf("%s is set and no Chromium was found (apt-get install chromium)", browserEnv)
	}
	t.Skip("no Chromium on this machine (apt-get install chromium): the console's browser tests are skipped; .ci/run requires them")
	return ""
}

// browser is a headless Chromium tab on the console, which records the page's
// JavaScript errors.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// openConsole starts Chromium at the host's console and waits for the page to show
// the emulator's state.
func openConsole(t *testing.T, h *host) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("mute-audio", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Exceptions, unhandled rejections, console.error calls, and the browser's
			// errors about the page's script and its security policy (a blocked
			// resource); its network errors (a prompt URL that does not resolve, a 4xx
			// answer to an action) are not the page's.
			if m.IsException() || m.Type == chromedp.ConsoleError && (m.Source == "" || m.Source == "javascript" || m.Source == "security") {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("JavaScript error in the console: %s", e)
		}
	})
	b.do(chromedp.EmulateViewport(1280, 800), chromedp.Navigate(h.consoleURL()))
	b.wait(`document.querySelector('#bot') && document.querySelector('#bot').textContent.includes('127.0.0.1')`, "the bot's connection shown")
	return b
}

// do runs actions, failing the test on an error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// wait waits until a JavaScript expression is true in the page.
func (b *browser) wait(expr, what string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(waitLimit))); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').innerText : ''`))
		b.t.Fatalf("waiting for %s (%s): %v\nthe page shows:\n%s", what, expr, err, html)
	}
}

// click clicks the element a CSS selector finds.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// addPerson adds a person with the console's form.
func (b *browser) addPerson(name, behavior string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS("#person-name"), name),
		chromedp.SetValue(chromedp.CSS("#person-behavior"), behavior),
		chromedp.Click(chromedp.CSS(`#add-person button[type=submit]`)))
	b.wait(fmt.Sprintf(`!!document.querySelector('li[data-person=%q] .call-bot')`, name), name+" in the list of people")
}

// consoleBot builds the example bot name and runs it against h, as a developer does
// from the console's start-up text.
func consoleBot(t *testing.T, h *host, name string) *botProcess {
	t.Helper()
	bin := buildBots(t, name)[name]
	return startBot(t, bin, []string{emulatorURLEnv + "=" + h.url, "GRAPHCOMMS_LISTEN=127.0.0.1:0"})
}

// acceptCalls points h's incoming calls at a callback that takes every notification
// (202) and reads none, for tests without a bot, and returns its URL.
func acceptCalls(t *testing.T, h *host) string {
	t.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(sink.Close)
	h.emu.SetCallbackURL(sink.URL)
	return sink.URL
}

// callSection is the CSS selector of a call's section on the console.
func callSection(id string) string { return fmt.Sprintf(`section.call[data-call-id=%q]`, id) }

// liveCall returns the ID of the first call on the console.
func (b *browser) liveCall() string {
	b.t.Helper()
	b.wait(`!!document.querySelector('#calls section.call[data-call-id]')`, "a call on the console")
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#calls section.call[data-call-id]').dataset.callId`))
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// screenshot saves a PNG of the page when GRAPHCOMMS_SCREENSHOT names a file (the
// emulator README's picture is made so).
func (b *browser) screenshot() {
	path := os.Getenv("GRAPHCOMMS_SCREENSHOT")
	if path == "" {
		return
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0), document.activeElement && document.activeElement.blur(), true`)); err != nil {
		b.t.Errorf("screenshot: %v", err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// TestConsoleCallsTheIVR: from the console, Alice calls the IVR example bot; the
// console plays its menu, she presses 1 on the keypad and the bot transfers her; the
// call's timeline shows her key, the notification of it and the bot's transfer
// request.
func TestConsoleCallsTheIVR(t *testing.T) {
	findChromium(t)
	h := startTestHost(t)
	bot := consoleBot(t, h, "ivrbot")
	bot.connected(h)
	b := openConsole(t, h)

	b.addPerson("alice", "answer")
	b.click(`li[data-person="alice"] .call-bot`)
	id := b.liveCall()
	sec := callSection(id)
	b.wait(fmt.Sprintf(`document.querySelector('%s .call-state').textContent.trim() === 'established'`, sec), "the call established")
	// The menu is heard: the browser plays it through the emulator.
	b.wait(fmt.Sprintf(`[...document.querySelectorAll('#audio-log li[data-call-id=%q]')].some(li => li.dataset.url.includes('menu.wav') && ['playing', 'ended'].includes(li.dataset.state))`, id),
		"the menu playing in the browser")
	waitEvent(t, h, 0, "the menu", on(id, emulator.EventPromptStarted, "/menu.wav"))
	b.click(sec + ` .keypad button[data-key="3"]`) // the opening hours, then the menu again
	waitEvent(t, h, 0, "the opening hours", on(id, emulator.EventPromptStarted, "/hours.wav"))
	b.screenshot()
	b.click(sec + ` .keypad button[data-key="1"]`)
	waitEvent(t, h, 0, "the transfer", on(id, emulator.EventTransferred, "the bot transfers the call to Sam"))
	b.wait(fmt.Sprintf(`!!document.querySelector('%[1]s ol.timeline li[data-kind="call.transferred"], #ended %[1]s ol.timeline li[data-kind="call.transferred"]')`, sec),
		"the transfer on the timeline")
	for _, kind := range []string{"tone.pressed", "notification.sent", "graph.request"} {
		b.wait(fmt.Sprintf(`!!document.querySelector('%s ol.timeline li[data-kind=%q]')`, sec, kind), kind+" on the timeline")
	}
	bot.stop()
}

// TestConsoleMeetingRoster: the roster example bot joins a meeting; from the console
// Dave joins it, and the console shows him in the meeting and on the bot's call, which
// the bot mutes.
func TestConsoleMeetingRoster(t *testing.T) {
	findChromium(t)
	h := startTestHost(t)
	bot := consoleBot(t, h, "rosterbot")
	waitEvent(t, h, 0, "the bot joining", on("", emulator.EventCallCreated, ""))
	b := openConsole(t, h)
	b.wait(`!!document.querySelector('#clock button[data-advance="1s"]')`, "the virtual clock's controls")
	b.click(`#clock button[data-advance="1s"]`) // the bot is let into the meeting
	bot.waitLine(bot.stderr, `msg="in the meeting" call=(\S+)`)
	b.wait(`!!document.querySelector('section.meeting .roster li[data-name="olivia"]')`, "Olivia in the meeting")
	b.addPerson("dave", "answer")
	b.do(chromedp.SetValue(chromedp.CSS(`section.meeting select.meeting-person`), "dave"))
	b.click(`section.meeting button.join`)
	bot.waitLine(bot.stdout, `muted: Dave$`)
	b.wait(`!!document.querySelector('section.meeting .roster li[data-name="dave"]')`, "Dave in the meeting")
	id := b.liveCall()
	b.wait(fmt.Sprintf(`!!document.querySelector('%s .participants li[data-name="dave"]') && document.querySelector('%[1]s .participants li[data-name="dave"]').textContent.includes('muted')`, callSection(id)),
		"Dave muted on the bot's call")
	bot.stop()
}

// TestConsoleVoiceMessage: Carol calls the recording example bot from the console and
// leaves a message with the tone fallback (no microphone needed); the bot records it,
// downloads it and plays it back, and the console plays that back too.
func TestConsoleVoiceMessage(t *testing.T) {
	findChromium(t)
	h := startTestHost(t)
	bot := consoleBot(t, h, "recordbot")
	cb := bot.connected(h)
	b := openConsole(t, h)

	b.addPerson("carol", "answer")
	b.click(`li[data-person="carol"] .call-bot`)
	id := b.liveCall()
	rec := waitEvent(t, h, 0, "the recording", on(id, emulator.EventRecordStarted, ""))
	b.click(callSection(id) + ` .record-tone`)
	waitEvent(t, h, rec.Seq, "Carol's message", on(id, emulator.EventRecordStarted, "Carol speaks a message of 2s"))
	b.click(`#clock button[data-advance="30s"]`) // her message, and the silence after it
	done := waitEvent(t, h, rec.Seq, "the recorded message", on(id, emulator.EventRecordCompleted, "recorded 2s"))
	waitEvent(t, h, done.Seq, "the playback", on(id, emulator.EventPromptStarted, strings.TrimSuffix(cb, "/api/calls")+"/recordings/"))
	b.wait(fmt.Sprintf(`[...document.querySelectorAll('#audio-log li[data-call-id=%q]')].some(li => li.dataset.url.includes('recordings') && ['playing', 'ended'].includes(li.dataset.state))`, id),
		"the message played back in the browser")
	bot.stop()
}

// TestConsoleRinging: the bot calls Bob, who answers from the console (Behavior.Manual
// set with the console's form), then calls him again and he declines; a keyboard user
// answers with Enter on the focused button.
func TestConsoleRinging(t *testing.T) {
	findChromium(t)
	h := startTestHost(t)
	sinkURL := acceptCalls(t, h)
	adapter, err := h.emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	api := calls.NewAPI(adapter)
	b := openConsole(t, h)
	b.addPerson("bob", "manual")
	bob := h.emu.Person("bob")
	dial := func() string {
		t.Helper()
		c := calls.NewCall(sinkURL, nil)
		c.Targets = []participants.Invitation{participants.Invite(bob.Identity())}
		created, err := api.Calls().Post(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return created.ID
	}

	first := dial()
	ring := fmt.Sprintf(`#ringing li[data-call-id=%q][data-person="bob"]`, first)
	b.wait(fmt.Sprintf(`!!document.querySelector('%s button.answer')`, ring), "Bob's phone ringing on the console")
	b.do(chromedp.Focus(chromedp.CSS(ring+" button.answer")), chromedp.KeyEvent("\r"))
	waitEvent(t, h, 0, "Bob answering", on(first, emulator.EventEstablished, ""))
	b.wait(fmt.Sprintf(`document.querySelector('%s .call-state') && document.querySelector('%[1]s .call-state').textContent.trim() === 'established'`, callSection(first)),
		"the answered call established")

	second := dial()
	b.click(fmt.Sprintf(`#ringing li[data-call-id=%q] button.decline`, second))
	ev := waitEvent(t, h, 0, "Bob declining", on(second, emulator.EventTerminated, ""))
	if ev.Data["code"] != "603" {
		t.Errorf("declined call ended with %v", ev.Data)
	}

	// A narrow window: one column, nothing wider than the window, the keypad on screen.
	b.do(chromedp.EmulateViewport(400, 800))
	b.wait(`document.documentElement.scrollWidth <= window.innerWidth`, "no horizontal scrolling at 400 px")
	b.wait(fmt.Sprintf(`(r => r.width > 0 && r.right <= window.innerWidth)(document.querySelector('%s .keypad button[data-key="5"]').getBoundingClientRect())`, callSection(first)),
		"the keypad inside the narrow window")
}

// TestConsoleWithAccessToken: an emulator that needs its access token (as beyond
// loopback) works from the console's ?token= link: the cookie carries it on the page's
// requests and its event stream, and the page is refused without it.
func TestConsoleWithAccessToken(t *testing.T) {
	findChromium(t)
	h, err := startHost("127.0.0.1:0", emulator.Config{ControlToken: "console-test-token"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	if !strings.HasSuffix(h.consoleURL(), "?token=console-test-token") {
		t.Fatalf("console URL %s", h.consoleURL())
	}
	acceptCalls(t, h)
	b := openConsole(t, h)
	if loc, err := chromedp.Run(b.ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token") {
		t.Errorf("the page's address still holds the token: %s %v", loc, err)
	}
	b.addPerson("frank", "answer")
	b.click(`li[data-person="frank"] .call-bot`) // the call comes through the event stream
	id := b.liveCall()
	b.wait(fmt.Sprintf(`!!document.querySelector('%s ol.timeline li[data-kind="call.incoming"]')`, callSection(id)), "the call's first event on its timeline")
	if code, _, errs := runCLI("", "trigger", "--emulator", h.url, "events"); code != 1 || !strings.Contains(errs, "access token") {
		t.Errorf("trigger without the token: %d %q", code, errs)
	}
	t.Setenv(emulatorTokenEnv, "console-test-token")
	if code, out, errs := runCLI("", "trigger", "--emulator", h.url, "events"); code != 0 || !strings.Contains(out, "Frank calls the bot") {
		t.Errorf("trigger with the token: %d %q %q", code, out, errs)
	}
}
