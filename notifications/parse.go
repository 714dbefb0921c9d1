package notifications

import (
	"errors"
	"fmt"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/participants"
)

// Kind says what a notification is about.
type Kind string

// Kind values.
const (
	// KindCall is a change to a call: incoming (created), a new state or a DTMF tone
	// (updated), or its end (deleted, with resultInfo).
	KindCall Kind = "call"
	// KindParticipants is a roster: the participants of a call (all of them, or only
	// those that changed when the call has isDeltaRosterEnabled).
	KindParticipants Kind = "participants"
	// KindOperation is an operation's progress or completion (usually changeType
	// deleted, status completed or failed).
	KindOperation Kind = "operation"
	// KindContentSharingSession is a content sharing session starting, changing or
	// ending.
	KindContentSharingSession Kind = "contentSharingSession"
	// KindUnknown is anything else; Raw keeps it whole.
	KindUnknown Kind = "unknown"
)

// Notification is one typed notification from a callback body.
type Notification struct {
	Kind Kind
	// ChangeType is created, updated or deleted (canonical spelling).
	ChangeType ChangeType
	// ResourcePath is the resource URL in normal form (see NormalizeResourcePath), taken
	// from resourceUrl or the legacy resource member.
	ResourcePath string
	// CallID is the call the notification is about; OperationID and SessionID are set
	// for operations and content sharing sessions.
	CallID      string
	OperationID string
	SessionID   string

	// Call is set for KindCall when the notification carries the call.
	Call *calls.Call
	// Participants is set for KindParticipants.
	Participants []participants.Participant
	// Delta is true when the roster came as a beta deltaParticipants object, whose
	// SequenceNumber orders rosters; Sequence is that number, or else the largest
	// rosterSequenceNumber of the participants (0 when none has one).
	Delta    bool
	Sequence int64
	// Operation is set for KindOperation, as its concrete type.
	Operation calls.Operation
	// ContentSharingSession is set for KindContentSharingSession when the notification
	// carries it (created and deleted ones often do not).
	ContentSharingSession *calls.ContentSharingSession

	// Raw is the notification as received. Its ResourceData may share memory with the
	// body passed to Parse.
	Raw CommsNotification
}

// ParseError says why a callback body was rejected and where.
type ParseError struct {
	// Offset is the byte offset of the problem in the body, or -1 when it concerns the
	// body as a whole.
	Offset int
	// Path is the member path of the problem, e.g. value[0].resourceData.state.
	Path string
	// Reason says what is wrong.
	Reason string
	err    error
}

// Error returns "notifications: <reason>".
func (e *ParseError) Error() string { return "notifications: " + e.Reason }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.err }

func parseError(err error) error {
	pe := &ParseError{Offset: -1, Reason: err.Error(), err: err}
	var se *wire.SyntaxError
	var te *wire.TypeError
	switch {
	case errors.As(err, &se):
		pe.Offset, pe.Path = se.Offset, se.Path
	case errors.As(err, &te):
		pe.Offset, pe.Path = te.Offset, te.Path
	}
	return pe
}

// Parse decodes a callback body (a commsNotifications object) into typed
// notifications, in order. It accepts what Graph and its docs send besides the schema:
// no @odata.type, PascalCase change types and enums, resource instead of resourceUrl,
// paths without a leading slash, codes as strings. A body that is not JSON, has
// trailing commas or comments, or is not an object with a "value" array is rejected
// with a *ParseError that says what and where. Parse never panics.
func Parse(body []byte) ([]Notification, error) {
	var env parseEnvelope
	if err := wire.Unmarshal(body, &env); err != nil {
		return nil, parseError(err)
	}
	if env.Value == nil {
		if raw, ok := env.AdditionalData["value"]; ok {
			return nil, &ParseError{Offset: -1, Path: "value", Reason: fmt.Sprintf("value must be an array, not %s", truncate(raw))}
		}
		return nil, &ParseError{Offset: -1, Reason: `not a commsNotifications body: no "value" array`}
	}
	out := make([]Notification, 0, len(env.Value))
	for i := range env.Value {
		n, err := typed(&env.Value[i])
		if err != nil {
			pe := parseError(err).(*ParseError)
			pe.Path = strings.TrimSuffix(fmt.Sprintf("value[%d].resourceData.%s", i, pe.Path), ".")
			pe.Reason = fmt.Sprintf("value[%d].resourceData: %s", i, err)
			pe.Offset = -1 // offsets inside resourceData are relative to it
			return nil, pe
		}
		out = append(out, n)
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// typed types one notification.
func typed(note *parseNote) (Notification, error) {
	raw := note.commsNotification()
	n := Notification{
		Kind:         KindUnknown,
		ChangeType:   raw.ChangeType,
		ResourcePath: raw.ResourcePath(),
		Raw:          raw,
	}
	n.CallID, n.OperationID, n.SessionID = pathIDs(n.ResourcePath)
	kind := kindFromURL(n.ResourcePath)
	values := note.ResourceData.values
	if !note.ResourceData.typed {
		// Some object had no (known) @odata.type: type it from the resource path.
		var err error
		if values, err = raw.decodeResourceData(kind); err != nil {
			return n, err
		}
	}
	switch kind {
	case "contentSharingSession":
		n.Kind = KindContentSharingSession
	case "participant":
		if len(values) == 0 {
			n.Kind = KindParticipants
		}
	}
	for _, v := range values {
		switch v := v.(type) {
		case *calls.Call:
			n.Kind, n.Call = KindCall, v
		case *participants.Participant:
			n.Kind = KindParticipants
			n.Participants = append(n.Participants, *v)
			n.Sequence = max(n.Sequence, v.RosterSequenceNumber)
		case *participants.DeltaParticipants:
			n.Kind, n.Delta, n.Sequence = KindParticipants, true, v.SequenceNumber
			n.Participants = append(n.Participants, v.Participants...)
		case calls.Operation:
			n.Kind, n.Operation = KindOperation, v
			if n.OperationID == "" {
				n.OperationID = v.Base().ID
			}
		case *calls.ContentSharingSession:
			n.Kind, n.ContentSharingSession = KindContentSharingSession, v
			if n.SessionID == "" {
				n.SessionID = v.ID
			}
		}
	}
	if n.Kind == KindUnknown && len(values) == 0 && n.CallID != "" && n.OperationID == "" && n.SessionID == "" &&
		!strings.Contains(n.ResourcePath[len("/communications/calls/")+len(n.CallID):], "/") {
		n.Kind = KindCall // a call notification without resourceData
	}
	return n, nil
}

// pathIDs extracts the call, operation and content sharing session IDs from a normal
// resource path, without allocating.
func pathIDs(p string) (callID, operationID, sessionID string) {
	const prefix = "/communications/calls/"
	if len(p) < len(prefix) || !strings.EqualFold(p[:len(prefix)], prefix) {
		return "", "", ""
	}
	rest := p[len(prefix):]
	callID, rest, _ = strings.Cut(rest, "/")
	sub, rest, _ := strings.Cut(rest, "/")
	id, _, _ := strings.Cut(rest, "/")
	switch {
	case strings.EqualFold(sub, "operations"):
		operationID = id
	case strings.EqualFold(sub, "contentSharingSessions"):
		sessionID = id
	}
	return callID, operationID, sessionID
}
