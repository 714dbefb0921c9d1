package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/participants"
)

// The connect routes of the control API, with which a bot in another process (the
// examples with -emulator URL) connects to an emulator served over HTTP: it learns
// the emulator's settings, gets a Graph token, registers its callback URL and
// declares the people and meetings it needs. In-process code uses Credential,
// SetCallbackURL, AddUser and NewMeeting instead.
//
//	GET  /_emulator/config    -> ConnectInfo
//	POST /_emulator/token     -> {"access_token", "token_type", "expires_in", "expires_on"}
//	PUT  /_emulator/callback  {"url": "http://127.0.0.1:8080/api/calls"} (loopback only; "" disconnects)
//	POST /_emulator/users     {"name", "answerAfter", "decline", "noAnswer", "manual", "speech", "hangUpAfter"}
//	POST /_emulator/meetings  {"subject", "organizer", "noJoin"}

// ConnectInfo is what GET /_emulator/config answers: everything a bot in another
// process needs to talk to the emulator.
type ConnectInfo struct {
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

// ConnectInfo returns the emulator's connection settings.
func (e *Emulator) ConnectInfo() ConnectInfo {
	u := e.URL()
	_, virtual := e.clock.(*VirtualClock)
	return ConnectInfo{URL: u, GraphURL: u + "/v1.0", OpenIDConfigURL: e.OpenIDConfigURL(), TokenURL: u + ControlPrefix + "/token",
		CallbackURL: e.CallbackURL(), AppID: e.cfg.AppID, TenantID: e.cfg.TenantID, BotName: e.cfg.BotName,
		ApplicationInstance: e.ApplicationInstance(), AllowAnonymous: e.cfg.AllowAnonymous, VirtualClock: virtual}
}

// CallbackURL returns where incoming-call notifications go ("" when nowhere yet).
func (e *Emulator) CallbackURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.CallbackURL
}

func (e *Emulator) ctlConfig(w http.ResponseWriter, _ *http.Request) { ctlOK(w, e.ConnectInfo()) }

// ctlToken hands out the emulator's Graph token (Credential's): the bearer token a bot
// in another process sends, in the shape of an OAuth 2.0 token response.
func (e *Emulator) ctlToken(w http.ResponseWriter, r *http.Request) {
	tok, err := e.Credential().GetToken(r.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		ctlError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ctlOK(w, map[string]any{"access_token": tok.Token, "token_type": "Bearer",
		"expires_in": int64(time.Until(tok.ExpiresOn) / time.Second), "expires_on": tok.ExpiresOn.Unix()})
}

// CheckCallbackURL says why u cannot be a callback URL for the emulator, which
// delivers notifications to loopback only.
func CheckCallbackURL(u string) error {
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

func (e *Emulator) ctlCallback(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL string `json:"url"`
	}
	if !readCtlJSON(w, r, &req) {
		return
	}
	if req.URL != "" {
		if err := CheckCallbackURL(req.URL); err != nil {
			ctlError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	e.SetCallbackURL(req.URL)
	if req.URL == "" {
		e.log.Info("the bot disconnected: no callback URL for incoming calls")
	} else {
		e.log.Info("bot connected: incoming calls go to " + req.URL)
	}
	ctlOK(w, map[string]string{"callbackUrl": req.URL})
}

// userRequest declares a simulated person; durations are Go durations ("2s").
type userRequest struct {
	Name        string `json:"name"`
	AnswerAfter string `json:"answerAfter,omitempty"`
	Decline     bool   `json:"decline,omitempty"`
	NoAnswer    bool   `json:"noAnswer,omitempty"`
	Manual      bool   `json:"manual,omitempty"`
	Speech      string `json:"speech,omitempty"`
	HangUpAfter string `json:"hangUpAfter,omitempty"`
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

func (e *Emulator) ctlUsers(w http.ResponseWriter, r *http.Request) {
	var req userRequest
	if !readCtlJSON(w, r, &req) {
		return
	}
	if req.Name == "" {
		ctlError(w, http.StatusBadRequest, `"name" is required`)
		return
	}
	b := Behavior{Decline: req.Decline, NoAnswer: req.NoAnswer, Manual: req.Manual}
	var errs []error
	var err error
	b.AnswerAfter, err = duration("answerAfter", req.AnswerAfter)
	errs = append(errs, err)
	b.Speech, err = duration("speech", req.Speech)
	errs = append(errs, err)
	b.HangUpAfter, err = duration("hangUpAfter", req.HangUpAfter)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	if e.Person(req.Name) == nil && !e.roomForPerson(w) {
		return
	}
	var p *Person
	if strings.HasPrefix(req.Name, "+") {
		if p, err = e.AddPhone(req.Name, b); err != nil {
			ctlError(w, http.StatusBadRequest, err.Error())
			return
		}
	} else {
		p = e.AddUser(req.Name, b)
	}
	ctlOK(w, map[string]any{"name": p.Name(), "displayName": p.DisplayName(), "id": p.ID(), "identity": p.Identity()})
}

func (e *Emulator) ctlMeetings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Subject   string `json:"subject"`
		Organizer string `json:"organizer"`
		NoJoin    bool   `json:"noJoin,omitempty"`
	}
	if !readCtlJSON(w, r, &req) {
		return
	}
	if req.Subject == "" || req.Organizer == "" {
		ctlError(w, http.StatusBadRequest, `"subject" and "organizer" are required`)
		return
	}
	e.mu.Lock()
	n := len(e.meetings)
	e.mu.Unlock()
	if n >= MaxMeetings {
		ctlError(w, http.StatusConflict, fmt.Sprintf("the emulator holds %d meetings already (MaxMeetings)", MaxMeetings))
		return
	}
	org := e.personNamed(w, req.Organizer)
	if org == nil {
		return
	}
	m := e.NewMeeting(req.Subject, org)
	if !req.NoJoin {
		org.Join(m)
	}
	ctlOK(w, map[string]string{"id": m.ID(), "subject": req.Subject, "organizer": org.DisplayName(), "joinWebUrl": m.JoinWebURL()})
}

// maxControlBody caps a control API request's JSON body.
const maxControlBody = 1 << 16

// readCtlJSON decodes a control request's JSON body (an empty body leaves v as it is),
// answering 400 when it is not valid or larger than maxControlBody.
func readCtlJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err == nil && len(b) > maxControlBody {
		err = fmt.Errorf("the body is larger than %d bytes", maxControlBody)
	} else if err == nil && len(b) > 0 {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		ctlError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return false
	}
	return true
}
