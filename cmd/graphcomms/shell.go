package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

const shellHelp = `Type one trigger action a line (no "graphcomms trigger" prefix); quit or end of
input stops. tone, hangup, join and escalate act on the last call incoming-call or
compliance-call made unless you give --call ID. Lines starting with # are ignored.

` + triggerActions

// shellCmd is `graphcomms shell [--emulator URL]`.
func shellCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shell", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: graphcomms shell [--emulator URL]\n\n--emulator defaults to $%s, else http://%s.\n\n%s",
			emulatorURLEnv, defaultEmulatorAddr, shellHelp)
	}
	base := fs.String("emulator", defaultEmulatorURL(), "the emulator's URL")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	return shell(*base, stdin, stdout, stderr, isTerminal(stdin))
}

// isTerminal reports whether r is a character device (a terminal), where the shell
// shows a prompt.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// actionsOnACall are the actions that take --call, which the shell fills in.
var actionsOnACall = []string{"tone", "hangup", "join", "escalate"}

// shell runs trigger actions read from in, one a line, against the emulator at base.
// It returns 0 at the end of the input or on quit, whatever the actions' outcomes (each
// failure is printed).
func shell(base string, in io.Reader, stdout, stderr io.Writer, prompt bool) int {
	sc := bufio.NewScanner(in)
	last := ""
	for {
		if prompt {
			fmt.Fprint(stdout, "> ")
		}
		if !sc.Scan() {
			break
		}
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		action, rest := fields[0], fields[1:]
		switch action {
		case "quit", "exit":
			return 0
		case "help", "?":
			fmt.Fprint(stdout, shellHelp)
			continue
		}
		if slices.Contains(actionsOnACall, action) && last != "" && !hasCallFlag(rest) {
			rest = append([]string{"--call", last}, rest...)
		}
		var out bytes.Buffer
		runAction(base, action, rest, &out, stderr)
		_, _ = stdout.Write(out.Bytes())
		if action == "incoming-call" || action == "compliance-call" {
			var res struct {
				CallID string `json:"callId"`
			}
			if json.Unmarshal(out.Bytes(), &res) == nil && res.CallID != "" {
				last = res.CallID
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "graphcomms shell: %v\n", err)
		return 1
	}
	if prompt {
		fmt.Fprintln(stdout)
	}
	return 0
}

// hasCallFlag reports whether args give --call (or -call).
func hasCallFlag(args []string) bool {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "call" {
			return true
		}
	}
	return false
}
