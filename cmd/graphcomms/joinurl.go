package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/graphcomms/graphcomms/meetings"
)

// joinURL parses a Teams meeting join URL and prints what a bot joins it with.
func joinURL(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: graphcomms joinurl URL")
		return 2
	}
	info, err := meetings.ParseJoinURL(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms joinurl: %v\n", err)
		return 1
	}
	out := map[string]any{"cloud": info.Cloud, "meetingInfo": info.MeetingInfo}
	if info.ChatInfo.ThreadID != "" {
		out["chatInfo"] = info.ChatInfo
	}
	if info.TenantID != "" {
		out["tenantId"] = info.TenantID
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms joinurl: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}
