// Command rosterbot joins a Teams meeting, marks it as recorded, and streams its roster:
// who joins, leaves, is muted, waits in the lobby.
//
// With no configuration it runs a demo against an in-process emulator and prints what
// happened. With -emulator URL (or GRAPHCOMMS_EMULATOR_URL) it joins a meeting of a
// `graphcomms emulator` running in another process: "Weekly sync", organized by
// olivia, unless ROSTER_JOIN_URL names another; people join it with `graphcomms
// trigger join --call ID NAME`. With GRAPHCOMMS_APP_ID (see README.md) it joins a real
// meeting.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/examples/internal/demo"
)

func main() {
	demo.Main("rosterbot", runDemo, func(real demo.Real, client *graphcomms.Client, logger *slog.Logger) error {
		bot := &RosterBot{JoinURL: os.Getenv("ROSTER_JOIN_URL"), Logger: logger,
			Out: func(line string) { fmt.Println(time.Now().Format("15:04:05"), line) }}
		if names := os.Getenv("ROSTER_MUTE_ON_ENTRY"); names != "" {
			bot.MuteOnEntry = strings.Split(names, ",")
		}
		wait := time.Second // let the server start before joining
		if x := real.Emulator; x != nil {
			if err := emulatorSetup(x, bot); err != nil {
				return err
			}
			wait = 0 // the bot's listener is open already
		}
		go func() {
			time.Sleep(wait)
			call, err := bot.Run(context.Background(), client)
			if err != nil {
				logger.Error("joining failed", "error", err)
				return
			}
			logger.Info("in the meeting", "call", call.ID())
		}()
		return real.Serve(client, http.NewServeMux(), logger)
	})
}

// runDemo: people come and go in an emulated meeting while the bot watches.
func runDemo(out io.Writer) error {
	env, err := demo.StartEmulated(nil)
	if err != nil {
		return err
	}
	defer env.Close()
	emu := env.Emu
	olivia := emu.AddUser("olivia", emulator.Behavior{})
	m := emu.NewMeeting("Weekly sync", olivia)
	olivia.Join(m)
	var mu sync.Mutex
	var stream []string
	lines := make(chan string, 100)
	bot := &RosterBot{JoinURL: m.JoinWebURL(), MuteOnEntry: []string{"Dave"}, Logger: slog.New(slog.DiscardHandler),
		Out: func(line string) {
			mu.Lock()
			stream = append(stream, fmt.Sprintf("%s %s", emu.Now().Format("15:04:05"), line))
			mu.Unlock()
			lines <- line
		}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fmt.Fprintln(out, "rosterbot demo: the bot joins \"Weekly sync\" and watches its roster")

	joined := make(chan error, 1)
	var call interface{ ID() string }
	go func() {
		c, err := bot.Run(ctx, env.Client)
		if err == nil {
			call = c
		}
		joined <- err
	}()
	if _, err := emu.WaitEvent(ctx, 0, func(ev emulator.Event) bool { return ev.Kind == emulator.EventCallCreated }); err != nil {
		return err
	}
	emu.Advance(time.Second)
	if err := <-joined; err != nil {
		return err
	}
	// waitFor reads what the bot reports until it says line.
	waitFor := func(line string) error {
		for {
			select {
			case got := <-lines:
				if got == line {
					return nil
				}
			case <-ctx.Done():
				return fmt.Errorf("the bot never reported %q", line)
			}
		}
	}
	steps := []struct {
		do   func()
		line string
	}{
		{func() { emu.Advance(time.Minute); emu.AddUser("carol", emulator.Behavior{}).Join(m) }, "joined: Carol"},
		{func() { emu.Advance(time.Minute); emu.AddUser("dave", emulator.Behavior{}).Join(m) }, "muted: Dave"},
		{func() { emu.Advance(time.Minute); emu.AddUser("erin", emulator.Behavior{}).WaitInLobby(m) }, "joined: Erin (waiting in the lobby)"},
		{func() { emu.Advance(30 * time.Second); m.Admit(emu.Person("erin")) }, "admitted from the lobby: Erin"},
		{func() { emu.Advance(2 * time.Minute); emu.Person("carol").Leave(m) }, "left: Carol"},
	}
	if err := waitFor("joined: Olivia"); err != nil {
		return err
	}
	for _, s := range steps {
		s.do()
		if err := waitFor(s.line); err != nil {
			return err
		}
	}
	if c, ok := env.Client.Call(call.ID()); ok {
		_ = c.HangUp(ctx)
		<-c.Done()
	}
	if err := emu.WaitIdle(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "Roster stream (as the bot saw it):")
	mu.Lock()
	for _, l := range stream {
		fmt.Fprintln(out, "  "+l)
	}
	mu.Unlock()
	env.PrintTranscript(out)
	return nil
}

// emulatorSetup prepares the bot for an external emulator: without ROSTER_JOIN_URL it
// creates the meeting to join there, and without ROSTER_MUTE_ON_ENTRY it mutes Dave,
// as in the demo.
func emulatorSetup(x *demo.External, bot *RosterBot) error {
	if os.Getenv("ROSTER_MUTE_ON_ENTRY") == "" {
		bot.MuteOnEntry = []string{"Dave"}
	}
	if bot.JoinURL != "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	bot.JoinURL, err = x.NewMeeting(ctx, "Weekly sync", "olivia")
	return err
}
