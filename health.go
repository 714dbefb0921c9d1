package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/store"
)

// Defaults of HealthConfig.
const (
	DefaultHealthTimeout  = 2 * time.Second
	DefaultHealthCacheFor = time.Second
	// DefaultMaxQueueDepth is 3/4 of store.DefaultMaxLogEntries: past it a call's log
	// is close to refusing callbacks with 503.
	DefaultMaxQueueDepth = store.DefaultMaxLogEntries * 3 / 4
)

// Names of the checks in a HealthReport.
const (
	CheckClient      = "client"       // the client is open and its maintenance passes run
	CheckSigningKeys = "signing-keys" // callback signing keys are loaded
	CheckGraphToken  = "graph-token"  // a Graph token can be obtained
	CheckStore       = "store"        // the store (or cluster) answers
	CheckQueue       = "queue"        // no call's queue is near its cap
)

// HealthConfig configures the probes of Client.Health. The zero value is ready to use.
type HealthConfig struct {
	// Timeout bounds each check of a readiness probe; default DefaultHealthTimeout.
	Timeout time.Duration
	// CacheFor is how long a readiness result is reused, so that frequent probes (or
	// a flood of requests to the probe's URL) cost one evaluation per CacheFor;
	// default DefaultHealthCacheFor. Concurrent probes share one evaluation, and the
	// time is the client's clock (Config.Clock).
	CacheFor time.Duration
	// MaxQueueDepth fails readiness while some call has that many notifications
	// waiting to be applied; default DefaultMaxQueueDepth. A call's log refuses
	// callbacks (503 with Retry-After) at its cap, store.MemoryConfig.MaxLogEntries.
	MaxQueueDepth int
}

// HealthCheck is the result of one check of a probe.
type HealthCheck struct {
	// Name is one of the Check... constants.
	Name string
	// OK is true when the check passed, or was skipped.
	OK bool
	// Skipped is true when the check does not apply to this client's configuration
	// (Detail says why).
	Skipped bool
	// Detail is the failure (its first line, at most 200 bytes) or why the check was
	// skipped; it never holds a token.
	Detail string
}

// HealthReport is the result of a probe: OK when every check is.
type HealthReport struct {
	OK     bool
	Checks []HealthCheck
}

// Health serves liveness and readiness probes for a Client (see Client.Health). It is
// an http.Handler and safe for concurrent use.
type Health struct {
	c   *Client
	cfg HealthConfig

	mu      sync.Mutex
	at      time.Time     // when the last evaluation finished, on the client's clock
	report  HealthReport  // its result
	running chan struct{} // closed when the running evaluation ends; nil when none runs
}

// Health returns the client's liveness and readiness probes. Serve it on a port of
// its own (not the callback URL, which Graph reaches) and point Kubernetes at it:
//
//	livenessProbe:  {httpGet: {path: /livez,  port: 8081}, periodSeconds: 10}
//	readinessProbe: {httpGet: {path: /readyz, port: 8081}, periodSeconds: 5, timeoutSeconds: 3}
//
// Liveness (/livez, /healthz) checks only the process itself: the client is not
// closed and its maintenance passes (lease renewal, log checks) run. It does not fail
// when Graph or the store cannot be reached, so that such an outage does not restart
// every replica at once. Readiness (/readyz) adds the dependencies: the callback
// signing keys are loaded (fetched on the first probe), a Graph token can be
// obtained from Config.Credential, the store answers (store.Pinger, or a Get), and
// no call's queue holds MaxQueueDepth notifications or more. A probe answers 200 with
// "ok", or 503 with one line per check ("[+]name ok", "[-]name failed: why",
// "[ ]name skipped: why"); "?verbose" lists the checks on success too.
func (c *Client) Health(cfg HealthConfig) *Health {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHealthTimeout
	}
	if cfg.CacheFor <= 0 {
		cfg.CacheFor = DefaultHealthCacheFor
	}
	if cfg.MaxQueueDepth <= 0 {
		cfg.MaxQueueDepth = DefaultMaxQueueDepth
	}
	return &Health{c: c, cfg: cfg}
}

// Live runs the liveness check.
func (h *Health) Live() HealthReport {
	return report([]HealthCheck{h.c.checkClient()})
}

// Ready runs the readiness checks, or returns the last result if it is younger than
// CacheFor (on the client's clock: with a virtual clock, until it is advanced).
// Concurrent callers share one evaluation; it runs the checks in parallel, each
// bounded by Timeout and not by the caller's context, so that a probe whose client
// hung up does not leave a "context canceled" result behind for the others. A caller
// whose ctx ends first gets a failed report saying so.
func (h *Health) Ready(ctx context.Context) HealthReport {
	h.mu.Lock()
	now := h.c.clock.Now()
	if !h.at.IsZero() && now.Sub(h.at) < h.cfg.CacheFor && now.Sub(h.at) >= 0 {
		r := h.report
		h.mu.Unlock()
		return r
	}
	done := h.running
	if done == nil {
		done = make(chan struct{})
		h.running = done
		go h.evaluate(context.WithoutCancel(ctx), done)
	}
	h.mu.Unlock()
	select {
	case <-done:
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.report
	case <-ctx.Done():
		return report([]HealthCheck{failed(CheckClient, fmt.Errorf("probe gave up: %w", ctx.Err()))})
	}
}

// evaluate runs the readiness checks, stores the result and closes done.
func (h *Health) evaluate(ctx context.Context, done chan struct{}) {
	c := h.c
	checks := make([]HealthCheck, 5)
	checks[0] = c.checkClient()
	var wg sync.WaitGroup
	for i, f := range []func(context.Context) HealthCheck{c.checkKeys, c.checkToken, c.checkStore} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
			defer cancel()
			checks[i+1] = f(cctx)
		}()
	}
	checks[4] = c.checkQueue(h.cfg.MaxQueueDepth)
	wg.Wait()
	h.mu.Lock()
	h.report, h.at, h.running = report(checks), c.clock.Now(), nil
	h.mu.Unlock()
	close(done)
}

// ServeHTTP answers GET and HEAD on a path ending in /livez or /healthz (liveness) or
// /readyz (readiness); 404 to other paths and 405 to other methods.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rep HealthReport
	var name string
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/livez"), strings.HasSuffix(p, "/healthz"):
		name = "livez"
	case strings.HasSuffix(p, "/readyz"):
		name = "readyz"
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name == "livez" {
		rep = h.Live()
	} else {
		rep = h.Ready(r.Context())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	if !rep.OK || r.URL.Query().Has("verbose") {
		for _, ch := range rep.Checks {
			switch {
			case ch.Skipped:
				fmt.Fprintf(&b, "[ ]%s skipped: %s\n", ch.Name, ch.Detail)
			case ch.OK:
				fmt.Fprintf(&b, "[+]%s ok\n", ch.Name)
			default:
				fmt.Fprintf(&b, "[-]%s failed: %s\n", ch.Name, ch.Detail)
			}
		}
	}
	if rep.OK {
		b.WriteString("ok\n")
		w.WriteHeader(http.StatusOK)
	} else {
		b.WriteString(name + " check failed\n")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(b.String()))
	}
}

func report(checks []HealthCheck) HealthReport {
	ok := true
	for _, c := range checks {
		ok = ok && c.OK
	}
	return HealthReport{OK: ok, Checks: checks}
}

func passed(name string) HealthCheck { return HealthCheck{Name: name, OK: true} }

func skipped(name, why string) HealthCheck {
	return HealthCheck{Name: name, OK: true, Skipped: true, Detail: why}
}

func failed(name string, err error) HealthCheck {
	d := err.Error()
	if i := strings.IndexAny(d, "\r\n"); i >= 0 {
		d = d[:i]
	}
	if len(d) > 200 {
		d = strings.ToValidUTF8(d[:200], "")
	}
	return HealthCheck{Name: name, Detail: d}
}

// checkClient: open, and the maintenance passes (every LeaseTTL/5) are not stuck.
func (c *Client) checkClient() HealthCheck {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return failed(CheckClient, errors.New("the client is closed"))
	}
	since := c.clock.Now().Sub(time.Unix(0, c.passAt.Load()))
	switch {
	case c.maintaining.Load() && since > 2*c.ttl:
		return failed(CheckClient, fmt.Errorf("a maintenance pass has run for %s", since.Round(time.Second)))
	case since > c.ttl+c.ttl/5:
		return failed(CheckClient, fmt.Errorf("no maintenance pass for %s (one is due every %s)", since.Round(time.Second), c.ttl/5))
	}
	return passed(CheckClient)
}

// readier is what auth.Validator offers a readiness probe.
type readier interface{ Ready(context.Context) error }

var _ readier = (*auth.Validator)(nil)

func (c *Client) checkKeys(ctx context.Context) HealthCheck {
	switch v := c.validator.(type) {
	case nil:
		return skipped(CheckSigningKeys, "Config.InsecureSkipValidation is set")
	case readier:
		if err := v.Ready(ctx); err != nil {
			return failed(CheckSigningKeys, err)
		}
		return passed(CheckSigningKeys)
	default:
		return skipped(CheckSigningKeys, "Config.Validator has no Ready method")
	}
}

func (c *Client) checkToken(ctx context.Context) HealthCheck {
	if c.cfg.Adapter != nil || c.cfg.Credential == nil {
		return skipped(CheckGraphToken, "Config.Adapter is set: its credential is not known to the client")
	}
	// azidentity's credentials cache the token: a probe costs a request to the
	// identity platform only when the token is due for renewal anyway.
	if _, err := c.cfg.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{auth.DefaultScope}}); err != nil {
		return failed(CheckGraphToken, err)
	}
	return passed(CheckGraphToken)
}

func (c *Client) checkStore(ctx context.Context) HealthCheck {
	var err error
	if p, ok := c.cluster.(store.Pinger); ok {
		err = p.Ping(ctx)
	} else {
		_, _, err = c.cluster.Get(ctx, "graphcomms-health-probe")
	}
	if err != nil {
		return failed(CheckStore, err)
	}
	return passed(CheckStore)
}

// checkQueue looks at every call this replica holds: a readiness probe runs it at
// most once per HealthConfig.CacheFor, not per request.
func (c *Client) checkQueue(limit int) HealthCheck {
	for _, call := range c.Calls() {
		if n := call.queued(); n >= limit {
			return failed(CheckQueue, fmt.Errorf("call %s has %d queued items (limit %d)", call.id, n, limit))
		}
	}
	return passed(CheckQueue)
}
