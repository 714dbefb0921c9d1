package graphcomms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// Defaults of Config.
const (
	DefaultKeepAliveInterval = 15 * time.Minute
	DefaultOperationTimeout  = 30 * time.Second
)

// Clock is the time source of a Client's timers (keep-alive, operation polling). The
// emulator's VirtualClock satisfies it, so tests can drive both with one clock.
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
	// GraphURL().
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
	// Logger receives the client's log; nil discards it.
	Logger *slog.Logger
	// Store keeps call state; default NewMemoryStore().
	Store Store
	// KeepAliveInterval is how often established calls get a keepAlive (with up to
	// 10% jitter); default 15 minutes; negative disables keep-alive.
	KeepAliveInterval time.Duration
	// OperationTimeout is how long an operation waits for its completion notification
	// before it polls GET .../operations/{id} (and again after each poll); default 30 s.
	OperationTimeout time.Duration
	// Clock drives keep-alive and operation polling; default the wall clock.
	Clock Clock
	// QueueSize and MaxBodyBytes configure the callback handler (see
	// notifications.HandlerConfig).
	QueueSize    int
	MaxBodyBytes int64

	// Cluster, when set, makes this client one replica of a bot whose replicas share
	// calls (see Cluster and the package documentation, "Running several replicas").
	// It is also the Store; Config.Store must then be nil or the same value.
	Cluster Cluster
	// ReplicaID names this replica in the cluster; default host name, process ID and
	// a random suffix. Two live replicas must never share one.
	ReplicaID string
	// LeaseTTL bounds how long a call goes without a live replica; default
	// DefaultLeaseTTL. Every LeaseTTL/5 a replica renews its leases (each lasting
	// LeaseTTL - LeaseTTL/5) and looks for calls whose lease ran out, so a call whose
	// replica died is taken over within LeaseTTL. A replica that cannot reach the
	// cluster for longer than 3/5 LeaseTTL may lose its calls to the others.
	LeaseTTL time.Duration
	// ClaimCall says whether this replica may take a call it does not hold: a new
	// incoming call (incoming true) or one whose replica died or left. Nil takes every
	// call. Use it to choose which replicas run which calls' callbacks.
	ClaimCall func(callID string, incoming bool) bool
	// ClusterTimeout bounds each cluster request made while Graph waits for an answer
	// (storing a callback's notifications); default 2 s. Past it the callback is
	// answered 503 with Retry-After.
	ClusterTimeout time.Duration
}

// Client is the stateful calling-bot client: it serves the callback URL, tracks every
// call with its roster and pending operations, delivers each call's events in order on
// that call's own queue, keeps established calls alive, and cleans up ended ones. It is
// safe for concurrent use.
type Client struct {
	cfg     Config
	api     *calls.API
	handler *notifications.Handler
	log     *slog.Logger
	store   Store
	cluster Cluster
	clock   Clock
	cl      clusterState

	mu         sync.Mutex
	calls      map[string]*Call
	parked     map[string][]notifications.Notification
	parkedAt   map[string]time.Time
	onIncoming func(*Call)
	onResume   func(*Call)
	onError    func(error)
	closed     bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a Client and starts its dispatcher. Serve the client (it is an
// http.Handler) at the callback URL's path.
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
		if adapter, err = auth.NewRequestAdapter(cfg.Credential, auth.AdapterConfig{}); err != nil {
			return nil, err
		}
	}
	var apiOpts []calls.APIOption
	if cfg.BaseURL != "" {
		apiOpts = append(apiOpts, calls.WithBaseURL(cfg.BaseURL))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Cluster != nil {
		if cfg.Store != nil && cfg.Store != Store(cfg.Cluster) {
			return nil, errors.New("graphcomms: Config.Store and Config.Cluster differ; a cluster is its own store")
		}
		cfg.Store = cfg.Cluster
		if err := defaultCluster(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.KeepAliveInterval == 0 {
		cfg.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.ClusterTimeout <= 0 {
		cfg.ClusterTimeout = DefaultClusterTimeout
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
	c := &Client{cfg: cfg, api: calls.NewAPI(adapter, apiOpts...), log: cfg.Logger, store: cfg.Store, cluster: cfg.Cluster,
		clock: cfg.Clock, calls: map[string]*Call{}, parked: map[string][]notifications.Notification{}, parkedAt: map[string]time.Time{},
		stop: make(chan struct{})}
	hc := notifications.HandlerConfig{Validator: v, InsecureSkipValidation: cfg.InsecureSkipValidation,
		Logger: cfg.Logger, QueueSize: cfg.QueueSize, MaxBodyBytes: cfg.MaxBodyBytes}
	if c.cluster != nil {
		hc.Accept = c.accept
	}
	h, err := notifications.NewHandler(hc)
	if err != nil {
		return nil, err
	}
	c.handler = h
	if c.cluster != nil {
		c.startCluster()
		return c, nil
	}
	c.wg.Add(1)
	go c.consume()
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
	host := u.Hostname()
	ip := net.ParseIP(host)
	loopback := host == "localhost" || ip != nil && ip.IsLoopback()
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return fmt.Errorf("graphcomms: Config.CallbackURL must be https (http only on loopback): %q", raw)
	}
	return nil
}

// ServeHTTP serves the callback URL: it validates, parses and queues each callback and
// answers 202 at once (see notifications.Handler).
func (c *Client) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// CallbackURL returns the URL Graph sends the bot's notifications to.
func (c *Client) CallbackURL() string { return c.cfg.CallbackURL }

// API returns the request builders the client uses, for requests it does not wrap.
func (c *Client) API() *calls.API { return c.api }

// OnIncoming sets the function called, on the new call's own queue, for each incoming
// call. Set it before serving. The function should answer, reject or redirect the call
// within 15 s.
func (c *Client) OnIncoming(f func(*Call)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onIncoming = f
}

// OnError sets the function told about failures that have no caller to return to: a
// callback that panicked, a failed keep-alive, a store that refused a write.
func (c *Client) OnError(f func(error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onError = f
}

func (c *Client) reportError(err error) {
	c.log.Error("graphcomms: " + err.Error())
	c.mu.Lock()
	f := c.onError
	c.mu.Unlock()
	if f != nil {
		func() {
			defer func() { _ = recover() }()
			f(err)
		}()
	}
}

// Call returns a tracked call by ID (with a cluster: a call this replica holds).
func (c *Client) Call(id string) (*Call, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call, ok := c.calls[id]
	return call, ok
}

// Calls returns the tracked calls (with a cluster: those this replica holds).
func (c *Client) Calls() []*Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Call, 0, len(c.calls))
	for _, call := range c.calls {
		out = append(out, call)
	}
	return out
}

// consume moves accepted callbacks from the handler to each call's queue.
func (c *Client) consume() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case b := <-c.handler.Batches():
			for _, n := range b.Notifications {
				c.route(n, b.TenantID)
			}
		}
	}
}

// maxParked bounds the notifications kept for calls not (yet) tracked.
const maxParked = 64

// route hands a notification to its call's queue, creating the call for an incoming
// one, or parks it until Create registers the call it belongs to.
func (c *Client) route(n notifications.Notification, tenant string) {
	if n.CallID == "" {
		c.log.Debug("graphcomms: notification for no call", "resource", n.ResourcePath)
		return
	}
	c.mu.Lock()
	call := c.calls[n.CallID]
	if call == nil {
		if n.Kind == notifications.KindCall && n.ChangeType == notifications.ChangeCreated && n.Call != nil &&
			n.Call.State == calls.StateIncoming && !c.closed {
			call = c.newCall(n.CallID, tenant, *n.Call)
			c.calls[n.CallID] = call
			onIncoming := c.onIncoming
			c.mu.Unlock()
			call.enqueue(func() { call.applyStep(n, "") })
			call.enqueue(func() {
				if onIncoming != nil && !call.isEnded() {
					onIncoming(call)
				}
			})
			return
		}
		c.park(n)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	call.enqueue(func() { call.applyStep(n, "") })
}

// park keeps a notification for a call not tracked (yet): Create may be about to
// register it. Parked notifications are dropped after parkedTTL. Callers hold c.mu.
func (c *Client) park(n notifications.Notification) {
	now := c.clock.Now()
	if len(c.parked) >= 256 {
		for id, at := range c.parkedAt {
			if now.Sub(at) > parkedTTL {
				delete(c.parked, id)
				delete(c.parkedAt, id)
			}
		}
	}
	if len(c.parked[n.CallID]) >= maxParked || len(c.parked) >= 4096 {
		c.log.Warn("graphcomms: dropping a notification for an unknown call", "call", n.CallID)
		return
	}
	if _, ok := c.parkedAt[n.CallID]; !ok {
		c.parkedAt[n.CallID] = now
	}
	c.parked[n.CallID] = append(c.parked[n.CallID], n)
}

// parkedTTL is how long notifications for an unknown call are kept.
const parkedTTL = time.Minute

// track registers a call the bot created and replays what arrived for it before.
func (c *Client) track(ctx context.Context, res calls.Call, tenant string) (*Call, error) {
	if c.cluster != nil {
		if err := c.claimCreated(ctx, res.ID); err != nil {
			return nil, fmt.Errorf("graphcomms: call %s was created but could not be registered in the cluster: %w", res.ID, err)
		}
	}
	c.mu.Lock()
	call := c.calls[res.ID]
	if call == nil {
		call = c.newCall(res.ID, tenant, res)
		c.calls[res.ID] = call
	}
	early := c.parked[res.ID]
	delete(c.parked, res.ID)
	delete(c.parkedAt, res.ID)
	c.mu.Unlock()
	if err := call.persistState(false); err != nil && c.cluster != nil {
		return nil, fmt.Errorf("graphcomms: call %s was created but its state could not be stored: %w", res.ID, err)
	}
	for _, n := range early {
		call.enqueue(func() { call.applyStep(n, "") })
	}
	call.pump()
	return call, nil
}

// untrack forgets an ended call, here and in the store (and the cluster).
func (c *Client) untrack(call *Call) {
	id := call.id
	c.forgetLocal(call)
	ctx, cancel := context.WithTimeout(context.Background(), 2*c.cfg.ClusterTimeout)
	defer cancel()
	if err := c.store.Delete(ctx, id); err != nil {
		c.reportError(fmt.Errorf("store: deleting call %s: %w", id, err))
	}
	if c.cluster != nil {
		if err := c.cluster.Forget(ctx, id); err != nil {
			c.reportError(fmt.Errorf("cluster: forgetting call %s: %w", id, err))
		}
	}
}

// forgetLocal drops a call from this client only (if it is still the one tracked
// under its ID).
func (c *Client) forgetLocal(call *Call) {
	c.mu.Lock()
	if c.calls[call.id] == call {
		delete(c.calls, call.id)
	}
	delete(c.parked, call.id)
	delete(c.parkedAt, call.id)
	c.mu.Unlock()
}

// Create places a call (peer-to-peer, group or PSTN; see calls.NewCall) and tracks it.
// CallbackURI defaults to the client's callback URL, MediaConfig to service-hosted
// media, and Source to the bot. The call starts in state establishing; use
// WaitForState to wait for established. A failed create leaves nothing behind.
func (c *Client) Create(ctx context.Context, call *calls.Call, opts ...calls.RequestOption) (*Call, error) {
	if call == nil {
		return nil, errors.New("graphcomms: Create needs a call")
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
	created, err := c.api.Calls().Post(ctx, &req, opts...)
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
	tracked, err := c.track(ctx, *created, tenant)
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
}

// JoinMeeting joins a Teams meeting and tracks the call.
func (c *Client) JoinMeeting(ctx context.Context, o JoinOptions, opts ...calls.RequestOption) (*Call, error) {
	call := calls.NewCall(c.cfg.CallbackURL, nil)
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
			if err := call.HangUp(ctx); err != nil && !calls.IsNotFound(err) {
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

// Close stops the client's dispatcher. It does not hang up calls (see Terminate). In a
// cluster it also hands this replica's calls over: their leases are released, so that
// the other replicas take them over at once, and here they end with ErrCallMoved.
func (c *Client) Close() { c.shutdown(true) }

func (c *Client) shutdown(release bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	if c.cluster != nil {
		c.stopCluster(release)
	}
	c.wg.Wait()
}

// runCall runs one of a call's events, turning a panic into a reported error.
func (c *Client) runCall(call *Call, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.reportError(fmt.Errorf("call %s event panicked: %v\n%s", call.id, r, debug.Stack()))
		}
	}()
	f()
}
