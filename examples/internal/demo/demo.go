// Package demo is the plumbing the example bots share: demo mode (an in-process
// emulator playing Graph and scripted people), emulator mode (serving the calls of a
// `graphcomms emulator` running in another process, with -emulator URL or
// GRAPHCOMMS_EMULATOR_URL) and real mode (Microsoft Graph, with credentials from the
// environment). A bot copied from an example keeps its bot.go and
// replaces this package with its own configuration.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/notifications"
)

// CallbackPath is where the bot serves Graph's notifications.
const CallbackPath = "/api/calls"

// Env is a bot wired to an in-process emulator.
type Env struct {
	Emu    *emulator.Server
	Client *graphcomms.Client
	// Mux serves the bot's HTTP endpoints: the callback at CallbackPath, and whatever
	// else the bot adds (recordbot serves its recordings).
	Mux *http.ServeMux
	// BaseURL is where the bot is served.
	BaseURL string
	srv     *httptest.Server
	flush   func(context.Context) error // the exporters' (built with -tags otel)
}

// StartEmulated starts an emulator and a client wired to it on loopback, sharing the
// emulator's virtual clock. logs receives the bot's log (nil: none).
func StartEmulated(logs io.Writer) (*Env, error) {
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	emu, err := emulator.Start(emulator.Config{BotName: "Contoso bot"})
	if err != nil {
		return nil, err
	}
	adapter, err := emu.Adapter(auth.AdapterConfig{})
	if err != nil {
		emu.Close()
		return nil, err
	}
	tp, mp, flush, err := telemetry()
	if err != nil {
		emu.Close()
		return nil, err
	}
	env := &Env{Emu: emu, Mux: http.NewServeMux(), flush: flush}
	var client atomic.Pointer[graphcomms.Client]
	env.Mux.HandleFunc(CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		if c := client.Load(); c != nil {
			c.ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	})
	env.srv = httptest.NewServer(env.Mux)
	env.BaseURL = env.srv.URL
	c, err := graphcomms.New(graphcomms.Config{
		AppID: emu.AppID(), BotName: "Contoso bot", Adapter: adapter, BaseURL: emu.GraphURL(),
		CallbackURL:     env.srv.URL + CallbackPath,
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(), Logger: logger, TracerProvider: tp, MeterProvider: mp,
	})
	if err != nil {
		env.srv.Close()
		emu.Close()
		return nil, err
	}
	client.Store(c)
	env.Client = c
	emu.SetCallbackURL(c.CallbackURL())
	return env, nil
}

// Close stops everything.
func (e *Env) Close() {
	e.Client.Close()
	e.srv.Close()
	e.Emu.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.flush(ctx)
}

// PrintTranscript writes what happened, one line per event.
func (e *Env) PrintTranscript(w io.Writer) {
	fmt.Fprintln(w, "Transcript (emulated time):")
	for _, line := range e.Emu.Transcript() {
		if strings.Contains(line, "meeting.created") {
			continue
		}
		fmt.Fprintln(w, "  "+line)
	}
}

// Step waits for an emulator event of kind on a call, failing after a real-time limit.
func Step(ctx context.Context, h *emulator.CallHandle, kind emulator.EventKind) (emulator.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ev, err := h.Wait(ctx, kind)
	if err != nil {
		return ev, fmt.Errorf("waiting for %s on the call from %s: %w", kind, h.Person().DisplayName(), err)
	}
	return ev, nil
}

// Real is the configuration of real mode, from the environment, or of emulator mode
// (Emulator set), from the emulator.
type Real struct {
	AppID, TenantID, ClientSecret, CallbackURL, Listen string
	// ClientCertificate (GRAPHCOMMS_CLIENT_CERTIFICATE) is the path of a PEM or PKCS#12
	// file holding the app's certificate and private key, used instead of
	// ClientSecret; ClientCertificatePassword (GRAPHCOMMS_CLIENT_CERTIFICATE_PASSWORD)
	// unlocks it when it is encrypted.
	ClientCertificate, ClientCertificatePassword string
	// RedisURL (GRAPHCOMMS_REDIS_URL, e.g. redis://redis.internal:6379/0) makes the bot
	// one replica of several sharing calls through Redis; RedisPrefix
	// (GRAPHCOMMS_REDIS_PREFIX) defaults to "graphcomms:<app id>:".
	RedisURL, RedisPrefix string
	// Emulator is the external emulator the bot serves in emulator mode (nil in real
	// mode): the bot declares the people and meetings it needs there.
	Emulator *External
	// listener is the bot's listener in emulator mode, opened before the client was
	// made (its address is in the callback URL).
	listener net.Listener
}

// credential returns the app's credential: its certificate when one is configured
// (Microsoft recommends certificates over secrets), else its client secret. Both may
// act in other tenants (multi-tenant bots).
func (r Real) credential() (azcore.TokenCredential, error) {
	if r.ClientCertificate == "" {
		return azidentity.NewClientSecretCredential(r.TenantID, r.AppID, r.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{AdditionallyAllowedTenants: []string{"*"}})
	}
	data, err := os.ReadFile(r.ClientCertificate)
	if err != nil {
		return nil, fmt.Errorf("reading GRAPHCOMMS_CLIENT_CERTIFICATE: %w", err)
	}
	var password []byte
	if r.ClientCertificatePassword != "" {
		password = []byte(r.ClientCertificatePassword)
	}
	certs, key, err := azidentity.ParseCertificates(data, password)
	if err != nil {
		return nil, fmt.Errorf("parsing GRAPHCOMMS_CLIENT_CERTIFICATE: %w", err)
	}
	return azidentity.NewClientCertificateCredential(r.TenantID, r.AppID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{AdditionallyAllowedTenants: []string{"*"}})
}

// Clustered reports whether the bot runs as one of several replicas.
func (r Real) Clustered() bool { return r.RedisURL != "" }

// FromEnv reads real-mode settings. ok is false when GRAPHCOMMS_APP_ID is unset (demo
// mode); an error says which required variable is missing.
func FromEnv() (cfg Real, ok bool, err error) {
	cfg = Real{
		AppID: os.Getenv("GRAPHCOMMS_APP_ID"), TenantID: os.Getenv("GRAPHCOMMS_TENANT_ID"),
		ClientSecret: os.Getenv("GRAPHCOMMS_CLIENT_SECRET"), CallbackURL: os.Getenv("GRAPHCOMMS_CALLBACK_URL"),
		ClientCertificate:         os.Getenv("GRAPHCOMMS_CLIENT_CERTIFICATE"),
		ClientCertificatePassword: os.Getenv("GRAPHCOMMS_CLIENT_CERTIFICATE_PASSWORD"),
		Listen:                    os.Getenv("GRAPHCOMMS_LISTEN"),
		RedisURL:                  os.Getenv("GRAPHCOMMS_REDIS_URL"), RedisPrefix: os.Getenv("GRAPHCOMMS_REDIS_PREFIX"),
	}
	if cfg.AppID == "" {
		return cfg, false, nil
	}
	var missing []string
	for name, v := range map[string]string{"GRAPHCOMMS_TENANT_ID": cfg.TenantID, "GRAPHCOMMS_CALLBACK_URL": cfg.CallbackURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if cfg.ClientSecret == "" && cfg.ClientCertificate == "" {
		missing = append(missing, "GRAPHCOMMS_CLIENT_SECRET or GRAPHCOMMS_CLIENT_CERTIFICATE")
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return cfg, true, fmt.Errorf("real mode needs %s", strings.Join(missing, ", "))
	}
	if cfg.Listen == "" {
		cfg.Listen = ":8080"
	}
	if cfg.RedisURL != "" && cfg.RedisPrefix == "" {
		cfg.RedisPrefix = "graphcomms:" + cfg.AppID + ":"
	}
	return cfg, true, nil
}

// Client builds a client for Microsoft Graph from the real-mode settings.
func (r Real) Client(logger *slog.Logger) (*graphcomms.Client, error) {
	cred, err := r.credential()
	if err != nil {
		return nil, err
	}
	cfg := graphcomms.Config{AppID: r.AppID, Credential: cred, CallbackURL: r.CallbackURL, Logger: logger}
	tp, mp, flush, err := telemetry()
	if err != nil {
		return nil, err
	}
	cfg.TracerProvider, cfg.MeterProvider, flushTelemetry = tp, mp, flush
	if r.Clustered() {
		if cfg.Cluster.Store, err = newCluster(r); err != nil {
			return nil, err
		}
	}
	return graphcomms.New(cfg)
}

// flushTelemetry flushes the exporters of the client Real.Client made.
var flushTelemetry = func(context.Context) error { return nil }

// Serve serves mux on the real-mode listen address until interrupted, then hangs up
// every call, or, as one of several replicas, hands its calls over to the others. In
// emulator mode it first registers the bot's callback URL with the emulator (and
// removes it at the end).
func (r Real) Serve(client *graphcomms.Client, mux *http.ServeMux, logger *slog.Logger) error {
	mux.Handle(CallbackPath, client)
	srv := notifications.NewServer(r.Listen, mux) // timeouts that cut off slow clients
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	if r.listener != nil {
		go func() { errc <- srv.Serve(r.listener) }()
	} else {
		go func() { errc <- srv.ListenAndServe() }()
	}
	if addr := os.Getenv("GRAPHCOMMS_HEALTH_ADDR"); addr != "" {
		// Liveness and readiness probes on a port of their own (see README's
		// "Observability").
		probes := &http.Server{Addr: addr, Handler: client.Health(graphcomms.HealthConfig{}), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = probes.ListenAndServe() }()
		defer probes.Close()
	}
	if x := r.Emulator; x != nil {
		if err := x.SetCallbackURL(ctx, r.CallbackURL); err != nil {
			_ = srv.Close()
			return fmt.Errorf("registering the callback URL with the emulator: %w", err)
		}
		defer func() {
			unregister, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = x.SetCallbackURL(unregister, "")
		}()
		logger.Info("serving the emulator's calls", "emulator", x.URL, "callback", r.CallbackURL)
	} else {
		logger.Info("serving Teams calls", "listen", r.Listen, "callback", r.CallbackURL)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !r.Clustered() {
		_ = client.Terminate(shutdown)
	}
	client.Close() // as a replica: the others take its calls over at once
	_ = flushTelemetry(shutdown)
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Main runs an example bot's command: emulator mode with -emulator URL or
// GRAPHCOMMS_EMULATOR_URL (runReal with a client for that emulator and cfg.Emulator
// set), else demo mode (runDemo, printing to standard output) when GRAPHCOMMS_APP_ID
// is unset, otherwise real mode (runReal with a client for Microsoft Graph). It prints
// errors prefixed with name and exits 2 for a bad configuration or usage and 1 for any
// other failure.
func Main(name string, runDemo func(io.Writer) error, runReal func(cfg Real, client *graphcomms.Client, logger *slog.Logger) error) {
	fail := func(code int, err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(code)
	}
	opts, err := parseFlags(name, os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fail(2, err)
	}
	if opts.emulatorURL != "" {
		logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cfg, client, err := emulated(ctx, opts.emulatorURL, opts.listen, logger)
		cancel()
		if err != nil {
			fail(1, err)
		}
		if err := runReal(cfg, client, logger); err != nil {
			fail(1, err)
		}
		return
	}
	cfg, isReal, err := FromEnv()
	if err != nil {
		fail(2, err)
	}
	if !isReal {
		if err := runDemo(os.Stdout); err != nil {
			fail(1, err)
		}
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	client, err := cfg.Client(logger)
	if err != nil {
		fail(1, err)
	}
	if err := runReal(cfg, client, logger); err != nil {
		fail(1, err)
	}
}
