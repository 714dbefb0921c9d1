package cassette

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/graphcomms/graphcomms/internal/wire"
)

// Kind says which way an event went.
type Kind string

// The kinds of event.
const (
	// KindCallback is a callback Graph sent to the bot and the bot accepted (2xx).
	KindCallback Kind = "callback"
	// KindRequest is a request the bot sent to Graph, with Graph's response.
	KindRequest Kind = "request"
)

// Event is one line of a cassette: an accepted callback or an outbound request, with
// the answer it got. Bodies are JSON when they were JSON (Body), else text (Text);
// either has its secrets removed (see the package documentation).
type Event struct {
	// Kind is KindCallback or KindRequest.
	Kind Kind `json:"kind"`
	// Recording identifies the Recorder that wrote the event (one per NewRecorder),
	// and Seq numbers its exchanges in the order they started: the callback arrived
	// or the request was sent. Lines are in the order exchanges completed, so a
	// request whose response came after a callback is written after it although it
	// was sent before; StartOrder sorts events back into the order they started.
	Recording string `json:"recording,omitempty"`
	Seq       int64  `json:"seq,omitempty"`
	// Time is when the callback arrived or the request was sent, by
	// RecorderConfig.Now.
	Time time.Time `json:"time"`
	// Method, Path (escaped, without scheme and host) and Query (raw, with token-like
	// parameters redacted) of the callback or request.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Query  string `json:"query,omitempty"`
	// Headers are the selected headers of the callback or request (lower-case names);
	// never Authorization or Cookie.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the callback's or request's body when it was whole JSON; Text holds any
	// other body (a truncated one included) as text.
	Body json.RawMessage `json:"body,omitempty"`
	Text string          `json:"text,omitempty"`
	// Size is the body's size in bytes when it was not recorded whole (Truncated, or
	// binary so that neither Body nor Text holds it).
	Size int64 `json:"size,omitempty"`
	// Truncated says the body was longer than RecorderConfig.MaxBodyBytes: Text holds
	// its first MaxBodyBytes bytes.
	Truncated bool `json:"truncated,omitempty"`
	// Response is the answer: Graph's response to a request, the bot's to a callback.
	// It is nil for a request that failed without a response (see Error).
	Response *Response `json:"response,omitempty"`
	// DurationMS is how long the exchange took, in milliseconds: until the response
	// body was read (request) or the bot had answered (callback).
	DurationMS float64 `json:"durationMs,omitempty"`
	// Error is why a request got no response (a transport error) or why its response
	// body could not be read to the end.
	Error string `json:"error,omitempty"`

	// Line is the event's line number in what Decode or Read read it from; 0 for an
	// event made otherwise. It is not written.
	Line int `json:"-"`
}

// Response is the answer to a callback or request.
type Response struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Headers are the selected response headers (lower-case names); never Set-Cookie.
	Headers map[string]string `json:"headers,omitempty"`
	// Body, Text, Size and Truncated are as in Event. A gzip body is recorded decoded.
	Body      json.RawMessage `json:"body,omitempty"`
	Text      string          `json:"text,omitempty"`
	Size      int64           `json:"size,omitempty"`
	Truncated bool            `json:"truncated,omitempty"`
}

// maxLine bounds one line Decode accepts: far above what a Recorder writes (two
// bodies of at most MaxBodyBytes each, escaped).
const maxLine = 64 << 20

// Decode reads a cassette: one JSON event per line, in order. Blank lines are
// skipped. A line that is not an event fails with an error naming its line number
// (a *LineError).
func Decode(r io.Reader) ([]Event, error) {
	br := bufio.NewReader(r)
	var out []Event
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return out, &LineError{Line: n, Err: err}
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			ev, derr := decodeLine(trimmed)
			if derr != nil {
				return out, &LineError{Line: n, Err: derr}
			}
			ev.Line = n
			out = append(out, ev)
		}
		if err != nil { // io.EOF
			return out, nil
		}
	}
}

// readLine reads one line without its newline, at most maxLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}

func decodeLine(line []byte) (Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&ev); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return ev, fmt.Errorf("invalid JSON at offset %d: %v", syn.Offset, err)
		}
		return ev, fmt.Errorf("not an event: %v", err)
	}
	if dec.More() {
		return ev, errors.New("more than one JSON value on the line")
	}
	switch ev.Kind {
	case KindCallback:
		if len(ev.Body) == 0 && ev.Text == "" && ev.Size == 0 {
			return ev, errors.New("callback without a body")
		}
	case KindRequest:
		if ev.Method == "" || ev.Path == "" {
			return ev, errors.New(`request without "method" or "path"`)
		}
	case "":
		return ev, errors.New(`no "kind"`)
	default:
		return ev, fmt.Errorf(`unknown kind %q (want "callback" or "request")`, ev.Kind)
	}
	if r := ev.Response; r != nil && (r.Status < 100 || r.Status > 999) {
		return ev, fmt.Errorf("response status %d is not an HTTP status", r.Status)
	}
	return ev, nil
}

// LineError is a line of a cassette that could not be read.
type LineError struct {
	// File is the cassette's path (set by Read), Line the line number from 1.
	File string
	Line int
	Err  error
}

// Error implements error: "cassette: FILE:LINE: reason".
func (e *LineError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("cassette: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("cassette: line %d: %v", e.Line, e.Err)
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// Read reads the cassette at path (one file: a rotated cassette's older files are
// path.1, path.2, ...).
func Read(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cassette: %w", err)
	}
	defer f.Close()
	evs, err := Decode(f)
	var le *LineError
	if errors.As(err, &le) {
		le.File = path
	}
	return evs, err
}

// StartOrder returns events sorted into the order their exchanges started: the
// events of each recording (in the order recordings first appear) by Seq. Events
// without a Seq keep their place among the events of their recording.
func StartOrder(events []Event) []Event {
	type key struct {
		rec int
		seq int64
	}
	recs := map[string]int{}
	keys := make([]key, len(events))
	var last int64
	for i, ev := range events {
		r, ok := recs[ev.Recording]
		if !ok {
			r = len(recs)
			recs[ev.Recording] = r
		}
		seq := ev.Seq
		if seq == 0 {
			seq = last // just after the event before it
		}
		last = seq
		keys[i] = key{r, seq}
	}
	idx := make([]int, len(events))
	for i := range idx {
		idx[i] = i
	}
	// Stable: events with the same recording and Seq keep their order.
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		return cmp.Or(cmp.Compare(ka.rec, kb.rec), cmp.Compare(ka.seq, kb.seq))
	})
	out := make([]Event, len(events))
	for i, j := range idx {
		out[i] = events[j]
	}
	return out
}

// Encode writes events to w, one JSON line each, as a Recorder writes them.
func Encode(w io.Writer, events []Event) error {
	for i := range events {
		line, err := marshalLine(&events[i], false)
		if err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes events to a cassette at path, replacing it atomically (a
// temporary file in the same directory, then a rename).
func WriteFile(path string, events []Event) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	w := bufio.NewWriter(tmp)
	if err := Encode(w, events); err != nil {
		tmp.Close()
		return fmt.Errorf("cassette: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("cassette: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	return nil
}

// marshalLine encodes one event and its newline, members in the documented order,
// without HTML escaping (so that URLs stay readable). Bodies must be valid JSON
// unless checked is false, when they are validated and compacted first.
func marshalLine(ev *Event, checked bool) ([]byte, error) {
	size := 256 + len(ev.Body) + len(ev.Text) + len(ev.Path) + len(ev.Query)
	if ev.Response != nil {
		size += len(ev.Response.Body) + len(ev.Response.Text)
	}
	b := make([]byte, 0, size)
	b = append(b, `{"kind":`...)
	b = wire.AppendString(b, string(ev.Kind))
	b = appendMember(b, "recording", ev.Recording)
	if ev.Seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, ev.Seq, 10)
	}
	b = append(b, `,"time":`...)
	b = wire.AppendString(b, ev.Time.Format(time.RFC3339Nano))
	b = appendMember(b, "method", ev.Method)
	b = appendMember(b, "path", ev.Path)
	b = appendMember(b, "query", ev.Query)
	b = appendHeaders(b, ev.Headers)
	var err error
	if b, err = appendBody(b, ev.Body, ev.Text, ev.Size, ev.Truncated, checked); err != nil {
		return nil, err
	}
	if r := ev.Response; r != nil {
		b = append(b, `,"response":{"status":`...)
		b = strconv.AppendInt(b, int64(r.Status), 10)
		b = appendHeaders(b, r.Headers)
		if b, err = appendBody(b, r.Body, r.Text, r.Size, r.Truncated, checked); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	if ev.DurationMS != 0 {
		b = append(b, `,"durationMs":`...)
		b = strconv.AppendFloat(b, ev.DurationMS, 'f', -1, 64)
	}
	b = appendMember(b, "error", ev.Error)
	return append(b, "}\n"...), nil
}

func appendMember(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return wire.AppendString(b, v)
}

func appendHeaders(b []byte, h map[string]string) []byte {
	if len(h) == 0 {
		return b
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, `,"headers":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, k)
		b = append(b, ':')
		b = wire.AppendString(b, h[k])
	}
	return append(b, '}')
}

func appendBody(b []byte, body json.RawMessage, text string, size int64, truncated, checked bool) ([]byte, error) {
	if len(body) > 0 {
		b = append(b, `,"body":`...)
		if checked {
			b = append(b, body...)
		} else {
			var c bytes.Buffer
			if err := json.Compact(&c, body); err != nil {
				return nil, fmt.Errorf("cassette: encoding an event: body: %w", err)
			}
			b = append(b, c.Bytes()...)
		}
	}
	b = appendMember(b, "text", text)
	if size != 0 {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, size, 10)
	}
	if truncated {
		b = append(b, `,"truncated":true`...)
	}
	return b, nil
}
