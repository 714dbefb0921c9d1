package notifications

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/graph"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of HandlerConfig (and DefaultMaxNotifications, shared with Parse).
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultQueueSize    = 1024
	DefaultRetryAfter   = time.Second
)

// initialBodyBuffer is the most the handler allocates for a body before any of it has
// arrived, whatever its Content-Length says: enough for a typical callback (1 to 5 KB)
// in one allocation, while a hundred slow clients that each declare 1 MiB and send
// nothing hold 1.6 MB rather than 100 MiB. The buffer grows as data arrives.
const initialBodyBuffer = 16 << 10

// TokenValidator checks the token of a callback request; *auth.Validator is one.
type TokenValidator interface {
	ValidateRequest(r *http.Request) (*auth.Claims, error)
}

// HandlerConfig configures a Handler. Validator is required unless
// InsecureSkipValidation is set.
type HandlerConfig struct {
	// Validator checks each callback's bearer token.
	Validator TokenValidator
	// InsecureSkipValidation accepts callbacks without a token check. It exists for
	// local experiments only; never set it on a public endpoint.
	InsecureSkipValidation bool
	// MaxBodyBytes caps a callback body; default DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// MaxNotifications caps the notifications in one callback body; default
	// DefaultMaxNotifications (100; Graph sends one, or a handful). A body with more is
	// answered 413 as soon as the one past the cap is read, before the rest is decoded.
	// Whatever the cap, what a body decodes into is bounded by its size (see
	// ParseOptions.Parse), so that a queued batch holds at most about ten times its body.
	MaxNotifications int
	// QueueSize is how many callback bodies may wait for the consumer; default
	// DefaultQueueSize. When the queue is full the handler answers 503 with
	// Retry-After, and Graph sends the callback again.
	QueueSize int
	// RetryAfter is sent with 503 answers; default DefaultRetryAfter.
	RetryAfter time.Duration
	// Logger receives one line per rejected callback (Debug for accepted ones). The
	// Authorization header is never logged. Nil discards.
	Logger *slog.Logger
	// Now is the clock for Batch.ReceivedAt; default time.Now.
	Now func() time.Time
	// Accept, when set, takes each parsed batch before the answer is sent, instead of
	// the queue: the handler answers 202 only once Accept has returned nil, and 503
	// with Retry-After when it returns an error, so that Graph sends the callback
	// again (or with the status of a *RejectError it returns). The graphcomms client
	// uses it to store notifications in their calls' logs before acknowledging them. Accept runs on the request's goroutine with the request's
	// context; keep it short (Graph waits for the answer).
	Accept func(ctx context.Context, b Batch) error
	// OnReject, when set, is told of every callback the handler refuses (401, 403,
	// 400, 405, 413, 503), with the status and reason it answered, after the answer is
	// written; whether or not a Logger is set. It runs on the request's goroutine:
	// keep it short. The graphcomms client reports these through OnError.
	OnReject func(err *RejectError)
	// Tracer records a span per callback ("graphcomms.callback", with child spans for
	// the token check and the parse), ending with the status answered and, for a
	// rejection, the reason. Nil records nothing.
	Tracer trace.Tracer
}

// RejectReason names the reason class of a refused callback by the status answered,
// for metrics and traces (a bounded set, unlike the reason text): "method" (405),
// "too_large" (413), "invalid_token" (401), "forbidden" (403), "bad_body" (400),
// "overloaded" (503), else "other".
func RejectReason(status int) string {
	switch status {
	case http.StatusMethodNotAllowed:
		return "method"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnauthorized:
		return "invalid_token"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusBadRequest:
		return "bad_body"
	case http.StatusServiceUnavailable:
		return "overloaded"
	}
	return "other"
}

// RejectError is an error HandlerConfig.Accept returns to refuse a callback with a
// status of its own (403 for a call of another tenant, say) instead of 503: Graph
// does not send such a callback again.
type RejectError struct {
	// Status is the HTTP status to answer; Reason the one-line reason sent and logged.
	Status int
	Reason string
	// Err, when set, is logged with the reason.
	Err error
	// RemoteAddr and ClientRequestID identify the refused request (set on the errors
	// HandlerConfig.OnReject receives).
	RemoteAddr, ClientRequestID string
}

// Unwrap returns Err.
func (e *RejectError) Unwrap() error { return e.Err }

// Error returns "notifications: callback refused (<status>): <reason>".
func (e *RejectError) Error() string {
	return fmt.Sprintf("notifications: callback refused (%d): %s", e.Status, e.Reason)
}

// Batch is what one accepted callback delivered.
type Batch struct {
	// Notifications in the order Graph sent them.
	Notifications []Notification
	// Body is the callback body as received (the notifications' ResourceData shares
	// its memory).
	Body []byte
	// TenantID is the tid of the callback's token (empty when validation is skipped).
	TenantID string
	// Claims are the token's checked claims (nil when validation is skipped).
	Claims *auth.Claims
	// ClientRequestID and ScenarioID are the request's client-request-id and
	// scenario-id headers.
	ClientRequestID string
	ScenarioID      string
	ReceivedAt      time.Time
}

// Handler is the http.Handler for a calling bot's callback URL. For each POST it
// checks the method, the declared size and the token (all from the headers, before any
// of the body is read), reads and parses the body, queues the notifications for the
// consumer and answers 202 Accepted at once: nothing in it waits for user code, so
// Graph's answer deadline is always met. It answers:
//
//   - 405 to anything but POST;
//   - 413 to a Content-Length over MaxBodyBytes, at once, and to a body that turns
//     out longer as soon as it passes the cap;
//   - 401 to a missing or invalid token, 403 to a token for another bot or tenant,
//     503 with Retry-After when the signing keys cannot be fetched;
//   - 400 with the reason to a body that is not a commsNotifications object (not
//     JSON, trailing data, invalid UTF-8, no "value" array, see Parse), or that could
//     not be read;
//   - 413 with the reason to a body with more than MaxNotifications notifications, or
//     one that would decode into too much memory (see ParseOptions.Parse);
//   - 503 with Retry-After when the queue is full, or when Accept fails (nothing is
//     dropped silently), or the status of a *RejectError that Accept returns;
//   - 202 otherwise.
//
// Every answer but 202 carries Connection: close: the server closes the connection
// after it instead of reading the rest of a body nobody will use, so a rejected client
// (an unauthenticated one sending its body slowly, say) gets its answer at once and
// holds nothing afterwards. The body buffer grows as data arrives: Content-Length is
// checked against the cap but never trusted for an allocation. Serve the handler with
// the timeouts of NewServer, which cut off clients that send headers or bodies slowly.
//
// The client-request-id and scenario-id headers are echoed. Handler is safe for
// concurrent use.
type Handler struct {
	cfg   HandlerConfig
	queue chan Batch
	log   *slog.Logger
}

// NewHandler returns a Handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Validator == nil && !cfg.InsecureSkipValidation {
		return nil, errors.New("notifications: HandlerConfig.Validator is required (or set InsecureSkipValidation for local experiments)")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxNotifications <= 0 {
		cfg.MaxNotifications = DefaultMaxNotifications
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, queue: make(chan Batch, cfg.QueueSize), log: log}, nil
}

// Batches returns the queue of accepted callbacks, which the consumer must drain.
func (h *Handler) Batches() <-chan Batch { return h.queue }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Tracer == nil {
		h.serve(w, r)
		return
	}
	ctx, span := h.cfg.Tracer.Start(r.Context(), "graphcomms.callback", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("client-request-id", r.Header.Get("client-request-id")),
			attribute.String("scenario-id", r.Header.Get("scenario-id"))))
	defer span.End()
	h.serve(w, r.WithContext(ctx))
}

// step starts the child span of one step of a callback, when tracing.
func (h *Handler) step(r *http.Request, name string) trace.Span {
	if h.cfg.Tracer == nil {
		return nil
	}
	_, s := h.cfg.Tracer.Start(r.Context(), name)
	return s
}

func endStep(s trace.Span, err error) {
	if s == nil {
		return
	}
	if err != nil {
		s.SetStatus(codes.Error, err.Error())
	}
	s.End()
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	crid, sid := r.Header.Get("client-request-id"), r.Header.Get("scenario-id")
	if crid != "" {
		w.Header().Set("client-request-id", crid)
	}
	if sid != "" {
		w.Header().Set("scenario-id", sid)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
		return
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBodyBytes), nil)
		return
	}
	var claims *auth.Claims
	if !h.cfg.InsecureSkipValidation {
		vs := h.step(r, "graphcomms.callback.validate")
		c, err := h.cfg.Validator.ValidateRequest(r)
		endStep(vs, err)
		switch {
		case errors.Is(err, auth.ErrKeysUnavailable):
			h.retryLater(w)
			h.reject(w, r, http.StatusServiceUnavailable, "signing keys unavailable", err)
			return
		case auth.IsForbidden(err):
			h.reject(w, r, http.StatusForbidden, "token not for this bot or tenant", err)
			return
		case err != nil:
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			h.reject(w, r, http.StatusUnauthorized, "missing or invalid bearer token", err)
			return
		}
		claims = c
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBodyBytes), nil)
			return
		}
		h.reject(w, r, http.StatusBadRequest, "reading body: "+err.Error(), nil)
		return
	}
	ps := h.step(r, "graphcomms.callback.parse")
	notes, err := ParseOptions{MaxNotifications: h.cfg.MaxNotifications}.Parse(body)
	endStep(ps, err)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, graph.ErrDecodeLimit) { // too many notifications, or too much memory
			status = http.StatusRequestEntityTooLarge
		}
		h.reject(w, r, status, err.Error(), nil)
		return
	}
	b := Batch{Notifications: notes, Body: body, ClientRequestID: crid, ScenarioID: sid, ReceivedAt: h.cfg.Now(), Claims: claims}
	if claims != nil {
		b.TenantID = claims.TenantID
	}
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		// Logged before the notifications are handed on: by the time the bot's
		// handlers have seen them, these lines are in the log.
		for i := range b.Notifications {
			n := &b.Notifications[i]
			h.log.LogAttrs(r.Context(), slog.LevelDebug, "notification", slog.String("call", n.CallID),
				slog.String("kind", string(n.Kind)), slog.String("changeType", string(n.ChangeType)),
				slog.String("resource", n.ResourcePath), slog.String("operation", n.OperationID),
				slog.String("client-request-id", b.ClientRequestID))
		}
	}
	if h.cfg.Accept != nil {
		if err := h.cfg.Accept(r.Context(), b); err != nil {
			var rej *RejectError
			if errors.As(err, &rej) {
				h.reject(w, r, rej.Status, rej.Reason, rej.Err)
				return
			}
			h.retryLater(w)
			h.reject(w, r, http.StatusServiceUnavailable, "could not store the notifications", err)
			return
		}
		h.accepted(w, r, b)
		return
	}
	select {
	case h.queue <- b:
	default:
		h.retryLater(w)
		h.reject(w, r, http.StatusServiceUnavailable, "queue full", nil)
		return
	}
	h.accepted(w, r, b)
}

func (h *Handler) accepted(w http.ResponseWriter, r *http.Request, b Batch) {
	w.WriteHeader(http.StatusAccepted)
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "callback accepted", slog.Int("notifications", len(b.Notifications)),
			slog.String("tenant", b.TenantID), slog.String("client-request-id", b.ClientRequestID))
	}
	if h.cfg.Tracer != nil {
		trace.SpanFromContext(r.Context()).SetAttributes(attribute.Int("http.response.status_code", http.StatusAccepted),
			attribute.Int("graphcomms.notifications", len(b.Notifications)), attribute.String("graphcomms.tenant", b.TenantID))
	}
}

func (h *Handler) retryLater(w http.ResponseWriter) {
	secs := int(h.cfg.RetryAfter.Round(time.Second) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
}

// reject answers with status and a one-line reason, and logs it without any header
// that could carry a secret.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, status int, reason string, cause error) {
	attrs := []slog.Attr{slog.Int("status", status), slog.String("reason", reason), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr)}
	if cause != nil {
		attrs = append(attrs, slog.String("error", cause.Error()))
	}
	if crid := r.Header.Get("client-request-id"); crid != "" {
		attrs = append(attrs, slog.String("client-request-id", crid))
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "callback rejected", attrs...)
	if h.cfg.Tracer != nil {
		span := trace.SpanFromContext(r.Context())
		span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("graphcomms.reject_reason", RejectReason(status)))
		span.SetStatus(codes.Error, reason)
	}
	w.Header().Set("Connection", "close")
	http.Error(w, reason, status)
	if h.cfg.OnReject != nil {
		h.cfg.OnReject(&RejectError{Status: status, Reason: reason, Err: cause,
			RemoteAddr: r.RemoteAddr, ClientRequestID: r.Header.Get("client-request-id")})
	}
	// After a handler returns, net/http reads what is left of the body (up to 256 KiB)
	// before it closes the connection, even with Connection: close. A read deadline in
	// the past ends that at once: a client sending its body slowly is cut off with its
	// answer, instead of holding the connection until ReadTimeout. (A ResponseWriter
	// without deadlines, such as httptest.ResponseRecorder, ignores this.)
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// readBody reads a body. Its buffer starts at min(declared+1, initialBodyBuffer) bytes
// and doubles only when data has filled it, up to declared+1 bytes when a length is
// declared: a client gets at most twice the memory it has sent, and a body that keeps
// its promise ends in a buffer of its size. A body of undeclared length that leaves a
// quarter of its buffer unused is copied into one of its size, so that a queued batch
// does not keep the slack.
func readBody(r io.Reader, declared int64) ([]byte, error) {
	size := 512
	if declared > 0 {
		size = int(min(declared+1, initialBodyBuffer)) // +1: room to read EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			next := 2 * cap(b)
			if declared > 0 && int64(cap(b)) <= declared && int64(next) > declared+1 {
				next = int(declared + 1)
			}
			grown := make([]byte, len(b), next)
			copy(grown, b)
			b = grown
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		switch {
		case err == io.EOF:
			if declared <= 0 && cap(b)-len(b) > len(b)/4 {
				b = append([]byte(nil), b...)
			}
			return b, nil
		case err != nil:
			return b, err
		}
	}
}
