package notifications

import (
	"errors"
	"fmt"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
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

// DefaultMaxNotifications is how many notifications Parse accepts in one callback
// body. Graph sends one notification per callback in every documented example and
// batches a handful at most; 100 leaves twenty times that while bounding what one body
// can make Parse build: a Notification is 280 bytes and its typed resource up to 1 KB
// (a calls.Call is 944), so 100 minimal call notifications keep 166 KB, where a 1 MiB
// body of empty notifications would otherwise make 349,000 of them, 94 MiB.
const DefaultMaxNotifications = 100

// parseAmplification bounds the memory Parse may allocate per byte of body (plus
// wire.MinBudget): half of what the wire codec allows model decoders, and still about
// three times what a realistic roster takes (2.7 bytes per byte), while a 1 MiB body
// of typed empty participants (10.5 bytes per byte) is refused.
const parseAmplification = 8

// ErrTooManyNotifications is the cause of the error for a body with more notifications
// than the limit (see ParseOptions.MaxNotifications): errors.Is(err,
// ErrTooManyNotifications) reports it, and so does errors.Is(err,
// graph.ErrDecodeLimit), which it wraps.
var ErrTooManyNotifications = fmt.Errorf("notifications: too many notifications in one body: %w", graph.ErrDecodeLimit)

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

// Unwrap returns the underlying error: the *graph.DecodeError (with the same Offset
// and Path) for a body that does not decode, nil for a body that decodes but is not a
// commsNotifications object.
func (e *ParseError) Unwrap() error { return e.err }

func parseError(err error) *ParseError {
	pe := &ParseError{Offset: -1, Reason: err.Error(), err: err}
	var de *graph.DecodeError
	if errors.As(err, &de) {
		pe.Offset, pe.Path = de.Offset, de.Path
	}
	return pe
}

// ParseOptions bounds Parse. The zero value gives Parse's defaults.
type ParseOptions struct {
	// MaxNotifications caps the notifications in one body: one more is an error,
	// found while reading the body (the rest is not decoded), that wraps
	// ErrTooManyNotifications. Zero means DefaultMaxNotifications; a negative value
	// removes the cap (the memory bound below still holds).
	MaxNotifications int
}

// Parse decodes a callback body (a commsNotifications object) into typed
// notifications, in order, with the default options (see ParseOptions.Parse).
func Parse(body []byte) ([]Notification, error) { return ParseOptions{}.Parse(body) }

// Parse decodes a callback body (a commsNotifications object) into typed
// notifications, in order. It accepts what Graph and its docs send besides the schema:
// no @odata.type, PascalCase change types and enums, resource instead of resourceUrl,
// paths without a leading slash, codes as strings.
//
// It rejects, with a *ParseError that says what and where (and unwraps to the
// *graph.DecodeError for a body that does not decode): a body that is not JSON, has
// trailing commas, comments or anything but white space after the object (a NUL byte
// included), invalid UTF-8 or an unpaired UTF-16 surrogate escape in a string, or is not
// an object with a "value" array; a body with more than MaxNotifications
// notifications (wrapping ErrTooManyNotifications); and a body that would decode into
// more than 8 bytes of memory per body byte plus 64 KiB (wrapping graph.ErrDecodeLimit:
// a 1 MiB roster of empty objects, say, which would make 350,000 participants of 448
// bytes each; realistic rosters take about 3 bytes per byte). Parse never panics.
func (o ParseOptions) Parse(body []byte) ([]Notification, error) {
	limit := o.MaxNotifications
	if limit == 0 {
		limit = DefaultMaxNotifications
	}
	budget := wire.NewBudgetBytes(parseAmplification*len(body) + wire.MinBudget)
	env := parseEnvelope{Value: noteList{max: limit}}
	if err := wire.UnmarshalBudget(body, &env, budget); err != nil {
		return nil, parseError(err)
	}
	switch {
	case env.Value.null:
		return nil, &ParseError{Offset: -1, Path: "value", Reason: "value must be an array, not null"}
	case !env.Value.present:
		return nil, &ParseError{Offset: -1, Reason: `not a commsNotifications body: no "value" array`}
	}
	notes := env.Value.items
	out := make([]Notification, 0, len(notes))
	for i := range notes {
		n, err := typed(&notes[i], budget)
		if err != nil {
			return nil, parseError(wire.Rebase(err, notes[i].ResourceData.start, fmt.Sprintf("value[%d].resourceData", i)))
		}
		out = append(out, n)
	}
	return out, nil
}

// typed types one notification. Errors of resourceData decoded again (typed from the
// resource path) have offsets and paths relative to resourceData.
func typed(note *parseNote, budget *wire.Budget) (Notification, error) {
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
		if values, err = decodeResources(raw.ResourceData, kind, budget); err != nil {
			return n, err
		}
	}
	participantCount := 0
	for _, v := range values {
		if _, ok := v.(*participants.Participant); ok {
			participantCount++
		}
	}
	if participantCount > 0 {
		n.Participants = make([]participants.Participant, 0, participantCount)
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
