package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/internal/transport"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// Defaults of Config.
const (
	DefaultKeepAliveInterval = 15 * time.Minute
	DefaultOperationTimeout  = 30 * time.Second
	// DefaultAnswerTimeout is Graph's 15 s answer deadline plus a 5 s margin.
	DefaultAnswerTimeout  = 20 * time.Second
	DefaultLeaseTTL       = 15 * time.Second
	DefaultClusterTimeout = 2 * time.Second
)

// Clock is the time source of a Client's timers (keep-alive, operation polling, the
// answer deadline, leases). The emulator's VirtualClock satisfies it, so tests can
// drive both with one clock.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func())
}

type realClock struct{}

// Now returns the wall-clock time.
func (realClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (realClock) AfterFunc(d time.Duration, f func()) func() {
	t := time.AfterFunc(d, f)
	return func() { t.Stop() }
}

// Config configures a Client. AppID, CallbackURL and a way to reach Graph (Credential
// or Adapter) are required.
type Config struct {
	// AppID is the bot's Microsoft Entra app ID.
	AppID string
	// BotName is the bot's display name in the calls it creates.
	BotName string
	// Credential authenticates requests to Graph (any azidentity credential). Ignored
	// when Adapter is set.
	Credential azcore.TokenCredential
	// Adapter is a ready Kiota request adapter (auth.NewRequestAdapter's, or another).
	Adapter abs.RequestAdapter
	// BaseURL is Graph's base URL: default v1.0; calls.BetaBaseURL, or an emulator's
	// GraphURL(). With Credential, a loopback BaseURL (an emulator's) is the only way
	// the Graph token goes to loopback: see auth.TokenConfig.AllowLoopback.
	BaseURL string
	// CallbackURL is where Graph sends the bot's notifications; https, except on
	// loopback (the emulator).
	CallbackURL string
	// Validator checks callback tokens. Nil builds an auth.Validator from
	// ValidatorConfig (with AppIDs set to AppID).
	Validator notifications.TokenValidator
	// ValidatorConfig configures the default validator (OpenIDConfigURL for the
	// emulator, AllowedTenants, ...).
	ValidatorConfig auth.ValidatorConfig
	// InsecureSkipValidation accepts unsigned callbacks: local experiments only.
	InsecureSkipValidation bool
	// AllowTenantMismatch applies a callback to a call even when its token's tenant
	// (tid) is not the call's tenant: the tenant of its first callback (an incoming
	// call) or the one it was created for. By default such a callback is refused with
	// 403 and logged. Graph does not document which tenant the token of a call in
	// another tenant's meeting names; set this if your bot joins such meetings and
	// its callbacks are refused.
	AllowTenantMismatch bool
	// Logger receives the client's log; nil discards it.
	Logger *slog.Logger
	// TracerProvider and MeterProvider receive the client's spans and metrics (see
	// README's "Observability"); pass otel.GetTracerProvider() and
	// otel.GetMeterProvider() for the global ones. Nil records nothing, at no cost on
	// the notification path. graphcomms depends on the OpenTelemetry API only.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// KeepAliveInterval is how often established calls get a keepAlive (with up to
	// 10% jitter); default 15 minutes; negative disables keep-alive.
	KeepAliveInterval time.Duration
	// OperationTimeout is how long an operation waits for its completion notification
	// before it polls GET .../operations/{id} (and again after each poll); default 30 s.
	OperationTimeout time.Duration
	// AnswerTimeout is how long an incoming call may stay unanswered (not answered,
	// rejected or redirected, and not ended by Graph) before it is dropped locally
	// with ErrNotAnswered; default DefaultAnswerTimeout. Negative disables it.
	AnswerTimeout time.Duration
	// Clock drives the client's timers; default the wall clock.
	Clock Clock
	// MaxBodyBytes caps a callback body (see notifications.HandlerConfig).
	MaxBodyBytes int64
	// Cassette, when set, records the bot's traffic for tests (see package cassette
	// and graphcommstest.PlayCassette): every callback the client accepts and, when
	// the client builds its adapter from Credential, every Graph request with its
	// response, secrets removed. With Adapter, record the requests by building the
	// adapter with auth.AdapterConfig{HTTPClient: &http.Client{Transport:
	// rec.Transport(nil)}}. The client does not close it.
	Cassette *cassette.Recorder
	// Cluster says where call state and the notification logs live. The default is
	// a store.Memory of this process; see ClusterConfig to share calls between
	// replicas.
	Cluster ClusterConfig
}

// ClusterConfig is where a client keeps its calls. With the zero value the client is
// a cluster of one: a store.Memory, leases this process always holds. With a shared
// Store (store/redisstore), several replicas of a bot share their calls behind a
// plain load balancer (see the package documentation, "Running several replicas").
type ClusterConfig struct {
	// Store keeps call state and notification logs; default
	// store.NewMemory(store.MemoryConfig{}).
	Store store.Cluster
	// ReplicaID names this replica; default host name, process ID and a random
	// suffix. Two live replicas must never share one.
	ReplicaID string
	// LeaseTTL bounds how long a call goes without a live replica; default
	// DefaultLeaseTTL. Every LeaseTTL/5 a replica renews its leases (each lasting
	// LeaseTTL - LeaseTTL/5) and looks for calls whose lease ran out, so a call whose
	// replica died is taken over within LeaseTTL. A replica that cannot reach the
	// store for longer than 3/5 LeaseTTL may lose its calls to the others.
	LeaseTTL time.Duration
	// ClaimCall says whether this replica may take a call it does not hold: a new
	// incoming call (incoming true) or one whose replica died or left. Nil takes every
	// call. Use it to choose which replicas run which calls' callbacks.
	ClaimCall func(callID string, incoming bool) bool
	// Timeout bounds each store request made while Graph waits for an answer
	// (storing a callback's notifications); default DefaultClusterTimeout. Past it
	// the callback is answered 503 with Retry-After.
	Timeout time.Duration
}

// Client is the stateful calling-bot client: it serves the callback URL, tracks every
// call with its roster and pending operations, delivers each call's events in order on
// that call's own queue, keeps established calls alive, and cleans up ended ones. It is
// safe for concurrent use.
//
// Registering callbacks follows one rule, for Client and Call alike: each On... method
// adds a handler (all handlers run, in the order they were added) and returns a
// function that removes it.
type Client struct {
	cfg     Config
	api     *calls.API
	serve   http.Handler // the callback handler, through Config.Cassette when set
	log     *slog.Logger
	cluster store.Cluster
	owned   store.OwnedPutter // the cluster, when it can keep states without a copy
	clock   Clock
	replica string
	ttl     time.Duration
	trim    int // applied entries between two TrimLog requests
	tel     *telemetry
	// validator checks callbacks (nil with InsecureSkipValidation); passAt is the
	// clock's time, in Unix nanoseconds, when the last maintenance pass started (or
	// the client did), for the liveness probe.
	validator notifications.TokenValidator
	passAt    atomic.Int64

	mu       sync.Mutex
	calls    map[string]*Call
	adopting map[string]bool
	closed   bool
	stopTick func()

	onIncoming handlers[func(*Call)]
	onResume   handlers[func(*Call)]
	onError    handlers[func(*CallError)]

	maintaining atomic.Bool
	stop        chan struct{}
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

// New returns a Client and starts it. Serve the client (it is an http.Handler) at the
// callback URL's path.
func New(cfg Config) (*Client, error) {
	if cfg.AppID == "" {
		return nil, errors.New("graphcomms: Config.AppID is required")
	}
	if err := checkCallbackURL(cfg.CallbackURL); err != nil {
		return nil, err
	}
	adapter := cfg.Adapter
	if adapter == nil {
		if cfg.Credential == nil {
			return nil, errors.New("graphcomms: Config.Credential or Config.Adapter is required")
		}
		var err error
		// A loopback BaseURL is an emulator's or a local proxy's: only then may the
		// token go to loopback (see auth.TokenConfig.AllowLoopback).
		ac := auth.AdapterConfig{Token: auth.TokenConfig{AllowLoopback: isLoopbackURL(cfg.BaseURL)}}
		if cfg.Cassette != nil {
			ac.HTTPClient = &http.Client{Transport: cfg.Cassette.Transport(nil)}
		}
		if adapter, err = auth.NewRequestAdapter(cfg.Credential, ac); err != nil {
			return nil, err
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	apiOpts := []calls.APIOption{graph.WithLogger(cfg.Logger)}
	if cfg.BaseURL != "" {
		apiOpts = append(apiOpts, calls.WithBaseURL(cfg.BaseURL))
	}
	cl := &cfg.Cluster
	if cl.Store == nil {
		cl.Store = store.NewMemory(store.MemoryConfig{})
	}
	if cl.ReplicaID == "" {
		host, _ := os.Hostname()
		cl.ReplicaID = host + "-" + strconv.Itoa(os.Getpid()) + "-" + transport.NewUUID()[:8]
	}
	if cl.LeaseTTL == 0 {
		cl.LeaseTTL = DefaultLeaseTTL
	}
	if cl.LeaseTTL < 100*time.Millisecond {
		return nil, fmt.Errorf("graphcomms: Config.Cluster.LeaseTTL %s is too short", cl.LeaseTTL)
	}
	if cl.Timeout <= 0 {
		cl.Timeout = DefaultClusterTimeout
	}
	if cfg.KeepAliveInterval == 0 {
		cfg.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.AnswerTimeout == 0 {
		cfg.AnswerTimeout = DefaultAnswerTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.BotName == "" {
		cfg.BotName = "Bot"
	}
	v := cfg.Validator
	if v == nil && !cfg.InsecureSkipValidation {
		vc := cfg.ValidatorConfig
		vc.AppIDs = append([]string{cfg.AppID}, vc.AppIDs...)
		if vc.Logger == nil {
			vc.Logger = cfg.Logger
		}
		val, err := auth.NewValidator(vc)
		if err != nil {
			return nil, err
		}
		v = val
	}
	c := &Client{cfg: cfg, api: calls.NewAPI(adapter, apiOpts...), log: cfg.Logger, cluster: cl.Store, clock: cfg.Clock,
		replica: cl.ReplicaID, ttl: cl.LeaseTTL, trim: trimEvery, calls: map[string]*Call{}, adopting: map[string]bool{},
		stop: make(chan struct{}), validator: v}
	c.passAt.Store(cfg.Clock.Now().UnixNano())
	if o, ok := cl.Store.(store.OwnedPutter); ok {
		// An in-process store: states are kept as they are, and trimming costs nothing.
		c.owned, c.trim = o, 1
	}
	tel, err := newTelemetry(c, cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("graphcomms: setting up telemetry: %w", err)
	}
	c.tel = tel
	var tracer trace.Tracer // nil: the handler and the requests record no spans
	if tel.tracing {
		tracer = tel.tracer
	}
	if tc := transport.Of(c.api); tc != nil {
		tc.Tracer, tc.Observe = tracer, c.observeRequest
	}
	h, err := notifications.NewHandler(notifications.HandlerConfig{Validator: v, InsecureSkipValidation: cfg.InsecureSkipValidation,
		Tracer: tracer,
		Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes, Accept: c.accept,
		OnReject: func(err *notifications.RejectError) { c.reportRejected(err) }})
	if err != nil {
		return nil, err
	}
	c.serve = h
	if cfg.Cassette != nil {
		c.serve = cfg.Cassette.Handler(h)
	}
	c.start()
	if cfg.Adapter == nil {
		go c.warmToken(cfg.Credential)
	}
	return c, nil
}

func checkCallbackURL(raw string) error {
	if raw == "" {
		return errors.New("graphcomms: Config.CallbackURL is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("graphcomms: Config.CallbackURL %q is not an absolute URL", raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname())) {
		return fmt.Errorf("graphcomms: Config.CallbackURL must be https (http only on loopback): %q", raw)
	}
	return nil
}

// warmToken fetches the first Graph token as the client starts, so that the first
// answer does not spend its 15 s budget waiting for the identity platform (the
// credential caches the token for the requests that follow). A failure is logged and
// reported through OnError; requests will try again.
func (c *Client) warmToken(cred azcore.TokenCredential) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{auth.DefaultScope}}); err != nil && ctx.Err() == nil {
		c.log.Warn("graphcomms: could not get a first Graph token", "error", err)
		c.reportError(&CallError{Stage: StageToken, Err: err})
	}
}

// isLoopbackURL reports whether raw is an absolute URL on a loopback host.
func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && loopback.Host(u.Hostname())
}

// ServeHTTP serves the callback URL: it validates and parses each callback, stores its
// notifications in their calls' logs and answers 202 (see notifications.Handler); 403
// to a callback for a call of another tenant (see Config.AllowTenantMismatch); 503
// with Retry-After when a call's log is full or the store cannot be reached.
func (c *Client) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.serve.ServeHTTP(w, r) }

// CallbackURL returns the URL Graph sends the bot's notifications to.
func (c *Client) CallbackURL() string { return c.cfg.CallbackURL }

// API returns the request builders the client uses, for requests it does not wrap.
func (c *Client) API() *calls.API { return c.api }

// ReplicaID returns this replica's name in the cluster (Config.Cluster.ReplicaID).
func (c *Client) ReplicaID() string { return c.replica }

// OnIncoming adds a handler called, on the new call's own queue, for each incoming
// call, before any later event of the call: handlers the call gets there miss
// nothing. Add it before serving. A handler should answer, reject or redirect the
// call within 15 s. It returns a function that removes the handler.
func (c *Client) OnIncoming(f func(*Call)) (remove func()) { return c.onIncoming.add(f) }

// OnResume adds a handler called, on the call's own queue, for each call this replica
// takes over from another one (that died or closed), before any later event: the
// place to add the call's event handlers again. Call.Data and Call.PendingOperations
// hold what the previous replica left. It returns a function that removes the handler.
func (c *Client) OnResume(f func(*Call)) (remove func()) { return c.onResume.add(f) }

// OnError adds a handler told about failures that have no caller to return to: a
// callback that panicked, a failed keep-alive, a store that refused a write. It
// returns a function that removes the handler.
func (c *Client) OnError(f func(*CallError)) (remove func()) { return c.onError.add(f) }

func (c *Client) reportError(e *CallError) {
	c.log.Error("graphcomms: "+e.Stage+" failed", "call", e.CallID, "error", e.Err)
	c.deliverError(e)
}

// deliverError hands e to the OnError handlers; a panicking handler is ignored.
func (c *Client) deliverError(e *CallError) {
	for _, h := range c.onError.get() {
		func() {
			defer func() { _ = recover() }()
			h.f(e)
		}()
	}
}

// reportRejected reports a refused callback through OnError (the handler has logged
// it already).
func (c *Client) reportRejected(err *notifications.RejectError) {
	c.tel.rejected.Add(context.Background(), 1, metric.WithAttributes(attrReason.String(notifications.RejectReason(err.Status))))
	c.deliverError(&CallError{Stage: StageRejected, Err: err})
}

// callback runs one user callback of a call, turning a panic into a reported error.
func (c *Client) callback(callID string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.reportError(&CallError{CallID: callID, Stage: StageCallback, Err: &PanicError{Value: r, Stack: debug.Stack()}})
		}
	}()
	f()
}

// Call returns a tracked call by ID (with a shared cluster: a call this replica holds).
func (c *Client) Call(id string) (*Call, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call, ok := c.calls[id]
	return call, ok
}

// Calls returns the tracked calls (with a shared cluster: those this replica holds).
func (c *Client) Calls() []*Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Call, 0, len(c.calls))
	for _, call := range c.calls {
		out = append(out, call)
	}
	return out
}

// CreateOption configures Create and JoinMeeting.
type CreateOption func(*createOptions)

type createOptions struct {
	setup    []func(*Call)
	req      []calls.RequestOption
	scenario string
}

// WithScenarioID sets the call's scenario ID (see Call.ScenarioID); by default Create
// and JoinMeeting give each call a fresh one.
func WithScenarioID(id string) CreateOption {
	return func(o *createOptions) { o.scenario = id }
}

// WithSetup runs f with the new call before any of its events is delivered: the
// place to add its handlers, so that none is missed.
func WithSetup(f func(*Call)) CreateOption {
	return func(o *createOptions) { o.setup = append(o.setup, f) }
}

// WithRequestOptions adds request options to the create request.
func WithRequestOptions(opts ...calls.RequestOption) CreateOption {
	return func(o *createOptions) { o.req = append(o.req, opts...) }
}

// Create places a call and tracks it: peer-to-peer (one target; Calls.Initiate.All),
// group (several targets; Calls.InitiateGroupCall.All), to or from a phone number
// (Source must then be the bot's application instance, see
// participants.ApplicationInstance, or Graph refuses the call), or into a meeting
// (MeetingInfo and ChatInfo set, no targets; JoinMeeting builds that call from a join
// link). CallbackURI defaults to the client's callback URL, MediaConfig to
// service-hosted media, and Source to the bot. The request is checked against Graph's
// rules first (calls.Call.ValidateCreate). The call starts in state establishing; use
// WaitForState to wait for established, and WithSetup to add handlers before its
// first event. A failed create leaves nothing behind.
func (c *Client) Create(ctx context.Context, call *calls.Call, opts ...CreateOption) (*Call, error) {
	if call == nil {
		return nil, errors.New("graphcomms: Create needs a call")
	}
	var o createOptions
	for _, f := range opts {
		f(&o)
	}
	req := *call
	if req.CallbackURI == "" {
		req.CallbackURI = c.cfg.CallbackURL
	}
	if req.MediaConfig == nil {
		req.MediaConfig = media.NewServiceHostedMediaConfig()
	}
	if len(req.RequestedModalities) == 0 {
		req.RequestedModalities = []media.Modality{media.ModalityAudio}
	}
	if req.Source.Identity.Application == nil && req.Source.Identity.ApplicationInstance == nil {
		req.Source = participants.Info{Identity: participants.Application(c.cfg.AppID, c.cfg.BotName)}
	}
	if req.ODataType == "" {
		req.ODataType = "#microsoft.graph.call"
	}
	if o.scenario == "" {
		o.scenario = transport.NewUUID()
	}
	ctx, span := c.tel.tracer.Start(ctx, "graphcomms.create", trace.WithAttributes(attrScenario.String(o.scenario)))
	defer span.End()
	created, err := c.api.Calls().Post(ctx, &req, append([]calls.RequestOption{calls.WithHeader("scenario-id", o.scenario)}, o.req...)...)
	if err != nil {
		failSpan(span, err)
	}
	if err != nil {
		return nil, err
	}
	if created.ID == "" {
		return nil, errors.New("graphcomms: Graph created a call without an ID")
	}
	tenant := req.TenantID
	if tenant == "" {
		tenant = created.TenantID
	}
	span.SetAttributes(attrCallID.String(created.ID), attrTenant.String(tenant))
	tracked, err := c.track(ctx, *created, tenant, o.scenario, o.setup)
	if err != nil {
		// Leave no call behind that nobody keeps alive.
		_ = c.api.Calls().ByID(created.ID).Delete(context.WithoutCancel(ctx), tenantOpts(tenant, nil)...)
		return nil, err
	}
	return tracked, nil
}

// JoinOptions say which meeting JoinMeeting joins: JoinURL, or ChatInfo with
// MeetingInfo, or MeetingID with Passcode.
type JoinOptions struct {
	// JoinURL is the meeting's Teams join URL (see meetings.ParseJoinURL).
	JoinURL string
	// ChatInfo and MeetingInfo name the meeting directly.
	ChatInfo    calls.ChatInfo
	MeetingInfo calls.MeetingInfo
	// MeetingID and Passcode name the meeting by its numeric ID.
	MeetingID string
	Passcode  string
	// TenantID is the meeting's tenant, when it is not the bot's (taken from JoinURL
	// when it carries one).
	TenantID string
	// Subject is the call's subject.
	Subject string
	// MediaConfig is the call's media: nil is service-hosted media with nothing
	// prefetched. Microsoft's IncidentBot sample joins with the prompts it will play
	// prefetched: media.NewServiceHostedMediaConfig(promptURLs...).
	MediaConfig media.Config
}

// JoinMeeting joins a Teams meeting and tracks the call (see Create for opts). It
// needs the Calls.JoinGroupCall.All permission (Calls.JoinGroupCallAsGuest.All to
// join as a guest).
func (c *Client) JoinMeeting(ctx context.Context, o JoinOptions, opts ...CreateOption) (*Call, error) {
	call := calls.NewCall(c.cfg.CallbackURL, o.MediaConfig)
	call.Subject, call.TenantID = o.Subject, o.TenantID
	switch {
	case o.JoinURL != "":
		info, err := meetings.ParseJoinURL(o.JoinURL)
		if err != nil {
			return nil, err
		}
		call.ChatInfo, call.MeetingInfo = info.ChatInfo, info.MeetingInfo
		if call.TenantID == "" {
			call.TenantID = info.TenantID
		}
	case o.MeetingInfo != nil:
		call.ChatInfo, call.MeetingInfo = o.ChatInfo, o.MeetingInfo
	case o.MeetingID != "":
		call.MeetingInfo = calls.NewJoinMeetingIDMeetingInfo(o.MeetingID, o.Passcode)
	default:
		return nil, errors.New("graphcomms: JoinOptions needs JoinURL, MeetingInfo or MeetingID")
	}
	return c.Create(ctx, call, opts...)
}

// Terminate hangs up every tracked call and waits until each has ended, or until ctx
// ends (then the remaining calls are dropped locally).
func (c *Client) Terminate(ctx context.Context) error {
	all := c.Calls()
	var wg sync.WaitGroup
	for _, call := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call.HangUp(ctx); err != nil && !calls.IsNotFound(err) && !errors.Is(err, ErrCallEnded) {
				c.log.Warn("graphcomms: hanging up", "call", call.id, "error", err)
			}
			select {
			case <-call.Done():
			case <-ctx.Done():
				call.endLocally(EndInfo{Err: ctx.Err()})
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// Close stops the client. It does not hang up calls (see Terminate): its calls stop
// here (Done is closed, EndInfo.Err is ErrCallMoved, no OnTerminated), and their
// leases are released, so that with a shared cluster the other replicas take them
// over at once.
func (c *Client) Close() { c.shutdown(true) }

func (c *Client) shutdown(release bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.stopTick != nil {
		c.stopTick()
	}
	c.mu.Unlock()
	close(c.stop)
	c.cancel()
	held := c.Calls()
	var wg sync.WaitGroup
	for _, call := range held {
		call.enqueue(call.lose)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-call.Done():
			case <-time.After(5 * time.Second):
				c.log.Warn("graphcomms: a call's queue did not stop within 5 s", "call", call.id)
			}
			if release {
				c.releaseLease(call.id)
			}
		}()
	}
	wg.Wait()
	c.wg.Wait()
}

// tenantOpts puts a tenant (when there is one) before the request options extra.
func tenantOpts(tenant string, extra []calls.RequestOption) []calls.RequestOption {
	if tenant == "" {
		return extra
	}
	return append([]calls.RequestOption{calls.WithTenant(tenant)}, extra...)
}
