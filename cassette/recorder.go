package cassette

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults of RecorderConfig.
const (
	// DefaultMaxBytes is the size at which a cassette file is rotated.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxFiles is how many rotated files are kept (path.1 to path.3).
	DefaultMaxFiles = 3
	// DefaultMaxBodyBytes is how much of each body is recorded (and buffered).
	DefaultMaxBodyBytes = 1 << 20
)

// defaultHeaders are the headers recorded, in whichever direction they appear.
var defaultHeaders = []string{"client-request-id", "scenario-id", "request-id", "content-type", "location", "retry-after"}

// RecorderConfig configures a Recorder. Path is required.
type RecorderConfig struct {
	// Path is the cassette file. It is created with mode 0600 if needed, and appended
	// to if it exists.
	Path string
	// MaxBytes is the largest a cassette file grows: an event that would take it past
	// MaxBytes first rotates it (path becomes path.1, path.1 becomes path.2, ...). An
	// event larger than MaxBytes on its own is written alone in a fresh file. Default
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxFiles is how many rotated files are kept besides path (path.1 to
	// path.MaxFiles); older ones are removed. Default DefaultMaxFiles.
	MaxFiles int
	// MaxBodyBytes caps what is recorded, and so buffered, of each body; a longer body
	// passes through whole but is recorded as its first MaxBodyBytes bytes, as text,
	// with Truncated set. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Redact names more JSON members (and query or form parameters) whose values are
	// replaced by "REDACTED" wherever they appear, besides those always redacted (see
	// the package documentation). Names match ignoring case.
	Redact []string
	// Headers names more headers to record besides client-request-id, scenario-id,
	// request-id, content-type, location and retry-after. Authorization,
	// Proxy-Authorization, Cookie and Set-Cookie are never recorded.
	Headers []string
	// Now stamps events; default time.Now. Give it the clock the bot's client uses
	// (an emulator's virtual clock, say) so that played-back timers see the same
	// times.
	Now func() time.Time
}

// Recorder writes a cassette of a bot's traffic: the callbacks it accepts (through
// Handler) and its requests to Graph with their responses (through Transport). It
// never fails or delays the traffic for its own sake: an event it cannot write is
// dropped and counted (see Stats). It is safe for concurrent use; events are written
// in the order they complete, one line each.
type Recorder struct {
	cfg     RecorderConfig
	red     *redactor
	headers []string
	id      string       // Event.Recording
	seq     atomic.Int64 // the last Event.Seq handed out

	mu     sync.Mutex
	f      *os.File
	size   int64
	closed bool
	stats  Stats
}

// Stats counts what a Recorder did.
type Stats struct {
	// Events is how many events were written.
	Events int64
	// Dropped is how many events were lost: written after Close, or refused by the
	// file system (Err says why).
	Dropped int64
	// Truncated is how many bodies were longer than MaxBodyBytes.
	Truncated int64
	// Rotations is how many times the file was rotated.
	Rotations int64
	// Bytes is the size of the current file.
	Bytes int64
	// Err is the last error writing or rotating the file.
	Err error
}

// NewRecorder opens the cassette at cfg.Path and returns a Recorder writing to it.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Path == "" {
		return nil, errors.New("cassette: RecorderConfig.Path is required")
	}
	if cfg.MaxBytes < 0 || cfg.MaxFiles < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("cassette: negative RecorderConfig limit")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = DefaultMaxFiles
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var id [4]byte
	_, _ = rand.Read(id[:])
	r := &Recorder{cfg: cfg, red: newRedactor(cfg.Redact), id: hex.EncodeToString(id[:])}
	seen := map[string]bool{}
	for _, h := range append(append([]string(nil), defaultHeaders...), cfg.Headers...) {
		h = strings.ToLower(h)
		if !seen[h] && !neverHeaders[h] {
			seen[h] = true
			r.headers = append(r.headers, h)
		}
	}
	f, size, err := openCassette(cfg.Path)
	if err != nil {
		return nil, err
	}
	r.f, r.size = f, size
	return r, nil
}

func openCassette(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("cassette: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("cassette: %w", err)
	}
	return f, st.Size(), nil
}

// Close closes the cassette file. Events that complete afterwards are dropped.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// Stats returns the recorder's counts so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Bytes = r.size
	return s
}

// write appends one event, rotating first when the file would grow past MaxBytes.
func (r *Recorder) write(ev *Event) {
	line, err := marshalLine(ev, true)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		r.stats.Dropped++
		r.stats.Err = err
		return
	case r.closed:
		r.stats.Dropped++
		return
	}
	if r.size > 0 && r.size+int64(len(line)) > r.cfg.MaxBytes {
		if err := r.rotateLocked(); err != nil {
			r.stats.Err = err
		}
	}
	if r.f == nil { // a rotation failed to open the new file: try again
		f, size, err := openCassette(r.cfg.Path)
		if err != nil {
			r.stats.Dropped++
			r.stats.Err = err
			return
		}
		r.f, r.size = f, size
	}
	n, err := r.f.Write(line)
	if err != nil {
		// Take a partial line back, so that the next event starts a line of its own.
		if n > 0 && r.f.Truncate(r.size) != nil {
			r.size += int64(n)
		}
		r.stats.Dropped++
		r.stats.Err = fmt.Errorf("cassette: %w", err)
		return
	}
	r.size += int64(n)
	r.stats.Events++
}

// rotateLocked shifts path.N-1 to path.N, ..., path to path.1 (dropping the oldest)
// and opens a fresh path.
func (r *Recorder) rotateLocked() error {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	p := r.cfg.Path
	var first error
	keep := func(err error) {
		if err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = fmt.Errorf("cassette: rotating: %w", err)
		}
	}
	keep(os.Remove(fmt.Sprintf("%s.%d", p, r.cfg.MaxFiles)))
	for i := r.cfg.MaxFiles - 1; i >= 1; i-- {
		keep(os.Rename(fmt.Sprintf("%s.%d", p, i), fmt.Sprintf("%s.%d", p, i+1)))
	}
	keep(os.Rename(p, p+".1"))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		keep(err)
		return first
	}
	r.f, r.size = f, 0
	r.stats.Rotations++
	return first
}

// Handler records the callbacks next accepts: a callback is written once next has
// answered it with a 2xx status; refused ones (401, 403, 413, 503, ...) are not.
// It passes the body to next as it arrives, keeping a copy of at most MaxBodyBytes.
func (r *Recorder) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		seq, start, t0 := r.seq.Add(1), r.cfg.Now(), time.Now()
		c := &capture{max: r.cfg.MaxBodyBytes}
		body := &teeBody{rc: req.Body, c: c}
		req.Body = body
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, req)
		status := sw.status
		if status == 0 {
			status = http.StatusOK // what net/http sends for a handler that wrote nothing
		}
		if status < 200 || status > 299 {
			return
		}
		// Whatever next left unread, up to the cap, so that the record is whole.
		if room := r.cfg.MaxBodyBytes - c.kept(); !c.ended() && room >= 0 {
			_, _ = io.Copy(io.Discard, io.LimitReader(body, room+1))
		}
		ev := Event{Kind: KindCallback, Recording: r.id, Seq: seq, Time: start, Method: req.Method, Path: req.URL.EscapedPath(),
			Query: r.red.query(req.URL.RawQuery), Headers: r.pick(req.Header)}
		ev.Body, ev.Text, ev.Size, ev.Truncated = r.body(c, req.Header)
		ev.Response = &Response{Status: status, Headers: r.pick(sw.Header())}
		ev.DurationMS = ms(time.Since(t0))
		r.write(&ev)
	})
}

// Transport returns a RoundTripper that sends requests with base (nil:
// http.DefaultTransport) and records each request with its response. A response is
// recorded when its body has been read to the end or closed; the body reaches the
// caller as it arrives (the recorder keeps a copy of at most MaxBodyBytes). Give it
// to the Graph client's HTTP client:
//
//	adapter, _ := auth.NewRequestAdapter(cred, auth.AdapterConfig{
//		HTTPClient: &http.Client{Transport: rec.Transport(nil)}})
//
// It sits below the SDK's middleware, so it records requests as sent (headers,
// retries), without the Authorization header.
func (r *Recorder) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &recordingTransport{r: r, base: base}
}

type recordingTransport struct {
	r    *Recorder
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.r
	seq, start, t0 := r.seq.Add(1), r.cfg.Now(), time.Now()
	out := req
	var reqBody *capture
	if req.Body != nil && req.Body != http.NoBody {
		reqBody = &capture{max: r.cfg.MaxBodyBytes}
		cp := *req // RoundTrip must not change the caller's request
		cp.Body = &teeBody{rc: req.Body, c: reqBody}
		out = &cp
	}
	ev := &Event{Kind: KindRequest, Recording: r.id, Seq: seq, Time: start, Method: req.Method, Path: req.URL.EscapedPath(),
		Query: r.red.query(req.URL.RawQuery), Headers: r.pick(req.Header)}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		if reqBody != nil {
			ev.Body, ev.Text, ev.Size, ev.Truncated = r.body(reqBody, req.Header)
		}
		ev.Error = r.red.inText(err.Error())
		ev.DurationMS = ms(time.Since(t0))
		r.write(ev)
		return nil, err
	}
	respBody := &capture{max: r.cfg.MaxBodyBytes}
	finish := func() {
		if reqBody != nil {
			ev.Body, ev.Text, ev.Size, ev.Truncated = r.body(reqBody, req.Header)
		}
		res := &Response{Status: resp.StatusCode, Headers: r.pick(resp.Header)}
		res.Body, res.Text, res.Size, res.Truncated = r.body(respBody, resp.Header)
		ev.Response = res
		if err := respBody.failure(); err != nil {
			ev.Error = "reading the response body: " + r.red.inText(err.Error())
		}
		ev.DurationMS = ms(time.Since(t0))
		r.write(ev)
	}
	if resp.Body == nil || resp.Body == http.NoBody || resp.ContentLength == 0 || req.Method == http.MethodHead {
		finish()
		return resp, nil
	}
	resp.Body = &teeBody{rc: resp.Body, c: respBody, done: finish}
	return resp, nil
}

// pick returns the recorded headers present in h, secret URL parameters redacted.
func (r *Recorder) pick(h http.Header) map[string]string {
	var m map[string]string
	for _, name := range r.headers {
		if vs := h.Values(name); len(vs) > 0 {
			if m == nil {
				m = map[string]string{}
			}
			m[name] = r.red.inText(strings.Join(vs, ", "))
		}
	}
	return m
}

// body turns what was captured of a body into its record: redacted JSON when it is
// whole JSON, else redacted text, else (binary) only its size. A gzip body is
// decoded first.
func (r *Recorder) body(c *capture, h http.Header) (raw []byte, text string, size int64, truncated bool) {
	data, seen := c.snapshot()
	truncated = seen > int64(len(data))
	if strings.Contains(strings.ToLower(h.Get("Content-Encoding")), "gzip") && len(data) > 0 {
		var cut bool
		data, cut = gunzip(data, r.cfg.MaxBodyBytes)
		truncated = truncated || cut
	}
	if len(data) == 0 && !truncated {
		return nil, "", 0, false
	}
	if truncated {
		r.mu.Lock()
		r.stats.Truncated++
		r.mu.Unlock()
		size = seen
		// Cut a rune split by the cap.
		for i := 0; i < utf8.UTFMax && len(data) > 0 && !utf8.Valid(data); i++ {
			data = data[:len(data)-1]
		}
	} else if out, ok := r.red.json(data); ok {
		return out, "", 0, false
	}
	if !utf8.Valid(data) {
		return nil, "", seen, truncated
	}
	form := strings.HasPrefix(strings.ToLower(h.Get("Content-Type")), "application/x-www-form-urlencoded")
	return nil, r.red.text(string(data), form), size, truncated
}

// gunzip inflates data, at most max bytes of it; cut says the output was cut short
// (by max, or because data itself was cut).
func gunzip(data []byte, max int64) (out []byte, cut bool) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return data, false // not gzip after all: keep it as it came
	}
	out, err = io.ReadAll(io.LimitReader(zr, max+1))
	if int64(len(out)) > max {
		return out[:max], true
	}
	return out, err != nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// capture keeps the first max bytes that pass through a body and counts them all.
type capture struct {
	max int64

	mu   sync.Mutex
	buf  []byte
	seen int64
	eof  bool
	err  error
}

func (c *capture) add(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen += int64(len(p))
	if room := c.max - int64(len(c.buf)); room > 0 {
		c.buf = append(c.buf, p[:min(int64(len(p)), room)]...)
	}
}

func (c *capture) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(err, io.EOF) {
		c.eof = true
	} else if c.err == nil {
		c.err = err
	}
}

func (c *capture) kept() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(len(c.buf))
}

func (c *capture) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eof || c.err != nil
}

func (c *capture) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *capture) snapshot() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...), c.seen
}

// teeBody copies what is read through it into a capture and calls done once, at the
// end of the body, on a read error, or on Close.
type teeBody struct {
	rc   io.ReadCloser
	c    *capture
	done func()
	once sync.Once
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.c.add(p[:n])
	if err != nil {
		b.c.end(err)
		b.finish()
	}
	return n, err
}

func (b *teeBody) Close() error {
	err := b.rc.Close()
	b.finish()
	return err
}

func (b *teeBody) finish() {
	if b.done != nil {
		b.once.Do(b.done)
	}
}

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher when the underlying writer does.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
