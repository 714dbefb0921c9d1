package calls

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/media"
)

// Limits Graph documents for the call actions. The builders check them (see Validate
// on each request type) before anything is sent, and the emulator refuses what breaks
// them with a 400, as Graph does.
const (
	// MaxClientContextLength is the longest clientContext, in characters ("Unique
	// client context string. Can have a maximum of 256 characters.", on every action
	// page that takes one).
	MaxClientContextLength = 256
	// MaxPlayPrompts is how many prompts one playPrompt may carry (call-playprompt:
	// "the maximum number of prompts supported is 20").
	MaxPlayPrompts = 20
	// MaxRecordPrompts is how many prompts recordResponse takes (call-record:
	// "Current support is only for a single prompt specified as part of the
	// collection"; no prompt at all is allowed).
	MaxRecordPrompts = 1
	// MinRecordTimeoutSeconds and MaxRecordTimeoutSeconds bound recordResponse's
	// initialSilenceTimeoutInSeconds, maxSilenceTimeoutInSeconds and
	// maxRecordDurationInSeconds (call-record: "Min = 1 second, Max = 120 seconds";
	// a recording is at most 2 minutes). 0 leaves Graph's default of 5 s.
	MinRecordTimeoutSeconds = 1
	MaxRecordTimeoutSeconds = 120
	// MaxRedirectTargets is how many targets one redirect may ring at once
	// (call-redirect: "We support up to 25 targets for simultaneous ring").
	MaxRedirectTargets = 25
	// MinRedirectTimeoutSeconds and MaxRedirectTimeoutSeconds bound redirect's timeout
	// (call-redirect: "between 15 and 90 seconds inclusive"). 0 leaves Graph's default
	// (55 s for one target, 60 s for several).
	MinRedirectTimeoutSeconds = 15
	MaxRedirectTimeoutSeconds = 90
)

// ErrInvalidRequest is matched by every *RequestError.
var ErrInvalidRequest = errors.New("calls: invalid request")

// RequestError is a request body that breaks a rule Graph documents (a required member
// missing, a limit exceeded): the request is not sent. errors.Is(err,
// ErrInvalidRequest) reports true for it.
type RequestError struct {
	// Action is the Graph action, e.g. "playPrompt".
	Action string
	// Field is the member at fault, e.g. "prompts" or "clientContext".
	Field string
	// Reason says which rule is broken, e.g. "at most 20 prompts (got 21)".
	Reason string
}

// Error returns "calls: playPrompt: prompts: at most 20 prompts (got 21)".
func (e *RequestError) Error() string {
	return fmt.Sprintf("calls: %s: %s: %s", e.Action, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidRequest.
func (e *RequestError) Unwrap() error { return ErrInvalidRequest }

// validator is a request body with documented rules.
type validator interface{ Validate() error }

// validate checks the request's path (an invalid ID is reported first) and its body
// when it has rules; a nil body has none.
func validate[Req any](r requester, body *Req) error {
	if r.Err != nil {
		return r.Err
	}
	if body == nil {
		return nil
	}
	if v, ok := any(body).(validator); ok {
		return v.Validate()
	}
	return nil
}

func invalid(action, field, format string, args ...any) error {
	return &RequestError{Action: action, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func checkClientContext(action, cc string) error {
	if n := utf8.RuneCountInString(cc); n > MaxClientContextLength {
		return invalid(action, "clientContext", "at most %d characters (got %d)", MaxClientContextLength, n)
	}
	return nil
}

// checkCallbackURI: present, absolute, https (http only on loopback, for an emulator;
// Graph itself takes https only: the create-call page).
func checkCallbackURI(action, raw string) error {
	if raw == "" {
		return invalid(action, "callbackUri", "required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return invalid(action, "callbackUri", "not an absolute URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname())) {
		return invalid(action, "callbackUri", "must be https (got %s)", u.Scheme)
	}
	return nil
}

func checkTimeout(action, field string, v, lo, hi int32) error {
	if v != 0 && (v < lo || v > hi) {
		return invalid(action, field, "between %d and %d seconds (got %d)", lo, hi, v)
	}
	return nil
}

func checkPrompts(action string, ps []media.Prompt) error {
	for i, p := range ps {
		if p == nil {
			return invalid(action, fmt.Sprintf("prompts[%d]", i), "null")
		}
		if mp, ok := p.(*media.MediaPrompt); ok && mp.MediaInfo.URI == "" {
			return invalid(action, fmt.Sprintf("prompts[%d].mediaInfo.uri", i), "required")
		}
	}
	return nil
}

// Validate checks the members Graph requires (callbackUri, acceptedModalities,
// mediaConfig) and that participantCapacity is not negative.
func (r *AnswerRequest) Validate() error {
	const a = "answer"
	// Required; unlike create's, its form is not documented (the docs' own example
	// sends "callbackUri-value").
	if r.CallbackURI == "" {
		return invalid(a, "callbackUri", "required")
	}
	if len(r.AcceptedModalities) == 0 {
		return invalid(a, "acceptedModalities", "required")
	}
	if r.MediaConfig == nil {
		return invalid(a, "mediaConfig", "required")
	}
	if r.ParticipantCapacity < 0 {
		return invalid(a, "participantCapacity", "not negative (got %d)", r.ParticipantCapacity)
	}
	return nil
}

// Validate checks that the reason, when set, is one Graph knows: none, busy or
// forbidden.
func (r *RejectRequest) Validate() error {
	switch strings.ToLower(string(r.Reason)) {
	case "", "none", "busy", "forbidden":
	default:
		return invalid("reject", "reason", "none, busy or forbidden (got %q)", r.Reason)
	}
	return nil
}

// Validate checks 1 to MaxRedirectTargets targets and a timeout of
// MinRedirectTimeoutSeconds to MaxRedirectTimeoutSeconds.
func (r *RedirectRequest) Validate() error {
	const a = "redirect"
	switch n := len(r.Targets); {
	case n == 0:
		return invalid(a, "targets", "required")
	case n > MaxRedirectTargets:
		return invalid(a, "targets", "at most %d targets (got %d)", MaxRedirectTargets, n)
	}
	return checkTimeout(a, "timeout", r.Timeout, MinRedirectTimeoutSeconds, MaxRedirectTimeoutSeconds)
}

// Validate checks that the transfer target has an identity.
func (r *TransferRequest) Validate() error {
	if reflect.ValueOf(r.TransferTarget.Identity).IsZero() {
		return invalid("transfer", "transferTarget.identity", "required")
	}
	return checkClientContext("transfer", r.ClientContext)
}

// Validate checks the client context's length.
func (r *ClientContextRequest) Validate() error { return checkClientContext("action", r.ClientContext) }

// Validate checks 1 to MaxPlayPrompts prompts, each with a URI, and the client context.
func (r *PlayPromptRequest) Validate() error {
	const a = "playPrompt"
	switch n := len(r.Prompts); {
	case n == 0:
		return invalid(a, "prompts", "required")
	case n > MaxPlayPrompts:
		return invalid(a, "prompts", "at most %d prompts (got %d)", MaxPlayPrompts, n)
	}
	if err := checkPrompts(a, r.Prompts); err != nil {
		return err
	}
	return checkClientContext(a, r.ClientContext)
}

// Validate checks at most MaxRecordPrompts prompt, the three timeouts
// (MinRecordTimeoutSeconds to MaxRecordTimeoutSeconds) and the client context.
func (r *RecordResponseRequest) Validate() error {
	const a = "recordResponse"
	if n := len(r.Prompts); n > MaxRecordPrompts {
		return invalid(a, "prompts", "at most %d prompt (got %d)", MaxRecordPrompts, n)
	}
	if err := checkPrompts(a, r.Prompts); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		v    int32
	}{
		{"initialSilenceTimeoutInSeconds", r.InitialSilenceTimeoutInSeconds},
		{"maxSilenceTimeoutInSeconds", r.MaxSilenceTimeoutInSeconds},
		{"maxRecordDurationInSeconds", r.MaxRecordDurationInSeconds},
	} {
		if err := checkTimeout(a, t.name, t.v, MinRecordTimeoutSeconds, MaxRecordTimeoutSeconds); err != nil {
			return err
		}
	}
	return checkClientContext(a, r.ClientContext)
}

// Validate checks that a role is given.
func (r *ChangeScreenSharingRoleRequest) Validate() error {
	if r.Role == "" {
		return invalid("changeScreenSharingRole", "role", "required")
	}
	return nil
}

// Validate checks that a status is given, and the client context.
func (r *UpdateRecordingStatusRequest) Validate() error {
	if r.Status == "" {
		return invalid("updateRecordingStatus", "status", "required")
	}
	return checkClientContext("updateRecordingStatus", r.ClientContext)
}

// Validate checks that tones are given, and the client context.
func (r *SendDtmfTonesRequest) Validate() error {
	if len(r.Tones) == 0 {
		return invalid("sendDtmfTones", "tones", "required")
	}
	if r.DelayBetweenTonesMs < 0 {
		return invalid("sendDtmfTones", "delayBetweenTonesMs", "not negative (got %d)", r.DelayBetweenTonesMs)
	}
	return checkClientContext("sendDtmfTones", r.ClientContext)
}

// Validate checks that participants are given, and the client context.
func (r *InviteParticipantsRequest) Validate() error {
	if len(r.Participants) == 0 {
		return invalid("invite", "participants", "required")
	}
	return checkClientContext("invite", r.ClientContext)
}

// Validate checks the client context.
func (r *StartHoldMusicRequest) Validate() error {
	return checkClientContext("startHoldMusic", r.ClientContext)
}

// Validate checks the client context.
func (r *MuteAllRequest) Validate() error { return checkClientContext("muteAll", r.ClientContext) }

// validateCreate is validate for a call to create.
func validateCreate(r requester, c *Call) error {
	if r.Err != nil {
		return r.Err
	}
	if c == nil {
		return nil
	}
	return c.ValidateCreate()
}

// ValidateCreate checks what POST /communications/calls needs in the call it creates:
// an https callbackUri, a mediaConfig and at least one target or a meeting to join.
// (It is not named Validate: a Call decoded from Graph has none of these.)
func (c *Call) ValidateCreate() error {
	const a = "create call"
	if err := checkCallbackURI(a, c.CallbackURI); err != nil {
		return err
	}
	if c.MediaConfig == nil {
		return invalid(a, "mediaConfig", "required")
	}
	if len(c.Targets) == 0 && c.MeetingInfo == nil && c.ChatInfo.ThreadID == "" {
		return invalid(a, "targets", "required, unless joining a meeting (meetingInfo)")
	}
	// A call to a phone number is placed from the bot's application instance, the
	// resource account that holds the number (create-call page, PSTN examples: "This
	// call requires an application instance with a PSTN number assigned").
	for i, t := range c.Targets {
		if t.Identity.Phone != nil && c.Source.Identity.ApplicationInstance == nil {
			return invalid(a, "source.identity.applicationInstance",
				"required for a call to a phone number (targets[%d]); see participants.ApplicationInstance", i)
		}
	}
	return nil
}

// Validate checks that metadata is given, and the client context.
func (r *UpdateMetadataRequest) Validate() error {
	if r.Metadata == "" {
		return invalid("updateMetadata", "metadata", "required")
	}
	return checkClientContext("updateMetadata", r.ClientContext)
}

// Answer budgets: Graph fails an incoming call the bot has not answered (or rejected,
// or redirected) within AnswerBudget of its incoming notification, and a
// policy-based (compliance) recording invitation within ComplianceAnswerBudget (call
// answer page and the calls-API overview: "within 15 seconds", "5 seconds for
// policy-based recording").
const (
	AnswerBudget           = 15 * time.Second
	ComplianceAnswerBudget = 5 * time.Second
)

// IsComplianceRecordingInvitation reports whether c, an incoming call, invites the bot
// to record for a Teams compliance-recording policy: Graph marks such a call with an
// incomingContext naming the observed participant, and with applicationMetadata whose
// botData.inviteReasons holds "PolicyBasedRecording" (v1.0/call-answer, the
// policy-based recording notification).
func (c *Call) IsComplianceRecordingInvitation() bool {
	if c.IncomingContext != nil && c.IncomingContext.ObservedParticipantID != "" {
		return true
	}
	raw, ok := c.AdditionalData["applicationMetadata"]
	if !ok {
		return false
	}
	var meta struct {
		BotData struct {
			InviteReasons []string `json:"inviteReasons"`
		} `json:"botData"`
	}
	if json.Unmarshal(raw, &meta) != nil {
		return false
	}
	for _, r := range meta.BotData.InviteReasons {
		if strings.EqualFold(r, "PolicyBasedRecording") {
			return true
		}
	}
	return false
}

// AnswerBudget returns how long Graph gives the bot to answer c:
// ComplianceAnswerBudget for a compliance-recording invitation, AnswerBudget
// otherwise.
func (c *Call) AnswerBudget() time.Duration {
	if c.IsComplianceRecordingInvitation() {
		return ComplianceAnswerBudget
	}
	return AnswerBudget
}
