package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// Permission is a Microsoft Graph application permission (an app role of the bot's
// token), such as "Calls.Initiate.All".
type Permission string

// The calling permissions the emulator checks (reference/graph-calls-api.md §1.1, the
// "App perms" column, which follows the permission tables of the doc pages).
const (
	// PermissionInitiate lets the bot place peer-to-peer calls (and calls to phone
	// numbers, with an application instance).
	PermissionInitiate Permission = "Calls.Initiate.All"
	// PermissionInitiateGroupCall lets the bot create group calls and invite
	// participants.
	PermissionInitiateGroupCall Permission = "Calls.InitiateGroupCall.All"
	// PermissionJoinGroupCall lets the bot join meetings and group calls, and stay in
	// a peer-to-peer call that becomes one.
	PermissionJoinGroupCall Permission = "Calls.JoinGroupCall.All"
	// PermissionJoinGroupCallAsGuest lets the bot join meetings as a guest.
	PermissionJoinGroupCallAsGuest Permission = "Calls.JoinGroupCallAsGuest.All"
	// PermissionAccessMedia gives the bot access to media: app-hosted media, and the
	// service-hosted media actions whose permission tables list it.
	PermissionAccessMedia Permission = "Calls.AccessMedia.All"
)

// DefaultPermissions are what an emulated bot is granted when Config.Permissions is
// nil: every calling permission.
var DefaultPermissions = []Permission{PermissionInitiate, PermissionInitiateGroupCall, PermissionJoinGroupCall,
	PermissionJoinGroupCallAsGuest, PermissionAccessMedia}

// actionPermissions is, for the call actions whose permission the emulator checks, the
// permissions of which the bot needs one (a doc page's permission table lists
// permissions "from least to most privileged", any one of which suffices). From the
// endpoint table of reference/graph-calls-api.md §1.1 (rows 13 to 17 and 23) and §1.4
// (muteAll). The
// other actions are not checked: their pages say "Permissions are checked when the
// call is created", and the calls overview says a bot needs no permission to answer
// a peer-to-peer call.
var actionPermissions = map[string][]Permission{
	"playprompt":            {PermissionInitiate, PermissionAccessMedia},               // row 13
	"recordresponse":        {PermissionAccessMedia},                                   // row 14
	"subscribetotone":       {PermissionAccessMedia},                                   // row 15
	"cancelmediaprocessing": {PermissionInitiate, PermissionAccessMedia},               // row 16
	"senddtmftones":         {PermissionInitiate, PermissionAccessMedia},               // row 17
	"invite":                {PermissionInitiateGroupCall},                             // row 23
	"muteall":               {PermissionJoinGroupCall, PermissionJoinGroupCallAsGuest}, // §1.4, beta
}

// SetPermissions replaces the application permissions the bot is granted, from now on
// (the calls already made keep what they have).
func (e *Emulator) SetPermissions(ps ...Permission) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.perms = slices.Clone(ps)
	if e.perms == nil {
		e.perms = []Permission{}
	}
}

// Permissions returns the application permissions the bot is granted.
func (e *Emulator) Permissions() []Permission {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.perms)
}

// granted reports whether the bot holds one of ps. Callers hold e.mu.
func (e *Emulator) granted(ps ...Permission) bool {
	for _, p := range ps {
		for _, g := range e.perms {
			if strings.EqualFold(string(g), string(p)) {
				return true
			}
		}
	}
	return false
}

// Graph's error for an app without the permission an API needs: code 7504,
// "Insufficient enterprise tenant permissions, cannot access this API." The code and
// message are Graph's own, as bots have reported them (graph-comms-samples#276,
// msteams-docs#13004); the doc pages do not list error codes, and the HTTP status
// (403) is the emulator's choice.
const (
	errCodeInsufficientPermissions = "7504"
	msgInsufficientPermissions     = "Insufficient enterprise tenant permissions, cannot access this API."
)

// forbidden answers 403 with Graph's error body, saying which permission is missing.
func forbidden(w http.ResponseWriter, need []Permission, what string) {
	names := make([]string, len(need))
	for i, p := range need {
		names[i] = string(p)
	}
	writeError(w, http.StatusForbidden, errCodeInsufficientPermissions,
		fmt.Sprintf("%s %s needs %s.", msgInsufficientPermissions, what, strings.Join(names, " or ")))
}

// checkAction answers 403 and returns false when the bot lacks the permission an
// action needs. Callers hold e.mu.
func (e *Emulator) checkAction(w http.ResponseWriter, action, name string) bool {
	need := actionPermissions[action]
	if len(need) == 0 || e.granted(need...) {
		return true
	}
	forbidden(w, need, name)
	return false
}

// isPhone reports whether an identity set names a phone number.
func isPhone(ids participants.IdentitySet) bool { return ids.Phone != nil }

// checkCreate applies Graph's permission rules to a call the bot creates (reference
// §1.1 row 1): joining a meeting needs Calls.JoinGroupCall.All or
// Calls.JoinGroupCallAsGuest.All, a group call (more than one target)
// Calls.InitiateGroupCall.All, a peer-to-peer call Calls.Initiate.All, app-hosted media
// also Calls.AccessMedia.All; a call to or from a phone number needs
// Calls.Initiate.All and an application instance as its source. It answers 403 and
// returns false when a rule is broken. Callers hold e.mu.
func (e *Emulator) checkCreate(w http.ResponseWriter, req *calls.Call) bool {
	var need []Permission
	var what string
	switch {
	case req.MeetingInfo != nil || req.ChatInfo.ThreadID != "":
		need, what = []Permission{PermissionJoinGroupCall, PermissionJoinGroupCallAsGuest}, "Joining a meeting"
	case len(req.Targets) > 1:
		need, what = []Permission{PermissionInitiateGroupCall}, "Creating a group call"
	default:
		need, what = []Permission{PermissionInitiate}, "Creating a peer-to-peer call"
	}
	if !e.granted(need...) {
		forbidden(w, need, what)
		return false
	}
	if _, appHosted := req.MediaConfig.(*media.AppHostedMediaConfig); appHosted && !e.granted(PermissionAccessMedia) {
		forbidden(w, []Permission{PermissionAccessMedia}, "App-hosted media")
		return false
	}
	pstn := isPhone(req.Source.Identity)
	for _, t := range req.Targets {
		pstn = pstn || isPhone(t.Identity)
	}
	if !pstn {
		return true
	}
	if !e.granted(PermissionInitiate) {
		forbidden(w, []Permission{PermissionInitiate}, "A call to a phone number")
		return false
	}
	if req.Source.Identity.ApplicationInstance == nil {
		writeAPIError(w, noAppInstance("A call to or from a phone number"))
		return false
	}
	return true
}

// noAppInstance is a 403: PSTN calls need the bot's application instance (a
// resource account with a phone number). The rule is documented (reference §1.1 row
// 1: "PSTN: Calls.Initiate.All plus an application instance
// (source.identity.applicationInstance)"; call-transfer: "Transfer to PSTN number is
// supported only for application instance"); the error Graph answers with is not, and
// "Forbidden" is the emulator's choice.
func noAppInstance(what string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "Forbidden",
		message: what + " needs the bot's application instance (source.identity.applicationInstance, a resource account with a phone number)."}
}

// appInstanceID returns the ID of the bot's emulated application instance.
func (e *Emulator) appInstanceID() string { return stableID("application-instance:" + e.cfg.AppID) }

// ApplicationInstance returns the identity of the bot's application instance (the
// resource account that gives it a phone number): put it in a call's
// source.identity to call phone numbers. Incoming calls from phone numbers are
// addressed to it.
func (e *Emulator) ApplicationInstance() participants.IdentitySet {
	ids := participants.ApplicationInstance(e.appInstanceID(), e.cfg.TenantID, e.cfg.BotName)
	ids.ODataType = "#microsoft.graph.identitySet"
	return ids
}
