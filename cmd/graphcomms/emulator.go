package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
)

// emulatorURLEnv names the emulator a bot (examples/internal/demo) and `graphcomms
// trigger` talk to.
const emulatorURLEnv = "GRAPHCOMMS_EMULATOR_URL"

// defaultEmulatorAddr is where `graphcomms emulator` listens and `graphcomms trigger`
// looks by default.
const defaultEmulatorAddr = "127.0.0.1:9440"

const emulatorUsage = `usage: graphcomms emulator [flags]

Runs the Graph calls emulator until interrupted and logs every exchange. A bot in
another process connects with ` + emulatorURLEnv + `=URL (the examples: -emulator URL);
drive it with graphcomms trigger, graphcomms shell or --interactive.

flags:
`

// emulatorCmd runs the emulator until interrupted (or until ctx ends, in tests). With
// --interactive it reads trigger actions from stdin and stops at its end.
func emulatorCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), emulatorUsage)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", defaultEmulatorAddr, "`HOST:PORT` to listen on")
	callback := fs.String("callback", "", "the bot's callback `URL` for incoming calls, when the bot does not register one itself (loopback only)")
	appID := fs.String("app-id", emulator.DefaultAppID, "the bot's app `ID` (audience of notification tokens)")
	anonymous := fs.Bool("allow-anonymous", false, "accept Graph requests that carry no bearer token (by default they get 401, as from Graph)")
	autoCreate := fs.Bool("auto-create-people", false, "make up a person who answers at once for any call or invite target the emulator does not know (by default such a call ends with 404/8522, as a call to an unknown user does)")
	virtual := fs.Bool("virtual-clock", false, "run on a virtual clock, which stands still until 'graphcomms trigger advance DURATION' moves it (default: the real clock)")
	interactive := fs.Bool("interactive", false, "read trigger actions from standard input (as graphcomms shell does); the emulator stops at its end")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "graphcomms emulator: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *callback != "" {
		if err := emulator.CheckCallbackURL(*callback); err != nil {
			fmt.Fprintf(stderr, "graphcomms emulator: --callback: %v\n", err)
			return 2
		}
	}
	log := slog.New(newLineHandler(stdout))
	cfg := emulator.Config{AppID: *appID, CallbackURL: *callback, Logger: log, Clock: emulator.RealClock{}, AllowAnonymous: *anonymous, AutoCreatePeople: *autoCreate}
	if *virtual {
		cfg.Clock = nil
	}
	h, err := startHost(*addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms emulator: %v\n", err)
		return 1
	}
	defer h.Close()
	printStartup(stdout, h, selfName(), *interactive)
	if *interactive {
		return shell(h.url, stdin, stdout, stderr, isTerminal(stdin))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return 0
}

// selfName is how to run this program again: as it was started, or, under go run,
// "go run ./cmd/graphcomms" (building it once makes each trigger start in milliseconds
// rather than the second or more go run takes).
func selfName() string {
	self := os.Args[0]
	if strings.Contains(self, "go-build") {
		return "go run ./cmd/graphcomms"
	}
	return self
}

// printStartup says what the emulator serves and what to set and run to use it; self
// is how to run graphcomms.
func printStartup(w io.Writer, h *host, self string, interactive bool) {
	c := h.emu.ConnectInfo()
	clock := "real clock"
	if c.VirtualClock {
		clock = "virtual clock at " + h.emu.Now().Format(time.RFC3339) + ", moved with: " + self + " trigger advance 30s"
	}
	fmt.Fprintf(w, "Graph emulator listening on %s (%s)\n", c.URL, clock)
	fmt.Fprintf(w, "  Graph base URL:    %s\n", c.GraphURL)
	fmt.Fprintf(w, "  OpenID config:     %s (validates the emulator's notification tokens)\n", c.OpenIDConfigURL)
	fmt.Fprintf(w, "  bot app ID:        %s (tenant %s)\n", c.AppID, c.TenantID)
	if c.AllowAnonymous {
		fmt.Fprintf(w, "  bearer tokens:     optional (--allow-anonymous): Graph requests without one are accepted\n")
	} else {
		fmt.Fprintf(w, "  bearer tokens:     required on Graph requests (401 without one; --allow-anonymous accepts them)\n")
	}
	fmt.Fprintf(w, "                     POST %s hands one out; any non-empty token is accepted\n", c.TokenURL)
	fmt.Fprintf(w, "  web console:       %s (call the bot, press keys, hear its prompts)\n", h.consoleURL())
	if h.token != "" {
		fmt.Fprintf(w, "  access token:      %s (the control API and the console need it beyond loopback;\n", h.token)
		fmt.Fprintf(w, "                     give it to bots and trigger as %s=%s)\n", emulatorTokenEnv, h.token)
	}
	if c.CallbackURL != "" {
		fmt.Fprintf(w, "  bot callback URL:  %s (--callback)\n", c.CallbackURL)
	} else {
		fmt.Fprintf(w, "  bot callback URL:  none yet: a bot registers its own when it connects (PUT %s)\n", hostCallbackPath)
	}
	fmt.Fprintf(w, "\nConnect an example bot (ivrbot, recordbot, rosterbot, incidentbot), in another terminal:\n")
	fmt.Fprintf(w, "  %s=%s go run ./examples/ivrbot\n", emulatorURLEnv, c.URL)
	fmt.Fprintf(w, "  (or: go run ./examples/ivrbot -emulator %s)\n", c.URL)
	if interactive {
		fmt.Fprintf(w, "Then type trigger actions here (help lists them), e.g.:\n  incoming-call --from alice\n  tone 1\n  events\n")
		return
	}
	opt := ""
	if c.URL != "http://"+defaultEmulatorAddr {
		opt = " --emulator " + c.URL
	}
	fmt.Fprintf(w, "Then make calls, in a third terminal:\n")
	fmt.Fprintf(w, "  %s trigger%s incoming-call --from alice\n", self, opt)
	fmt.Fprintf(w, "  %s trigger%s events\n", self, opt)
	fmt.Fprintf(w, "  (or %s shell%s, to type the actions without the prefix)\n", self, opt)
	if strings.HasPrefix(self, "go run") {
		fmt.Fprintf(w, "  (go build -o bin/graphcomms ./cmd/graphcomms once, and bin/graphcomms trigger starts at once)\n")
	}
}

const triggerActions = `actions:
  incoming-call --from NAME     NAME calls the bot; prints the call's ID
  compliance-call --from NAME [--with OTHER]
                                Teams invites the bot to record NAME's call (policy-based
                                recording; the bot must answer within 5 s)
  tone --call ID KEYS           the caller presses DTMF keys
  hangup --call ID              the caller hangs up
  join --call ID NAME           NAME joins the meeting the call is in
  escalate --call ID NAME       the caller adds NAME: the call becomes a group call
  answer --call ID [NAME]       NAME (a person added with "manual": true, whose phone
                                rings for the bot's call) answers; decline declines
  advance DURATION              move a virtual clock forward (e.g. 30s)
  events [--call ID]            print what happened so far, one line per event
`

const triggerUsage = `usage: graphcomms trigger [--emulator URL] <action> ...

--emulator defaults to $` + emulatorURLEnv + `, else http://` + defaultEmulatorAddr + `.

` + triggerActions

// defaultEmulatorURL is the emulator trigger and shell talk to without --emulator.
func defaultEmulatorURL() string {
	if u := os.Getenv(emulatorURLEnv); u != "" {
		return u
	}
	return "http://" + defaultEmulatorAddr
}

// trigger drives a running emulator through its control API.
func trigger(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), triggerUsage) }
	base := fs.String("emulator", defaultEmulatorURL(), "the emulator's URL")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, triggerUsage)
		return 2
	}
	return runAction(*base, fs.Arg(0), fs.Args()[1:], stdout, stderr)
}

// runAction runs one trigger action against the emulator at base.
func runAction(base, action string, rest []string, stdout, stderr io.Writer) int {
	base = strings.TrimSuffix(base, "/")
	sub := flag.NewFlagSet(action, flag.ContinueOnError)
	sub.SetOutput(stderr)
	sub.Usage = func() { fmt.Fprint(sub.Output(), triggerActions) }
	from := sub.String("from", "", "who calls")
	with := sub.String("with", "", "the other side of a recorded call")
	callID := sub.String("call", "", "the call ID")
	if err := sub.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var path string
	body := map[string]string{}
	need := func(ok bool, what string) bool {
		if !ok {
			fmt.Fprintf(stderr, "graphcomms trigger %s: %s\n%s", action, what, triggerActions)
		}
		return ok
	}
	switch action {
	case "incoming-call":
		if !need(*from != "", "--from is required") {
			return 2
		}
		path, body["from"] = "/incoming-call", *from
	case "compliance-call":
		if !need(*from != "", "--from is required") {
			return 2
		}
		path, body["from"], body["with"] = "/compliance-call", *from, *with
	case "escalate":
		if !need(*callID != "" && sub.NArg() == 1, "--call ID and a NAME are required") {
			return 2
		}
		path, body["who"] = "/calls/"+url.PathEscape(*callID)+"/escalate", sub.Arg(0)
	case "tone":
		if !need(*callID != "" && sub.NArg() == 1, "--call ID and the KEYS are required") {
			return 2
		}
		path, body["keys"] = "/calls/"+url.PathEscape(*callID)+"/tone", sub.Arg(0)
	case "hangup":
		if !need(*callID != "", "--call ID is required") {
			return 2
		}
		path = "/calls/" + url.PathEscape(*callID) + "/hangup"
	case "join":
		if !need(*callID != "" && sub.NArg() == 1, "--call ID and a NAME are required") {
			return 2
		}
		path, body["who"] = "/calls/"+url.PathEscape(*callID)+"/join", sub.Arg(0)
	case "answer", "decline":
		if !need(*callID != "" && sub.NArg() <= 1, "--call ID is required, and at most one NAME") {
			return 2
		}
		path, body["who"] = "/calls/"+url.PathEscape(*callID)+"/"+action, sub.Arg(0)
	case "advance":
		if !need(sub.NArg() == 1, "a DURATION is required") {
			return 2
		}
		path, body["by"] = "/advance", sub.Arg(0)
	case "events":
		return getEvents(base+emulator.ControlPrefix+"/events", *callID, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "graphcomms trigger: unknown action %q\n%s", action, triggerActions)
		return 2
	}
	b, _ := json.Marshal(body)
	resp, err := controlClient.Post(base+emulator.ControlPrefix+path, "application/json", bytes.NewReader(b))
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms trigger: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(out, &e)
		fmt.Fprintf(stderr, "graphcomms trigger: %s\n", strings.TrimSpace(firstNonEmpty(e.Error, string(out))))
		return 1
	}
	fmt.Fprint(stdout, string(out))
	return 0
}

// emulatorTokenEnv holds the control API's access token, which `graphcomms emulator`
// prints when it listens beyond loopback.
const emulatorTokenEnv = "GRAPHCOMMS_EMULATOR_TOKEN"

// controlClient talks to the emulator's control API, with the access token of
// $GRAPHCOMMS_EMULATOR_TOKEN when it is set.
var controlClient = &http.Client{Timeout: 30 * time.Second, Transport: tokenTransport{}}

// tokenTransport adds the control API's access token to each request.
type tokenTransport struct{}

// RoundTrip implements http.RoundTripper.
func (tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok := os.Getenv(emulatorTokenEnv); tok != "" {
		r = r.Clone(r.Context())
		r.Header.Set(emulator.ControlTokenHeader, tok)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// controlEvent is one event as GET /_emulator/events lists it.
type controlEvent struct {
	Seq    int       `json:"seq"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	CallID string    `json:"callId"`
	Who    string    `json:"who"`
	Detail string    `json:"detail"`
}

func getEvents(u, callID string, stdout, stderr io.Writer) int {
	resp, err := controlClient.Get(u)
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms trigger: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		var e struct{ Error string }
		_ = json.Unmarshal(out, &e)
		fmt.Fprintf(stderr, "graphcomms trigger: GET %s: %s: %s\n", u, resp.Status, strings.TrimSpace(firstNonEmpty(e.Error, string(out))))
		return 1
	}
	var events []controlEvent
	if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
		fmt.Fprintf(stderr, "graphcomms trigger: %v\n", err)
		return 1
	}
	if callID != "" {
		events = slices.DeleteFunc(events, func(e controlEvent) bool { return e.CallID != callID })
	}
	printEvents(stdout, events, callID)
	return 0
}

// printEvents writes events as a table: time, call ID, kind, who, detail. An empty
// list gets one line saying so.
func printEvents(w io.Writer, events []controlEvent, callID string) {
	if len(events) == 0 {
		if callID != "" {
			fmt.Fprintf(w, "no events for call %s yet\n", callID)
		} else {
			fmt.Fprintln(w, "no events yet")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCALL\tEVENT\tWHO\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.Format("15:04:05.000"), orDash(e.CallID), e.Kind, orDash(e.Who),
			strings.ReplaceAll(e.Detail, "\t", " "))
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
