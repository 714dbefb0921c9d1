package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// The resources under a call besides participants: its operations (listed and
// deleted), audio routing groups, content sharing sessions; and the call's PATCH and
// logTeleconferenceDeviceQuality. The responses follow the docs' examples named at
// each handler.

// listOperations handles GET .../operations: the call's operations in the order they
// started. Graph documents only GET of one operation (addlargegalleryviewoperation-get);
// the collection is msgraph-sdk-go's (the CSDL's navigation property) and answers as
// every collection does, {"value": [...]}.
func (e *Emulator) listOperations(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[r.PathValue("id")]
	if c == nil {
		notFound(w, "Call")
		return
	}
	page := calls.Collection[json.RawMessage]{Value: []json.RawMessage{}}
	for _, id := range c.opOrder {
		b, err := wire.Marshal(c.ops[id])
		if err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		page.Value = append(page.Value, b)
	}
	writeJSON(w, http.StatusOK, page)
}

// deleteOperation handles DELETE .../operations/{op}. Graph documents no DELETE of an
// operation (msgraph-sdk-go has one, from the CSDL); the emulator answers 204 and
// forgets the operation, which a GET then does not find. A running media operation is
// not cancelled by it (cancelMediaProcessing does that) and still sends its completion.
func (e *Emulator) deleteOperation(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[r.PathValue("id")]
	if c == nil {
		notFound(w, "Call")
		return
	}
	id := r.PathValue("op")
	if c.ops[id] == nil {
		notFound(w, "Operation")
		return
	}
	delete(c.ops, id)
	c.opOrder = slices.DeleteFunc(c.opOrder, func(x string) bool { return x == id })
	w.WriteHeader(http.StatusNoContent)
}

// patchableCall are the call members PATCH changes. Graph documents no update of a
// call (msgraph-sdk-go has one, from the CSDL); the emulator lets a bot change the
// members that only it uses, subject and callbackUri (where the call's notifications
// go, checked as at creation), and refuses the others with 400.
var patchableCall = map[string]bool{"subject": true, "callbackuri": true, "@odata.type": true}

// patchCall handles PATCH /communications/calls/{id}: 200 with the call, as GET
// returns it.
func (e *Emulator) patchCall(w http.ResponseWriter, r *http.Request) {
	if isCollectionAction(r) {
		methodNotAllowed(w, r, "POST")
		return
	}
	var members map[string]json.RawMessage
	var req calls.Call
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if err := json.Unmarshal(body, &members); err != nil {
		badRequest(w, "invalid request body: "+err.Error())
		return
	}
	if !unmarshalBody(w, body, &req) {
		return
	}
	for k := range members {
		if !patchableCall[strings.ToLower(k)] {
			badRequest(w, fmt.Sprintf("Property '%s' of a call cannot be updated (the emulator updates subject and callbackUri only).", k))
			return
		}
	}
	if _, ok := members["callbackUri"]; ok || req.CallbackURI != "" {
		check := calls.NewCall(req.CallbackURI, nil)
		if err := check.ValidateCreate(); err != nil {
			var re *calls.RequestError
			if errors.As(err, &re) && re.Field == "callbackUri" {
				badRequest(w, fmt.Sprintf("Invalid call: %s: %s.", re.Field, re.Reason))
				return
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	for k := range members {
		switch strings.ToLower(k) {
		case "subject":
			c.res.Subject = req.Subject
		case "callbackuri":
			c.callbackURI, c.res.CallbackURI = req.CallbackURI, req.CallbackURI
		}
	}
	writeJSON(w, http.StatusOK, e.snapshot(c))
}

// logDeviceQuality handles POST /communications/calls/logTeleconferenceDeviceQuality
// (call-logteleconferencedevicequality): 200 without a body. The page marks quality's
// callChainId, participantId, mediaLegId, deviceName, deviceDescription and
// mediaQualityList as required (non-nullable in the CSDL) and a User-Agent header as
// required; the emulator refuses a request without them with 400, and checks the
// permission, Calls.AccessMedia.All (reference §1.1 row 18).
func (e *Emulator) logDeviceQuality(w http.ResponseWriter, r *http.Request) {
	var req calls.LogTeleconferenceDeviceQualityRequest
	if !decode(w, r, &req) {
		return
	}
	if r.Header.Get("User-Agent") == "" {
		badRequest(w, "logTeleconferenceDeviceQuality requires a User-Agent header.")
		return
	}
	q := req.Quality
	for _, f := range []struct{ name, v string }{{"callChainId", q.CallChainID}, {"participantId", q.ParticipantID},
		{"mediaLegId", q.MediaLegID}, {"deviceName", q.DeviceName}, {"deviceDescription", q.DeviceDescription}} {
		if f.v == "" {
			badRequest(w, "Invalid logTeleconferenceDeviceQuality request: quality."+f.name+" is required.")
			return
		}
	}
	if len(q.MediaQualityList) == 0 {
		badRequest(w, "Invalid logTeleconferenceDeviceQuality request: quality.mediaQualityList is required.")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.granted(PermissionAccessMedia) {
		forbidden(w, []Permission{PermissionAccessMedia}, "logTeleconferenceDeviceQuality")
		return
	}
	w.WriteHeader(http.StatusOK)
	e.record(EventQualityLogged, "", "", fmt.Sprintf("device quality of %s logged (%d media)", q.DeviceName, len(q.MediaQualityList)),
		map[string]string{"callChainId": q.CallChainID, "participantId": q.ParticipantID})
}

// Audio routing groups (call-post-audioroutinggroups, call-list-audioroutinggroups,
// audioroutinggroup-get, -update, -delete): created with 200 (not 201) and the group
// as sent, listed as {"value": [...]}, updated with 200 and the group, deleted with
// 204. Their permissions are Calls.JoinGroupCall.All or Calls.InitiateGroupCall.All
// (reference §1.1 rows 28 to 32). What Graph refuses is not documented; the emulator
// refuses with 400 a group without sources or receivers, with a routingMode other
// than oneToOne or multicast, or naming someone who is not a participant of the call,
// and with 409 a second group of the same id.

// groupPermissions are the permissions of the audio routing group routes.
var groupPermissions = []Permission{PermissionJoinGroupCall, PermissionInitiateGroupCall}

// requestedGroupCall returns the live call of the request once the bot may manage its
// audio routing groups, or answers and returns nil. Callers hold e.mu.
func (e *Emulator) requestedGroupCall(w http.ResponseWriter, r *http.Request) *call {
	if !e.granted(groupPermissions...) {
		forbidden(w, groupPermissions, "Audio routing groups")
		return nil
	}
	return e.requestedCall(w, r)
}

// checkGroup answers 400 and returns false when g is not a group Graph would take.
func checkGroup(w http.ResponseWriter, c *call, g calls.AudioRoutingGroup) bool {
	switch {
	case g.RoutingMode != calls.RoutingModeOneToOne && g.RoutingMode != calls.RoutingModeMulticast:
		badRequest(w, fmt.Sprintf("Invalid audioRoutingGroup: routingMode %q: must be oneToOne or multicast.", g.RoutingMode))
	case len(g.Sources) == 0 || len(g.Receivers) == 0:
		badRequest(w, "Invalid audioRoutingGroup: sources and receivers are required.")
	default:
		for _, id := range append(slices.Clone(g.Sources), g.Receivers...) {
			if c.partyByID(id) == nil {
				badRequest(w, fmt.Sprintf("Invalid audioRoutingGroup: %s is not a participant of call %s.", id, c.id))
				return false
			}
		}
		return true
	}
	return false
}

func (e *Emulator) listAudioRoutingGroups(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedGroupCall(w, r)
	if c == nil {
		return
	}
	page := calls.Collection[calls.AudioRoutingGroup]{Value: []calls.AudioRoutingGroup{}}
	page.Value = append(page.Value, c.groups...)
	writeJSON(w, http.StatusOK, page)
}

func (e *Emulator) createAudioRoutingGroup(w http.ResponseWriter, r *http.Request) {
	var g calls.AudioRoutingGroup
	if !decode(w, r, &g) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedGroupCall(w, r)
	if c == nil || !checkGroup(w, c, g) {
		return
	}
	if g.ID == "" {
		g.ID = e.newID()
	}
	if slices.ContainsFunc(c.groups, func(x calls.AudioRoutingGroup) bool { return x.ID == g.ID }) {
		writeError(w, http.StatusConflict, "Conflict", "An audio routing group "+g.ID+" exists already.")
		return
	}
	c.groups = append(c.groups, g)
	writeJSON(w, http.StatusOK, g)
}

// group returns the index of the request's group in c.groups, or answers 404 and
// returns -1.
func group(w http.ResponseWriter, r *http.Request, c *call) int {
	i := slices.IndexFunc(c.groups, func(g calls.AudioRoutingGroup) bool { return g.ID == r.PathValue("gid") })
	if i < 0 {
		notFound(w, "Audio routing group")
	}
	return i
}

func (e *Emulator) getAudioRoutingGroup(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedGroupCall(w, r)
	if c == nil {
		return
	}
	if i := group(w, r, c); i >= 0 {
		writeJSON(w, http.StatusOK, c.groups[i])
	}
}

func (e *Emulator) patchAudioRoutingGroup(w http.ResponseWriter, r *http.Request) {
	var patch calls.AudioRoutingGroup
	if !decode(w, r, &patch) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedGroupCall(w, r)
	if c == nil {
		return
	}
	i := group(w, r, c)
	if i < 0 {
		return
	}
	g := c.groups[i]
	if patch.ID != "" && patch.ID != g.ID {
		badRequest(w, "The id of an audio routing group cannot be changed.")
		return
	}
	if patch.RoutingMode != "" {
		g.RoutingMode = patch.RoutingMode
	}
	if patch.Sources != nil {
		g.Sources = patch.Sources
	}
	if patch.Receivers != nil {
		g.Receivers = patch.Receivers
	}
	if !checkGroup(w, c, g) {
		return
	}
	c.groups[i] = g
	writeJSON(w, http.StatusOK, g)
}

func (e *Emulator) deleteAudioRoutingGroup(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedGroupCall(w, r)
	if c == nil {
		return
	}
	if i := group(w, r, c); i >= 0 {
		c.groups = slices.Delete(c.groups, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	}
}

// sharing is a content sharing session in a call: a person shares their screen.
type sharing struct {
	id        string
	presenter *party
}

func (s *sharing) resource() calls.ContentSharingSession {
	return calls.ContentSharingSession{ODataType: "#microsoft.graph.contentSharingSession", ID: s.id}
}

// listContentSharingSessions handles GET .../contentSharingSessions
// (call-list-contentsharingsessions): {"value": [{"@odata.type", "id"}, ...]}.
func (e *Emulator) listContentSharingSessions(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	page := calls.Collection[calls.ContentSharingSession]{Value: []calls.ContentSharingSession{}}
	for _, s := range c.sharing {
		page.Value = append(page.Value, s.resource())
	}
	writeJSON(w, http.StatusOK, page)
}

// getContentSharingSession handles GET .../contentSharingSessions/{sid}
// (contentsharingsession-get): {"@odata.type", "id"}.
func (e *Emulator) getContentSharingSession(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.requestedCall(w, r)
	if c == nil {
		return
	}
	for _, s := range c.sharing {
		if s.id == r.PathValue("sid") {
			writeJSON(w, http.StatusOK, s.resource())
			return
		}
	}
	notFound(w, "Content sharing session")
}

// StartSharing makes the person share their screen in the call: a content sharing
// session starts, which GET .../contentSharingSessions lists. When the bot asked for
// content sharing notifications (callOptions.isContentSharingNotificationEnabled), it
// gets a created notification for it, as v1.0/application-post-calls/05-notification
// shows. It returns the session's ID.
func (h *CallHandle) StartSharing() (string, error) {
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(h.id)
	if err != nil {
		return "", err
	}
	if c.state != calls.StateEstablished {
		return "", fmt.Errorf("emulator: call %s is %s, not established", c.id, c.state)
	}
	var pt *party
	for _, x := range c.parties {
		if x.person == h.person {
			pt = x
		}
	}
	if pt == nil {
		return "", fmt.Errorf("emulator: %s is not on call %s", h.person.DisplayName(), c.id)
	}
	s := &sharing{id: strings.ToUpper(strings.ReplaceAll(e.newID()+e.newID(), "-", "")), presenter: pt}
	c.sharing = append(c.sharing, s)
	e.record(EventSharingStarted, c.id, h.person.name, h.person.DisplayName()+" shares their screen", map[string]string{"sessionId": s.id})
	e.notifySharing(c, "created", s)
	return s.id, nil
}

// StopSharing ends a content sharing session of the call (deleted notification,
// v1.0/application-post-calls/07-notification.json).
func (h *CallHandle) StopSharing(sessionID string) error {
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(h.id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(c.sharing, func(s *sharing) bool { return s.id == sessionID })
	if i < 0 {
		return fmt.Errorf("emulator: no content sharing session %s on call %s", sessionID, c.id)
	}
	s := c.sharing[i]
	c.sharing = slices.Delete(c.sharing, i, i+1)
	e.record(EventSharingStopped, c.id, h.person.name, h.person.DisplayName()+" stops sharing", map[string]string{"sessionId": s.id})
	e.notifySharing(c, "deleted", s)
	return nil
}

// notifySharing sends a content sharing notification when the bot asked for them:
// the resourceUrl is the collection and resourceData an array of the sessions changed
// (v1.0/application-post-calls/05 to 07).
func (e *Emulator) notifySharing(c *call, changeType string, s *sharing) {
	if !c.res.CallOptions.IsContentSharingNotificationEnabled {
		return
	}
	e.post(c, changeType, "/communications/calls/"+c.id+"/contentsharingsessions", []calls.ContentSharingSession{s.resource()},
		fmt.Sprintf("content sharing %s %s", short(s.id), changeType))
}
