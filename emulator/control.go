package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ControlPrefix is the path prefix of the emulator's own control API, which the
// console (ConsolePath), `graphcomms trigger` and bots in other processes use. Its
// requests and answers are JSON; an error is {"error": "..."} with a 4xx status.
//
//	GET  /_emulator/state                                   -> State
//	GET  /_emulator/stream?after=SEQ                        server-sent events, one per Event (EventJSON)
//	GET  /_emulator/events[?all=1]                          -> []EventJSON (all: with raw traffic)
//	POST /_emulator/incoming-call      {"from": "alice"}    -> {"callId": "..."}
//	POST /_emulator/compliance-call    {"from": "alice", "with": "bob"} -> {"callId": "..."}
//	POST /_emulator/calls/{id}/answer  {"who": "bob"}       a ringing person (Behavior.Manual) answers
//	POST /_emulator/calls/{id}/decline {"who": "bob"}       ... or declines
//	POST /_emulator/calls/{id}/tone    {"keys": "1", "who": "alice"}
//	POST /_emulator/calls/{id}/hangup  {"who": "alice"}
//	POST /_emulator/calls/{id}/join    {"who": "bob"}       join the call's meeting
//	POST /_emulator/calls/{id}/escalate {"who": "carol"}
//	POST /_emulator/people/{name}/recording  audio/wav body (Person.SetNextRecording)
//	POST /_emulator/meetings/{id}/join  {"who": "carol", "lobby": true}
//	POST /_emulator/meetings/{id}/admit {"who": "carol"}
//	POST /_emulator/meetings/{id}/leave {"who": "carol"}
//	POST /_emulator/advance            {"by": "30s"}        (virtual clock only)
//	GET  /_emulator/prompt?uri=URI                          a loopback prompt, for the console to play
//
// "who" is optional where the call has one person on it. The connect routes
// (config, token, callback, users, meetings) are listed with ConnectInfo. Every
// route but the recordings' goes through the guard described at Config.ControlToken.
const ControlPrefix = "/_emulator"

func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	p := ControlPrefix
	mux.HandleFunc("GET "+p+"/state", e.ctlState)
	mux.HandleFunc("GET "+p+"/stream", e.ctlStream)
	mux.HandleFunc("GET "+p+"/events", e.ctlEvents)
	mux.HandleFunc("GET "+p+"/config", e.ctlConfig)
	mux.HandleFunc("POST "+p+"/token", e.ctlToken)
	mux.HandleFunc("PUT "+p+"/callback", e.ctlCallback)
	mux.HandleFunc("POST "+p+"/users", e.ctlUsers)
	mux.HandleFunc("POST "+p+"/meetings", e.ctlMeetings)
	mux.HandleFunc("POST "+p+"/incoming-call", e.ctlIncoming)
	mux.HandleFunc("POST "+p+"/compliance-call", e.ctlCompliance)
	mux.HandleFunc("POST "+p+"/calls/{id}/escalate", e.ctlEscalate)
	mux.HandleFunc("POST "+p+"/calls/{id}/tone", e.ctlTone)
	mux.HandleFunc("POST "+p+"/calls/{id}/hangup", e.ctlHangUp)
	mux.HandleFunc("POST "+p+"/calls/{id}/join", e.ctlJoin)
	mux.HandleFunc("POST "+p+"/calls/{id}/answer", e.ctlAnswer)
	mux.HandleFunc("POST "+p+"/calls/{id}/decline", e.ctlAnswer)
	mux.HandleFunc("POST "+p+"/people/{name}/recording", e.ctlRecording)
	mux.HandleFunc("POST "+p+"/meetings/{id}/{action}", e.ctlMeeting)
	mux.HandleFunc("POST "+p+"/advance", e.ctlAdvance)
	mux.HandleFunc("GET "+p+"/prompt", e.ctlPrompt)
	e.consoleRoutes(mux)
}

type ctlRequest struct {
	From  string `json:"from"`
	Keys  string `json:"keys"`
	Who   string `json:"who"`
	By    string `json:"by"`
	With  string `json:"with"`
	Lobby bool   `json:"lobby"`
}

func readCtl(w http.ResponseWriter, r *http.Request) (ctlRequest, bool) {
	var req ctlRequest
	return req, readCtlJSON(w, r, &req)
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func ctlOK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (e *Emulator) ctlIncoming(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	if req.From == "" {
		ctlError(w, http.StatusBadRequest, `"from" is required`)
		return
	}
	if e.CallbackURL() == "" {
		ctlError(w, http.StatusConflict, "no bot is connected: start one with GRAPHCOMMS_EMULATOR_URL="+e.URL()+
			" (see `graphcomms emulator`'s start-up text), or restart the emulator with --callback URL")
		return
	}
	p := e.personNamed(w, req.From)
	if p == nil {
		return
	}
	h, err := p.CallBot()
	if err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"callId": h.ID(), "from": p.DisplayName()})
}

// Caps of what the control API makes up: past them, a request that would add a person
// or a meeting is answered 409 (the emulator's people and meetings are never removed,
// so waiting would not help). The Go API has no such cap: a test declares what it needs.
const (
	MaxPeople   = 1000
	MaxMeetings = 1000
)

// personNamed returns the person with this name, adding a user who answers at once
// when there is none. At MaxPeople it answers 409 and returns nil.
func (e *Emulator) personNamed(w http.ResponseWriter, name string) *Person {
	if p := e.Person(name); p != nil {
		return p
	}
	if !e.roomForPerson(w) {
		return nil
	}
	return e.AddUser(name, Behavior{})
}

// roomForPerson answers 409 and returns false when the emulator holds MaxPeople people.
func (e *Emulator) roomForPerson(w http.ResponseWriter) bool {
	e.mu.Lock()
	n := len(e.people)
	e.mu.Unlock()
	if n >= MaxPeople {
		ctlError(w, http.StatusConflict, fmt.Sprintf("the emulator holds %d people already (MaxPeople)", MaxPeople))
		return false
	}
	return true
}

func (e *Emulator) ctlCompliance(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	if req.From == "" {
		ctlError(w, http.StatusBadRequest, `"from" is required`)
		return
	}
	p := e.personNamed(w, req.From)
	if p == nil {
		return
	}
	var other *Person
	if req.With != "" {
		if other = e.personNamed(w, req.With); other == nil {
			return
		}
	}
	h, err := p.StartComplianceRecording(other)
	if err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"callId": h.ID(), "recorded": p.DisplayName()})
}

func (e *Emulator) ctlEscalate(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	if req.Who == "" {
		ctlError(w, http.StatusBadRequest, `"who" is required`)
		return
	}
	h, err := e.Handle(r.PathValue("id"))
	if err != nil {
		ctlError(w, http.StatusNotFound, err.Error())
		return
	}
	p := e.personNamed(w, req.Who)
	if p == nil {
		return
	}
	if err := h.Escalate(p); err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"adding": p.DisplayName()})
}

// Handle returns a handle on a call for the person on it (the other party of a
// peer-to-peer call, else the first person in it), to press keys or hang up. Its Wait
// sees every event of the call, those from before the handle was made included: what
// happens at once (a person who answers without delay) may well be over by the time
// a test asks for the handle.
func (e *Emulator) Handle(id string) (*CallHandle, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(id)
	if err != nil {
		return nil, err
	}
	p := c.person
	if p == nil {
		for _, pt := range c.parties {
			if pt.person != nil {
				p = pt.person
				break
			}
		}
	}
	if p == nil {
		return nil, fmt.Errorf("emulator: nobody but the bot is on call %s", id)
	}
	return &CallHandle{e: e, id: id, person: p}, nil
}

// handleFor returns a handle on call id for the person named who, or for the person
// Handle picks when who is "".
func (e *Emulator) handleFor(id, who string) (*CallHandle, error) {
	if who == "" {
		return e.Handle(id)
	}
	p := e.Person(who)
	if p == nil {
		return nil, fmt.Errorf("emulator: nobody is called %q", who)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(id)
	if err != nil {
		return nil, err
	}
	if !c.hasPerson(p) {
		return nil, fmt.Errorf("emulator: %s is not on call %s", p.DisplayName(), id)
	}
	return &CallHandle{e: e, id: id, person: p}, nil
}

func (e *Emulator) ctlTone(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	h, err := e.handleFor(r.PathValue("id"), req.Who)
	if err != nil {
		ctlError(w, http.StatusNotFound, err.Error())
		return
	}
	if err := h.Press(req.Keys); err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"pressed": req.Keys})
}

func (e *Emulator) ctlHangUp(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	h, err := e.handleFor(r.PathValue("id"), req.Who)
	if err != nil {
		ctlError(w, http.StatusNotFound, err.Error())
		return
	}
	if err := h.HangUp(); err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"hungUp": h.Person().DisplayName()})
}

func (e *Emulator) ctlJoin(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	if req.Who == "" {
		ctlError(w, http.StatusBadRequest, `"who" is required`)
		return
	}
	p := e.personNamed(w, req.Who)
	if p == nil {
		return
	}
	e.mu.Lock()
	c, err := e.liveCall(r.PathValue("id"))
	var m *Meeting
	if err == nil {
		m = c.meeting
	}
	e.mu.Unlock()
	if err != nil {
		ctlError(w, http.StatusNotFound, err.Error())
		return
	}
	if m == nil {
		ctlError(w, http.StatusConflict, "call "+r.PathValue("id")+" is not in a meeting")
		return
	}
	p.Join(m)
	ctlOK(w, map[string]string{"joined": p.DisplayName()})
}

func (e *Emulator) ctlAdvance(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	d, err := time.ParseDuration(req.By)
	if err != nil || d < 0 {
		ctlError(w, http.StatusBadRequest, `"by" must be a duration such as "30s"`)
		return
	}
	vc, isVirtual := e.clock.(*VirtualClock)
	if !isVirtual {
		ctlError(w, http.StatusConflict, "the emulator runs on the real clock")
		return
	}
	vc.Advance(d)
	ctlOK(w, map[string]string{"now": vc.Now().Format(time.RFC3339)})
}

// EventJSON is an Event as the control API writes it (GET /_emulator/events and the
// event stream).
type EventJSON struct {
	Seq    int               `json:"seq"`
	Time   time.Time         `json:"time"`
	Kind   EventKind         `json:"kind"`
	CallID string            `json:"callId,omitempty"`
	Who    string            `json:"who,omitempty"`
	Detail string            `json:"detail,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// eventJSON converts an event; a prompt's start gets "playUrls", a JSON array of the
// URLs a browser plays for its prompts (PlayURL).
func eventJSON(ev Event) EventJSON {
	out := EventJSON(ev)
	if ev.Kind == EventPromptStarted && ev.Data["uri"] != "" {
		var urls []string
		for _, u := range splitURIs(ev.Data["uri"]) {
			urls = append(urls, PlayURL(u))
		}
		b, _ := json.Marshal(urls)
		out.Data = maps.Clone(ev.Data)
		out.Data["playUrls"] = string(b)
	}
	return out
}

func (e *Emulator) ctlEvents(w http.ResponseWriter, r *http.Request) {
	all := r.URL.Query().Get("all") != ""
	out := []EventJSON{}
	for _, x := range e.Events() {
		if x.Kind.traffic() && !all {
			continue
		}
		out = append(out, eventJSON(x))
	}
	ctlOK(w, out)
}

// ctlAnswer answers or declines, for a person with Behavior.Manual, the bot's call
// that rings their phone.
func (e *Emulator) ctlAnswer(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	who := req.Who
	if who == "" {
		e.mu.Lock()
		if c, err := e.liveCall(id); err == nil && len(c.ringing) == 1 {
			for p := range c.ringing {
				who = p.name
			}
		}
		e.mu.Unlock()
	}
	p := e.Person(who)
	if p == nil {
		ctlError(w, http.StatusBadRequest, `"who" must name the person whose phone rings`)
		return
	}
	answer := strings.HasSuffix(r.URL.Path, "/answer")
	var err error
	if answer {
		err = p.Answer(id)
	} else {
		err = p.Decline(id)
	}
	if err != nil {
		status := http.StatusConflict
		if errors.Is(err, errNotFound) {
			status = http.StatusNotFound
		}
		ctlError(w, status, err.Error())
		return
	}
	ctlOK(w, map[string]any{"callId": id, "who": p.DisplayName(), "answered": answer})
}

// ctlRecording sets what a person says to the bot's next recordResponse.
func (e *Emulator) ctlRecording(w http.ResponseWriter, r *http.Request) {
	p := e.Person(r.PathValue("name"))
	if p == nil {
		ctlError(w, http.StatusNotFound, "nobody is called "+strconv.Quote(r.PathValue("name")))
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRecordingSize+1))
	if err != nil {
		ctlError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(b) > MaxRecordingSize {
		ctlError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the recording is larger than %d bytes", MaxRecordingSize))
		return
	}
	if err := p.SetNextRecording(b); err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctlOK(w, map[string]any{"who": p.DisplayName(), "duration": messageDuration(b).String()})
}

// ctlMeeting makes a person join (or wait in the lobby of), be admitted to, or leave a
// meeting.
func (e *Emulator) ctlMeeting(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	m := e.meetings[r.PathValue("id")]
	e.mu.Unlock()
	if m == nil {
		ctlError(w, http.StatusNotFound, "no meeting "+strconv.Quote(r.PathValue("id")))
		return
	}
	if req.Who == "" {
		ctlError(w, http.StatusBadRequest, `"who" is required`)
		return
	}
	action := r.PathValue("action")
	var p *Person
	if action == "join" {
		if p = e.personNamed(w, req.Who); p == nil {
			return
		}
	} else if p = e.Person(req.Who); p == nil {
		ctlError(w, http.StatusNotFound, "nobody is called "+strconv.Quote(req.Who))
		return
	}
	switch action {
	case "join":
		if req.Lobby {
			p.WaitInLobby(m)
		} else {
			p.Join(m)
		}
	case "admit":
		e.mu.Lock()
		waiting := m.lobby[p]
		e.mu.Unlock()
		if !waiting {
			ctlError(w, http.StatusConflict, p.DisplayName()+" is not waiting in the lobby")
			return
		}
		m.Admit(p)
	case "leave":
		p.Leave(m)
	default:
		ctlError(w, http.StatusNotFound, "no meeting action "+strconv.Quote(action)+": join, admit or leave")
		return
	}
	e.runDue()
	ctlOK(w, map[string]string{"meeting": m.id, "who": p.DisplayName(), "action": action})
}
