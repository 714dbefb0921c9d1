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
	// meeting-ID URLs. MessageID is the link's message ID: "0" for a scheduled or
	// Meet-now meeting, the ID of the channel post for a channel meeting.
	// ReplyChainMessageID is the context's MessageId, when the link carries one (channel
	// meetings), as Microsoft's calling samples set it.
	ChatInfo calls.ChatInfo
	// MeetingInfo is an *calls.OrganizerMeetingInfo (meetup-join URLs) or a
	// *calls.JoinMeetingIDMeetingInfo (meet/{id}?p= URLs).
	MeetingInfo calls.MeetingInfo
	// TenantID is the organizer's tenant (Tid), when the URL carries it.
	TenantID string
	// OrganizerID is the organizer's user ID (Oid), when the URL carries it.
	OrganizerID string
	// ChannelID is the channel's thread ID (the context's ChannelId) for a channel
	// meeting; empty otherwise.
	ChannelID string
	// Cloud is "public", "gcch" (GCC High), "dod" or "consumer" (teams.live.com).
	Cloud string
	// Link is the meeting link that was parsed: the input without the wrappers listed
	// in Unwrapped (absolute, decoded as far as the wrappers encoded it).
	Link string
	// Unwrapped lists the wrappers ParseJoinURL took off the input, outermost first;
	// empty when the input was the meeting link itself.
	Unwrapped []Wrapper
}

// MaxJoinURLLength is the longest input ParseJoinURL accepts, in bytes. Real join
// links, even wrapped in SafeLinks and a launcher link, are a few kilobytes at most.
const MaxJoinURLLength = 8 << 10

// MaxJoinURLWrappers is how many wrappers (SafeLinks, Teams launcher links) ParseJoinURL
// takes off one link; a link nested deeper is refused (LinkTooDeep).
const MaxJoinURLWrappers = 3

// maxExtraDecodes bounds how many more percent-decoding passes a value that is still
// encoded after its own layer (a thread ID, a context, a wrapped link) gets.
const maxExtraDecodes = 2

// WrapperKind names a kind of link that carries a Teams link inside it.
type WrapperKind string

const (
	// WrapperSafeLinks is an Outlook SafeLinks link:
	// https://{region}.safelinks.protection.outlook.com/?url={link}&data=...
	// or .../ap/{token}/?url={link}&....
	WrapperSafeLinks WrapperKind = "safelinks"
	// WrapperLauncher is Teams' own launcher link:
	// https://teams.microsoft.com/dl/launcher/launcher.html?url=/_#/l/meetup-join/...&type=meetup-join&....
	WrapperLauncher WrapperKind = "launcher"
)

// Wrapper is one wrapper ParseJoinURL took off a link (see JoinInfo.Unwrapped).
type Wrapper struct {
	// Kind is what wrapped the link.
	Kind WrapperKind `json:"kind"`
	// Host is the wrapper's host, such as nam12.safelinks.protection.outlook.com.
	Host string `json:"host"`
	// Inner is the link found inside, with the wrapper's layer of encoding removed
	// and, for a launcher's path-only link, the launcher's scheme and host added.
	Inner string `json:"inner"`
}

// ErrNotJoinURL is matched (errors.Is) by every error of ParseJoinURL; the error itself
// is a *JoinURLError that says what the link is.
var ErrNotJoinURL = errors.New("meetings: not a Teams meeting join URL")

// LinkKind says what a link that ParseJoinURL refused is (JoinURLError.Kind).
type LinkKind string

const (
	// LinkMalformed is not a URL, or is a Teams meeting or wrapper link that is broken.
	LinkMalformed LinkKind = "malformed"
	// LinkIncompleteMeeting is a meetup-join link without what a join needs (its
	// thread or its context with organizer and tenant), often a link cut off when pasted.
	LinkIncompleteMeeting LinkKind = "incomplete-meeting"
	// LinkTooLong is longer than MaxJoinURLLength.
	LinkTooLong LinkKind = "too-long"
	// LinkTooDeep has more than MaxJoinURLWrappers wrappers.
	LinkTooDeep LinkKind = "too-deep"
	// LinkNotTeams is on a host that is neither a Teams host nor a known wrapper.
	LinkNotTeams LinkKind = "not-teams"
	// LinkTeam is a link to a team (/l/team/...).
	LinkTeam LinkKind = "team"
	// LinkChannel is a link to a channel (/l/channel/...).
	LinkChannel LinkKind = "channel"
	// LinkChat is a link to a chat (/l/chat/...).
	LinkChat LinkKind = "chat"
	// LinkMessage is a link to a message in a channel or chat (/l/message/...).
	LinkMessage LinkKind = "message"
	// LinkMeetingOptions is a link to a meeting's options page (/meetingOptions/...).
	LinkMeetingOptions LinkKind = "meeting-options"
	// LinkOtherTeams is any other Teams page or deep link.
	LinkOtherTeams LinkKind = "other-teams"
)

// JoinURLError is the error ParseJoinURL returns. It matches ErrNotJoinURL (errors.Is),
// and its message says what the link is, e.g. "a link to a team, not to a meeting".
type JoinURLError struct {
	// Kind says what the link is.
	Kind LinkKind
	// Reason says what is wrong, for people.
	Reason string
	// Unwrapped lists the wrappers taken off before the link was refused, outermost
	// first.
	Unwrapped []Wrapper
	// Err is the underlying error (a URL or JSON decoding error), if any.
	Err error
}

// Error returns "meetings: not a Teams meeting join URL: " followed by the reason and
// the wrappers the refused link was found in.
func (e *JoinURLError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNotJoinURL.Error())
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if len(e.Unwrapped) > 0 {
		b.WriteString(" (found inside ")
		for i, w := range e.Unwrapped {
			if i > 0 {
				b.WriteString(" > ")
			}
			b.WriteString(wrapperName(w.Kind))
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is ErrNotJoinURL.
func (e *JoinURLError) Is(target error) bool { return target == ErrNotJoinURL }

// Unwrap returns the underlying error, if any.
func (e *JoinURLError) Unwrap() error { return e.Err }

func wrapperName(k WrapperKind) string {
	switch k {
	case WrapperSafeLinks:
		return "a SafeLinks link"
	case WrapperLauncher:
		return "a Teams launcher link"
	}
	return string(k)
}

func refuse(kind LinkKind, err error, format string, args ...any) *JoinURLError {
	return &JoinURLError{Kind: kind, Reason: fmt.Sprintf(format, args...), Err: err}
}

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

// ParseJoinURL parses a Teams meeting join URL as people paste it:
//
//   - https://teams.microsoft.com/l/meetup-join/{thread}/{message}?context={"Tid":..,"Oid":..}
//     (URL-encoded or not; also behind the web client's /_#/l/meetup-join/... and
//     /v2/#/l/meetup-join/... links), which gives chat info and organizer meeting info;
//     for a channel meeting, {message} is the channel post's ID and is kept as
//     chatInfo.messageId;
//   - https://teams.microsoft.com/meet/{meetingId}?p={passcode} and
//     https://teams.live.com/meet/{meetingId}?p={passcode}, which give join-meeting-ID
//     meeting info;
//
// on the public, GCC High and DoD hosts. It takes off up to MaxJoinURLWrappers
// wrappers first: Outlook SafeLinks (any *.safelinks.protection.outlook.com host, with
// the / and /ap/{token}/ paths) and Teams launcher links (/dl/launcher/launcher.html),
// removing the layer of percent-encoding each added; JoinInfo.Unwrapped lists them.
// Surrounding white space, angle brackets or quotes and HTML-escaped ampersands (&amp;)
// are ignored, and a link without a scheme gets https://.
//
// Anything else is a *JoinURLError, which matches ErrNotJoinURL and says what the link
// is: a link to a team, a channel, a chat, a message or a meeting's options page, a
// non-Teams host, a broken or cut-off link, wrappers nested too deep, or an input
// longer than MaxJoinURLLength.
func ParseJoinURL(raw string) (JoinInfo, error) {
	if len(raw) > MaxJoinURLLength {
		return JoinInfo{}, refuse(LinkTooLong, nil, "the link is %d bytes long, more than the %d-byte limit", len(raw), MaxJoinURLLength)
	}
	link := cleanPasted(raw)
	var unwrapped []Wrapper
	for {
		info, w, jerr := parseOnce(link)
		if jerr == nil && w.Kind != "" && len(unwrapped) == MaxJoinURLWrappers {
			jerr = refuse(LinkTooDeep, nil, "the link is wrapped more than %d times (the innermost holds %s)", MaxJoinURLWrappers, wrapperName(w.Kind))
		}
		if jerr != nil {
			jerr.Unwrapped = unwrapped
			return JoinInfo{}, jerr
		}
		if w.Kind == "" {
			info.Unwrapped = unwrapped
			return info, nil
		}
		unwrapped = append(unwrapped, w)
		link = w.Inner
	}
}

// parseOnce parses link: a wrapper (w.Kind set, w.Inner the link inside) or a Teams
// link (info, with Link set).
func parseOnce(link string) (info JoinInfo, w Wrapper, jerr *JoinURLError) {
	u, link, jerr := parseAbsolute(link)
	if jerr != nil {
		return JoinInfo{}, Wrapper{}, jerr
	}
	if w, jerr = unwrapOnce(u, link); jerr != nil || w.Kind != "" {
		return JoinInfo{}, w, jerr
	}
	info, jerr = parseTeamsLink(u, link)
	info.Link = link
	return info, Wrapper{}, jerr
}

// cleanPasted removes what pasting adds around a link.
func cleanPasted(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"<>", `""`, "''"} {
		if len(s) >= 2 && s[0] == p[0] && s[len(s)-1] == p[1] {
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	return strings.ReplaceAll(s, "&amp;", "&")
}

// parseAbsolute parses an http(s) link, adding https:// when it has no scheme, and
// returns it with its scheme.
func parseAbsolute(link string) (*url.URL, string, *JoinURLError) {
	if link == "" {
		return nil, "", refuse(LinkMalformed, nil, "the link is empty")
	}
	if i := strings.Index(link, "://"); i < 0 || strings.ContainsAny(link[:i], "/?#") {
		link = "https://" + link
	}
	u, err := url.Parse(link)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the link itself
		}
		return nil, "", refuse(LinkMalformed, err, "not a URL: %v", err)
	}
	if s := strings.ToLower(u.Scheme); s != "https" && s != "http" {
		return nil, "", refuse(LinkMalformed, nil, "scheme %q is not https", clip(u.Scheme))
	}
	if hostOf(u) == "" {
		return nil, "", refuse(LinkMalformed, nil, "the link has no host")
	}
	return u, link, nil
}

func hostOf(u *url.URL) string { return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") }

// rawFragment returns the text after the first '#' of link, as written.
func rawFragment(link string) string {
	if i := strings.IndexByte(link, '#'); i >= 0 {
		return link[i+1:]
	}
	return ""
}

func isSafeLinksHost(host string) bool {
	return strings.HasSuffix(host, ".safelinks.protection.outlook.com")
}

// isSafeLinksPath reports whether p is "", "/" or "/ap/{token}[/]".
func isSafeLinksPath(p string) bool {
	if p == "" || p == "/" {
		return true
	}
	rest, ok := cutPrefixFold(p, "/ap/")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, "/")
	return rest != "" && !strings.Contains(rest, "/")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// unwrapOnce returns the wrapper u is, with the link inside it, or a zero Wrapper when u
// is no wrapper.
func unwrapOnce(u *url.URL, link string) (Wrapper, *JoinURLError) {
	host := hostOf(u)
	var kind WrapperKind
	switch {
	case isSafeLinksHost(host):
		if !isSafeLinksPath(u.EscapedPath()) {
			return Wrapper{}, refuse(LinkMalformed, nil, "a SafeLinks link with the unexpected path %q", clip(u.EscapedPath()))
		}
		kind = WrapperSafeLinks
	case teamsHosts[host] != "" && strings.EqualFold(u.EscapedPath(), "/dl/launcher/launcher.html"):
		kind = WrapperLauncher
	default:
		return Wrapper{}, nil
	}
	inner, ok, err := queryValue(u.RawQuery, "url")
	if err != nil {
		return Wrapper{}, refuse(LinkMalformed, err, "%s whose url= parameter is badly percent-encoded", wrapperName(kind))
	}
	if !ok || inner == "" {
		return Wrapper{}, refuse(LinkMalformed, nil, "%s without the link it wraps (url=)", wrapperName(kind))
	}
	if frag := rawFragment(link); frag != "" {
		// Pasted with the inner link's '#' unencoded: the rest of it is the fragment.
		inner += "#" + frag
	}
	inner = decodeWrapped(inner)
	if kind == WrapperLauncher {
		switch {
		case strings.HasPrefix(inner, "/"):
			inner = u.Scheme + "://" + u.Host + inner
		case !strings.Contains(inner, "://"):
			inner = u.Scheme + "://" + u.Host + "/" + inner
		}
	}
	return Wrapper{Kind: kind, Host: host, Inner: inner}, nil
}

// decodeWrapped removes further layers of encoding from a wrapped link that is still
// encoded as a whole ("https%3A%2F%2F..." or "%2F_%23%2F...").
func decodeWrapped(s string) string {
	for range maxExtraDecodes {
		l := strings.ToLower(s)
		if !strings.HasPrefix(l, "https%3a") && !strings.HasPrefix(l, "http%3a") && !strings.HasPrefix(l, "%2f") {
			break
		}
		d, err := url.QueryUnescape(s)
		if err != nil {
			break
		}
		s = d
	}
	return s
}

// queryValue returns the first value of key (ASCII case-insensitive) in a raw query,
// percent-decoded. Other parameters need not be well formed.
func queryValue(rawQuery, key string) (string, bool, error) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(k); err != nil || !strings.EqualFold(k, key) {
			continue
		}
		v, err := url.QueryUnescape(v)
		return v, true, err
	}
	return "", false, nil
}

// parseTeamsLink parses a link that is no wrapper.
func parseTeamsLink(u *url.URL, link string) (JoinInfo, *JoinURLError) {
	host := hostOf(u)
	cloud, ok := teamsHosts[host]
	if !ok {
		return JoinInfo{}, refuse(LinkNotTeams, nil, "host %q is not a Teams host", clip(host))
	}
	path, query := u.EscapedPath(), u.RawQuery
	if frag := rawFragment(link); strings.HasPrefix(frag, "/") || strings.HasPrefix(frag, "!/") {
		// Web-client links (/_#/l/..., /v2/#/l/..., /v2/?meetingjoin=true#/l/...)
		// carry the route in the fragment.
		path, query, _ = strings.Cut(strings.TrimPrefix(frag, "!"), "?")
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	seg := func(i int) string {
		if i < len(segs) {
			return strings.ToLower(segs[i])
		}
		return ""
	}
	switch seg(0) {
	case "l":
		switch seg(1) {
		case "meetup-join":
			return parseMeetupJoin(segs, query, cloud)
		case "team":
			return JoinInfo{}, refuse(LinkTeam, nil, "a link to a team, not to a meeting")
		case "channel":
			if len(segs) >= 4 {
				if name, err := url.PathUnescape(segs[3]); err == nil && name != "" {
					return JoinInfo{}, refuse(LinkChannel, nil, "a link to the channel %q, not to a meeting", clip(name))
				}
			}
			return JoinInfo{}, refuse(LinkChannel, nil, "a link to a channel, not to a meeting")
		case "chat":
			return JoinInfo{}, refuse(LinkChat, nil, "a link to a chat, not to a meeting")
		case "message":
			return JoinInfo{}, refuse(LinkMessage, nil, "a link to a message, not to a meeting")
		case "call":
			return JoinInfo{}, refuse(LinkOtherTeams, nil, "a link that starts a call with people, not a meeting join link")
		case "entity", "app":
			return JoinInfo{}, refuse(LinkOtherTeams, nil, "a link to an app in Teams, not to a meeting")
		case "file":
			return JoinInfo{}, refuse(LinkOtherTeams, nil, "a link to a file, not to a meeting")
		case "":
			return JoinInfo{}, refuse(LinkOtherTeams, nil, "a Teams /l/ link without a kind, not a meeting join link")
		}
		return JoinInfo{}, refuse(LinkOtherTeams, nil, "a Teams /l/%s/ link, not a meeting join link", clip(segs[1]))
	case "meet":
		return parseMeet(segs, query, cloud)
	case "meetingoptions":
		return JoinInfo{}, refuse(LinkMeetingOptions, nil, "a link to a meeting's options page, not its join link")
	case "", "_", "v2":
		if len(segs) <= 1 {
			return JoinInfo{}, refuse(LinkOtherTeams, nil, "a link to Teams itself, not to a meeting")
		}
	}
	return JoinInfo{}, refuse(LinkOtherTeams, nil, "path %q is neither /l/meetup-join/... nor /meet/{id}", clip(path))
}

func parseMeetupJoin(segs []string, query, cloud string) (JoinInfo, *JoinURLError) {
	if len(segs) < 3 || segs[2] == "" {
		return JoinInfo{}, refuse(LinkIncompleteMeeting, nil, "a meetup-join link without its meeting thread ID")
	}
	thread, err := url.PathUnescape(segs[2])
	for i := 0; err == nil && i < maxExtraDecodes && strings.Contains(thread, "%"); i++ {
		// Encoded once more (a wrapper's encoding left in place).
		d, derr := url.PathUnescape(thread)
		if derr != nil {
			break
		}
		thread = d
	}
	if err != nil || !strings.HasPrefix(thread, "19:") || !strings.Contains(thread, "@thread") {
		return JoinInfo{}, refuse(LinkMalformed, err, "%q is not a meeting thread ID (19:...@thread.v2)", clip(segs[2]))
	}
	message := "0"
	if len(segs) >= 4 && segs[3] != "" {
		m, err := url.PathUnescape(segs[3])
		if err != nil || !isDigits(m) {
			return JoinInfo{}, refuse(LinkMalformed, err, "message ID %q is not numeric", clip(segs[3]))
		}
		message = m
	}
	ctxText, ok, err := queryValue(query, "context")
	if err != nil {
		return JoinInfo{}, refuse(LinkMalformed, err, "the context parameter is badly percent-encoded")
	}
	if !ok || ctxText == "" {
		return JoinInfo{}, refuse(LinkIncompleteMeeting, nil, "a meetup-join link without its context (organizer and tenant): the link was probably cut off when copied")
	}
	for i := 0; i < maxExtraDecodes && !strings.HasPrefix(strings.TrimSpace(ctxText), "{"); i++ {
		d, err := url.QueryUnescape(ctxText)
		if err != nil || d == ctxText {
			break
		}
		ctxText = d
	}
	var ctx struct {
		Tid, Oid  string
		MessageID string `json:"MessageId"`
		ChannelID string `json:"ChannelId"`
	}
	if err := json.Unmarshal([]byte(ctxText), &ctx); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset >= int64(len(ctxText)) {
			return JoinInfo{}, refuse(LinkIncompleteMeeting, err, "the context is cut off (%v): the link was probably cut off when copied", err)
		}
		return JoinInfo{}, refuse(LinkMalformed, err, "the context is not JSON: %v", err)
	}
	if ctx.Oid == "" || ctx.Tid == "" {
		return JoinInfo{}, refuse(LinkIncompleteMeeting, nil, "the context lacks the organizer (Oid) or tenant (Tid)")
	}
	chat := calls.ChatInfo{ThreadID: thread, MessageID: message, ReplyChainMessageID: ctx.MessageID}
	if message == "0" && isDigits(ctx.MessageID) {
		chat.MessageID = ctx.MessageID
	}
	return JoinInfo{
		ChatInfo:    chat,
		MeetingInfo: calls.NewOrganizerMeetingInfo(ctx.Oid, ctx.Tid),
		TenantID:    ctx.Tid,
		OrganizerID: ctx.Oid,
		ChannelID:   ctx.ChannelID,
		Cloud:       cloud,
	}, nil
}

func parseMeet(segs []string, query, cloud string) (JoinInfo, *JoinURLError) {
	if len(segs) != 2 || segs[1] == "" {
		return JoinInfo{}, refuse(LinkIncompleteMeeting, nil, "a /meet/ link without its meeting ID")
	}
	id := segs[1]
	if !isDigits(id) {
		return JoinInfo{}, refuse(LinkMalformed, nil, "meeting ID %q is not numeric", clip(id))
	}
	passcode, _, err := queryValue(query, "p")
	if err != nil {
		return JoinInfo{}, refuse(LinkMalformed, err, "the passcode parameter is badly percent-encoded")
	}
	return JoinInfo{MeetingInfo: calls.NewJoinMeetingIDMeetingInfo(id, passcode), Cloud: cloud}, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Organizer returns the organizer's identity set, when the URL names one.
func (j JoinInfo) Organizer() (participants.IdentitySet, bool) {
	if j.OrganizerID == "" {
		return participants.IdentitySet{}, false
	}
	return participants.User(j.OrganizerID, j.TenantID), true
}
