package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

// joinURLResult is what joinurl prints: what a bot joins the meeting with, then where
// the meeting link was found.
type joinURLResult struct {
	Cloud       string             `json:"cloud"`
	TenantID    string             `json:"tenantId,omitempty"`
	OrganizerID string             `json:"organizerId,omitempty"`
	ChannelID   string             `json:"channelId,omitempty"`
	ChatInfo    *calls.ChatInfo    `json:"chatInfo,omitempty"`
	MeetingInfo calls.MeetingInfo  `json:"meetingInfo"`
	Link        string             `json:"link"`
	Unwrapped   []meetings.Wrapper `json:"unwrapped,omitempty"`
}

// joinURL parses a Teams meeting join URL (the argument, or standard input for "-") and
// prints what a bot joins it with, and the wrappers (SafeLinks, launcher links) it was
// found in.
func joinURL(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: graphcomms joinurl URL|-")
		return 2
	}
	link := args[0]
	if link == "-" {
		// A pasted link is safer on standard input than in a shell's quotes.
		b, err := io.ReadAll(io.LimitReader(stdin, 4*meetings.MaxJoinURLLength))
		if err != nil {
			fmt.Fprintf(stderr, "graphcomms joinurl: reading standard input: %v\n", err)
			return 1
		}
		link = strings.TrimSpace(string(b))
	}
	info, err := meetings.ParseJoinURL(link)
	if err != nil {
		var jerr *meetings.JoinURLError
		if errors.As(err, &jerr) {
			for _, w := range jerr.Unwrapped {
				fmt.Fprintf(stderr, "graphcomms joinurl: unwrapped %s (%s): %s\n", w.Kind, w.Host, w.Inner)
			}
		}
		fmt.Fprintf(stderr, "graphcomms joinurl: %v\n", err)
		return 1
	}
	out := joinURLResult{
		Cloud: info.Cloud, TenantID: info.TenantID, OrganizerID: info.OrganizerID, ChannelID: info.ChannelID,
		MeetingInfo: info.MeetingInfo, Link: info.Link, Unwrapped: info.Unwrapped,
	}
	if info.ChatInfo.ThreadID != "" {
		out.ChatInfo = &info.ChatInfo
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // links keep their & readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "graphcomms joinurl: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, b.String())
	return 0
}
