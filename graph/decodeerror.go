package graph

import (
	"errors"
	"fmt"
)

// ErrDecodeLimit is the cause (see DecodeError.Err) of a DecodeError for input that is
// well-formed JSON but would decode into more than the decoder allows: more memory
// than a fixed multiple of the input's size, or, in package notifications, more
// notifications than one callback may carry. errors.Is(err, ErrDecodeLimit) reports
// such errors, which an HTTP handler answers with 413 rather than 400.
var ErrDecodeLimit = errors.New("graph: decode limit exceeded")

// DecodeError reports JSON input that could not be decoded, and where. Every decoder
// of the SDK returns it, possibly wrapped, for every problem with its input: the
// models' UnmarshalJSON methods, calls.DecodeOperation and the other Decode functions,
// and notifications.Parse (whose *notifications.ParseError unwraps to it). Find it
// with errors.As.
//
// There are three kinds:
//
//   - malformed JSON (a syntax error): Want and Got are empty, Err is nil, Reason
//     says what is wrong, e.g. "trailing comma before '}'", "invalid UTF-8 in
//     string" or "unexpected byte 0x00 after the top-level value";
//   - a kind mismatch, a JSON value whose kind does not fit the Go field it names:
//     Want and Got say which, e.g. Want "string", Got "object";
//   - a limit: the input is well formed but too large to decode (Err is
//     ErrDecodeLimit).
type DecodeError struct {
	// Offset is the byte offset of the problem in the input given to the decoder.
	Offset int
	// Path is the member path of the value being decoded when the problem was found,
	// such as value[0].resourceData.state or participants[2].info; empty at the top
	// level.
	Path string
	// Reason says what is wrong, in a few words.
	Reason string
	// Want is, for a kind mismatch, what the Go side expects: a JSON kind ("string",
	// "object", "array", "boolean", "number", "integer", "enum string", "date-time
	// string") or a Go type name. Empty for the other kinds.
	Want string
	// Got is, for a kind mismatch, the JSON kind found: "object", "array", "string",
	// "number", "boolean", "null", or "unparsable value" for a string that does not
	// hold what Want names. Empty for the other kinds.
	Got string
	// Err is the cause when there is a sentinel for it (ErrDecodeLimit, or an error
	// of the package that set the limit); nil otherwise.
	Err error
}

// Error returns one line that says what and where:
//
//	invalid JSON at offset 34 (in value[0]): trailing comma before '}'
//	cannot decode JSON object into string at value[0].resourceData.state (offset 76)
//	cannot decode JSON at offset 12 (in value[100]): more than 100 notifications in one body
func (e *DecodeError) Error() string {
	if e.Want != "" {
		where := e.Path
		if where == "" {
			where = "top level"
		}
		return fmt.Sprintf("cannot decode JSON %s into %s at %s (offset %d)", e.Got, e.Want, where, e.Offset)
	}
	prefix := "invalid JSON"
	if e.Err != nil {
		prefix = "cannot decode JSON"
	}
	if e.Path == "" {
		return fmt.Sprintf("%s at offset %d: %s", prefix, e.Offset, e.Reason)
	}
	return fmt.Sprintf("%s at offset %d (in %s): %s", prefix, e.Offset, e.Path, e.Reason)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }
