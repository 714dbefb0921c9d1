package emulator

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphcomms/graphcomms/auth/authtest"
	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/internal/transport"
)

// Defaults of Config.
const (
	DefaultAppID          = "00000000-0000-4000-8000-0000000000b0"
	DefaultTenantID       = "00000000-0000-4000-8000-00000000e001"
	DefaultAnswerDeadline = 15 * time.Second
	DefaultKeepAlive      = 45 * time.Minute
	DefaultPromptDuration = 2 * time.Second
	DefaultRingTimeout    = 60 * time.Second
)

// DefaultStart is where a default virtual clock starts.
var DefaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Config configures an Emulator. The zero value works: a virtual clock, a bot with
// DefaultAppID in DefaultTenantID, no callback URL (so no incoming calls until one is
// set).
type Config struct {
	// AppID is the bot's app ID: the audience of the notification tokens and the
	// application identity of the bot in calls.
	AppID string
	// BotName is the bot's display name; default "Emulated bot".
	BotName string
	// TenantID is the tenant of the emulated organisation (the tid of tokens).
	TenantID string
	// CallbackURL is where notifications of incoming calls go. Calls the bot creates or
	// answers use their own callbackUri.
	CallbackURL string
	// Clock is the time source; default a VirtualClock at DefaultStart.
	Clock Clock
	// Logger receives one readable line per exchange (API request, notification,
	// simulated action). Nil discards.
	Logger *slog.Logger
	// Seed makes probabilistic faults reproducible.
	Seed uint64
	// HTTPClient delivers notifications; default a client that only reaches loopback
	// addresses.
	HTTPClient *http.Client
	// AnswerDeadline, KeepAliveTimeout, DefaultPromptDuration and RingTimeout default to
	// the package constants.
	AnswerDeadline        time.Duration
	KeepAliveTimeout      time.Duration
	DefaultPromptDuration time.Duration
	RingTimeout           time.Duration
	// Issuer signs notification tokens; default a fresh authtest.Issuer.
	Issuer *authtest.Issuer
	// ComplianceAnswerDeadline is how long the bot has to answer a compliance-recording
	// invitation (Person.StartComplianceRecording); default
	// DefaultComplianceAnswerDeadline (5 s). AnswerDeadline is the same for other
	// incoming calls (15 s).
	ComplianceAnswerDeadline time.Duration
	// Permissions are the application permissions the bot's app is granted; the
	// emulator refuses with 403 what Graph refuses without them (see Permission). Nil
	// grants DefaultPermissions, all of them; an empty, non-nil slice grants none.
	Permissions []Permission
	// LenientRecordingStatus lets updateRecordingStatus succeed on any call. By
	// default it fails, as Graph does, on a call that is not a compliance-recording
	// invitation: 403 with Graph's error 8506, "API call not allowed for
	// non-Compliance Recording call" (seen by bots; Graph's docs say only that the API
	// requires policy-based recording).
	LenientRecordingStatus bool
	// AllowAnonymous accepts Graph requests that carry no bearer token. By default the
	// emulator answers such a request as Graph does: 401 with the error code
	// InvalidAuthenticationToken ("Access token is empty."). Give clients a token
	// instead: Credential (for graphcomms.Config.Credential, auth.NewRequestAdapter or
	// msgraph-sdk-go) or Adapter. This opt-out is for code still wired with Kiota's
	// AnonymousAuthenticationProvider; it is kept for one release and will then be
	// removed.
	AllowAnonymous bool
	// AutoCreatePeople makes up every call or invitation target the emulator does not
	// know, for quick experiments: a user, phone number or application nobody declared
	// (AddUser, AddPhone, AddApplication) is added, with the target's ID and display
	// name, as a person who answers at once (Behavior{}). By default, as on Graph, a
	// target nobody declared cannot be reached: the bot's call to it is created (201)
	// and ends at once with CodeTargetNotFound/SubcodeTargetNotFound, and an
	// invitation of it fails with the same resultInfo, so that a typo in a user ID
	// fails a test instead of ringing somebody.
	AutoCreatePeople bool
	// ControlToken guards the control API (ControlPrefix) and the console
	// (ConsolePath), which drive the emulator and need no Graph token. Whatever it is,
	// a state-changing request that a browser marks as coming from another site
	// (Sec-Fetch-Site, Origin) is refused with 403, so that a web page the developer
	// visits cannot drive the emulator. When ControlToken is empty (for an emulator
	// served on loopback), control requests must be addressed to a loopback name
	// (Host localhost, 127.0.0.1 or [::1]), which also stops a page whose own name
	// resolves to 127.0.0.1. When it is set (for an emulator served beyond
	// loopback: `graphcomms emulator` makes up a random one and prints it), every
	// control request must carry it, in the X-Emulator-Token header or in the cookie
	// the console sets when opened with ?token=. Recordings
	// (recordingLocation) are not guarded by it: they need their own access token.
	ControlToken string
}

// Emulator is a local Graph calls service. Create it with New (and serve it yourself) or
// Start (which serves it on loopback). It is safe for concurrent use.
type Emulator struct {
	cfg    Config
	clock  Clock
	log    *slog.Logger
	issuer *authtest.Issuer
	mux    *http.ServeMux

	mu       sync.Mutex
	baseURL  string
	calls    map[string]*call
	live     map[string]*call // the calls that have not ended
	people   []*Person
	meetings map[string]*Meeting
	nextID   int
	rng      *rand.Rand
	faults   faults
	perms    []Permission

	events eventLog
	out    *deliverer
	// crossOrigin refuses the control API's cross-site browser requests.
	crossOrigin *http.CrossOriginProtection
	streams     atomic.Int64  // event streams open (MaxStreams)
	closed      chan struct{} // closed by Close: event streams end
	closeOnce   sync.Once
	epoch       string // names this emulator's run in event stream IDs
	recs        recordings
	tokens      tokenCache
}

// New returns an emulator. Serve it with an http.Server and call SetBaseURL with the
// address it is reachable at, or use Start.
func New(cfg Config) (*Emulator, error) {
	if cfg.AppID == "" {
		cfg.AppID = DefaultAppID
	}
	if cfg.TenantID == "" {
		cfg.TenantID = DefaultTenantID
	}
	if cfg.BotName == "" {
		cfg.BotName = "Emulated bot"
	}
	if cfg.Clock == nil {
		cfg.Clock = NewVirtualClock(DefaultStart)
	}
	if cfg.AnswerDeadline <= 0 {
		cfg.AnswerDeadline = DefaultAnswerDeadline
	}
	if cfg.KeepAliveTimeout <= 0 {
		cfg.KeepAliveTimeout = DefaultKeepAlive
	}
	if cfg.DefaultPromptDuration <= 0 {
		cfg.DefaultPromptDuration = DefaultPromptDuration
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = DefaultRingTimeout
	}
	if cfg.ComplianceAnswerDeadline <= 0 {
		cfg.ComplianceAnswerDeadline = DefaultComplianceAnswerDeadline
	}
	perms := slices.Clone(cfg.Permissions)
	if cfg.Permissions == nil {
		perms = slices.Clone(DefaultPermissions)
	} else if perms == nil {
		perms = []Permission{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second, Transport: loopbackOnly{}}
	}
	if cfg.Issuer == nil {
		iss, err := authtest.NewIssuer()
		if err != nil {
			return nil, err
		}
		cfg.Issuer = iss
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{
		cfg: cfg, clock: cfg.Clock, log: log, issuer: cfg.Issuer,
		calls: map[string]*call{}, live: map[string]*call{}, meetings: map[string]*Meeting{}, perms: perms,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	e.crossOrigin = http.NewCrossOriginProtection()
	e.closed = make(chan struct{})
	e.epoch = fmt.Sprintf("%08x", rand.Uint32())
	e.events.init()
	e.recs.init()
	e.out = newDeliverer(e)
	e.routes()
	return e, nil
}

// Server is an Emulator served on a loopback address.
type Server struct {
	*Emulator
	srv *httptest.Server
}

// Start returns an emulator served on a loopback address (127.0.0.1, a free port).
func Start(cfg Config) (*Server, error) {
	return StartOn("", cfg)
}

// StartOn is Start on a chosen address such as "127.0.0.1:9440" (empty: a free port).
func StartOn(addr string, cfg Config) (*Server, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(e)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	e.SetBaseURL(srv.URL)
	return &Server{Emulator: e, srv: srv}, nil
}

// Close stops the server and the notification delivery.
func (s *Server) Close() {
	s.Emulator.Close()
	s.srv.Close()
}

// Close stops notification delivery. Pending notifications are dropped.
func (e *Emulator) Close() {
	e.closeOnce.Do(func() { close(e.closed) })
	e.out.close()
}

// SetBaseURL tells the emulator the URL it is served at (for recording locations and
// the OpenID configuration).
func (e *Emulator) SetBaseURL(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.baseURL = strings.TrimSuffix(u, "/")
}

// URL returns the base URL the emulator is served at.
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.baseURL
}

// GraphURL returns the v1.0 base URL to give calls.WithBaseURL.
func (e *Emulator) GraphURL() string { return e.URL() + "/v1.0" }

// OpenIDConfigURL returns the OpenID configuration URL to give
// auth.ValidatorConfig.OpenIDConfigURL.
func (e *Emulator) OpenIDConfigURL() string { return e.URL() + authtest.OpenIDConfigPath }

// AppID returns the bot's app ID; TenantID the emulated tenant.
func (e *Emulator) AppID() string { return e.cfg.AppID }

// TenantID returns the emulated tenant's ID.
func (e *Emulator) TenantID() string { return e.cfg.TenantID }

// SetCallbackURL sets where incoming-call notifications go.
func (e *Emulator) SetCallbackURL(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.CallbackURL = u
}

// Clock returns the emulator's clock.
func (e *Emulator) Clock() Clock { return e.clock }

// Advance moves a virtual clock forward, running what falls due; it panics with a
// clear message when the clock is not virtual. What takes no time (a person whose
// Behavior.AnswerAfter is zero answers at once) does not wait for Advance: it happens
// as soon as it is due, before the API request that set it off is answered (or, when
// a test's call such as CallHandle.Escalate set it off, right after, on another
// goroutine; WaitIdle and CallHandle.Wait see it).
func (e *Emulator) Advance(d time.Duration) {
	vc, ok := e.clock.(*VirtualClock)
	if !ok {
		panic("emulator: Advance needs a VirtualClock")
	}
	vc.Advance(d)
}

// Now returns the emulator's current time.
func (e *Emulator) Now() time.Time { return e.clock.Now() }

// newID returns a fresh random GUID (RFC 4122 version 4) from the emulator's seeded
// random source: 12 random bytes and a counter, so that IDs never repeat within an
// emulator and a seed gives the same IDs again. Callers hold e.mu.
func (e *Emulator) newID() string {
	e.nextID++
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], e.rng.Uint64())
	binary.BigEndian.PutUint32(b[8:12], e.rng.Uint32())
	binary.BigEndian.PutUint32(b[12:16], uint32(e.nextID))
	return formatGUID(b)
}

// formatGUID sets the version (4, random) and variant (RFC 4122) bits of b and writes
// it as Graph writes GUIDs: 8-4-4-4-12 lower-case hexadecimal digits.
func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// loopbackOnly refuses every host but loopback.
type loopbackOnly struct{}

// RoundTrip sends r when its host is a loopback address.
func (loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if !loopback.Host(r.URL.Hostname()) {
		return nil, fmt.Errorf("emulator: refusing to deliver to non-loopback host %s", r.URL.Hostname())
	}
	return http.DefaultTransport.RoundTrip(r)
}

// errNotFound is returned by lookups of calls that do not exist or have ended.
var errNotFound = errors.New("not found")

// requestID returns a request-id for an API response.
func requestID() string { return transport.NewUUID() }
