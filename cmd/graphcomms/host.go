package main

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"time"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/internal/loopback"
)

// The emulator's connect routes (see emulator.ConnectInfo), with which a bot in another
// process (the examples with -emulator URL, see examples/internal/demo) connects.
const (
	hostConfigPath   = emulator.ControlPrefix + "/config"   // GET: emulator.ConnectInfo
	hostTokenPath    = emulator.ControlPrefix + "/token"    // POST: a token response
	hostCallbackPath = emulator.ControlPrefix + "/callback" // PUT {"url": "..."}
	hostUsersPath    = emulator.ControlPrefix + "/users"    // POST: declare a person
	hostMeetingsPath = emulator.ControlPrefix + "/meetings" // POST: create a meeting
)

// host is an emulator served by `graphcomms emulator` over HTTP.
type host struct {
	emu     *emulator.Emulator
	srv     *http.Server
	url     string
	virtual bool
	// token is the control API's access token (emulator.Config.ControlToken), made up
	// when the emulator listens beyond loopback; "" on loopback.
	token string
}

// startHost serves a new emulator on addr ("127.0.0.1:0": a free port). On an address
// beyond loopback, the control API and the console need a random access token
// (emulator.Config.ControlToken), unless cfg sets one.
func startHost(addr string, cfg emulator.Config) (*host, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg.ControlToken == "" && !listensOnLoopback(l.Addr()) {
		var b [18]byte
		_, _ = rand.Read(b[:])
		cfg.ControlToken = base64.RawURLEncoding.EncodeToString(b[:])
	}
	emu, err := emulator.New(cfg)
	if err != nil {
		l.Close()
		return nil, err
	}
	_, isVirtual := emu.Clock().(*emulator.VirtualClock)
	h := &host{emu: emu, url: "http://" + loopback.DialAddr(l.Addr()), virtual: isVirtual, token: cfg.ControlToken}
	emu.SetBaseURL(h.url)
	h.srv = &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

// listensOnLoopback reports whether a listener's address is a loopback address (not
// 0.0.0.0 or [::], which listen on every interface).
func listensOnLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// consoleURL is the console's address, with the access token when there is one.
func (h *host) consoleURL() string {
	u := h.url + emulator.ConsolePath
	if h.token != "" {
		u += "?token=" + h.token
	}
	return u
}

// Close stops serving and stops the emulator's notification delivery.
func (h *host) Close() {
	h.emu.Close()
	_ = h.srv.Close()
}

// callbackURL returns the bot's registered callback URL ("" when none).
func (h *host) callbackURL() string { return h.emu.CallbackURL() }
