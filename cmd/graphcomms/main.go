// Command graphcomms is the graphcomms command-line tool.
//
// Usage:
//
//	graphcomms inspect [--format text|json] [FILE|-]
//	graphcomms emulator [--addr 127.0.0.1:9440] [--callback URL] [--app-id ID] [--allow-anonymous] [--auto-create-people] [--virtual-clock] [--interactive]
//	graphcomms trigger [--emulator URL] incoming-call --from NAME
//	graphcomms trigger [--emulator URL] tone --call ID KEYS
//	graphcomms trigger [--emulator URL] hangup --call ID
//	graphcomms trigger [--emulator URL] join --call ID NAME
//	graphcomms trigger [--emulator URL] compliance-call --from NAME [--with NAME]
//	graphcomms trigger [--emulator URL] escalate --call ID NAME
//	graphcomms trigger [--emulator URL] advance DURATION
//	graphcomms trigger [--emulator URL] events [--call ID]
//	graphcomms shell [--emulator URL]
//	graphcomms joinurl URL|-
//
// inspect decodes a callback body that Graph POSTs to a calling bot (a commsNotifications
// JSON object) and prints what it says: for people (text, the default) or as one JSON
// object (json; the format is described in README.md). It reads standard input when FILE
// is "-" or absent. It exits 0 on success; on invalid input it prints a one-line reason
// on standard error and exits 1 (2 for a usage error).
//
// emulator runs a local Graph calls service (see package emulator), logs every
// exchange, and prints what a bot in another process sets to use it (the example bots
// take -emulator URL or GRAPHCOMMS_EMULATOR_URL): next to the emulator's own routes it
// serves the ones such a bot connects with (its settings, a Graph token, the bot's
// callback URL, the people and meetings it needs; see host.go). trigger drives a
// running emulator: simulated people call the bot, press keys, hang up and join
// meetings; events lists what happened with each call's ID. shell reads trigger actions
// from standard input, one a line, as emulator --interactive does. trigger and shell
// find the emulator at --emulator, else $GRAPHCOMMS_EMULATOR_URL, else
// http://127.0.0.1:9440. joinurl prints the chat info and meeting info a bot joins
// a meeting with, from its Teams join URL (read from standard input for "-"), after
// taking off the SafeLinks and Teams launcher links around it; it exits 1 with the
// reason when the link is no meeting join link.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: graphcomms <command> [arguments]

commands:
  inspect [--format text|json] [FILE|-]   decode and print a callback notification body
  emulator [--addr ADDR] [--interactive]  run the local Graph calls emulator (graphcomms emulator -h: its flags)
  trigger [--emulator URL] ACTION ...     drive a running emulator (incoming-call, compliance-call, tone, hangup, join, escalate, advance, events)
  shell [--emulator URL]                  read trigger actions from standard input, one a line
  joinurl URL|-                           parse a Teams meeting join URL into chatInfo and meetingInfo (JSON)
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "inspect":
		return inspect(args[1:], stdin, stdout, stderr)
	case "emulator":
		return emulatorCmd(context.Background(), args[1:], stdin, stdout, stderr)
	case "trigger":
		return trigger(args[1:], stdout, stderr)
	case "shell":
		return shellCmd(args[1:], stdin, stdout, stderr)
	case "joinurl":
		return joinURL(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "graphcomms: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
