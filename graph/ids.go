package graph

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxIDLength is the longest ID ValidateID accepts, in bytes. Graph's call and
// operation IDs are GUIDs (36 bytes), its online-meeting IDs base64 text of about 150
// bytes, and user principal names are at most 113 characters; 1024 leaves room for all
// of them without letting a notification put kilobytes into a URL.
const MaxIDLength = 1024

// ErrInvalidID is the sentinel every *IDError matches with errors.Is.
var ErrInvalidID = errors.New("graph: invalid ID")

// IDError is an ID that cannot go into a URL path: the request it was meant for is
// not sent. errors.Is(err, ErrInvalidID) reports true for it.
type IDError struct {
	// ID is the rejected ID, as given (quoted in the message).
	ID string
	// Reason says what is wrong, e.g. "contains '/'".
	Reason string
}

// Error returns `graph: invalid ID "..": <reason>`.
func (e *IDError) Error() string {
	id := e.ID
	if len(id) > 64 {
		id = id[:64] + "..."
	}
	return fmt.Sprintf("graph: invalid ID %q: %s", id, e.Reason)
}

// Unwrap returns ErrInvalidID.
func (e *IDError) Unwrap() error { return ErrInvalidID }

// ValidateID checks an ID (of a call, participant, operation, user, meeting, ...)
// before it becomes one segment of a URL path. It refuses, with an *IDError, an empty
// ID, "." and "..", an ID longer than MaxIDLength, and one that contains a slash, a
// backslash, a control character (below U+0020, or U+007F) or invalid UTF-8. Anything
// else is escaped with url.PathEscape by the builders, so it cannot leave its segment.
//
// This is graphcomms' rule, not Graph's: Graph does not document the character set of
// its IDs, and every ID in its docs passes.
func ValidateID(id string) error {
	switch {
	case id == "":
		return &IDError{ID: id, Reason: "empty"}
	case id == "." || id == "..":
		return &IDError{ID: id, Reason: "a dot segment"}
	case len(id) > MaxIDLength:
		return &IDError{ID: id, Reason: fmt.Sprintf("longer than %d bytes", MaxIDLength)}
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c == '/':
			return &IDError{ID: id, Reason: "contains '/'"}
		case c == '\\':
			return &IDError{ID: id, Reason: `contains '\'`}
		case c < 0x20 || c == 0x7f:
			return &IDError{ID: id, Reason: fmt.Sprintf("contains the control character %#02x", c)}
		}
	}
	if !utf8.ValidString(id) {
		return &IDError{ID: id, Reason: "not valid UTF-8"}
	}
	return nil
}
