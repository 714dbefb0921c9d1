package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
)

// emulatorCmd runs the emulator until interrupted (or until ctx ends, in tests).
func emulatorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9440", "address to listen on")
	callback := fs.String("callback", "", "the bot's callback URL, for incoming calls")
	appID := fs.String("app-id", emulator.DefaultAppID, "the bot's app ID (audience of notification tokens)")
	virtual := fs.Bool("virtual-clock", false, "use a virtual clock, moved with `graphcomms trigger advance`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	cfg := emulator.Config{AppID: *appID, CallbackURL: *callback, Logger: log, Clock: emulator.RealClock{}}
	if *virtual {
		cfg.Clock = nil
	}
	srv, err := emulator.StartOn(*addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms emulator: %v\n", err)
		return 1
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "Graph emulator listening on %s\n", srv.URL())
	fmt.Fprintf(stdout, "  Graph base URL:        %s\n", srv.GraphURL())
	fmt.Fprintf(stdout, "  OpenID configuration:  %s\n", srv.OpenIDConfigURL())
	fmt.Fprintf(stdout, "  bot app ID:            %s (tenant %s)\n", srv.AppID(), srv.TenantID())
	if *callback == "" {
		fmt.Fprintln(stdout, "  no --callback: incoming calls need one")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return 0
}

const triggerUsage = `usage: graphcomms trigger [--emulator URL] <action> ...

actions:
  incoming-call --from NAME     NAME calls the bot
  compliance-call --from NAME [--with OTHER]
                                Teams invites the bot to record NAME's call (policy-based
                                recording; the bot must answer within 5 s)
  tone --call ID KEYS           the caller presses DTMF keys
  hangup --call ID              the caller hangs up
  join --call ID NAME           NAME joins the meeting the call is in
  escalate --call ID NAME       the caller adds NAME: the call becomes a group call
  advance DURATION              move a virtual clock forward (e.g. 30s)
  events                        print what happened so far
`

// trigger drives a running emulator through its control API.
func trigger(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("emulator", "http://127.0.0.1:9440", "the emulator's URL")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprint(stderr, triggerUsage)
		return 2
	}
	action, rest := fs.Arg(0), fs.Args()[1:]
	sub := flag.NewFlagSet(action, flag.ContinueOnError)
	sub.SetOutput(stderr)
	from := sub.String("from", "", "who calls")
	with := sub.String("with", "", "the other side of a recorded call")
	callID := sub.String("call", "", "the call ID")
	if err := sub.Parse(rest); err != nil {
		return 2
	}
	var path string
	body := map[string]string{}
	need := func(ok bool, what string) bool {
		if !ok {
			fmt.Fprintf(stderr, "graphcomms trigger %s: %s\n%s", action, what, triggerUsage)
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
		path, body["who"] = "/calls/"+*callID+"/escalate", sub.Arg(0)
	case "tone":
		if !need(*callID != "" && sub.NArg() == 1, "--call ID and the KEYS are required") {
			return 2
		}
		path, body["keys"] = "/calls/"+*callID+"/tone", sub.Arg(0)
	case "hangup":
		if !need(*callID != "", "--call ID is required") {
			return 2
		}
		path = "/calls/" + *callID + "/hangup"
	case "join":
		if !need(*callID != "" && sub.NArg() == 1, "--call ID and a NAME are required") {
			return 2
		}
		path, body["who"] = "/calls/"+*callID+"/join", sub.Arg(0)
	case "advance":
		if !need(sub.NArg() == 1, "a DURATION is required") {
			return 2
		}
		path, body["by"] = "/advance", sub.Arg(0)
	case "events":
		return getEvents(strings.TrimSuffix(*base, "/")+emulator.ControlPrefix+"/events", stdout, stderr)
	default:
		fmt.Fprintf(stderr, "graphcomms trigger: unknown action %q\n%s", action, triggerUsage)
		return 2
	}
	b, _ := json.Marshal(body)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(strings.TrimSuffix(*base, "/")+emulator.ControlPrefix+path, "application/json", bytes.NewReader(b))
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

func getEvents(u string, stdout, stderr io.Writer) int {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms trigger: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	var events []struct {
		Time   time.Time `json:"time"`
		Kind   string    `json:"kind"`
		Who    string    `json:"who"`
		Detail string    `json:"detail"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
		fmt.Fprintf(stderr, "graphcomms trigger: %v\n", err)
		return 1
	}
	for _, e := range events {
		fmt.Fprintf(stdout, "%s %-20s %s %s\n", e.Time.Format("15:04:05.000"), e.Kind, e.Who, e.Detail)
	}
	return 0
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
