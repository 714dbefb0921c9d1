package meetings

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/participants"
)

// JoinInfo is what a bot needs to join a Teams meeting, from its join URL: ChatInfo and
// MeetingInfo go into the call it creates.
type JoinInfo struct {
	// ChatInfo names the meeting's chat thread (meetup-join URLs); empty for
	// meeting-ID URLs.
	ChatInfo calls.ChatInfo
	// MeetingInfo is an *calls.OrganizerMeetingInfo (meetup-join URLs) or a
	// *calls.JoinMeetingIDMeetingInfo (meet/{id}?p= URLs).
	MeetingInfo calls.MeetingInfo
	// TenantID is the organizer's tenant (Tid), when the URL carries it.
	TenantID string
	// OrganizerID is the organizer's user ID (Oid), when the URL carries it.
	OrganizerID string
	// Cloud is "public", "gcch" (GCC High), "dod" or "consumer" (teams.live.com).
	Cloud string
}

// ErrNotJoinURL is wrapped by ParseJoinURL's errors.
var ErrNotJoinURL = errors.New("meetings: not a Teams meeting join URL")

var teamsHosts = map[string]string{
	"teams.microsoft.com":       "public",
	"teams.cloud.microsoft":     "public",
	"gov.teams.microsoft.us":    "gcch",
	"dod.teams.microsoft.us":    "dod",
	"teams.live.com":            "consumer",
	"teams.microsoft.us":        "gcch",
	"teams.cloud.microsoft.us":  "gcch",
	"dod.teams.cloud.microsoft": "dod",
}

// ParseJoinURL parses a Teams meeting join URL:
//
//   - https://teams.microsoft.com/l/meetup-join/{thread}/{message}?context={"Tid":..,"Oid":..}
//     (URL-encoded or not; also behind the new client's #/l/meetup-join/... deep links),
//     which gives chat info and organizer meeting info;
//   - https://teams.microsoft.com/meet/{meetingId}?p={passcode} and
//     https://teams.live.com/meet/{meetingId}?p={passcode}, which give join-meeting-ID
//     meeting info;
//
// on the public, GCC High and DoD hosts. Anything else is an error that wraps
// ErrNotJoinURL and says what is wrong.
func ParseJoinURL(raw string) (JoinInfo, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return JoinInfo{}, fmt.Errorf("%w: %v", ErrNotJoinURL, err)
	}
	host := strings.ToLower(u.Hostname())
	cloud, ok := teamsHosts[host]
	if !ok {
		return JoinInfo{}, fmt.Errorf("%w: host %q is not a Teams host", ErrNotJoinURL, u.Hostname())
	}
	path, query := u.EscapedPath(), u.RawQuery
	if frag := u.EscapedFragment(); strings.Contains(frag, "/l/meetup-join/") || strings.HasPrefix(frag, "/meet/") {
		// New-client deep links carry the real path in the fragment.
		p, q, _ := strings.Cut(frag, "?")
		path, query = p[strings.Index(p, "/"):], q
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return JoinInfo{}, fmt.Errorf("%w: bad query: %v", ErrNotJoinURL, err)
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	info := JoinInfo{Cloud: cloud}
	switch {
	case len(segs) >= 3 && strings.EqualFold(segs[0], "l") && strings.EqualFold(segs[1], "meetup-join"):
		thread, err := url.PathUnescape(segs[2])
		if err != nil || !strings.HasPrefix(thread, "19:") || !strings.Contains(thread, "@thread") {
			return JoinInfo{}, fmt.Errorf("%w: %q is not a meeting thread ID (19:...@thread.v2)", ErrNotJoinURL, segs[2])
		}
		message := "0"
		if len(segs) >= 4 && segs[3] != "" {
			message, _ = url.PathUnescape(segs[3])
		}
		ctxText := values.Get("context")
		if ctxText == "" {
			return JoinInfo{}, fmt.Errorf("%w: meetup-join URL without a context (organizer and tenant)", ErrNotJoinURL)
		}
		var ctx struct {
			Tid, Oid, MessageID string
		}
		if err := json.Unmarshal([]byte(ctxText), &ctx); err != nil {
			return JoinInfo{}, fmt.Errorf("%w: context is not JSON: %v", ErrNotJoinURL, err)
		}
		if ctx.Oid == "" || ctx.Tid == "" {
			return JoinInfo{}, fmt.Errorf("%w: context lacks the organizer (Oid) or tenant (Tid)", ErrNotJoinURL)
		}
		if ctx.MessageID != "" {
			message = ctx.MessageID
		}
		info.TenantID, info.OrganizerID = ctx.Tid, ctx.Oid
		info.ChatInfo = calls.ChatInfo{ThreadID: thread, MessageID: message}
		mi := calls.NewOrganizerMeetingInfo(ctx.Oid, ctx.Tid)
		info.MeetingInfo = mi
	case len(segs) == 2 && strings.EqualFold(segs[0], "meet"):
		id := segs[1]
		for _, c := range id {
			if c < '0' || c > '9' {
				return JoinInfo{}, fmt.Errorf("%w: meeting ID %q is not numeric", ErrNotJoinURL, id)
			}
		}
		if id == "" {
			return JoinInfo{}, fmt.Errorf("%w: no meeting ID", ErrNotJoinURL)
		}
		info.MeetingInfo = calls.NewJoinMeetingIDMeetingInfo(id, values.Get("p"))
	default:
		return JoinInfo{}, fmt.Errorf("%w: path %q is neither /l/meetup-join/... nor /meet/{id}", ErrNotJoinURL, path)
	}
	return info, nil
}

// Organizer returns the organizer's identity set, when the URL names one.
func (j JoinInfo) Organizer() (participants.IdentitySet, bool) {
	if j.OrganizerID == "" {
		return participants.IdentitySet{}, false
	}
	return participants.User(j.OrganizerID, j.TenantID), true
}
