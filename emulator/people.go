package emulator

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wav"
	"github.com/graphcomms/graphcomms/participants"
)

// Behavior says how a simulated person acts.
type Behavior struct {
	// AnswerAfter is how long the person's phone rings before they answer a call or an
	// invitation from the bot. Zero (the default) answers at once, without waiting for
	// Advance on a virtual clock.
	AnswerAfter time.Duration
	// Decline makes the person decline calls from the bot (after one second of ringing).
	Decline bool
	// NoAnswer makes the person never answer: the call fails after the ring timeout.
	NoAnswer bool
	// Speech is how long the person talks when the bot records them; default 3 s.
	// Negative means they stay silent.
	Speech time.Duration
	// HangUpAfter makes the person hang up this long after a call with the bot is
	// established (0: they wait for the bot).
	HangUpAfter time.Duration
	// Manual makes the person's phone ring, for a call or an invitation from the bot,
	// until Answer or Decline says what they do (the console's buttons), or until the
	// ring timeout, which fails the call as NoAnswer does. AnswerAfter is ignored.
	Manual bool
}

// Person is a simulated user, phone number or application (another bot).
type Person struct {
	e        *Emulator
	name     string
	id       string
	phone    string
	app      bool // an application: Identity is an application identity
	behavior Behavior
	// declineInvites is how many of the bot's next invitations the person declines
	// (DeclineNextInvite). Guarded by e.mu.
	declineInvites int
	// message is what the person says to the bot's next recordResponse
	// (SetNextRecording). Guarded by e.mu.
	message []byte
	// recording is the bot's recording of the person in progress, to which
	// SetNextRecording gives what they say. Guarded by e.mu.
	recording *mediaOp
}

// MaxRecordingSize caps the audio SetNextRecording takes (and the console uploads):
// 2 MiB, about 65 seconds of 16 kHz mono 16-bit audio.
const MaxRecordingSize = 2 << 20

// SetNextRecording gives what the person says when the bot next records them
// (recordResponse): a 16 kHz mono 16-bit PCM WAV file, the format Graph records in,
// at most MaxRecordingSize bytes. The recording lasts as long as the audio (cut at
// the request's maxRecordDurationInSeconds), then ends after the request's
// maxSilenceTimeoutInSeconds, and the bot downloads this audio from
// recordingLocation instead of the generated tone. While the bot records the person,
// the message is what they say now (or, while the recording's prompt plays, once it
// has played): the console's "record a message" during a call. Otherwise it waits for
// the next recording; it is used once, and nil clears it.
func (p *Person) SetNextRecording(wav []byte) error {
	if len(wav) > MaxRecordingSize {
		return fmt.Errorf("emulator: the recording is %d bytes, more than %d", len(wav), MaxRecordingSize)
	}
	if wav != nil {
		f, err := ReadWAVFormat(bytes.NewReader(wav))
		if err != nil {
			return err
		}
		if err := f.CheckPrompt(); err != nil {
			return fmt.Errorf("emulator: the recording is %w", errors.New(strings.TrimPrefix(err.Error(), "not ")))
		}
		if messageDuration(wav) <= 0 {
			return errors.New("emulator: the recording is empty")
		}
		wav = bytes.Clone(wav)
	}
	e := p.e
	e.mu.Lock()
	if m := p.recording; m != nil && wav != nil {
		p.recording = nil
		if m.speak(wav, messageDuration(wav)) {
			e.mu.Unlock()
			e.runDue()
			return nil
		}
	}
	defer e.mu.Unlock()
	p.message = wav
	return nil
}

// takeMessage returns and clears the person's next recording, and how long it lasts.
// Callers hold e.mu.
func (p *Person) takeMessage() ([]byte, time.Duration) {
	wav := p.message
	p.message = nil
	if wav == nil {
		return nil, 0
	}
	return wav, messageDuration(wav)
}

// messageDuration is how long a 16 kHz mono 16-bit WAV file plays: its data chunk's
// size as the header says, or as much data as the file holds when that is less (a
// header written while streaming says 0xFFFFFFFF).
func messageDuration(wav []byte) time.Duration {
	return time.Duration(len(wavData(wav))/2) * time.Second / sampleRate
}

// cutWAV returns the first d of a 16 kHz mono 16-bit WAV file, rewritten with a
// plain 44-byte header.
func cutWAV(file []byte, d time.Duration) []byte {
	pcm := wavData(file)
	return wav.FromPCM(pcm[:min(len(pcm), int(d.Seconds()*sampleRate)*2)])
}

// wavData returns the data chunk of a WAV file (empty when there is none).
func wavData(wav []byte) []byte {
	for i := 12; i+8 <= len(wav); {
		size := int(binary.LittleEndian.Uint32(wav[i+4 : i+8]))
		body := i + 8
		if string(wav[i:i+4]) == "data" {
			return wav[body:min(len(wav), body+size)]
		}
		i = body + size + size%2
	}
	return nil
}

// AddUser adds a simulated Teams user of the emulated tenant. The name is how tests,
// transcripts and `graphcomms trigger` refer to them; the user ID, a GUID, is derived
// from it (the same name gives the same ID in every emulator). The bot reaches the
// user by that ID (Identity): a call or invitation naming a user ID nobody added
// fails (CodeTargetNotFound) unless Config.AutoCreatePeople is set.
func (e *Emulator) AddUser(name string, b Behavior) *Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.personLocked(name); p != nil {
		p.behavior = b
		return p
	}
	p := &Person{e: e, name: name, id: stableID(name), behavior: b}
	e.people = append(e.people, p)
	return p
}

// AddPhone adds a simulated phone number (E.164) reached over PSTN. A call or
// invitation to a number nobody added fails (CodeTargetNotFound) unless
// Config.AutoCreatePeople is set.
func (e *Emulator) AddPhone(number string, b Behavior) (*Person, error) {
	if err := participants.ValidateE164(number); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.personLocked(number); p != nil {
		p.behavior = b
		return p, nil
	}
	p := &Person{e: e, name: number, id: number, phone: number, behavior: b}
	e.people = append(e.people, p)
	return p, nil
}

// AddApplication adds a simulated application (another bot, or any app with a calling
// endpoint) that the bot can call: a call whose target is its application identity
// (Person.Identity) rings it, and it answers, declines or ignores the call as its
// Behavior says, as a user does. Its app ID is derived from the name. A call to an
// application the emulator does not know fails as one to an unknown user does
// (CodeTargetNotFound), unless Config.AutoCreatePeople is set.
// Graph documents calls to an application target only as a possible identity of a
// target (invitationParticipantInfo.identity.application); how a called bot takes the
// call is the emulator's choice.
func (e *Emulator) AddApplication(name string, b Behavior) *Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.personLocked(name); p != nil {
		p.behavior = b
		return p
	}
	p := &Person{e: e, name: name, id: stableID("application:" + name), app: true, behavior: b}
	e.people = append(e.people, p)
	return p
}

// Person returns the person with this name, user ID or phone number, or nil.
func (e *Emulator) Person(key string) *Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.personLocked(key)
}

func (e *Emulator) personLocked(key string) *Person {
	for _, p := range e.people {
		if strings.EqualFold(p.name, key) || strings.EqualFold(p.id, key) || p.phone != "" && p.phone == key {
			return p
		}
	}
	return nil
}

// knownPerson finds the person an identity set names by the ID Graph would resolve:
// a user's or application's ID (as AddUser and AddApplication gave it, compared
// without regard to case) or a phone number. A user identity finds users only, an
// application identity applications only; names and display names are not looked at,
// since Graph does not resolve them. It returns nil for an identity nobody declared.
// Callers hold e.mu.
func (e *Emulator) knownPerson(ids participants.IdentitySet) *Person {
	for _, id := range []*participants.Identity{ids.User, ids.Phone, ids.Guest, ids.ApplicationInstance, ids.Application} {
		if id == nil || id.ID == "" {
			continue
		}
		for _, p := range e.people {
			if p.app != (id == ids.Application) {
				continue
			}
			if strings.EqualFold(p.id, id.ID) || p.phone != "" && p.phone == id.ID {
				return p
			}
		}
	}
	return nil
}

// personFor finds the person a call or invitation target names (knownPerson). With
// Config.AutoCreatePeople, a target nobody declared is added as a person who answers at
// once (a user, a phone number or an application, as its identity says); without it,
// personFor returns nil for such a target and the call or invitation fails as one to a
// user Graph cannot find does (CodeTargetNotFound). Callers hold e.mu.
func (e *Emulator) personFor(ids participants.IdentitySet) *Person {
	if p := e.knownPerson(ids); p != nil || !e.cfg.AutoCreatePeople {
		return p
	}
	var p *Person
	switch {
	case ids.User != nil && ids.User.ID != "":
		p = &Person{e: e, name: cmp.Or(ids.User.DisplayName, ids.User.ID), id: ids.User.ID}
	case ids.Phone != nil && participants.ValidateE164(ids.Phone.ID) == nil:
		p = &Person{e: e, name: ids.Phone.ID, id: ids.Phone.ID, phone: ids.Phone.ID}
	case ids.Application != nil && ids.Application.ID != "":
		p = &Person{e: e, name: cmp.Or(ids.Application.DisplayName, ids.Application.ID), id: ids.Application.ID, app: true}
	default:
		return nil
	}
	e.people = append(e.people, p)
	e.record(EventPersonAdded, "", p.name, fmt.Sprintf("%s (%s) added: Config.AutoCreatePeople", p.DisplayName(), p.id), map[string]string{"id": p.id})
	return p
}

// targetKind names the kind of identity a target has: "user", "phone number",
// "application" or "target".
func targetKind(ids participants.IdentitySet) string {
	switch {
	case ids.User != nil:
		return "user"
	case ids.Phone != nil:
		return "phone number"
	case ids.Application != nil:
		return "application"
	}
	return "target"
}

// targetName is how the transcript names a target nobody declared: its display name,
// else its kind and ID.
func targetName(ids participants.IdentitySet) string {
	if _, id, ok := ids.Primary(); ok && id.DisplayName != "" {
		return id.DisplayName
	}
	return strings.TrimSpace(targetKind(ids) + " " + identityID(ids))
}

// targetNotFound is the transcript's account of a target nobody declared, with the
// way out.
func targetNotFound(ids participants.IdentitySet) string {
	kind, id := targetKind(ids), identityID(ids)
	if id == "" {
		return "the " + kind + " has no ID"
	}
	add := map[string]string{"user": "AddUser", "phone number": "AddPhone", "application": "AddApplication"}[kind]
	if add == "" {
		add = "AddUser, AddPhone or AddApplication"
	}
	return fmt.Sprintf("no %s %s is known: declare it with %s, or set Config.AutoCreatePeople", kind, id, add)
}

// Name returns the person's name.
func (p *Person) Name() string { return p.name }

// ID returns the person's user ID (or phone number).
func (p *Person) ID() string { return p.id }

// DisplayName returns the name shown in rosters: the name with its first letter upper
// case.
func (p *Person) DisplayName() string {
	if p.phone != "" || p.app || p.name == "" {
		return p.name
	}
	return strings.ToUpper(p.name[:1]) + p.name[1:]
}

// Identity returns the identity set Graph would use for the person.
func (p *Person) Identity() participants.IdentitySet {
	if p.phone != "" {
		ids, _ := participants.Phone(p.phone)
		return ids
	}
	if p.app {
		return participants.Application(p.id, p.name)
	}
	ids := participants.User(p.id, p.e.cfg.TenantID)
	ids.User.DisplayName = p.DisplayName()
	return ids
}

// SetBehavior changes how the person acts from now on.
func (p *Person) SetBehavior(b Behavior) {
	p.e.mu.Lock()
	defer p.e.mu.Unlock()
	p.behavior = b
}

// DeclineNextInvite makes the person decline the bot's next invitation
// (participants/invite), whatever their Behavior, which goes on applying to calls
// and to later invitations; calling it n times declines the next n. Their phone rings
// for Behavior.AnswerAfter (at once by default) and they decline: the invite
// operation fails with resultInfo 603/0, "The invitee declined the invitation.", and
// nobody joins the call. How Graph reports a declined invitation is not documented:
// 603 ("decline") is the code Azure Communication Services gives a call a Teams user
// declines, and the emulator's code for declined outgoing calls too.
func (p *Person) DeclineNextInvite() {
	p.e.mu.Lock()
	defer p.e.mu.Unlock()
	p.declineInvites++
}

func (p *Person) speech() time.Duration {
	switch {
	case p.behavior.Speech < 0:
		return 0
	case p.behavior.Speech == 0:
		return 3 * time.Second
	}
	return p.behavior.Speech
}

// stableID derives a GUID from a name (a user's, an application's, a participant's):
// the same name gives the same GUID in every emulator, in the version 4 shape Graph's
// IDs have (8-4-4-4-12 lower-case hexadecimal digits).
func stableID(name string) string {
	h := sha256.Sum256([]byte("graphcomms-emulator-user:" + strings.ToLower(name)))
	return formatGUID([16]byte(h[:16]))
}

// CallHandle is a call as a simulated person sees it.
type CallHandle struct {
	e      *Emulator
	id     string
	person *Person
	start  int // the Seq after which Wait looks (0: the call's every event)

	mu   sync.Mutex
	seen map[EventKind]int // per kind, the Seq of the last event Wait returned
}

// ID returns the call's ID as the bot sees it.
func (h *CallHandle) ID() string { return h.id }

// Person returns the person on the call.
func (h *CallHandle) Person() *Person { return h.person }

// State returns the call's state.
func (h *CallHandle) State() calls.State {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	if c := h.e.calls[h.id]; c != nil {
		return c.state
	}
	return ""
}

// Answer makes a person with Behavior.Manual answer the bot's call (or invitation)
// that rings their phone. It fails when their phone is not ringing for that call.
func (p *Person) Answer(callID string) error { return p.pickUp(callID, true) }

// Decline makes a person with Behavior.Manual decline the bot's call (or invitation)
// that rings their phone: a peer-to-peer call ends with 603, as with Behavior.Decline.
func (p *Person) Decline(callID string) error { return p.pickUp(callID, false) }

func (p *Person) pickUp(callID string, answer bool) error {
	e := p.e
	e.mu.Lock()
	c, err := e.liveCall(callID)
	var rg *ringing
	if err == nil {
		rg = c.ringing[p]
		if rg == nil {
			err = fmt.Errorf("emulator: %s's phone is not ringing for call %s", p.DisplayName(), callID)
		} else {
			delete(c.ringing, p)
			rg.stop()
			if answer {
				rg.answer()
			} else {
				rg.decline()
			}
		}
	}
	e.mu.Unlock()
	if err == nil {
		e.runDue()
	}
	return err
}

// CallBot makes the person call the bot: Graph notifies the bot's callback URL of an
// incoming call, which the bot must answer within the answer deadline. A phone number
// calls the bot's application instance (its phone number), as CallApplicationInstance
// does; a Teams user calls the bot itself (v1.0/call-answer/03-notification.json).
func (p *Person) CallBot() (*CallHandle, error) { return p.callBot(p.phone != "") }

// CallApplicationInstance makes the person call the bot's application instance (the
// resource account that gives the bot a phone number, ApplicationInstance): a Teams
// user calling the bot's number. The incoming call is addressed to the application
// instance, as in v1.0/call-redirect/09-notification.txt, and the bot takes it through
// it, so it may transfer or redirect the call to phone numbers.
func (p *Person) CallApplicationInstance() (*CallHandle, error) { return p.callBot(true) }

func (p *Person) callBot(toInstance bool) (*CallHandle, error) {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cfg.CallbackURL == "" {
		return nil, errors.New("emulator: no callback URL for incoming calls (Config.CallbackURL)")
	}
	c := e.newCall(calls.DirectionIncoming, e.cfg.CallbackURL)
	c.person = p
	c.state = calls.StateIncoming
	c.addParty(p)
	h := &CallHandle{e: e, id: c.id, person: p, start: e.LastSeq()}
	if toInstance {
		// The members of v1.0/call-redirect/09-notification.txt: no @odata.id or etag,
		// the target with its endpointType, participant ID and region.
		c.appInstance = true
		c.res.Source = participants.Info{ODataType: "#microsoft.graph.participantInfo", Identity: p.Identity(), Region: "amer"}
		target := participants.Invitation{ODataType: "#microsoft.graph.invitationParticipantInfo", Identity: e.ApplicationInstance(),
			EndpointType:   participants.EndpointTypeDefault,
			AdditionalData: map[string]json.RawMessage{"id": quoteJSON(c.bot.id), "region": quoteJSON("amer")}}
		c.res.Targets = []participants.Invitation{target}
		defer e.record(EventIncomingCall, c.id, p.name, p.DisplayName()+" calls the bot's application instance", nil)
		e.notifyPlain(c, "created", func(r *calls.Call) {
			r.ID, r.Direction, r.CallbackURI, r.TenantID, r.MyParticipantID = c.id, calls.DirectionIncoming, c.callbackURI, e.cfg.TenantID, c.bot.id
			r.Source, r.Targets = c.res.Source, c.res.Targets
		})
		e.armAnswerDeadline(c, e.cfg.AnswerDeadline)
		return h, nil
	}
	c.res.Source = participants.Info{ODataType: "#microsoft.graph.participantInfo", Identity: p.Identity(), LanguageID: "en-US", Region: "westeurope"}
	c.res.Targets = []participants.Invitation{{ODataType: "#microsoft.graph.invitationParticipantInfo", Identity: e.botIdentity()}}
	defer e.record(EventIncomingCall, c.id, p.name, p.DisplayName()+" calls the bot", nil)
	e.notifyCall(c, "created", func(r *calls.Call) {
		r.Direction = calls.DirectionIncoming
		r.Source, r.Targets = c.res.Source, c.res.Targets
		r.RequestedModalities = c.res.RequestedModalities
		r.CallbackURI = c.callbackURI
		r.TenantID = e.cfg.TenantID
	})
	e.armAnswerDeadline(c, e.cfg.AnswerDeadline)
	return h, nil
}

// quoteJSON returns s as a JSON string.
func quoteJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// Press makes the person press DTMF keys ("1", "123#", "*"): each becomes a tone
// notification when the bot has subscribed to tones, and a key in the recording's stop
// tones ends a recording.
func (h *CallHandle) Press(keys string) error {
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(h.id)
	if err != nil {
		return err
	}
	if c.state != calls.StateEstablished {
		return fmt.Errorf("emulator: call %s is %s, not established", c.id, c.state)
	}
	for i := 0; i < len(keys); i++ {
		if err := e.pressLocked(c, h.person, keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// HangUp makes the person hang up: a peer-to-peer call ends; in a group call or
// meeting the person leaves.
func (h *CallHandle) HangUp() error {
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(h.id)
	if err != nil {
		return err
	}
	e.personLeaves(c, h.person)
	return nil
}

// Escalate makes the person add other to their peer-to-peer call with the bot, which
// makes it a group call (the calls overview: "A group call occurs if there are either
// three or more participants in the call"). other's phone rings and their Behavior
// applies; when they answer, a bot granted Calls.JoinGroupCall.All (or
// Calls.JoinGroupCallAsGuest.All) stays in the call, now a group call, and gets roster
// notifications (participant-invite: "all participants will receive a roster
// update"). A bot without either permission is dropped: its call ends with
// CodeDroppedOnEscalation/SubcodeDroppedOnEscalation, a code of the emulator's own, as
// Graph documents neither the drop nor its code.
func (h *CallHandle) Escalate(other *Person) error {
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.liveCall(h.id)
	if err != nil {
		return err
	}
	switch {
	case c.state != calls.StateEstablished:
		return fmt.Errorf("emulator: call %s is %s, not established", c.id, c.state)
	case c.group || c.meeting != nil:
		return fmt.Errorf("emulator: call %s is already a group call", c.id)
	case other == nil:
		return errors.New("emulator: Escalate needs someone to add")
	case c.hasPerson(other):
		return fmt.Errorf("emulator: %s is already on call %s", other.DisplayName(), c.id)
	}
	e.record(EventInvited, c.id, other.name, h.person.DisplayName()+" adds "+other.DisplayName()+" to the call", nil)
	e.ring(c, other, true, false, func(o ringOutcome) {
		if o == ringAnswered && !c.ended {
			e.escalate(c, h.person.DisplayName()+" added "+other.DisplayName())
		}
	})
	return nil
}

// The end of a bot's call when a person escalates it to a group call and the bot may
// not join group calls. Graph documents neither this nor a code for it: the code is
// the emulator's own (403, as for a missing permission; the subcode outside Graph's
// range).
const (
	// CodeDroppedOnEscalation is the resultInfo code of the call's end.
	CodeDroppedOnEscalation = 403
	// SubcodeDroppedOnEscalation is the resultInfo subcode of the call's end.
	SubcodeDroppedOnEscalation = 900002
	// MessageDroppedOnEscalation is the resultInfo message of the call's end.
	MessageDroppedOnEscalation = "The call became a group call and the application lacks Calls.JoinGroupCall.All (emulator: Graph's code for this is undocumented)."
)

// escalate makes a peer-to-peer call a group call: the bot stays, with a roster
// notification, if it may join group calls, and is dropped otherwise. Callers hold e.mu.
func (e *Emulator) escalate(c *call, why string) {
	if !e.granted(PermissionJoinGroupCall, PermissionJoinGroupCallAsGuest) {
		e.terminate(c, CodeDroppedOnEscalation, SubcodeDroppedOnEscalation, MessageDroppedOnEscalation,
			"the bot is dropped: "+why+", and it may not join group calls")
		return
	}
	c.group = true
	e.record(EventEscalated, c.id, "", "the call is now a group call: "+why, nil)
	e.notifyRoster(c)
}

// Wait returns the first event of kind on this call that no earlier Wait for the same
// kind returned, waiting for it when it has not happened yet. It sees the call's events
// from its start (a handle from CallBot or Emulator.Handle alike), so an event that
// happened before Wait was called, such as a zero-delay answer, is not missed.
func (h *CallHandle) Wait(ctx context.Context, kind EventKind) (Event, error) {
	h.mu.Lock()
	after, ok := h.seen[kind]
	if !ok {
		after = h.start
	}
	h.mu.Unlock()
	ev, err := h.e.WaitEvent(ctx, after, func(ev Event) bool { return ev.CallID == h.id && ev.Kind == kind })
	if err == nil {
		h.mu.Lock()
		if h.seen == nil {
			h.seen = map[EventKind]int{}
		}
		h.seen[kind] = ev.Seq
		h.mu.Unlock()
	}
	return ev, err
}
