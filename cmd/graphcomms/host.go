package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/participants"
)

// The routes `graphcomms emulator` serves next to the emulator's own, so that a bot in
// another process (the examples with -emulator URL, see examples/internal/demo) can
// connect: learn the emulator's settings, get a Graph token, register its callback
// URL and declare the people and meetings it needs. The emulator package serves none
// of them (in-process code uses Emulator.Credential, SetCallbackURL, AddUser and
// NewMeeting instead).
const (
	hostConfigPath   = emulator.ControlPrefix + "/config"   // GET: hostConfig
	hostTokenPath    = emulator.ControlPrefix + "/token"    // POST: hostToken
	hostCallbackPath = emulator.ControlPrefix + "/callback" // PUT {"url": "..."}
	hostUsersPath    = emulator.ControlPrefix + "/users"    // POST hostUserRequest: hostUser
	hostMeetingsPath = emulator.ControlPrefix + "/meetings" // POST hostMeetingRequest: hostMeeting
)

// hostConfig is what GET /_emulator/config answers: everything a bot needs to talk to
// the emulator.
type hostConfig struct {
	URL                 string                   `json:"url"`
	GraphURL            string                   `json:"graphUrl"`
	OpenIDConfigURL     string                   `json:"openIdConfigUrl"`
	TokenURL            string                   `json:"tokenUrl"`
	CallbackURL         string                   `json:"callbackUrl"`
	AppID               string                   `json:"appId"`
	TenantID            string                   `json:"tenantId"`
	BotName             string                   `json:"botName"`
	ApplicationInstance participants.IdentitySet `json:"applicationInstance"`
	AllowAnonymous      bool                     `json:"allowAnonymous"`
	VirtualClock        bool                     `json:"virtualClock"`
}

// hostToken is what POST /_emulator/token answers, in the shape of an OAuth 2.0 token
// response.
type hostToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	ExpiresOn   int64  `json:"expires_on"`
}

// hostUserRequest declares a simulated person; durations are Go durations ("2s").
type hostUserRequest struct {
	Name        string `json:"name"`
	AnswerAfter string `json:"answerAfter,omitempty"`
	Decline     bool   `json:"decline,omitempty"`
	NoAnswer    bool   `json:"noAnswer,omitempty"`
	Speech      string `json:"speech,omitempty"`
	HangUpAfter string `json:"hangUpAfter,omitempty"`
}

// hostUser is a declared person.
type hostUser struct {
	Name        string                   `json:"name"`
	DisplayName string                   `json:"displayName"`
	ID          string                   `json:"id"`
	Identity    participants.IdentitySet `json:"identity"`
}

// hostMeetingRequest creates a meeting; the organizer (a user, added when unknown)
// joins it unless NoJoin.
type hostMeetingRequest struct {
	Subject   string `json:"subject"`
	Organizer string `json:"organizer"`
	NoJoin    bool   `json:"noJoin,omitempty"`
}

// hostMeeting is a created meeting.
type hostMeeting struct {
	ID         string `json:"id"`
	Subject    string `json:"subject"`
	Organizer  string `json:"organizer"`
	JoinWebURL string `json:"joinWebUrl"`
}

// host is an emulator served by `graphcomms emulator`: the emulator's routes plus the
// host routes above.
type host struct {
	emu       *emulator.Emulator
	srv       *http.Server
	url       string
	anonymous bool
	virtual   bool
	mux       *http.ServeMux
	log       *slog.Logger

	mu       sync.Mutex
	callback string
}

// startHost serves a new emulator on addr ("127.0.0.1:0": a free port). cfg.Logger
// also receives the host's own lines (a bot connecting).
func startHost(addr string, cfg emulator.Config) (*host, error) {
	emu, err := emulator.New(cfg)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		emu.Close()
		return nil, err
	}
	_, isVirtual := emu.Clock().(*emulator.VirtualClock)
	h := &host{emu: emu, url: "http://" + loopback.DialAddr(l.Addr()), anonymous: cfg.AllowAnonymous, virtual: isVirtual,
		callback: cfg.CallbackURL, mux: http.NewServeMux(), log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	emu.SetBaseURL(h.url)
	h.mux.HandleFunc("GET "+hostConfigPath, h.serveConfig)
	h.mux.HandleFunc("POST "+hostTokenPath, h.serveToken)
	h.mux.HandleFunc("PUT "+hostCallbackPath, h.serveCallback)
	h.mux.HandleFunc("POST "+hostUsersPath, h.serveUsers)
	h.mux.HandleFunc("POST "+hostMeetingsPath, h.serveMeetings)
	h.mux.HandleFunc("POST "+emulator.ControlPrefix+"/incoming-call", h.needBot)
	h.mux.HandleFunc("POST "+emulator.ControlPrefix+"/compliance-call", h.needBot)
	h.mux.Handle("/", emu)
	h.srv = &http.Server{Handler: h.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

// Close stops serving and stops the emulator's notification delivery.
func (h *host) Close() {
	h.emu.Close()
	_ = h.srv.Close()
}

// callbackURL returns the bot's registered callback URL ("" when none).
func (h *host) callbackURL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.callback
}

func (h *host) config() hostConfig {
	return hostConfig{
		URL: h.url, GraphURL: h.emu.GraphURL(), OpenIDConfigURL: h.emu.OpenIDConfigURL(), TokenURL: h.url + hostTokenPath,
		CallbackURL: h.callbackURL(), AppID: h.emu.AppID(), TenantID: h.emu.TenantID(), BotName: h.botName(),
		ApplicationInstance: h.emu.ApplicationInstance(), AllowAnonymous: h.anonymous, VirtualClock: h.virtual,
	}
}

// botName is the bot's display name, which the emulator exposes only in its
// application instance.
func (h *host) botName() string {
	if ai := h.emu.ApplicationInstance().ApplicationInstance; ai != nil {
		return ai.DisplayName
	}
	return ""
}

func hostJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func hostError(w http.ResponseWriter, status int, msg string) {
	hostJSON(w, status, map[string]string{"error": msg})
}

// readHostJSON decodes a small JSON body into v, answering 400 when it is not valid.
func readHostJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err == nil && len(b) > 0 {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		hostError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return false
	}
	return true
}

func (h *host) serveConfig(w http.ResponseWriter, _ *http.Request) {
	hostJSON(w, http.StatusOK, h.config())
}

// serveToken hands out the emulator's Graph token (Emulator.Credential's): the token a
// bot in another process sends as its bearer token.
func (h *host) serveToken(w http.ResponseWriter, r *http.Request) {
	tok, err := h.emu.Credential().GetToken(r.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		hostError(w, http.StatusInternalServerError, err.Error())
		return
	}
	hostJSON(w, http.StatusOK, hostToken{AccessToken: tok.Token, TokenType: "Bearer",
		ExpiresIn: int64(time.Until(tok.ExpiresOn) / time.Second), ExpiresOn: tok.ExpiresOn.Unix()})
}

// checkCallback says why u cannot be a callback URL: the emulator delivers to loopback
// only.
func checkCallback(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return err
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("callback URL %q: the scheme must be http or https", u)
	case !loopback.Host(p.Hostname()):
		return fmt.Errorf("callback URL %q: the emulator only delivers to loopback (127.0.0.1, ::1, localhost)", u)
	}
	return nil
}

func (h *host) serveCallback(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL string `json:"url"`
	}
	if !readHostJSON(w, r, &req) {
		return
	}
	if req.URL != "" {
		if err := checkCallback(req.URL); err != nil {
			hostError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	h.mu.Lock()
	h.callback = req.URL
	h.emu.SetCallbackURL(req.URL)
	h.mu.Unlock()
	if req.URL == "" {
		h.log.Info("the bot disconnected: no callback URL for incoming calls")
	} else {
		h.log.Info("bot connected: incoming calls go to " + req.URL)
	}
	hostJSON(w, http.StatusOK, map[string]string{"callbackUrl": req.URL})
}

// duration parses an optional duration member.
func duration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q must be a duration such as \"2s\"", name)
	}
	return d, nil
}

func (h *host) serveUsers(w http.ResponseWriter, r *http.Request) {
	var req hostUserRequest
	if !readHostJSON(w, r, &req) {
		return
	}
	if req.Name == "" {
		hostError(w, http.StatusBadRequest, `"name" is required`)
		return
	}
	b := emulator.Behavior{Decline: req.Decline, NoAnswer: req.NoAnswer}
	var errs []error
	var err error
	b.AnswerAfter, err = duration("answerAfter", req.AnswerAfter)
	errs = append(errs, err)
	b.Speech, err = duration("speech", req.Speech)
	errs = append(errs, err)
	b.HangUpAfter, err = duration("hangUpAfter", req.HangUpAfter)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		hostError(w, http.StatusBadRequest, err.Error())
		return
	}
	var p *emulator.Person
	if strings.HasPrefix(req.Name, "+") {
		if p, err = h.emu.AddPhone(req.Name, b); err != nil {
			hostError(w, http.StatusBadRequest, err.Error())
			return
		}
	} else {
		p = h.emu.AddUser(req.Name, b)
	}
	hostJSON(w, http.StatusOK, hostUser{Name: p.Name(), DisplayName: p.DisplayName(), ID: p.ID(), Identity: p.Identity()})
}

func (h *host) serveMeetings(w http.ResponseWriter, r *http.Request) {
	var req hostMeetingRequest
	if !readHostJSON(w, r, &req) {
		return
	}
	if req.Subject == "" || req.Organizer == "" {
		hostError(w, http.StatusBadRequest, `"subject" and "organizer" are required`)
		return
	}
	org := h.emu.Person(req.Organizer)
	if org == nil {
		org = h.emu.AddUser(req.Organizer, emulator.Behavior{})
	}
	m := h.emu.NewMeeting(req.Subject, org)
	if !req.NoJoin {
		org.Join(m)
	}
	hostJSON(w, http.StatusOK, hostMeeting{ID: m.ID(), Subject: req.Subject, Organizer: org.DisplayName(), JoinWebURL: m.JoinWebURL()})
}

// needBot answers an incoming call the emulator cannot place because no bot has
// registered its callback URL with a message that says how to connect one; otherwise
// the emulator places the call.
func (h *host) needBot(w http.ResponseWriter, r *http.Request) {
	if h.callbackURL() == "" {
		hostError(w, http.StatusConflict, "no bot is connected: start one with "+emulatorURLEnv+"="+h.url+
			" (see `graphcomms emulator`'s start-up text), or restart the emulator with --callback URL")
		return
	}
	h.emu.ServeHTTP(w, r)
}
