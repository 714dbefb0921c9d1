package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
)

// The tests below run the example bots as `graphcomms emulator` users run them: each
// bot is its own process (built from examples/), started with -emulator URL or
// GRAPHCOMMS_EMULATOR_URL, against an emulator served over HTTP by the code
// `graphcomms emulator` serves it with (startHost), and driven by `graphcomms trigger`.
// Everything is on loopback; every wait has a deadline and blocks on the emulator's
// event log or the bot's output, never on a timer.

// waitLimit bounds each wait.
const waitLimit = 30 * time.Second

// buildBots builds the example bots into a temporary directory and returns their
// paths by name.
func buildBots(t *testing.T, names ...string) map[string]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the example bots with")
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./examples/"+n)
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Join("..", "..")
	// Everything needed is in the module cache already: never reach the network.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	bins := map[string]string{}
	for _, n := range names {
		bins[n] = filepath.Join(dir, n)
	}
	return bins
}

// startTestHost serves an emulator on a virtual clock as `graphcomms emulator
// --virtual-clock` does.
func startTestHost(t *testing.T) *host {
	t.Helper()
	h, err := startHost("127.0.0.1:0", emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// waitEvent waits for an event after seq that matches.
func waitEvent(t *testing.T, h *host, after int, what string, match func(emulator.Event) bool) emulator.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ev, err := h.emu.WaitEvent(ctx, after, match)
	if err != nil {
		t.Fatalf("waiting for %s: %v\nevents:\n%s", what, err, strings.Join(h.emu.Transcript(), "\n"))
	}
	return ev
}

// on matches events of a kind on a call whose detail contains detail.
func on(callID string, kind emulator.EventKind, detail string) func(emulator.Event) bool {
	return func(ev emulator.Event) bool {
		return ev.Kind == kind && (callID == "" || ev.CallID == callID) && strings.Contains(ev.Detail, detail)
	}
}

// botProcess is an example bot running as its own process.
type botProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout chan string // lines
	stderr chan string
	exited chan error
	mu     sync.Mutex
	all    strings.Builder // everything it wrote, for failure messages
}

// startBot starts bin with args and the environment plus env, without any real-mode
// or emulator variable of the test's own environment.
func startBot(t *testing.T, bin string, env []string, args ...string) *botProcess {
	t.Helper()
	b := &botProcess{t: t, cmd: exec.Command(bin, args...), stdout: make(chan string, 1000), stderr: make(chan string, 1000),
		exited: make(chan error, 1)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRAPHCOMMS_") {
			b.cmd.Env = append(b.cmd.Env, kv)
		}
	}
	b.cmd.Env = append(b.cmd.Env, env...)
	outPipe, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var copying sync.WaitGroup
	lines := func(r io.Reader, ch chan string, prefix string) {
		defer copying.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			b.mu.Lock()
			b.all.WriteString(prefix + sc.Text() + "\n")
			b.mu.Unlock()
			ch <- sc.Text()
		}
		close(ch)
	}
	copying.Add(2)
	go lines(outPipe, b.stdout, "stdout: ")
	go lines(errPipe, b.stderr, "stderr: ")
	go func() {
		copying.Wait() // Wait must not close the pipes before they are read to the end
		b.exited <- b.cmd.Wait()
	}()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
		if t.Failed() {
			t.Logf("the bot's output:\n%s", b.output())
		}
	})
	return b
}

func (b *botProcess) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

// waitLine reads the bot's stdout or stderr until a line matches re, and returns the
// submatches.
func (b *botProcess) waitLine(ch chan string, re string) []string {
	b.t.Helper()
	r := regexp.MustCompile(re)
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				b.t.Fatalf("the bot's output ended before a line matching %q", re)
			}
			if m := r.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline.C:
			b.t.Fatalf("no line of the bot matches %q", re)
		}
	}
}

// stop interrupts the bot, as Ctrl-C does, and waits for it to exit 0.
func (b *botProcess) stop() {
	b.t.Helper()
	if err := b.cmd.Process.Signal(os.Interrupt); err != nil {
		b.t.Fatal(err)
	}
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	select {
	case err := <-b.exited:
		if err != nil {
			b.t.Errorf("the bot exited with %v", err)
		}
	case <-deadline.C:
		b.t.Fatal("the bot did not stop when interrupted")
	}
}

// connected waits until the bot has registered its callback URL, and returns it.
func (b *botProcess) connected(h *host) string {
	b.t.Helper()
	m := b.waitLine(b.stderr, `msg="serving the emulator's calls" emulator=(\S+) callback=(\S+)`)
	if m[1] != h.url || m[2] != h.callbackURL() || !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/api/calls$`).MatchString(m[2]) {
		b.t.Fatalf("the bot says it serves %s with callback %s; the emulator at %s has callback %q", m[1], m[2], h.url, h.callbackURL())
	}
	return m[2]
}

// trig runs `graphcomms trigger --emulator URL args...` and fails the test unless it
// exits 0; it returns its standard output.
func trig(t *testing.T, h *host, args ...string) string {
	t.Helper()
	code, out, errs := runCLI("", append([]string{"trigger", "--emulator", h.url}, args...)...)
	if code != 0 {
		t.Fatalf("graphcomms trigger %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// incomingCall makes name call the bot and returns the call's ID.
func incomingCall(t *testing.T, h *host, name string) string {
	t.Helper()
	var res struct{ CallID string }
	out := trig(t, h, "incoming-call", "--from", name)
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.CallID == "" {
		t.Fatalf("incoming-call printed %q", out)
	}
	return res.CallID
}

func TestExampleBotsAgainstAnExternalEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example bots")
	}
	bins := buildBots(t, "ivrbot", "recordbot", "rosterbot", "incidentbot")
	t.Run("ivrbot", func(t *testing.T) {
		t.Parallel()
		h := startTestHost(t)
		if code, _, errs := runCLI("", "trigger", "--emulator", h.url, "incoming-call", "--from", "alice"); code != 1 ||
			!strings.Contains(errs, "no bot is connected") || !strings.Contains(errs, emulatorURLEnv+"="+h.url) {
			t.Errorf("incoming-call with no bot: %d %q", code, errs)
		}
		bot := startBot(t, bins["ivrbot"], nil, "-emulator", h.url, "-listen", "127.0.0.1:0")
		bot.connected(h)

		id := incomingCall(t, h, "alice")
		menu := waitEvent(t, h, 0, "the menu", on(id, emulator.EventPromptStarted, "/menu.wav"))
		trig(t, h, "tone", "--call", id, "3")
		bot.waitLine(bot.stderr, `msg="key pressed" call=`+id+` caller=Alice key=3`)
		hours := waitEvent(t, h, menu.Seq, "the opening hours", on(id, emulator.EventPromptStarted, "/hours.wav"))
		trig(t, h, "advance", "2s") // the hours have played: the menu again
		waitEvent(t, h, hours.Seq, "the menu again", on(id, emulator.EventPromptStarted, "/menu.wav"))
		events := trig(t, h, "events")
		for _, want := range []string{id + "  call.incoming", id + "  tone.pressed      alice  presses 3", "/hours.wav"} {
			if !strings.Contains(events, want) {
				t.Errorf("events lack %q:\n%s", want, events)
			}
		}
		// 1 transfers to sam, whom the bot declared with the emulator when it connected.
		trig(t, h, "tone", "--call", id, "1")
		waitEvent(t, h, hours.Seq, "the transfer", on(id, emulator.EventTransferred, "the bot transfers the call to Sam"))

		bob := incomingCall(t, h, "bob")
		waitEvent(t, h, 0, "bob's menu", on(bob, emulator.EventPromptStarted, "/menu.wav"))
		trig(t, h, "hangup", "--call", bob)
		waitEvent(t, h, 0, "bob's hang-up", on(bob, emulator.EventTerminated, "Bob hung up"))
		bot.waitLine(bot.stderr, `msg="call ended" call=`+bob+` caller=Bob reason=remoteHangUp`)

		bot.stop()
		if cb := h.callbackURL(); cb != "" {
			t.Errorf("the bot left its callback URL %q registered", cb)
		}
	})
	t.Run("recordbot", func(t *testing.T) {
		t.Parallel()
		h := startTestHost(t)
		bot := startBot(t, bins["recordbot"], []string{emulatorURLEnv + "=" + h.url, "GRAPHCOMMS_LISTEN=127.0.0.1:0"})
		cb := bot.connected(h)
		id := incomingCall(t, h, "carol")
		rec := waitEvent(t, h, 0, "the recording", on(id, emulator.EventRecordStarted, ""))
		trig(t, h, "advance", "12s") // greeting, beep, Carol's message, silence
		// The bot downloads the recording from the emulator and plays it back from its
		// own server.
		back := waitEvent(t, h, rec.Seq, "the playback", on(id, emulator.EventPromptStarted, strings.TrimSuffix(cb, "/api/calls")+"/recordings/"))
		trig(t, h, "advance", "5s")
		waitEvent(t, h, back.Seq, "the bot's hang-up", on(id, emulator.EventTerminated, "the bot hangs up"))
		bot.stop()
	})
	t.Run("rosterbot", func(t *testing.T) {
		t.Parallel()
		h := startTestHost(t)
		bot := startBot(t, bins["rosterbot"], []string{emulatorURLEnv + "=" + h.url}, "-listen", "127.0.0.1:0")
		waitEvent(t, h, 0, "the bot joining", on("", emulator.EventCallCreated, ""))
		trig(t, h, "advance", "1s") // the bot is let into the meeting
		id := bot.waitLine(bot.stderr, `msg="in the meeting" call=(\S+)`)[1]
		bot.waitLine(bot.stdout, `joined: Olivia$`)
		trig(t, h, "join", "--call", id, "dave")
		bot.waitLine(bot.stdout, `muted: Dave$`)
		bot.stop()
		waitEvent(t, h, 0, "the bot leaving", on(id, emulator.EventTerminated, "the bot hangs up"))
	})
	t.Run("incidentbot", func(t *testing.T) {
		t.Parallel()
		h := startTestHost(t)
		bot := startBot(t, bins["incidentbot"], nil, "-emulator", h.url, "-listen", "127.0.0.1:0")
		waitEvent(t, h, 0, "the bot joining", on("", emulator.EventCallCreated, ""))
		trig(t, h, "advance", "1s")
		bot.waitLine(bot.stderr, `msg="in the incident meeting"`)
		calls := map[string]string{}
		for _, who := range []string{"Alice", "Bob"} {
			ev := waitEvent(t, h, 0, who+" hearing the message", func(e emulator.Event) bool {
				return e.Kind == emulator.EventPromptStarted && strings.EqualFold(e.Who, who) && strings.Contains(e.Detail, "incident-4711.wav")
			})
			waitEvent(t, h, 0, who+"'s keys", on(ev.CallID, emulator.EventTonesSubscribed, ""))
			calls[who] = ev.CallID
		}
		trig(t, h, "tone", "--call", calls["Alice"], "1")
		trig(t, h, "tone", "--call", calls["Bob"], "2")
		bot.waitLine(bot.stdout, `^Report:$`)
		got := []string{bot.waitLine(bot.stdout, `^  \S.*`)[0], bot.waitLine(bot.stdout, `^  \S.*`)[0]}
		want := []string{"  Alice  joined the incident meeting", "  Bob    declined (pressed 2)"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("report %q, want %q", got, want)
		}
		bot.stop()
	})
}
