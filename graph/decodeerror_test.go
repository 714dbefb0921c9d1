package graph_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

func ExampleDecodeError() {
	body := []byte(`{"id":"p1","info":{"identity":{"user":{"id":"u1","displayName":["Alice"]}}}}`)
	var p participants.Participant
	err := p.UnmarshalJSON(body)
	var de *graph.DecodeError
	if errors.As(err, &de) {
		fmt.Printf("offset %d, path %s: want %s, got %s\n", de.Offset, de.Path, de.Want, de.Got)
	}
	fmt.Println(err)

	// encoding/json calls the same method (after its own syntax check, whose errors
	// are *json.SyntaxError), and returns its error as it is.
	err = json.Unmarshal([]byte("{\"id\":\"p\xff1\"}"), &p)
	if errors.As(err, &de) {
		fmt.Printf("offset %d, path %s: %s\n", de.Offset, de.Path, de.Reason)
	}
	// Output:
	// offset 63, path info.identity.user.displayName: want string, got array
	// cannot decode JSON array into string at info.identity.user.displayName (offset 63)
	// offset 8, path id: invalid UTF-8 in string (byte 0xff)
}

// TestDecodeErrorFromEveryDecoder: the model decoders, the polymorphic ones and
// notifications.Parse all return a *graph.DecodeError that errors.As finds, with the
// offset and path of the problem in the input they were given.
func TestDecodeErrorFromEveryDecoder(t *testing.T) {
	cases := []struct {
		name   string
		decode func([]byte) error
		in     string
		offset int
		path   string
		want   string // Want, for a kind mismatch
	}{
		{"participants.Participant", func(b []byte) error { return new(participants.Participant).UnmarshalJSON(b) },
			`{"mediaStreams":[{"label":"a"},{"label":7}]}`, 40, "mediaStreams[1].label", "string"},
		{"media.MediaInfo", func(b []byte) error { return new(media.MediaInfo).UnmarshalJSON(b) },
			"{\"uri\":\"https://x/\xff.wav\"}", 18, "uri", ""},
		{"media.DecodeConfig", func(b []byte) error { _, err := media.DecodeConfig(b); return err },
			`{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig","preFetchMedia":[{"uri":"a"},]}`, 88, "preFetchMedia", ""},
		{"calls.DecodeOperation", func(b []byte) error { _, err := calls.DecodeOperation(b); return err },
			`{"@odata.type":"#microsoft.graph.playPromptOperation","status":{}}`, 63, "status", "enum string"},
		{"calls.Call, inside a polymorphic member", func(b []byte) error { return new(calls.Call).UnmarshalJSON(b) },
			`{"id":"c1","mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig","preFetchMedia":{}}}`, 100, "mediaConfig.preFetchMedia", "array"},
		{"calls.Call, trailing NUL", func(b []byte) error { return new(calls.Call).UnmarshalJSON(b) },
			"{\"id\":\"c1\"}\x00", 11, "", ""},
		{"notifications.Parse", func(b []byte) error { _, err := notifications.Parse(b); return err },
			`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call","state":5}}]}`, 114, "value[0].resourceData.state", "enum string"},
	}
	for _, c := range cases {
		err := c.decode([]byte(c.in))
		var de *graph.DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %v (%T) is not a *graph.DecodeError", c.name, err, err)
			continue
		}
		if de.Offset != c.offset || de.Path != c.path || de.Want != c.want {
			t.Errorf("%s: offset %d path %q want %q; expected %d %q %q (%v)", c.name, de.Offset, de.Path, de.Want, c.offset, c.path, c.want, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprint(c.offset)) {
			t.Errorf("%s: the message does not say where: %v", c.name, err)
		}
	}
}

func TestDecodeErrorText(t *testing.T) {
	for _, c := range []struct {
		err  *graph.DecodeError
		want string
	}{
		{&graph.DecodeError{Offset: 34, Path: "value[0]", Reason: "trailing comma before '}'"}, "invalid JSON at offset 34 (in value[0]): trailing comma before '}'"},
		{&graph.DecodeError{Offset: 0, Reason: "empty input"}, "invalid JSON at offset 0: empty input"},
		{&graph.DecodeError{Offset: 9, Want: "array", Got: "object"}, "cannot decode JSON object into array at top level (offset 9)"},
		{&graph.DecodeError{Offset: 12, Path: "value[100]", Reason: "more than 100 notifications in one body", Err: graph.ErrDecodeLimit},
			"cannot decode JSON at offset 12 (in value[100]): more than 100 notifications in one body"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	limit := &graph.DecodeError{Err: graph.ErrDecodeLimit}
	if !errors.Is(fmt.Errorf("wrapped: %w", limit), graph.ErrDecodeLimit) || errors.Is(&graph.DecodeError{}, graph.ErrDecodeLimit) {
		t.Error("errors.Is(err, ErrDecodeLimit)")
	}
}
