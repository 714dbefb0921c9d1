package graphcommstest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/emulator"
)

// DefaultTimeout bounds each wait of a Harness (and its Context).
const DefaultTimeout = 10 * time.Second

// Harness is a running emulator and a graphcomms.Client wired to it, for one test:
// the client's callback URL is served on loopback, its requests go to the emulator
// with the emulator's token, callbacks are validated with the emulator's signing
// keys, and both share the emulator's virtual clock (time moves only with Advance).
// Everything is closed by t.Cleanup; when the test fails, the emulator's transcript
// and the errors the client reported are logged.
type Harness struct {
	// Emulator plays Microsoft Graph and the people on the calls.
	Emulator *emulator.Server
	// Client is the bot's client; attach the bot's handlers to it.
	Client *graphcomms.Client

	t       testing.TB
	ctx     context.Context
	timeout time.Duration
	flight  *inflight

	mu   sync.Mutex
	errs []*graphcomms.CallError
}

// Option configures New.
type Option func(*settings)

type settings struct {
	rec     *cassette.Recorder
	emu     emulator.Config
	config  []func(*graphcomms.Config)
	timeout time.Duration
	level   slog.Level
}

// WithEmulator sets the emulator's configuration (its BotName, AutoCreatePeople, ...).
func WithEmulator(cfg emulator.Config) Option { return func(s *settings) { s.emu = cfg } }

// WithConfig changes the client's configuration before the client is made: f sees it
// fully wired (AppID, Adapter, BaseURL, CallbackURL, ValidatorConfig, Clock, Logger)
// and may set anything else (KeepAliveInterval, TracerProvider, ...).
func WithConfig(f func(*graphcomms.Config)) Option {
	return func(s *settings) { s.config = append(s.config, f) }
}

// WithCassette records the test's traffic with rec (the client's accepted callbacks
// and its requests to the emulator), to make a cassette for PlayCassette from a
// scripted test; close rec when the test is done. If the bot's timers matter, stamp
// the events with the emulator's time: make one clock, and give it to both.
//
//	clock := emulator.NewVirtualClock(emulator.DefaultStart)
//	rec, _ := cassette.NewRecorder(cassette.RecorderConfig{Path: path, Now: clock.Now})
//	h := graphcommstest.New(t, graphcommstest.WithEmulator(emulator.Config{Clock: clock}), graphcommstest.WithCassette(rec))
func WithCassette(rec *cassette.Recorder) Option { return func(s *settings) { s.rec = rec } }

// WithTimeout bounds each wait of the harness; default DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithLogLevel sets the level of the client's and emulator's logs written to t.Log;
// default slog.LevelInfo (slog.LevelDebug shows each callback and request).
func WithLogLevel(l slog.Level) Option { return func(s *settings) { s.level = l } }

// New starts an emulator and a client wired to it, and registers their closing with
// t.Cleanup. It fails the test at once if either cannot start.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	s := settings{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&s)
	}
	logs := &testLog{t: t}
	t.Cleanup(logs.stop) // registered first, so it runs last
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: s.level}))
	if s.emu.Logger == nil {
		s.emu.Logger = logger.With("side", "emulator")
	}
	emu, err := emulator.Start(s.emu)
	if err != nil {
		t.Fatalf("graphcommstest: starting the emulator: %v", err)
	}
	t.Cleanup(emu.Close)
	flight := newInflight()
	var base http.RoundTripper = http.DefaultTransport
	if s.rec != nil {
		base = s.rec.Transport(base)
	}
	adapter, err := emu.Adapter(auth.AdapterConfig{HTTPClient: &http.Client{Transport: flight.wrap(base)}})
	if err != nil {
		t.Fatalf("graphcommstest: %v", err)
	}
	var handler atomic.Pointer[graphcomms.Client]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := handler.Load(); c != nil {
			c.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "1")
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	cfg := graphcomms.Config{
		AppID: emu.AppID(), Adapter: adapter, BaseURL: emu.GraphURL(), CallbackURL: srv.URL + "/api/calls",
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(), Logger: logger.With("side", "bot"), Cassette: s.rec,
	}
	for _, f := range s.config {
		f(&cfg)
	}
	client, err := graphcomms.New(cfg)
	if err != nil {
		t.Fatalf("graphcommstest: starting the client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Harness{Emulator: emu, Client: client, t: t, ctx: ctx, timeout: s.timeout, flight: flight}
	client.OnError(func(e *graphcomms.CallError) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.errs) < 100 {
			h.errs = append(h.errs, e)
		}
	})
	handler.Store(client)
	emu.SetCallbackURL(cfg.CallbackURL)
	t.Cleanup(func() {
		cancel()
		client.Close()
		if t.Failed() {
			h.report()
		}
	})
	return h
}

// report logs the transcript and the client's errors of a failed test.
func (h *Harness) report() {
	h.t.Helper()
	var b strings.Builder
	b.WriteString("emulator transcript:\n")
	for _, l := range h.Emulator.Transcript() {
		b.WriteString("    " + l + "\n")
	}
	if errs := h.Errors(); len(errs) > 0 {
		b.WriteString("errors the client reported (OnError):\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "    %v\n", e)
		}
	}
	h.t.Log(b.String())
}

// Context returns a context that ends with the test.
func (h *Harness) Context() context.Context { return h.ctx }

// Errors returns the errors the client reported through OnError so far (at most 100).
func (h *Harness) Errors() []*graphcomms.CallError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*graphcomms.CallError(nil), h.errs...)
}

// AddUser adds a Teams user to the emulator who answers the bot's calls at once.
func (h *Harness) AddUser(name string) *emulator.Person {
	return h.Emulator.AddUser(name, emulator.Behavior{})
}

// CallBot has p call the bot and returns the person's handle on the call.
func (h *Harness) CallBot(p *emulator.Person) *emulator.CallHandle {
	h.t.Helper()
	c, err := p.CallBot()
	if err != nil {
		h.t.Fatalf("graphcommstest: %s calling the bot: %v", p.DisplayName(), err)
	}
	return c
}

// WaitCallTo waits for the next call the bot places (Client.Create) that rings p, and
// returns p's handle on it.
func (h *Harness) WaitCallTo(p *emulator.Person) *emulator.CallHandle {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	ev, err := h.Emulator.WaitEvent(ctx, 0, func(ev emulator.Event) bool {
		return ev.Kind == emulator.EventRinging && ev.Who == p.Name()
	})
	if err != nil {
		h.t.Fatalf("graphcommstest: the bot placed no call to %s within %s", p.DisplayName(), h.timeout)
	}
	c, err := h.Emulator.Handle(ev.CallID)
	if err != nil {
		h.t.Fatalf("graphcommstest: the call to %s: %v", p.DisplayName(), err)
	}
	return c
}

// Wait waits for the next event of kind on the call (see emulator.CallHandle.Wait),
// then until the client has read the answer to every request the bot has in flight:
// the emulator records an event such as emulator.EventRecordStarted as the bot's
// request arrives, and after Wait the bot's RecordResponse has its answer (its
// return to the bot's code may still be a few instructions away). It fails the test
// when the event does not come within the harness's timeout.
func (h *Harness) Wait(c *emulator.CallHandle, kind emulator.EventKind) emulator.Event {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	ev, err := c.Wait(ctx, kind)
	if err != nil {
		h.t.Fatalf("graphcommstest: no %s on call %s within %s (the last events: %s)", kind, c.ID(), h.timeout, h.lastEvents(5))
	}
	if err := h.flight.idle(ctx); err != nil {
		h.t.Fatalf("graphcommstest: the bot's requests did not return within %s", h.timeout)
	}
	return ev
}

// Settle waits until the emulator has delivered every notification it owes and the
// bot has no request in flight.
func (h *Harness) Settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	if err := h.Emulator.WaitIdle(ctx); err != nil {
		h.t.Fatalf("graphcommstest: the emulator did not settle within %s", h.timeout)
	}
	if err := h.flight.idle(ctx); err != nil {
		h.t.Fatalf("graphcommstest: the bot's requests did not return within %s", h.timeout)
	}
}

// Advance moves the virtual clock (a prompt plays for emulator.DefaultPromptDuration
// unless its person says otherwise), then settles.
func (h *Harness) Advance(d time.Duration) {
	h.t.Helper()
	h.Emulator.Advance(d)
	h.Settle()
}

// ExpectTranscript checks that the emulator's transcript has lines containing each of
// wants, in that order (other lines may come between them); see ExpectTranscriptOf.
func (h *Harness) ExpectTranscript(wants ...string) {
	h.t.Helper()
	ExpectTranscriptOf(h.t, h.Emulator, wants...)
}

// ExpectTranscriptOf checks that emu's transcript has lines containing each of wants,
// in that order, and reports the first one missing with t.Errorf.
func ExpectTranscriptOf(t testing.TB, emu *emulator.Server, wants ...string) {
	t.Helper()
	lines := emu.Transcript()
	i := 0
	for _, want := range wants {
		for i < len(lines) && !strings.Contains(lines[i], want) {
			i++
		}
		if i == len(lines) {
			t.Errorf("graphcommstest: the transcript has no line with %q after the lines before it", want)
			return
		}
		i++
	}
}

func (h *Harness) lastEvents(n int) string {
	evs := h.Emulator.Events()
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	var s []string
	for _, ev := range evs {
		s = append(s, string(ev.Kind)+" "+ev.Who)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}

// testLog writes log lines to t.Log until the test ends (a goroutine logging after
// that would panic in package testing).
type testLog struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}

// inflight counts the bot's requests whose response body has not been closed.
type inflight struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed while n == 0
}

func newInflight() *inflight {
	z := make(chan struct{})
	close(z)
	return &inflight{zero: z}
}

func (f *inflight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 && d > 0 {
		f.zero = make(chan struct{})
	}
	f.n += d
	if f.n == 0 {
		close(f.zero)
	}
}

func (f *inflight) idle(ctx context.Context) error {
	f.mu.Lock()
	z := f.zero
	f.mu.Unlock()
	select {
	case <-z:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *inflight) wrap(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		f.add(1)
		resp, err := base.RoundTrip(r)
		if err != nil {
			f.add(-1)
			return nil, err
		}
		resp.Body = &countedBody{ReadCloser: resp.Body, done: func() { f.add(-1) }}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countedBody calls done once, when the body is closed or read to its end.
type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.done)
	}
	return n, err
}

func (b *countedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}
