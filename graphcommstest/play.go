package graphcommstest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/notifications"
)

// updateFlag is -graphcommstest.update. It is prefixed so that it never collides
// with a test package's own -update, which is honoured too (see Updating).
var updateFlag = flag.Bool("graphcommstest.update", false,
	"rewrite the cassettes PlayCassette plays and the golden files Golden compares with, from what the test produced")

// Updating reports whether the tests run with -graphcommstest.update, or with a
// boolean -update flag that another package of the test binary (the test's own,
// usually) defines: the time to record fixtures again, as PlayCassette and Golden
// rewrite theirs.
func Updating() bool {
	if *updateFlag {
		return true
	}
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if b, ok := g.Get().(bool); ok {
				return b
			}
		}
	}
	return false
}

// defaultStepTimeout bounds each wait of PlayCassette.
const defaultStepTimeout = 10 * time.Second

// PlayOption configures PlayCassette.
type PlayOption func(*playSettings)

type playSettings struct {
	timeout  time.Duration
	config   []func(*graphcomms.Config)
	exactIDs bool
	update   *bool
}

// WithStepTimeout bounds each wait of PlayCassette: for the requests the bot must
// have sent before a callback is delivered, and for the last ones at the end.
// Default 10 s.
func WithStepTimeout(d time.Duration) PlayOption {
	return func(s *playSettings) { s.timeout = d }
}

// WithPlayConfig changes the played-back client's configuration before the client is
// made: f sees it wired to the cassette (AppID, BotName and CallbackURL taken from
// the cassette when it shows them, Adapter, BaseURL, a virtual Clock,
// InsecureSkipValidation) and may set anything else (Logger, KeepAliveInterval, ...).
func WithPlayConfig(f func(*graphcomms.Config)) PlayOption {
	return func(s *playSettings) { s.config = append(s.config, f) }
}

// WithExactIDs turns off the mapping of GUIDs the bot made up: only clientContext
// values are mapped, and every other ID in the bot's requests (a transfer target's
// user ID, say) must be the recorded one.
func WithExactIDs() PlayOption {
	return func(s *playSettings) { s.exactIDs = true }
}

// WithUpdate rewrites the cassette (on) or never does (off), whatever the
// -graphcommstest.update and -update flags say.
func WithUpdate(on bool) PlayOption {
	return func(s *playSettings) { s.update = &on }
}

// Playback is what PlayCassette saw the bot do.
type Playback struct {
	// Requests are the bot's requests to Graph, but for the background ones, in the
	// order they arrived, with the IDs the bot made up written as the cassette has
	// them (so that they compare equal from one run to the next, with Golden say).
	Requests []PlayedRequest
	// Background are the GET and keepAlive requests: the client sends them on its
	// own (roster reads, operation polls, keep-alives), at times that depend on
	// timing.
	Background []PlayedRequest
	// Callbacks is how many callbacks were delivered.
	Callbacks int
	// Client is the played-back client. It stays open, answered from the cassette,
	// until the test ends (or Close), so that the test can wait for what its bot
	// does last.
	Client *graphcomms.Client

	close func()
}

// Close closes the client and the local Graph now instead of at the end of the
// test.
func (pb *Playback) Close() {
	if pb.close != nil {
		pb.close()
	}
}

// PlayedRequest is a request the bot sent during PlayCassette and the status it was
// answered with.
type PlayedRequest struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
	Status int             `json:"status"`
}

// PlayCassette plays the cassette at path (written by a cassette.Recorder, in
// production, staging or a test) into a fresh graphcomms.Client, and fails t when the
// bot's requests differ from the recorded ones.
//
// The client is wired to a local server that plays Graph: it answers each of the
// bot's requests with the recorded response. setup registers the bot's handlers on
// the client (ivr.Attach, say) before anything is delivered. Then the recorded
// callbacks are delivered in the order they arrived (cassette.StartOrder). Before
// each one, PlayCassette waits, at most the step timeout (10 s by default), until
// the bot has sent every recorded request that was sent before that callback
// arrived, and has read the responses; it fails the test naming the missing
// request when the bot has not sent it. Once the last callback is delivered, it
// waits for the rest of the recorded requests (and fails the test listing those the
// bot never sent), for the bot's requests to be answered and for the calls the
// cassette ends to be over. The client runs on a virtual clock that moves to each
// callback's recorded time before it is delivered (see cassette.RecorderConfig.Now).
// Callbacks are delivered unsigned (the client has InsecureSkipValidation).
//
// Matching: a request matches a recorded one with the same method and path, query
// and body (JSON compared as values: member order and number spelling do not
// matter; headers are not compared). IDs the bot makes up (clientContext values,
// and GUIDs whose first appearance in the cassette is in a request of the bot's;
// see WithExactIDs) are mapped from the recorded ones to the played ones,
// consistently and one to one: a callback or response that carries a recorded
// clientContext is delivered with the bot's new one. A request that differs from
// every recorded one fails the test: with a diff (-cassette +bot) against the first
// recorded request of the same method and path not yet sent, whose response it then
// gets, or, when there is none, listing the recorded requests not sent yet, and
// answered 404. GET requests and keepAlive are the client's own business (roster
// reads, operation polls, keep-alives, sent at times that depend on timing): they
// are answered from the recorded response of the same path nearest to the current
// point of the cassette (GET: 404 when there is none), never awaited and never fail
// the test. A recorded request that got no response is played as a closed
// connection, or, when the recording shows the bot gave up on it (its context
// ended), as no answer until the bot gives up again.
//
// With -graphcommstest.update (or the test's own -update flag, when it has one, or
// WithUpdate(true)), differences are logged instead, and the cassette's requests are
// rewritten from what the bot sent: changed ones replaced, new ones added (with the
// answer they got), those not sent removed; background requests are kept as
// recorded.
//
// It returns what the bot did. The client stays open, still answered from the
// cassette, until the test ends (or Playback.Close): what the bot sends after
// PlayCassette returns is checked too, and reported when the test ends.
func PlayCassette(t testing.TB, path string, setup func(*graphcomms.Client), opts ...PlayOption) *Playback {
	t.Helper()
	s := playSettings{timeout: defaultStepTimeout}
	for _, o := range opts {
		o(&s)
	}
	update := Updating()
	if s.update != nil {
		update = *s.update
	}
	events, err := cassette.Read(path)
	if err != nil {
		t.Fatalf("graphcommstest: %v", err)
	}
	events = cassette.StartOrder(events)
	p := newPlayer(t, path, events, s, update)
	srv := httptest.NewServer(p)

	start := time.Now()
	if len(events) > 0 {
		start = events[0].Time
	}
	clock := emulator.NewVirtualClock(start)
	base := srv.URL + p.prefix
	transport := http.DefaultTransport.(*http.Transport).Clone()
	adapter, err := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{
		BaseURL:    base,
		HTTPClient: &http.Client{Transport: p.flight.wrap(transport)},
		// Recorded throttling plays back at once.
		Retry: auth.RetryPolicy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
	})
	if err != nil {
		srv.Close()
		t.Fatalf("graphcommstest: %v", err)
	}
	cfg := graphcomms.Config{
		AppID: p.appID, BotName: p.botName, Adapter: adapter, BaseURL: base, CallbackURL: p.callbackURL,
		InsecureSkipValidation: true, Clock: clock,
	}
	for _, f := range s.config {
		f(&cfg)
	}
	client, err := graphcomms.New(cfg)
	if err != nil {
		srv.Close()
		t.Fatalf("graphcommstest: starting the client: %v", err)
	}
	pb := &Playback{Client: client}
	var once sync.Once
	pb.close = func() {
		once.Do(func() {
			client.Close()
			close(p.stop)
			srv.Close() // waits for the requests being answered
			transport.CloseIdleConnections()
			p.finish()
		})
	}
	t.Cleanup(func() {
		pb.close()
		p.flush() // what the bot did after PlayCassette returned
	})
	client.OnError(p.onError)
	// Noted before the bot's handlers run, to wait for the calls the cassette ends.
	client.OnIncoming(p.track)
	if setup != nil {
		setup(client)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range events {
		ev := &events[i]
		if ev.Kind != cassette.KindCallback {
			continue
		}
		if missing := p.waitFor(i); len(missing) > 0 {
			msg := fmt.Sprintf("before the callback on line %d (%s), the bot did not send within %s:\n%s",
				ev.Line, describeCallback(ev.Body), s.timeout, p.list(missing))
			if !update {
				p.flush()
				t.Fatalf("graphcommstest: %s: %s", path, msg)
			}
			p.note(msg + "\n(dropped from the cassette)")
			p.abandon(missing)
		}
		if d := ev.Time.Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
		p.deliver(ctx, client, i)
		for _, c := range client.Calls() {
			p.track(c)
		}
		p.flush()
	}
	if missing := p.waitFor(len(events)); len(missing) > 0 {
		p.failf("the bot never sent these requests of the cassette (waited %s):\n%s", s.timeout, p.list(missing))
	}
	if n := len(events); n > 0 {
		if d := events[n-1].Time.Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
	}
	p.settle()
	p.flush()
	if update {
		p.rewrite()
	}
	p.snapshot(pb)
	return pb
}

// settle waits, at most the step timeout, until the bot has read the answers to
// its requests (but those held as the recording shows) and the calls the cassette
// ends are over (their OnTerminated handlers have returned).
func (p *player) settle() {
	timer := time.NewTimer(p.s.timeout)
	defer timer.Stop()
	if !p.waitUntil(timer.C, p.answeredLocked) {
		p.note("the bot had not read the answers to all its requests after " + p.s.timeout.String())
		return
	}
	p.mu.Lock()
	var waits []*graphcomms.Call
	for id := range p.ended {
		if c := p.calls[id]; c != nil {
			waits = append(waits, c)
		}
	}
	p.mu.Unlock()
	for _, c := range waits {
		select {
		case <-c.Done():
		case <-timer.C:
			p.failf("call %s, which the cassette ends, was not over within %s (is an OnTerminated handler of the bot's blocked?)", c.ID(), p.s.timeout)
			return
		}
	}
	p.waitUntil(timer.C, p.answeredLocked) // what the bot sent as the calls ended
}

// answeredLocked says whether the bot has read the answer to every request it sent
// (but those held).
func (p *player) answeredLocked() bool {
	for _, g := range p.got {
		if !g.held && !p.read[g.id] {
			return false
		}
	}
	return true
}

// waitUntil waits until cond, called with p.mu held, is true (true) or timer fires
// (false).
func (p *player) waitUntil(timer <-chan time.Time, cond func() bool) bool {
	for {
		p.mu.Lock()
		ok, ch := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer:
			return false
		}
	}
}

// track notes a call of the client.
func (p *player) track(c *graphcomms.Call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.calls[c.ID()]; !ok {
		p.calls[c.ID()] = c
	}
}

// playIDHeader numbers the bot's requests, from the client's transport to the local
// Graph, so that the player knows when the bot has read each response.
const playIDHeader = "Graphcommstest-Request"

// playFlight numbers the bot's requests (in the playIDHeader) and tells read when
// the bot has read the answer to each: its response body to the end, or closed, or
// an error.
type playFlight struct {
	read func(id int)
	next atomic.Int64
}

func (f *playFlight) wrap(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		id := int(f.next.Add(1))
		done := func() { f.read(id) }
		r = r.Clone(r.Context())
		r.Header.Set(playIDHeader, strconv.Itoa(id))
		resp, err := base.RoundTrip(r)
		if err != nil {
			done()
			return nil, err
		}
		resp.Body = &countedBody{ReadCloser: resp.Body, done: done}
		return resp, nil
	})
}

// recorded is one of the cassette's requests.
type recorded struct {
	idx        int // in events
	ev         *cassette.Event
	background bool // GET or keepAlive: answered when sent, never awaited
	got        *played
	abandoned  bool // updating: waited for in vain once, not awaited again
}

// played is a request the bot sent.
type played struct {
	method, path, query string
	body                []byte
	after               int // index in events of the last callback delivered when it came
	match               *recorded
	extra               bool               // matches no recorded request (a new one)
	resp                *cassette.Response // what it was answered (nil: the connection was closed)
	id                  int                // its playID header
	held                bool               // answered only once the bot gave up
	background          bool
}

// player plays Graph from a cassette. It is the http.Handler of the local Graph.
type player struct {
	t      testing.TB
	path   string
	events []cassette.Event
	s      playSettings
	update bool

	prefix, appID, botName, callbackURL string

	mu        sync.Mutex
	ids       *idMap
	recs      []*recorded
	got       []*played
	cursor    int // index in events of the last callback delivered, -1 before the first
	delivered int
	failures  []string
	notes     []string
	done      bool
	changed   chan struct{} // closed and replaced whenever a request arrives
	stop      chan struct{} // closed when the client is closed
	flight    *playFlight
	read      map[int]bool                // the requests whose response the bot has read, by playID
	calls     map[string]*graphcomms.Call // every call the client had
	ended     map[string]bool             // the calls the cassette ends
}

func newPlayer(t testing.TB, path string, events []cassette.Event, s playSettings, update bool) *player {
	p := &player{t: t, path: path, events: events, s: s, update: update, cursor: -1, changed: make(chan struct{}), stop: make(chan struct{}),
		read: map[int]bool{}, calls: map[string]*graphcomms.Call{}, ended: map[string]bool{},
		prefix: "/v1.0", appID: emulator.DefaultAppID, botName: "", callbackURL: "https://bot.graphcommstest.invalid/api/calls"}
	p.ids = newIDMap(events, s.exactIDs)
	p.flight = &playFlight{read: p.responded}
	prefixSet := false
	for i := range events {
		ev := &events[i]
		if ev.Kind != cassette.KindRequest {
			p.learnApp(ev.Body, false)
			if notes, err := notifications.Parse(ev.Body); err == nil {
				for _, n := range notes {
					if n.Kind == notifications.KindCall && n.ChangeType == notifications.ChangeDeleted && n.CallID != "" {
						p.ended[n.CallID] = true
					}
				}
			}
			continue
		}
		r := &recorded{idx: i, ev: ev, background: isBackground(ev.Method, ev.Path)}
		p.recs = append(p.recs, r)
		if !prefixSet {
			prefixSet = true
			switch {
			case strings.HasPrefix(ev.Path, "/v1.0/"):
				p.prefix = "/v1.0"
			case strings.HasPrefix(ev.Path, "/beta/"):
				p.prefix = "/beta"
			default:
				p.prefix = ""
			}
		}
		p.learnApp(ev.Body, true)
	}
	return p
}

// learnApp takes the bot's callback URL, app ID and name from what the cassette
// shows of them: the callbackUri of its requests, the source of the calls it
// creates, the targets of the calls it gets.
func (p *player) learnApp(body []byte, outbound bool) {
	if len(body) == 0 {
		return
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	if outbound {
		if u, ok := findString(v, "callbackUri"); ok && p.callbackURL == "https://bot.graphcommstest.invalid/api/calls" {
			p.callbackURL = u
		}
		if m, ok := dig(v, "source", "identity", "application").(map[string]any); ok {
			if id, ok := m["id"].(string); ok && id != "" {
				p.appID = id
			}
			if n, ok := m["displayName"].(string); ok && p.botName == "" {
				p.botName = n
			}
		}
		return
	}
	if p.appID != emulator.DefaultAppID {
		return
	}
	if vals, ok := dig(v, "value").([]any); ok {
		for _, n := range vals {
			targets, _ := dig(n, "resourceData", "targets").([]any)
			for _, tg := range targets {
				if m, ok := dig(tg, "identity", "application").(map[string]any); ok {
					if id, ok := m["id"].(string); ok && id != "" {
						p.appID = id
						return
					}
				}
			}
		}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// findString finds the first string member named key, depth first, members in
// name order.
func findString(v any, key string) (string, bool) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x[key].(string); ok {
			return s, true
		}
		for _, k := range sortedKeys(x) {
			if s, ok := findString(x[k], key); ok {
				return s, true
			}
		}
	case []any:
		for _, e := range x {
			if s, ok := findString(e, key); ok {
				return s, true
			}
		}
	}
	return "", false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isBackground says whether the client sends such a request on its own, at times
// that depend on timing: reads (roster, operation polls) and keep-alives.
func isBackground(method, path string) bool {
	return method == http.MethodGet || method == http.MethodHead || strings.HasSuffix(path, "/keepAlive")
}

// ServeHTTP answers a request of the bot's from the cassette.
func (p *player) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if strings.Contains(strings.ToLower(r.Header.Get("Content-Encoding")), "gzip") {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if b, err := io.ReadAll(io.LimitReader(zr, 16<<20)); err == nil {
				body = b
			}
		}
	}
	// The bot's request is compared with the cassette's as the recorder would have
	// written it: with its secrets (a SAS signature in a prompt URL, say) redacted.
	if red, err := cassette.RedactJSON(body); err == nil {
		body = red
	}
	g := &played{method: r.Method, path: r.URL.EscapedPath(), query: cassette.RedactQuery(r.URL.RawQuery), body: body}
	g.id, _ = strconv.Atoi(r.Header.Get(playIDHeader))
	p.mu.Lock()
	g.after = p.cursor
	g.background = isBackground(g.method, g.path)
	var resp *cassette.Response
	var found bool
	var hold bool // answer as the recording was: not before the bot gives up
	if g.background {
		resp, found = p.matchBackgroundLocked(g)
	} else {
		resp, found = p.matchLocked(g)
	}
	switch {
	case found && resp == nil: // recorded without a response
		hold = g.match != nil && gaveUp(g.match.ev.Error)
		g.held = hold
	case found:
		cp := *resp
		cp.Headers = map[string]string{}
		for k, v := range resp.Headers {
			cp.Headers[k] = p.ids.toBot(v)
		}
		cp.Body = json.RawMessage(p.ids.toBot(string(resp.Body)))
		cp.Text = p.ids.toBot(resp.Text)
		if cp.Status < 100 || cp.Status > 999 {
			cp.Status = http.StatusOK
		}
		resp = &cp
	case g.method == http.MethodPost && g.background: // a keepAlive the cassette does not have
		resp = &cassette.Response{Status: http.StatusOK}
	default:
		resp = &cassette.Response{Status: http.StatusNotFound, Headers: map[string]string{"content-type": "application/json"},
			Body: graphError("itemNotFound", fmt.Sprintf("graphcommstest: %s %s is not in the cassette %s", g.method, g.path, p.path))}
	}
	g.resp = resp
	p.got = append(p.got, g)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()

	if resp == nil {
		// The bot gave up waiting (its context ended) when it was recorded: wait
		// for it to give up again. Any other error was the network's: close the
		// connection, as it was.
		if hold {
			select {
			case <-r.Context().Done():
			case <-p.stop:
			}
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		resp = &cassette.Response{Status: http.StatusServiceUnavailable}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	var out []byte
	switch {
	case len(resp.Body) > 0:
		out = resp.Body
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
	case resp.Text != "":
		out = []byte(resp.Text)
	}
	if crid := r.Header.Get("client-request-id"); crid != "" {
		w.Header().Set("client-request-id", crid)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(out)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(out)
}

// gaveUp says whether a recorded request error is the bot's own cancellation.
func gaveUp(err string) bool {
	return strings.Contains(err, context.Canceled.Error()) || strings.Contains(err, context.DeadlineExceeded.Error())
}

func graphError(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg}})
	return b
}

// matchBackgroundLocked answers a GET or keepAlive with the recorded response of
// the same path nearest to the current point of the cassette.
func (p *player) matchBackgroundLocked(g *played) (*cassette.Response, bool) {
	var best *recorded
	for _, r := range p.recs {
		if !r.background || r.ev.Method != g.method || p.ids.toBot(r.ev.Path) != g.path {
			continue
		}
		if best == nil || abs(r.idx-p.cursor) < abs(best.idx-p.cursor) {
			best = r
		}
	}
	if best == nil {
		return nil, false
	}
	g.match = best
	if best.got == nil {
		best.got = g
	}
	return best.ev.Response, true
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// candidate is a recorded request compared with a played one.
type candidate struct {
	r     *recorded
	binds map[string]string // the IDs the match would bind
	diff  string            // (-cassette +bot), empty when they match
}

// matchLocked finds the recorded request g plays: the first not yet sent with the
// same method, path, query and body; else the first of the same route, with a diff.
func (p *player) matchLocked(g *played) (*cassette.Response, bool) {
	gotBody := decodeBody(g.body)
	var route []candidate
	for _, r := range p.recs {
		if r.background || r.got != nil || r.ev.Method != g.method {
			continue
		}
		binds := map[string]string{}
		p.ids.bindString(r.ev.Path, g.path, binds)
		p.ids.bindString(r.ev.Query, g.query, binds)
		binds = p.ids.consistent(binds)
		if p.ids.toBotWith(r.ev.Path, binds) != g.path {
			continue
		}
		want := recordedBody(r.ev)
		p.ids.bindTree(want, gotBody, binds)
		binds = p.ids.consistent(binds)
		c := candidate{r: r, binds: binds}
		wantQuery := p.ids.toBotWith(r.ev.Query, binds)
		c.diff = cmp.Diff(p.ids.treeToBot(want, binds), gotBody)
		if wantQuery != g.query {
			c.diff = fmt.Sprintf("query: -%q +%q\n", wantQuery, g.query) + c.diff
		}
		if c.diff == "" {
			p.accept(g, c)
			return r.ev.Response, true
		}
		route = append(route, c)
	}
	if len(route) > 0 {
		c := route[0]
		p.accept(g, c)
		p.failLocked("the bot's request differs from the cassette's (line %d):\n    %s %s\nbody (-cassette +bot):\n%s",
			c.r.ev.Line, g.method, g.path, c.diff)
		return c.r.ev.Response, true
	}
	g.extra = true
	var again *recorded // the same request sent once more than recorded
	for _, r := range p.recs {
		if !r.background && r.got != nil && r.ev.Method == g.method && p.ids.toBot(r.ev.Path) == g.path {
			again = r
		}
	}
	if again != nil {
		p.failLocked("the bot sent %s %s more often than the cassette has it (last recorded on line %d); body: %s",
			g.method, g.path, again.ev.Line, short(g.body))
		return again.ev.Response, true
	}
	p.failLocked("the bot sent a request the cassette does not have (answered 404):\n    %s %s\n    body: %s\nthe cassette's requests not sent yet:\n%s",
		g.method, withQuery(g.path, g.query), short(g.body), p.list(p.unsentLocked(len(p.events))))
	return nil, false
}

func (p *player) accept(g *played, c candidate) {
	p.ids.commit(c.binds)
	c.r.got = g
	g.match = c.r
}

func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}

func short(b []byte) string {
	if len(b) == 0 {
		return "(none)"
	}
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// recordedBody is a recorded request's body as a JSON value (or its text).
func recordedBody(ev *cassette.Event) any {
	if len(ev.Body) > 0 {
		return decodeBody(ev.Body)
	}
	if ev.Text != "" {
		return ev.Text
	}
	return nil
}

// decodeBody decodes a JSON body into plain values; a body that is not JSON is its
// text, and an empty one nil.
func decodeBody(b []byte) any {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// unsentLocked returns the recorded requests before events[limit] the bot has not
// sent (background ones aside).
func (p *player) unsentLocked(limit int) []*recorded {
	var out []*recorded
	for _, r := range p.recs {
		if r.idx < limit && !r.background && r.got == nil && !r.abandoned {
			out = append(out, r)
		}
	}
	return out
}

func (p *player) list(rs []*recorded) string {
	var b strings.Builder
	for i, r := range rs {
		if i == 10 {
			fmt.Fprintf(&b, "    ... and %d more\n", len(rs)-i)
			break
		}
		fmt.Fprintf(&b, "    %s %s (line %d)\n", r.ev.Method, withQuery(r.ev.Path, r.ev.Query), r.ev.Line)
	}
	if len(rs) == 0 {
		b.WriteString("    (none)\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// waitFor waits until the bot has sent every recorded request before events[limit]
// (background ones aside) and has read the responses to them, at most the step
// timeout, and returns those it has not sent. (A response still unread at the
// deadline is only noted.)
func (p *player) waitFor(limit int) []*recorded {
	timer := time.NewTimer(p.s.timeout)
	defer timer.Stop()
	if p.waitUntil(timer.C, func() bool { return len(p.unsentLocked(limit)) == 0 && len(p.unreadLocked(limit)) == 0 }) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if unread := p.unreadLocked(limit); len(unread) > 0 {
		p.notes = append(p.notes, fmt.Sprintf("the bot had not read the response to these requests after %s:\n%s", p.s.timeout, p.list(unread)))
	}
	return p.unsentLocked(limit)
}

// unreadLocked returns the recorded requests before events[limit] the bot has sent
// but whose response it has not read yet (but those the recording shows it gave
// up on).
func (p *player) unreadLocked(limit int) []*recorded {
	var out []*recorded
	for _, r := range p.recs {
		if r.idx < limit && !r.background && r.got != nil && !r.got.held && !p.read[r.got.id] {
			out = append(out, r)
		}
	}
	return out
}

// abandon stops waiting for rs.
func (p *player) abandon(rs []*recorded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rs {
		r.abandoned = true
	}
}

// responded notes that the bot has read the response to its request id.
func (p *player) responded(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.read[id] = true
	close(p.changed)
	p.changed = make(chan struct{})
}

// deliver posts events[i], a callback, to the client, with the IDs the bot made up
// mapped to the ones it uses now.
func (p *player) deliver(ctx context.Context, client *graphcomms.Client, i int) {
	ev := &p.events[i]
	p.mu.Lock()
	p.cursor = i
	p.delivered++
	var body string
	if len(ev.Body) > 0 {
		body = p.ids.toBot(string(ev.Body))
	}
	p.mu.Unlock()
	if body == "" {
		p.failf("the callback on line %d was not recorded whole (truncated or not JSON): it cannot be played", ev.Line)
		return
	}
	path := "/api/calls"
	if ev.Path != "" {
		path = ev.Path
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://bot.graphcommstest.invalid"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, h := range []string{"client-request-id", "scenario-id"} {
		if v := ev.Headers[h]; v != "" {
			req.Header.Set(h, v)
		}
	}
	rec := httptest.NewRecorder()
	client.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		p.failf("the client refused the callback on line %d (%s): %d %s", ev.Line, describeCallback(ev.Body),
			rec.Code, strings.TrimSpace(rec.Body.String()))
	}
}

// describeCallback says what a callback is about, for messages.
func describeCallback(body []byte) string {
	notes, err := notifications.Parse(body)
	if err != nil || len(notes) == 0 {
		return "a callback"
	}
	n := notes[0]
	s := fmt.Sprintf("%s %s %s", n.Kind, n.ChangeType, n.ResourcePath)
	switch {
	case n.Call != nil && n.Call.ToneInfo.Tone != "":
		s += ", tone " + string(n.Call.ToneInfo.Tone)
	case n.Call != nil && n.Call.State != "":
		s += ", state " + string(n.Call.State)
	case n.Operation != nil:
		s += ", " + string(n.Operation.Base().Status)
	}
	if len(notes) > 1 {
		s += fmt.Sprintf(" and %d more", len(notes)-1)
	}
	return s
}

// onError reports panics in the bot's callbacks as failures, and notes the rest.
func (p *player) onError(e *graphcomms.CallError) {
	var pe *graphcomms.PanicError
	if errors.As(e.Err, &pe) {
		p.failf("the bot's callback panicked: %v", e)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done && len(p.notes) < 100 {
		p.notes = append(p.notes, "the client reported: "+e.Error())
	}
}

func (p *player) failf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failLocked(format, args...)
}

// failLocked notes a failure, to be reported by flush (a note when updating).
func (p *player) failLocked(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.done {
		return
	}
	if p.update {
		p.notes = append(p.notes, msg)
		return
	}
	p.failures = append(p.failures, msg)
}

func (p *player) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, msg)
}

// flush reports, on the test's goroutine, what was found so far.
func (p *player) flush() {
	p.t.Helper()
	p.mu.Lock()
	failures, notes := p.failures, p.notes
	p.failures, p.notes = nil, nil
	p.mu.Unlock()
	for _, n := range notes {
		p.t.Logf("graphcommstest: %s: %s", p.path, n)
	}
	for _, f := range failures {
		p.t.Errorf("graphcommstest: %s: %s", p.path, f)
	}
}

// finish stops taking failures: the test may end after PlayCassette returns.
func (p *player) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
}

// snapshot fills pb with what the bot has sent so far.
func (p *player) snapshot(pb *Playback) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pb.Callbacks = p.delivered
	for _, g := range p.got {
		pr := PlayedRequest{Method: g.method, Path: p.ids.toCassette(g.path), Query: p.ids.toCassette(g.query)}
		if g.resp != nil {
			pr.Status = g.resp.Status
		}
		pr.Body = jsonBody([]byte(p.ids.toCassette(string(g.body))))
		if g.background {
			pb.Background = append(pb.Background, pr)
		} else {
			pb.Requests = append(pb.Requests, pr)
		}
	}
}

// jsonBody is b compacted when it is JSON, else b as a JSON string; nil when empty.
func jsonBody(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var out bytes.Buffer
	if json.Compact(&out, b) == nil {
		return out.Bytes()
	}
	s, _ := json.Marshal(string(b))
	return s
}

// rewrite writes the cassette again with the bot's requests as they were played.
func (p *player) rewrite() {
	p.t.Helper()
	p.mu.Lock()
	// New requests go just before the first callback delivered after they came.
	extras := map[int][]*played{}
	for _, g := range p.got {
		if g.extra {
			at := len(p.events)
			for j := g.after + 1; j < len(p.events); j++ {
				if p.events[j].Kind == cassette.KindCallback {
					at = j
					break
				}
			}
			extras[at] = append(extras[at], g)
		}
	}
	byIdx := map[int]*recorded{}
	for _, r := range p.recs {
		byIdx[r.idx] = r
	}
	var out []cassette.Event
	var changed, added, removed int
	addExtras := func(at int) {
		for _, g := range extras[at] {
			ev := cassette.Event{Kind: cassette.KindRequest, Method: g.method, Path: p.ids.toCassette(g.path),
				Query: p.ids.toCassette(g.query)}
			if len(out) > 0 {
				ev.Time = out[len(out)-1].Time
			}
			p.setBody(&ev, g.body)
			if g.resp != nil {
				r := *g.resp
				r.Body = json.RawMessage(p.ids.toCassette(string(r.Body)))
				r.Text = p.ids.toCassette(r.Text)
				ev.Response = &r
			}
			out = append(out, ev)
			added++
		}
	}
	for i := range p.events {
		addExtras(i)
		ev := p.events[i]
		if r := byIdx[i]; r != nil && !r.background {
			if r.got == nil {
				removed++
				continue
			}
			g := r.got
			before := ev
			ev.Method, ev.Path, ev.Query = g.method, p.ids.toCassette(g.path), p.ids.toCassette(g.query)
			ev.Body, ev.Text, ev.Size, ev.Truncated = nil, "", 0, false
			p.setBody(&ev, g.body)
			if before.Method != ev.Method || before.Path != ev.Path || before.Query != ev.Query ||
				!cmp.Equal(recordedBody(&before), recordedBody(&ev)) {
				changed++
			}
		}
		out = append(out, ev)
	}
	addExtras(len(p.events))
	p.mu.Unlock()
	if changed+added+removed == 0 {
		p.t.Logf("graphcommstest: %s: the bot's requests are the cassette's; not rewritten", p.path)
		return
	}
	var id [4]byte
	_, _ = rand.Read(id[:])
	rec := hex.EncodeToString(id[:])
	for i := range out {
		out[i].Recording, out[i].Seq = rec, int64(i+1)
	}
	if err := cassette.WriteFile(p.path, out); err != nil {
		p.t.Errorf("graphcommstest: rewriting %s: %v", p.path, err)
		return
	}
	p.t.Logf("graphcommstest: rewrote %s: %d requests changed, %d added, %d removed", p.path, changed, added, removed)
}

// setBody sets a rewritten request's body, IDs as the cassette has them, secrets
// redacted.
func (p *player) setBody(ev *cassette.Event, body []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	b := []byte(p.ids.toCassette(string(body)))
	if red, err := cassette.RedactJSON(b); err == nil {
		ev.Body = red
		return
	}
	ev.Text = string(b)
}

// guidRE matches a GUID.
var guidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// ccRE matches a clientContext member.
var ccRE = regexp.MustCompile(`"(?i:clientContext)"\s*:\s*("(?:[^"\\]|\\.)*")`)

// idMap maps the IDs the bot made up when the cassette was recorded to those it
// makes up now, one to one.
type idMap struct {
	volatile map[string]bool   // recorded values the bot made up
	toPlay   map[string]string // recorded -> played
	toRec    map[string]string // played -> recorded
}

// newIDMap finds the values the bot made up: every clientContext, and (unless
// exact) every GUID whose first appearance in the cassette, in the order the
// exchanges started, is in a request of the bot's rather than in what Graph sent.
func newIDMap(events []cassette.Event, exact bool) *idMap {
	m := &idMap{volatile: map[string]bool{}, toPlay: map[string]string{}, toRec: map[string]string{}}
	seen := map[string]bool{}
	note := func(text string, outbound bool) {
		var toks []string
		if !exact {
			toks = guidRE.FindAllString(text, -1)
		}
		for _, sm := range ccRE.FindAllStringSubmatch(text, -1) {
			var cc string
			if json.Unmarshal([]byte(sm[1]), &cc) == nil && cc != "" {
				toks = append(toks, cc)
			}
		}
		for _, tok := range toks {
			if !seen[tok] {
				seen[tok] = true
				if outbound {
					m.volatile[tok] = true
				}
			}
		}
	}
	for i := range events {
		ev := &events[i]
		out := ev.Kind == cassette.KindRequest
		note(ev.Path+"?"+ev.Query, out)
		note(string(ev.Body)+ev.Text, out)
		if ev.Response != nil {
			note(string(ev.Response.Body)+ev.Response.Text, false)
			for _, v := range ev.Response.Headers {
				note(v, false)
			}
		}
	}
	return m
}

// bindString notes in binds what the volatile values of rs (recorded) are in ps
// (played): the whole value (a clientContext), or the GUIDs in it when the rest of
// the two strings is the same.
func (m *idMap) bindString(rs, ps string, binds map[string]string) {
	if m.volatile[rs] {
		binds[rs] = ps
		return
	}
	locs := guidRE.FindAllStringIndex(rs, -1)
	var pat strings.Builder
	var names []string
	prev := 0
	pat.WriteString("^")
	for _, l := range locs {
		g := rs[l[0]:l[1]]
		if !m.volatile[g] {
			continue
		}
		pat.WriteString(regexp.QuoteMeta(rs[prev:l[0]]))
		pat.WriteString(`([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})`)
		names = append(names, g)
		prev = l[1]
	}
	if len(names) == 0 {
		return
	}
	pat.WriteString(regexp.QuoteMeta(rs[prev:]))
	pat.WriteString("$")
	re, err := regexp.Compile(pat.String())
	if err != nil {
		return
	}
	sm := re.FindStringSubmatch(ps)
	for i, g := range names {
		if sm != nil {
			binds[g] = sm[i+1]
		}
	}
}

// bindTree walks a recorded and a played JSON value side by side and binds the
// volatile values of the recorded strings.
func (m *idMap) bindTree(r, p any, binds map[string]string) {
	switch rv := r.(type) {
	case map[string]any:
		pv, ok := p.(map[string]any)
		if !ok {
			return
		}
		for _, k := range sortedKeys(rv) {
			if x, ok := pv[k]; ok {
				m.bindTree(rv[k], x, binds)
			}
		}
	case []any:
		pv, ok := p.([]any)
		if !ok {
			return
		}
		for i := range min(len(rv), len(pv)) {
			m.bindTree(rv[i], pv[i], binds)
		}
	case string:
		if ps, ok := p.(string); ok {
			m.bindString(rv, ps, binds)
		}
	}
}

// consistent keeps the bindings that agree with the map and with each other (one
// to one).
func (m *idMap) consistent(binds map[string]string) map[string]string {
	out := map[string]string{}
	rev := map[string]string{}
	keys := make([]string, 0, len(binds))
	for k := range binds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, r := range keys {
		q := binds[r]
		if x, ok := m.toPlay[r]; ok && x != q {
			continue
		}
		if x, ok := m.toRec[q]; ok && x != r {
			continue
		}
		if x, ok := rev[q]; ok && x != r {
			continue
		}
		out[r], rev[q] = q, r
	}
	return out
}

func (m *idMap) commit(binds map[string]string) {
	for r, q := range binds {
		m.toPlay[r], m.toRec[q] = q, r
	}
}

// toBot writes the recorded IDs of s (a body, a path) as the bot has them now.
func (m *idMap) toBot(s string) string { return m.toBotWith(s, nil) }

func (m *idMap) toBotWith(s string, extra map[string]string) string {
	return translate(s, m.toPlay, extra)
}

// toCassette writes the IDs the bot made up in s as the cassette has them.
func (m *idMap) toCassette(s string) string { return translate(s, m.toRec) }

// translate replaces in s (a string or JSON text) the GUIDs that are keys of the maps,
// and the whole values (quoted in JSON, or s itself) of their other keys; a key in a
// later map wins.
func translate(s string, maps ...map[string]string) string {
	lookup := func(v string) (string, bool) {
		for i := len(maps) - 1; i >= 0; i-- {
			if q, ok := maps[i][v]; ok {
				return q, true
			}
		}
		return "", false
	}
	if q, ok := lookup(s); ok {
		return q
	}
	s = guidRE.ReplaceAllStringFunc(s, func(g string) string {
		if q, ok := lookup(g); ok {
			return q
		}
		return g
	})
	for _, mp := range maps {
		for k := range mp {
			if guidRE.MatchString(k) && len(k) == 36 {
				continue
			}
			q, _ := lookup(k)
			if k == q {
				continue
			}
			kq, _ := json.Marshal(k)
			qq, _ := json.Marshal(q)
			s = strings.ReplaceAll(s, string(kq), string(qq))
		}
	}
	return s
}

// treeToBot is toBot over a decoded JSON value.
func (m *idMap) treeToBot(v any, extra map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = m.treeToBot(e, extra)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.treeToBot(e, extra)
		}
		return out
	case string:
		return m.toBotWith(x, extra)
	}
	return v
}
