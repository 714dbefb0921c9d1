package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ControlPrefix is the path prefix of the emulator's own control API, which
// `graphcomms trigger` uses:
//
//	POST /_emulator/incoming-call      {"from": "alice"}           -> {"callId": "..."}
//	POST /_emulator/compliance-call    {"from": "alice", "with": "bob"} -> {"callId": "..."}
//	POST /_emulator/calls/{id}/tone    {"keys": "1"}
//	POST /_emulator/calls/{id}/hangup
//	POST /_emulator/calls/{id}/join    {"who": "bob"}
//	POST /_emulator/calls/{id}/escalate {"who": "carol"}
//	POST /_emulator/advance            {"by": "30s"}               (virtual clock only)
//	GET  /_emulator/events
const ControlPrefix = "/_emulator"

func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ControlPrefix+"/incoming-call", e.ctlIncoming)
	mux.HandleFunc("POST "+ControlPrefix+"/compliance-call", e.ctlCompliance)
	mux.HandleFunc("POST "+ControlPrefix+"/calls/{id}/escalate", e.ctlEscalate)
	mux.HandleFunc("POST "+ControlPrefix+"/calls/{id}/tone", e.ctlTone)
	mux.HandleFunc("POST "+ControlPrefix+"/calls/{id}/hangup", e.ctlHangUp)
	mux.HandleFunc("POST "+ControlPrefix+"/calls/{id}/join", e.ctlJoin)
	mux.HandleFunc("POST "+ControlPrefix+"/advance", e.ctlAdvance)
	mux.HandleFunc("GET "+ControlPrefix+"/events", e.ctlEvents)
}

type ctlRequest struct {
	From string `json:"from"`
	Keys string `json:"keys"`
	Who  string `json:"who"`
	By   string `json:"by"`
	With string `json:"with"`
}

func readCtl(w http.ResponseWriter, r *http.Request) (ctlRequest, bool) {
	var req ctlRequest
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if len(b) > 0 {
		if err := json.Unmarshal(b, &req); err != nil {
			ctlError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return req, false
		}
	}
	return req, true
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
	p := e.Person(req.From)
	if p == nil {
		p = e.AddUser(req.From, Behavior{})
	}
	h, err := p.CallBot()
	if err != nil {
		ctlError(w, http.StatusConflict, err.Error())
		return
	}
	ctlOK(w, map[string]string{"callId": h.ID(), "from": p.DisplayName()})
}

// personNamed returns the person with this name, adding a user who answers at once
// when there is none.
func (e *Emulator) personNamed(name string) *Person {
	if p := e.Person(name); p != nil {
		return p
	}
	return e.AddUser(name, Behavior{})
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
	p := e.personNamed(req.From)
	var other *Person
	if req.With != "" {
		other = e.personNamed(req.With)
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
	p := e.personNamed(req.Who)
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

func (e *Emulator) ctlTone(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	h, err := e.Handle(r.PathValue("id"))
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
	h, err := e.Handle(r.PathValue("id"))
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
	p := e.Person(req.Who)
	if p == nil {
		p = e.AddUser(req.Who, Behavior{})
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

func (e *Emulator) ctlEvents(w http.ResponseWriter, r *http.Request) {
	type ev struct {
		Seq    int               `json:"seq"`
		Time   time.Time         `json:"time"`
		Kind   EventKind         `json:"kind"`
		CallID string            `json:"callId,omitempty"`
		Who    string            `json:"who,omitempty"`
		Detail string            `json:"detail,omitempty"`
		Data   map[string]string `json:"data,omitempty"`
	}
	out := []ev{}
	for _, x := range e.Events() {
		if x.Kind == EventNotificationSent {
			continue
		}
		out = append(out, ev(x))
	}
	ctlOK(w, out)
}
