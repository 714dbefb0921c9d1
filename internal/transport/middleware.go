package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	nethttp "github.com/microsoft/kiota-http-go"

	"github.com/graphcomms/graphcomms/internal/retryafter"
	"github.com/graphcomms/graphcomms/internal/version"
)

// Headers is the middleware that sets User-Agent and a fresh client-request-id (unless
// the caller chose one) on every request.
type Headers struct {
	// UserAgent is prepended to the product token graphcomms-go/<version>.
	UserAgent string
}

// Intercept implements nethttp.Middleware.
func (h Headers) Intercept(p nethttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	ua := version.UserAgent
	if h.UserAgent != "" {
		ua = h.UserAgent + " " + ua
	}
	req.Header.Set("User-Agent", ua)
	if req.Header.Get("client-request-id") == "" {
		req.Header.Set("client-request-id", NewUUID())
	}
	return p.Next(req, i)
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// RetryPolicy says when and how often requests are retried.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt. Default 3; a
	// negative value turns retries off.
	MaxRetries int
	// BaseDelay is the first backoff delay, doubled for each retry. Default 1 s.
	BaseDelay time.Duration
	// MaxDelay caps one delay, whether from backoff or from Retry-After. Default 60 s.
	MaxDelay time.Duration
	// Sleep waits between attempts; nil uses a timer. Tests use it to run without
	// waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 60 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retry is the retry middleware. It never waits past the request context's deadline
// (it returns the last outcome instead). It retries 429 and 503 for every request,
// honouring Retry-After; it retries 504 and transport failures (timeouts, reset or dropped
// connections) only for requests that may be replayed: everything except a create whose
// caller did not allow replay (see ReplayOption). The body of each discarded response is
// drained and closed.
type Retry struct {
	Policy RetryPolicy
	// Now is the clock for Retry-After dates; nil uses time.Now.
	Now func() time.Time
}

// Intercept implements nethttp.Middleware.
func (r Retry) Intercept(p nethttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	pol := r.Policy.withDefaults()
	now := r.Now
	if now == nil {
		now = time.Now
	}
	replayable := true
	if o, ok := req.Context().Value(ReplayOptionKey).(ReplayOption); ok {
		replayable = o.Allowed
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		if attempt > 0 {
			req.Header.Set("Retry-Attempt", fmt.Sprint(attempt))
		}
		resp, err := p.Next(req, i)
		if attempt >= pol.MaxRetries || pol.MaxRetries < 0 || req.Context().Err() != nil {
			return resp, err
		}
		var delay time.Duration
		switch {
		case err != nil:
			// A refused connection never reached the server: safe to retry anything.
			if !errors.Is(err, syscall.ECONNREFUSED) && (!replayable || !transient(err)) {
				return resp, err
			}
			delay = backoff(pol, attempt)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			delay = retryafter.Parse(resp.Header, now())
			if delay == 0 {
				delay = backoff(pol, attempt)
			}
		case resp.StatusCode == http.StatusGatewayTimeout && replayable:
			delay = backoff(pol, attempt)
		default:
			return resp, nil
		}
		if delay > pol.MaxDelay {
			delay = pol.MaxDelay
		}
		// A retry that could only start after the request's deadline (an answer
		// bounded by Graph's answer budget, say) is not worth the wait: the caller
		// gets this attempt's outcome now, while it can still act on it.
		if dl, ok := req.Context().Deadline(); ok && now().Add(delay).After(dl) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if err := pol.Sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
}

// backoff is BaseDelay * 2^attempt with up to 20% jitter, capped by MaxDelay.
func backoff(p RetryPolicy, attempt int) time.Duration {
	d := float64(p.BaseDelay) * math.Pow(2, float64(attempt))
	if d > float64(p.MaxDelay) {
		d = float64(p.MaxDelay)
	}
	return time.Duration(d * (1 + 0.2*mrand.Float64()))
}

// transient reports whether a transport error is worth a retry.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// Middlewares returns graphcomms' middleware chain in its fixed order: headers, retry,
// then Kiota's redirect and query-parameter-name handlers. (Kiota's own default chain
// is built from a map and its order changes from process to process; its compression
// handler gzips every body and its retry handler replays POSTs.)
func Middlewares(userAgent string, retry Retry) []nethttp.Middleware {
	return []nethttp.Middleware{
		Headers{UserAgent: userAgent},
		retry,
		nethttp.NewRedirectHandler(),
		nethttp.NewParametersNameDecodingHandler(),
	}
}
