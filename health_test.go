package graphcomms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/store"
	abs "github.com/microsoft/kiota-abstractions-go"
)

// probe serves one request to h and returns its status and body.
func probe(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestHealthReadyAndLive(t *testing.T) {
	e := newEnv(t, nil)
	h := e.client.Health(graphcomms.HealthConfig{})
	if code, body := probe(t, h, "GET", "/readyz"); code != 200 || body != "ok\n" {
		t.Fatalf("readyz = %d %q", code, body)
	}
	code, body := probe(t, h, "GET", "/readyz?verbose")
	want := "[+]client ok\n[+]signing-keys ok\n[ ]graph-token skipped: Config.Adapter is set: its credential is not known to the client\n[+]store ok\n[+]queue ok\nok\n"
	if code != 200 || body != want {
		t.Fatalf("readyz?verbose = %d\n%s\nwant\n%s", code, body, want)
	}
	for _, p := range []string{"/livez", "/healthz", "/probes/livez"} {
		if code, body := probe(t, h, "GET", p); code != 200 || body != "ok\n" {
			t.Errorf("%s = %d %q", p, code, body)
		}
	}
	if code, body := probe(t, h, "HEAD", "/livez"); code != 200 || body != "" {
		t.Errorf("HEAD /livez = %d %q", code, body)
	}
	if code, _ := probe(t, h, "POST", "/livez"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /livez = %d", code)
	}
	if code, _ := probe(t, h, "GET", "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics = %d", code)
	}
	e.client.Close()
	code, body = probe(t, h, "GET", "/livez")
	if code != http.StatusServiceUnavailable || body != "[-]client failed: the client is closed\nlivez check failed\n" {
		t.Errorf("livez after Close = %d %q", code, body)
	}
}

// failingCredential never gets a token.
type failingCredential struct{}

func (failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("AADSTS7000215: Invalid client secret provided.\nTrace ID: 1234")
}

// pingStore is a store whose Ping fails while down is set.
type pingStore struct {
	*store.Memory
	mu   sync.Mutex
	down bool
}

func (s *pingStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")
	}
	return nil
}

func TestHealthReadyFailures(t *testing.T) {
	keys := httptest.NewServer(http.NotFoundHandler()) // no OpenID configuration here
	t.Cleanup(keys.Close)
	ps := &pingStore{Memory: store.NewMemory(store.MemoryConfig{})}
	e := newEnv(t, func(c *graphcomms.Config) {
		c.Adapter, c.Credential = nil, failingCredential{}
		c.ValidatorConfig = auth.ValidatorConfig{OpenIDConfigURL: keys.URL + "/openid"}
		c.Cluster.Store = ps
	})
	h := e.client.Health(graphcomms.HealthConfig{})
	ps.mu.Lock()
	ps.down = true
	ps.mu.Unlock()
	code, body := probe(t, h, "GET", "/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d %q", code, body)
	}
	for _, line := range []string{
		"[+]client ok\n",
		"[-]signing-keys failed: auth: signing keys unavailable: ",
		"[-]graph-token failed: AADSTS7000215: Invalid client secret provided.\n", // first line only
		"[-]store failed: dial tcp 10.0.0.7:6379: connect: connection refused\n",
		"[+]queue ok\n",
		"readyz check failed\n",
	} {
		if !strings.Contains(body, line) {
			t.Errorf("readyz body lacks %q:\n%s", line, body)
		}
	}
	if strings.Contains(body, "Trace ID") {
		t.Errorf("detail beyond the first line: %s", body)
	}
	// Liveness ignores the dependencies.
	if code, _ := probe(t, h, "GET", "/livez"); code != 200 {
		t.Errorf("livez = %d with Graph and the store down", code)
	}
	// The result is reused for CacheFor (on the client's clock), then evaluated again.
	ps.mu.Lock()
	ps.down = false
	ps.mu.Unlock()
	if rep := h.Ready(context.Background()); rep.Checks[3].OK {
		t.Errorf("store check re-run within CacheFor: %+v", rep.Checks[3])
	}
	e.emu.Advance(graphcomms.DefaultHealthCacheFor)
	if rep := h.Ready(context.Background()); !rep.Checks[3].OK {
		t.Errorf("store check after CacheFor: %+v", rep.Checks[3])
	}
}

// TestHealthQueue: readiness fails while a call's queue holds MaxQueueDepth items.
func TestHealthQueue(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	h := e.client.Health(graphcomms.HealthConfig{MaxQueueDepth: 1})
	release := make(chan struct{})
	started := make(chan *graphcomms.Call, 1)
	e.client.OnIncoming(func(c *graphcomms.Call) {
		started <- c
		<-release // the call's queue is stuck behind this handler
	})
	alice := e.emu.AddUser("alice", emulator.Behavior{})
	if _, err := alice.CallBot(); err != nil {
		t.Fatal(err)
	}
	call := <-started
	hdl, err := e.emu.Handle(call.ID())
	if err != nil {
		t.Fatal(err)
	}
	_ = hdl.HangUp() // Graph's terminated notification waits in the queue
	if err := e.emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	// The notification has been accepted, so it is queued: readiness fails.
	rep := h.Ready(ctx)
	if q := rep.Checks[len(rep.Checks)-1]; q.Name != graphcomms.CheckQueue || q.OK || !strings.Contains(q.Detail, call.ID()) {
		t.Fatalf("queue check = %+v", q)
	}
	close(release)
	<-call.Done()
	e.emu.Advance(graphcomms.DefaultHealthCacheFor)
	if rep := h.Ready(ctx); !rep.OK {
		t.Fatalf("ready after the queue drained: %+v", rep)
	}
}

// manualClock fires its timers only when told to.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []func()
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(_ time.Duration, f func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, f)
	return func() {}
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fireAll runs the pending timers, each on its own goroutine.
func (c *manualClock) fireAll() {
	c.mu.Lock()
	ts := c.timers
	c.timers = nil
	c.mu.Unlock()
	for _, f := range ts {
		go f()
	}
}

// blockingStore blocks Unowned (part of every maintenance pass) while block is set.
type blockingStore struct {
	*store.Memory
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) Unowned(ctx context.Context, now time.Time, max int) ([]string, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.Memory.Unowned(ctx, now, max)
}

// TestHealthLiveness: liveness fails when maintenance passes stop or one hangs.
func TestHealthLiveness(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	bs := &blockingStore{Memory: store.NewMemory(store.MemoryConfig{}), entered: make(chan struct{}), release: make(chan struct{})}
	ttl := 10 * time.Second
	c, err := graphcomms.New(graphcomms.Config{AppID: "app", Adapter: nopAdapter(t), CallbackURL: "http://127.0.0.1:1/cb",
		InsecureSkipValidation: true, Clock: clock, Cluster: graphcomms.ClusterConfig{Store: bs, LeaseTTL: ttl}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.Health(graphcomms.HealthConfig{})
	if rep := h.Live(); !rep.OK {
		t.Fatalf("live at start: %+v", rep)
	}
	clock.advance(ttl + ttl/5 + time.Second) // no pass ran: the timer never fired
	if rep := h.Live(); rep.OK || !strings.Contains(rep.Checks[0].Detail, "no maintenance pass for 13s (one is due every 2s)") {
		t.Fatalf("live with no passes: %+v", rep)
	}
	clock.fireAll()
	<-bs.entered // a pass is running, and hangs in the store
	if rep := h.Live(); !rep.OK {
		t.Fatalf("live during a fresh pass: %+v", rep)
	}
	clock.advance(2*ttl + time.Second)
	if rep := h.Live(); rep.OK || !strings.Contains(rep.Checks[0].Detail, "a maintenance pass has run for 21s") {
		t.Fatalf("live with a hung pass: %+v", rep)
	}
	close(bs.release)
}

// nopAdapter is an adapter no test request goes through.
func nopAdapter(t *testing.T) abs.RequestAdapter {
	a, err := auth.NewRequestAdapter(failingCredential{}, auth.AdapterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// slowCredential blocks each GetToken until released, counting the calls.
type slowCredential struct {
	calls   chan struct{}
	release chan struct{}
}

func (s slowCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.calls <- struct{}{}
	<-s.release
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestHealthSharedEvaluation: concurrent probes share one evaluation, and a probe
// that gives up leaves no failure behind.
func TestHealthSharedEvaluation(t *testing.T) {
	cred := slowCredential{calls: make(chan struct{}, 10), release: make(chan struct{})}
	e := newEnv(t, func(c *graphcomms.Config) { c.Adapter, c.Credential = nil, cred })
	<-cred.calls // the client's first token, fetched as it starts
	h := e.client.Health(graphcomms.HealthConfig{})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if rep := h.Ready(gone); rep.OK || !strings.Contains(rep.Checks[0].Detail, "probe gave up") {
		t.Fatalf("a probe whose context ended: %+v", rep)
	}
	<-cred.calls // that probe started the evaluation, which goes on
	results := make(chan graphcomms.HealthReport, 5)
	for range 5 {
		go func() { results <- h.Ready(context.Background()) }()
	}
	close(cred.release)
	for range 5 {
		if rep := <-results; !rep.OK {
			t.Errorf("probe: %+v", rep)
		}
	}
	select {
	case <-cred.calls:
		t.Error("a second token request: the probes did not share the evaluation")
	default:
	}
}
