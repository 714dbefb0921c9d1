package notifications

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/graphcomms/graphcomms/auth"
)

// Defaults of HandlerConfig.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultQueueSize    = 1024
	DefaultRetryAfter   = time.Second
)

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
}

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
// checks the size and the token, parses the body, queues the notifications for the
// consumer and answers 202 Accepted at once: nothing in it waits for user code, so
// Graph's answer deadline is always met. It answers:
//
//   - 405 to anything but POST;
//   - 413 to a body over MaxBodyBytes;
//   - 401 to a missing or invalid token, 403 to a token for another bot or tenant,
//     503 when the signing keys cannot be fetched;
//   - 400 with the reason to a body that is not a commsNotifications object;
//   - 503 with Retry-After when the queue is full, or when Accept fails (nothing is
//     dropped silently);
//   - 202 otherwise.
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
		c, err := h.cfg.Validator.ValidateRequest(r)
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
	// Sized from Content-Length (already capped above) so that the body is read into
	// one allocation rather than grown from 512 bytes.
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBodyBytes), nil)
			return
		}
		h.reject(w, r, http.StatusBadRequest, "reading body: "+err.Error(), nil)
		return
	}
	notes, err := Parse(body)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	b := Batch{Notifications: notes, Body: body, ClientRequestID: crid, ScenarioID: sid, ReceivedAt: h.cfg.Now(), Claims: claims}
	if claims != nil {
		b.TenantID = claims.TenantID
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
	http.Error(w, reason, status)
}
