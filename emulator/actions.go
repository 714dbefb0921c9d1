package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// The Graph actions the emulator serves, each with its request body and the function
// that applies it: actionTable is the one list of them. callAction and
// participantAction (api.go) dispatch the requests of the {action} routes through it,
// knownAction (route checks, 405s) and operationActions (FailNextOperation) derive
// from it. Each action function is a transition (see reply.go): it runs under e.mu,
// checks the action's rules against the call's state, and returns the answer, with
// what the action does once answered in reply.after; it never writes.

// An actionTarget is what an action is sent to: the segment before {action}.
type actionTarget int

const (
	onCall         actionTarget = iota // POST /communications/calls/{id}/{action}
	onParticipant                      // POST /communications/calls/{id}/participants/{pid}/{action}
	onParticipants                     // POST /communications/calls/{id}/participants/{action}
	onCalls                            // POST /communications/calls/{action}
)

// An action is an entry of actionTable.
type action struct {
	// name is the action as Graph spells it. Requests name it in any case, with or
	// without the microsoft.graph. namespace.
	name string
	on   actionTarget
	// operation reports whether the action starts an operation, which
	// FailNextOperation can fail.
	operation bool
	// prepare decodes and validates a request's body, outside e.mu, and does what
	// must be done before e.mu is taken (probing prompts); it returns the transition
	// to run under e.mu. sentAs is the action as the request's path spells it, for
	// error messages. nil for the actions served by routes of their own.
	prepare prepareFunc
}

// A prepareFunc decodes and validates an action's request body and returns its
// transition (see action.prepare).
type prepareFunc func(e *Emulator, body []byte, sentAs string) (transition, *apiError)

// A transition applies an action to a call and, for an action on a participant, to
// pt, one of its participants (nil for an action on the call). Callers hold e.mu.
type transition func(c *call, pt *party) (reply, *apiError)

// actionTable lists every action the emulator serves.
var actionTable = []action{
	// On a call: callAction.
	{name: "answer", prepare: callFunc((*Emulator).answer)},
	{name: "reject", prepare: callFunc((*Emulator).reject)},
	{name: "redirect", prepare: callFunc((*Emulator).redirect)},
	{name: "transfer", prepare: callFunc((*Emulator).transfer)},
	{name: "mute", operation: true, prepare: callFunc((*Emulator).muteBot)},
	{name: "unmute", operation: true, prepare: callFunc((*Emulator).unmuteBot)},
	{name: "subscribeToTone", operation: true, prepare: callFunc((*Emulator).subscribeToTone)},
	{name: "cancelMediaProcessing", operation: true, prepare: callFunc((*Emulator).cancelMediaProcessing)},
	{name: "addLargeGalleryView", operation: true, prepare: callFunc((*Emulator).addLargeGalleryView)},
	{name: "playPrompt", operation: true, prepare: promptFunc(
		func(r *calls.PlayPromptRequest) []media.Prompt { return r.Prompts }, (*Emulator).playPrompt)},
	{name: "recordResponse", operation: true, prepare: promptFunc(
		func(r *calls.RecordResponseRequest) []media.Prompt { return r.Prompts }, (*Emulator).recordResponse)},
	{name: "changeScreenSharingRole", prepare: callFunc((*Emulator).changeScreenSharingRole)},
	{name: "updateRecordingStatus", operation: true, prepare: callFunc((*Emulator).updateRecordingStatus)},
	{name: "sendDtmfTones", operation: true, prepare: callFunc((*Emulator).sendDtmfTones)},
	{name: "updateMetadata", operation: true, prepare: callFunc((*Emulator).updateMetadata)},
	{name: "keepAlive", prepare: noBody((*Emulator).keepAlive)},

	// On a participant: participantAction.
	{name: "mute", on: onParticipant, operation: true, prepare: participantFunc((*Emulator).muteParticipant)},
	{name: "startHoldMusic", on: onParticipant, operation: true, prepare: participantFunc((*Emulator).startHoldMusic)},
	{name: "stopHoldMusic", on: onParticipant, operation: true, prepare: participantFunc((*Emulator).stopHoldMusic)},

	// With routes of their own (api.go: invite and muteAll; resources.go:
	// logDeviceQuality).
	{name: "invite", on: onParticipants, operation: true},
	{name: "muteAll", on: onParticipants, operation: true},
	{name: "logTeleconferenceDeviceQuality", on: onCalls},
}

// callActions and participantActions index the actions of actionTable on a call and
// on a participant by their lowercase names.
var (
	callActions        = actionsOn(onCall)
	participantActions = actionsOn(onParticipant)
)

func actionsOn(on actionTarget) map[string]*action {
	m := map[string]*action{}
	for i, a := range actionTable {
		if a.on == on {
			m[strings.ToLower(a.name)] = &actionTable[i]
		}
	}
	return m
}

// actionKey is the key of callActions and participantActions for the {action}
// segment of a request's path: lower-case, without a "microsoft.graph." namespace
// (written in lower case; knownAction accepts the namespace in any case).
func actionKey(seg string) string {
	return strings.ToLower(strings.TrimPrefix(seg, "microsoft.graph."))
}

// knownAction reports whether a path segment names an action the emulator serves (on
// a call, a participant, or the participants collection), in any case, with or without
// the microsoft.graph. namespace.
func knownAction(seg string) bool {
	a := strings.ToLower(strings.TrimPrefix(strings.ToLower(seg), "microsoft.graph."))
	return slices.ContainsFunc(actionTable, func(x action) bool { return strings.ToLower(x.name) == a })
}

// callNavigations are the collections under a call, with the methods they allow: a
// POST to one reaches callAction, which answers 405 with them.
var callNavigations = map[string]string{
	"participants": "GET, HEAD", "operations": "GET, HEAD", "contentsharingsessions": "GET, HEAD",
	"audioroutinggroups": "GET, HEAD, POST",
}

// requestBody is a pointer to a request body type T with Graph's documented rules.
type requestBody[T any] interface {
	*T
	validator
}

// decodeAction decodes and validates an action's request body (see validate for
// sentAs).
func decodeAction[T any, P requestBody[T]](body []byte, sentAs string) (P, *apiError) {
	req := P(new(T))
	if err := unmarshal(body, req); err != nil {
		return nil, err
	}
	if err := validate(req, sentAs); err != nil {
		return nil, err
	}
	return req, nil
}

// callFunc is the prepare of a call action with a request body: f gets who, the name
// of the person the call is with (c.person; "" for none), for event records.
func callFunc[T any, P requestBody[T]](f func(e *Emulator, c *call, req P, who string) (reply, *apiError)) prepareFunc {
	return func(e *Emulator, body []byte, sentAs string) (transition, *apiError) {
		req, err := decodeAction[T, P](body, sentAs)
		if err != nil {
			return nil, err
		}
		return func(c *call, _ *party) (reply, *apiError) { return f(e, c, req, callee(c)) }, nil
	}
}

// promptFunc is callFunc for an action that plays prompts: they are probed before the
// lock is taken (probing may fetch a WAV file from loopback), and f gets the probe.
func promptFunc[T any, P requestBody[T]](prompts func(P) []media.Prompt,
	f func(e *Emulator, c *call, req P, probe promptProbe, who string) (reply, *apiError)) prepareFunc {
	return func(e *Emulator, body []byte, sentAs string) (transition, *apiError) {
		req, err := decodeAction[T, P](body, sentAs)
		if err != nil {
			return nil, err
		}
		probe := e.probePrompts(prompts(req))
		return func(c *call, _ *party) (reply, *apiError) { return f(e, c, req, probe, callee(c)) }, nil
	}
}

// noBody is the prepare of a call action without a request body (keepAlive), whose
// body, if any, is not decoded.
func noBody(f func(e *Emulator, c *call, who string) (reply, *apiError)) prepareFunc {
	return func(e *Emulator, _ []byte, _ string) (transition, *apiError) {
		return func(c *call, _ *party) (reply, *apiError) { return f(e, c, callee(c)) }, nil
	}
}

// participantFunc is the prepare of a participant action. Its body is validated as
// callAction's are, naming sentAs where the body's rules name no action (the
// clientContext of mute and stopHoldMusic); StartHoldMusicRequest names
// startHoldMusic itself.
func participantFunc[T any, P requestBody[T]](f func(e *Emulator, c *call, pt *party, req P) (reply, *apiError)) prepareFunc {
	return func(e *Emulator, body []byte, sentAs string) (transition, *apiError) {
		req, err := decodeAction[T, P](body, sentAs)
		if err != nil {
			return nil, err
		}
		return func(c *call, pt *party) (reply, *apiError) { return f(e, c, pt, req) }, nil
	}
}

// callee names the person a call is with, for event records: "" for none.
func callee(c *call) string {
	if c.person != nil {
		return c.person.name
	}
	return ""
}

// answer handles POST .../answer.
func (e *Emulator) answer(c *call, req *calls.AnswerRequest, who string) (reply, *apiError) {
	if c.state != calls.StateIncoming {
		return reply{}, badRequestError(fmt.Sprintf("The call is %s; only an incoming call can be answered.", c.state))
	}
	c.callbackURI, c.res.CallbackURI, c.res.MediaConfig = req.CallbackURI, req.CallbackURI, req.MediaConfig
	if req.CallOptions.ODataType != "" || req.CallOptions.IsContentSharingNotificationEnabled {
		c.res.CallOptions = req.CallOptions
	}
	if c.cancelAnswer != nil {
		c.cancelAnswer()
	}
	return reply{status: http.StatusAccepted, after: func() {
		detail, data := "the bot answers", map[string]string(nil)
		if req.ParticipantCapacity > 0 {
			// participantCapacity is for policy-based recording bots: how many
			// participants the bot can record (call-answer).
			detail += fmt.Sprintf(" (participantCapacity %d)", req.ParticipantCapacity)
			data = map[string]string{"participantCapacity": fmt.Sprint(req.ParticipantCapacity)}
		}
		e.record(EventAnswered, c.id, who, detail, data)
		c.state = calls.StateEstablishing
		e.notifyCall(c, "updated", nil)
		e.establish(c)
	}}, nil
}

// reject handles POST .../reject: 202, and the call ends.
func (e *Emulator) reject(c *call, req *calls.RejectRequest, who string) (reply, *apiError) {
	if c.state != calls.StateIncoming {
		return reply{}, badRequestError("Only an incoming call can be rejected.")
	}
	return reply{status: http.StatusAccepted, after: func() {
		e.record(EventRejected, c.id, who, "the bot rejects the call ("+string(req.Reason)+")", map[string]string{"reason": string(req.Reason)})
		// v1.0/call-reject/06-notification.json: deleted, with only @odata.type and
		// @odata.id (no state, no resultInfo).
		e.end(c, ending{bare: true, why: "rejected"})
	}}, nil
}

// (redirect and transfer are in outcomes.go.)

// muteBot handles POST .../mute: the bot mutes itself.
func (e *Emulator) muteBot(c *call, req *calls.ClientContextRequest, _ string) (reply, *apiError) {
	return e.muteSelf(c, newOp[calls.MuteParticipantOperation](e, c, req.ClientContext), "mute", true), nil
}

// unmuteBot handles POST .../unmute: the bot unmutes itself.
func (e *Emulator) unmuteBot(c *call, req *calls.ClientContextRequest, _ string) (reply, *apiError) {
	return e.muteSelf(c, newOp[calls.UnmuteParticipantOperation](e, c, req.ClientContext), "unmute", false), nil
}

// muteSelf mutes or unmutes the bot with op, which action started. The event is
// recorded before the answer.
func (e *Emulator) muteSelf(c *call, op calls.Operation, action string, muted bool) reply {
	if fail := e.failArmed(c, op, action); fail != nil {
		return opReply(c, op, fail)
	}
	if muted {
		e.record(EventMuted, c.id, "", "the bot mutes itself", nil)
	} else {
		e.record(EventUnmuted, c.id, "", "the bot unmutes itself", nil)
	}
	c.bot.muted = muted
	return opReply(c, op, func() {
		e.succeed(c, op)
		if c.sendsRoster() {
			e.notifyRoster(c)
		}
	})
}

// subscribeToTone handles POST .../subscribeToTone.
func (e *Emulator) subscribeToTone(c *call, req *calls.ClientContextRequest, who string) (reply, *apiError) {
	op := newOp[calls.SubscribeToToneOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "subscribeToTone", func() {
		c.tones = true
		e.record(EventTonesSubscribed, c.id, who, "the bot subscribes to tones", nil)
		e.succeed(c, op)
	})), nil
}

// cancelMediaProcessing handles POST .../cancelMediaProcessing: the running media
// operations (prompts, recordings) complete as cancelled.
func (e *Emulator) cancelMediaProcessing(c *call, req *calls.ClientContextRequest, who string) (reply, *apiError) {
	op := newOp[calls.CancelMediaProcessingOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "cancelMediaProcessing", func() {
		e.record(EventMediaCancelled, c.id, who, "the bot cancels media processing", nil)
		for id, m := range c.media {
			m.stop()
			delete(c.media, id)
			m.cancelled()
		}
		e.succeed(c, op)
	})), nil
}

// addLargeGalleryView handles POST .../addLargeGalleryView: 202 Accepted with the
// operation and its Location (v1.0/call-addlargegalleryview/02-response.http).
func (e *Emulator) addLargeGalleryView(c *call, req *calls.ClientContextRequest, _ string) (reply, *apiError) {
	op := newOp[calls.AddLargeGalleryViewOperation](e, c, req.ClientContext)
	return opReplyStatus(c, op, http.StatusAccepted, e.orFault(c, op, "addLargeGalleryView", func() { e.succeed(c, op) })), nil
}

// playPrompt handles POST .../playPrompt.
func (e *Emulator) playPrompt(c *call, req *calls.PlayPromptRequest, probe promptProbe, who string) (reply, *apiError) {
	if c.state != calls.StateEstablished {
		return reply{}, badRequestError("Prompts can be played on an established call only.")
	}
	op := newOp[calls.PlayPromptOperation](e, c, req.ClientContext)
	if fail := e.failArmed(c, op, "playPrompt"); fail != nil {
		return opReply(c, op, fail), nil
	}
	if probe.err != nil {
		return e.failedMedia(c, op, probe, who), nil
	}
	return opReply(c, op, func() { e.startPrompts(c, op, req, probe, who) }), nil
}

// startPrompts plays the prompts of a playPrompt, once the request is answered.
func (e *Emulator) startPrompts(c *call, op *calls.PlayPromptOperation, req *calls.PlayPromptRequest, probe promptProbe, who string) {
	uris := strings.Join(promptURIs(req.Prompts), ", ")
	// Events are recorded after the timers they imply are set, so that a test that
	// sees the event and advances the clock sees them fire.
	defer e.record(EventPromptStarted, c.id, who, "the bot plays "+uris, map[string]string{"uri": uris, "operationId": op.ID})
	// The completion carries completionReason (a beta member of playPromptOperation that
	// Graph sends on v1.0 too, as testdata/notifications/op-playprompt-failed.json
	// records): completedSuccessfully, or mediaOperationCanceled when cancelled.
	e.startMedia(c, op, probe.total, &mediaOp{kind: "prompt", uris: promptURIs(req.Prompts)}, func(cancelled bool) {
		if cancelled {
			op.CompletionReason = calls.PlayPromptCompletionMediaOperationCanceled
			e.record(EventPromptCompleted, c.id, who, "prompt cancelled", map[string]string{"operationId": op.ID, "reason": "cancelled"})
			e.complete(c, op, false, 400, 8508, "Action failed, the operation was cancelled.")
			return
		}
		op.CompletionReason = calls.PlayPromptCompletionCompletedSuccessfully
		e.record(EventPromptCompleted, c.id, who, "prompt finished", map[string]string{"operationId": op.ID})
		e.succeed(c, op)
	})
}

// promptURIs lists the media URIs of prompts.
func promptURIs(ps []media.Prompt) []string {
	var out []string
	for _, p := range ps {
		if mp, ok := p.(*media.MediaPrompt); ok {
			out = append(out, mp.MediaInfo.URI)
		}
	}
	return out
}

// failedMedia answers a playPrompt or recordResponse whose prompt Graph could not play:
// the operation starts (200, running) and fails at once.
func (e *Emulator) failedMedia(c *call, op calls.Operation, probe promptProbe, who string) reply {
	return opReply(c, op, func() {
		id := op.Base().ID
		kind := EventPromptCompleted
		if _, rec := op.(*calls.RecordOperation); rec {
			kind = EventRecordCompleted
		}
		e.record(kind, c.id, who, "prompt not played: "+probe.err.Error(),
			map[string]string{"operationId": id, "reason": "unplayable", "uri": probe.uri})
		e.complete(c, op, false, CodePromptNotPlayable, SubcodePromptNotPlayable,
			fmt.Sprintf("%s %s: %v", MessagePromptNotPlayable, probe.uri, probe.err))
	})
}

// startMedia runs a media operation for d; done(true) runs if it is cancelled first.
func (e *Emulator) startMedia(c *call, op calls.Operation, d time.Duration, m *mediaOp, done func(cancelled bool)) *mediaOp {
	if m.started.IsZero() {
		m.started = e.clock.Now()
	}
	id := op.Base().ID
	m.cancelled = func() { done(true) }
	m.cancelTimer = e.clock.AfterFunc(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, running := c.media[id]; !running || c.ended {
			return
		}
		delete(c.media, id)
		done(false)
	})
	c.media[id] = m
	return m
}

// recordResponse handles POST .../recordResponse.
func (e *Emulator) recordResponse(c *call, req *calls.RecordResponseRequest, probe promptProbe, who string) (reply, *apiError) {
	if c.state != calls.StateEstablished {
		return reply{}, badRequestError("Recording needs an established call.")
	}
	op := newOp[calls.RecordOperation](e, c, req.ClientContext)
	if fail := e.failArmed(c, op, "recordResponse"); fail != nil {
		return opReply(c, op, fail), nil
	}
	if probe.err != nil {
		return e.failedMedia(c, op, probe, who), nil
	}
	return opReply(c, op, func() { e.startRecording(c, op, *req, probe.total) }), nil
}

// startRecording runs the recording of a recordResponse, once the request is answered:
// it starts after the prompts (promptDur).
func (e *Emulator) startRecording(c *call, op *calls.RecordOperation, req calls.RecordResponseRequest, promptDur time.Duration) {
	who, speech := "", time.Duration(0)
	speaker := c.person
	if speaker == nil && len(c.parties) > 1 {
		speaker = c.parties[1].person
	}
	var message []byte
	if speaker != nil {
		who, speech = speaker.name, speaker.speech()
		if wav, d := speaker.takeMessage(); wav != nil {
			message, speech = wav, d
		}
	}
	plan := planRecording(req, speech, promptDur)
	start, recorded := plan.start, plan.recorded
	op.CompletionReason = plan.reason
	defer e.record(EventRecordStarted, c.id, who, fmt.Sprintf("the bot records (max %s)", plan.maxDur), map[string]string{"operationId": op.ID})
	finish := func(d time.Duration) {
		audio := WAV(d, true)
		if message != nil {
			audio = cutWAV(message, d)
		}
		op.RecordingLocation = e.baseURL + "/_emulator/recordings/" + op.ID
		op.RecordingAccessToken = e.recs.put(op.ID, audio)
		sub := int32(0)
		if op.CompletionReason == calls.RecordCompletionMaxRecordDurationReached {
			sub = 8515
		}
		e.record(EventRecordCompleted, c.id, who, fmt.Sprintf("recorded %s (%s)", d.Round(100*time.Millisecond), op.CompletionReason),
			map[string]string{"operationId": op.ID, "recordingLocation": op.RecordingLocation, "reason": string(op.CompletionReason)})
		e.complete(c, op, true, 200, sub, "Action completed successfully.")
	}
	m := &mediaOp{kind: "record", stopTones: stopTones(req.StopTones)}
	began := e.clock.Now()
	m.finishOnTone = func() {
		m.stop()
		delete(c.media, op.ID)
		op.CompletionReason = calls.RecordCompletionStopToneDetected
		d := e.clock.Now().Sub(began) - start
		finish(max(0, min(d, recorded)))
	}
	done := func(cancelled bool) {
		if speaker != nil && speaker.recording == m {
			speaker.recording = nil
		}
		if cancelled {
			op.CompletionReason = calls.RecordCompletionOperationCanceled
			e.record(EventRecordCompleted, c.id, who, "recording cancelled", map[string]string{"operationId": op.ID, "reason": "cancelled"})
			e.complete(c, op, false, 400, 8508, "Action failed, the operation was cancelled.")
			return
		}
		finish(recorded)
	}
	if speaker != nil && message == nil {
		// A message given while the bot records the person (Person.SetNextRecording, the
		// console's microphone) is what they say: from now, or from the beep when the
		// prompt still plays, and the recording ends as it would had they said it.
		speaker.recording = m
		m.speak = func(wav []byte, d time.Duration) bool {
			if c.ended || c.media[op.ID] != m {
				return false // it is over (stop tone, cancelled, the call ended)
			}
			elapsed := e.clock.Now().Sub(began)
			live := planRecording(req, d, 0)
			message, recorded, start = wav, live.recorded, max(elapsed, start)
			op.CompletionReason = live.reason
			m.stop()
			speaker.recording = nil
			e.startMedia(c, op, start+live.end-live.start-elapsed, m, done)
			e.record(EventRecordStarted, c.id, who, fmt.Sprintf("%s speaks a message of %s", speaker.DisplayName(), d.Round(100*time.Millisecond)),
				map[string]string{"operationId": op.ID, "message": d.String()})
			return true
		}
	}
	e.startMedia(c, op, plan.end, m, done)
}

// A recordPlan is how a recordResponse goes, from its start (when the bot's answer is
// written).
type recordPlan struct {
	maxDur   time.Duration                // maxRecordDurationInSeconds (5 s by default)
	start    time.Duration                // when recording starts: after the prompts and the beep
	recorded time.Duration                // how much of the speaker's speech is recorded
	end      time.Duration                // when the recording completes, unless a stop tone ends it
	reason   calls.RecordCompletionReason // unless a stop tone or a cancellation ends it
}

// planRecording plans a recordResponse whose prompts play for promptDur, of a speaker
// who speaks for speech (0 for silence): initial silence ends it after
// initialSilenceTimeoutInSeconds, speech longer than maxRecordDurationInSeconds is
// cut there, and other speech ends after maxSilenceTimeoutInSeconds of silence (each
// 5 s by default).
func planRecording(req calls.RecordResponseRequest, speech, promptDur time.Duration) recordPlan {
	secs := func(n int32, def int32) time.Duration {
		if n <= 0 {
			n = def
		}
		return time.Duration(n) * time.Second
	}
	p := recordPlan{maxDur: secs(req.MaxRecordDurationInSeconds, 5)}
	initialSilence := secs(req.InitialSilenceTimeoutInSeconds, 5)
	maxSilence := secs(req.MaxSilenceTimeoutInSeconds, 5)
	beep := time.Duration(0)
	if req.PlayBeep == nil || *req.PlayBeep {
		beep = 500 * time.Millisecond
	}
	p.start = promptDur + beep
	switch {
	case speech == 0:
		p.recorded = 0
		p.reason = calls.RecordCompletionInitialSilenceTimeout
	case speech >= p.maxDur:
		p.recorded = p.maxDur
		p.reason = calls.RecordCompletionMaxRecordDurationReached
	default:
		p.recorded = speech
		p.reason = calls.RecordCompletionMaxSilenceTimeout
	}
	p.end = p.start + p.recorded
	switch p.reason {
	case calls.RecordCompletionInitialSilenceTimeout:
		p.end = p.start + initialSilence
	case calls.RecordCompletionMaxSilenceTimeout:
		p.end += maxSilence
	}
	return p
}

// stopTones is the set of a recordResponse's stopTones: as the request writes them
// (lower-case), and as the keys of the tones they name.
func stopTones(tones []string) map[string]bool {
	stops := map[string]bool{}
	for _, t := range tones {
		stops[strings.ToLower(t)] = true
		if len(t) != 1 {
			continue
		}
		if tone, ok := media.ToneForKey(t[0]); ok {
			stops[string(tone.Key())] = true
		}
	}
	return stops
}

// changeScreenSharingRole handles POST .../changeScreenSharingRole: 202, and nothing
// changes.
func (e *Emulator) changeScreenSharingRole(*call, *calls.ChangeScreenSharingRoleRequest, string) (reply, *apiError) {
	return reply{status: http.StatusAccepted}, nil
}

// updateRecordingStatus handles POST .../updateRecordingStatus.
func (e *Emulator) updateRecordingStatus(c *call, req *calls.UpdateRecordingStatusRequest, who string) (reply, *apiError) {
	if !c.compliance && !e.cfg.LenientRecordingStatus {
		// Graph answers 8506 "API call not allowed for non-Compliance Recording call"
		// (reported in graph-comms-samples#444 and OfficeDocs-SkypeForBusiness#8528; not
		// in Graph's docs, whose call-updaterecordingstatus page says only that the API
		// "requires the use of the Teams policy-based recording solution"). The HTTP
		// status, 403, is the emulator's choice.
		return reply{}, &apiError{status: http.StatusForbidden, code: "8506", message: "API call not allowed for non-Compliance Recording call"}
	}
	op := newOp[calls.UpdateRecordingStatusOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "updateRecordingStatus", func() {
		e.record(EventRecordingStatus, c.id, who, "recording status: "+string(req.Status), map[string]string{"status": string(req.Status)})
		e.succeed(c, op)
	})), nil
}

// sendDtmfTones handles POST .../sendDtmfTones: the operation completes once the tones
// are sent, DelayBetweenTonesMs (500 ms by default) apart.
func (e *Emulator) sendDtmfTones(c *call, req *calls.SendDtmfTonesRequest, who string) (reply, *apiError) {
	op := newOp[calls.SendDtmfTonesOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "sendDtmfTones", func() {
		delay := time.Duration(req.DelayBetweenTonesMs) * time.Millisecond
		if delay <= 0 {
			delay = 500 * time.Millisecond
		}
		var keys []byte
		for _, t := range req.Tones {
			keys = append(keys, t.Key())
		}
		e.clock.AfterFunc(delay*time.Duration(len(req.Tones)), func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			op.CompletionReason = calls.SendDtmfCompletionCompletedSuccessfully
			e.succeed(c, op)
		})
		e.record(EventTonesSent, c.id, who, "the bot sends tones "+string(keys), map[string]string{"keys": string(keys)})
	})), nil
}

// updateMetadata handles POST .../updateMetadata (beta, since removed from Graph's
// docs; the .NET SDK's ICall.UpdateMetadataAsync): 200 with a commsOperation, which
// completes; the bot's participant carries the metadata (participant.metadata) in
// the roster notification that follows.
func (e *Emulator) updateMetadata(c *call, req *calls.UpdateMetadataRequest, who string) (reply, *apiError) {
	op := newOp[calls.CommsOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "updateMetadata", func() {
		c.bot.metadata = req.Metadata
		e.record(EventMetadataUpdated, c.id, who, "the bot sets its participant metadata", map[string]string{"metadata": req.Metadata})
		e.succeed(c, op)
		e.notifyRoster(c)
	})), nil
}

// keepAlive handles POST .../keepAlive: 200 with no body; on an established call, the
// keepAlive deadline (Config.KeepAliveTimeout) starts again.
func (e *Emulator) keepAlive(c *call, who string) (reply, *apiError) {
	return reply{status: http.StatusOK, after: func() {
		e.record(EventKeepAlive, c.id, who, "keepAlive", nil)
		if c.state == calls.StateEstablished {
			e.armKeepAlive(c)
		}
	}}, nil
}

// partyNames names a participant for event records: their display name and name, or
// "the bot" (and no name) for the bot's own participant.
func partyNames(pt *party) (name, who string) {
	if pt.person != nil {
		return pt.person.DisplayName(), pt.person.name
	}
	return "the bot", ""
}

// muteParticipant handles POST .../participants/{pid}/mute.
func (e *Emulator) muteParticipant(c *call, pt *party, req *calls.ClientContextRequest) (reply, *apiError) {
	name, who := partyNames(pt)
	op := newOp[calls.MuteParticipantOperation](e, c, req.ClientContext)
	return opReply(c, op, e.orFault(c, op, "mute", func() {
		pt.muted = true
		e.record(EventMuted, c.id, who, "the bot mutes "+name, nil)
		e.succeed(c, op)
		e.notifyRoster(c)
	})), nil
}

// startHoldMusic handles POST .../participants/{pid}/startHoldMusic.
func (e *Emulator) startHoldMusic(c *call, pt *party, req *calls.StartHoldMusicRequest) (reply, *apiError) {
	return e.holdMusic(c, pt, newOp[calls.StartHoldMusicOperation](e, c, req.ClientContext), "startHoldMusic", true), nil
}

// stopHoldMusic handles POST .../participants/{pid}/stopHoldMusic.
func (e *Emulator) stopHoldMusic(c *call, pt *party, req *calls.ClientContextRequest) (reply, *apiError) {
	return e.holdMusic(c, pt, newOp[calls.StopHoldMusicOperation](e, c, req.ClientContext), "stopHoldMusic", false), nil
}

// holdMusic puts a participant on hold or takes them off it with op, which action
// started: 202 with the operation and its Location (participant-startholdmusic/02
// and participant-stopholdmusic/02).
func (e *Emulator) holdMusic(c *call, pt *party, op calls.Operation, action string, onHold bool) reply {
	name, who := partyNames(pt)
	return opReplyStatus(c, op, http.StatusAccepted, e.orFault(c, op, action, func() {
		pt.onHold = onHold
		e.record(EventHoldMusic, c.id, who, fmt.Sprintf("%s on hold: %v", name, pt.onHold), nil)
		e.succeed(c, op)
	}))
}

// inviteParticipants is the transition of POST .../participants/invite (invite): the
// first invitee is invited once the request is answered (inviteOne).
func (e *Emulator) inviteParticipants(c *call, req *calls.InviteParticipantsRequest) (reply, *apiError) {
	for _, inv := range req.Participants {
		if needsAppInstance(c, inv) {
			return reply{}, noAppInstance("Inviting a phone number")
		}
	}
	op := newOp[calls.InviteParticipantsOperation](e, c, req.ClientContext)
	op.Participants = req.Participants
	// 200 with the operation and no Location (v1.0/participant-invite/02-response.http).
	return reply{status: http.StatusOK, body: op, after: e.orFault(c, op, "invite", func() { e.inviteOne(c, op, req.Participants[0]) })}, nil
}

// inviteOne invites inv into c, once the invite request is answered, and completes op
// with the invitation's outcome.
func (e *Emulator) inviteOne(c *call, op *calls.InviteParticipantsOperation, inv participants.Invitation) {
	p := e.personFor(inv.Identity)
	if p == nil {
		// Undocumented: see CodeTargetNotFound.
		e.record(EventTargetNotFound, c.id, "", "the bot invites "+targetName(inv.Identity)+": "+targetNotFound(inv.Identity),
			map[string]string{"id": identityID(inv.Identity), "operationId": op.ID})
		e.complete(c, op, false, CodeTargetNotFound, SubcodeTargetNotFound, targetNotFoundMessage(inv.Identity))
		return
	}
	e.record(EventInvited, c.id, p.name, "the bot invites "+p.DisplayName(), map[string]string{"replacesCallId": inv.ReplacesCallID})
	joined := func() {
		if !c.group && c.meeting == nil {
			// The bot invited a third party into a peer-to-peer call: it is a group
			// call now (calls overview: "three or more participants"), and the bot,
			// having invited, stays in it with roster notifications (participant-invite:
			// "all participants will receive a roster update").
			c.group = true
			e.record(EventEscalated, c.id, "", "the call is now a group call: the bot invited "+p.DisplayName(), nil)
		}
		if c.meeting != nil {
			c.meeting.addInvited(p, c)
		}
		e.succeed(c, op)
		e.notifyRoster(c)
	}
	if inv.ReplacesCallID != "" {
		// Moving a peer-to-peer call: the person is already on the line.
		if other, err := e.liveCall(inv.ReplacesCallID); err == nil {
			e.terminate(other, 200, 7015, "The call was moved into another call.", p.DisplayName()+" moved into another call")
		}
		e.record(EventJoined, c.id, p.name, p.DisplayName()+" joins", nil)
		c.addParty(p)
		joined()
		return
	}
	// How an invitation the invitee declines or does not answer fails is not
	// documented: the operation fails with the codes of an outgoing call's same fate,
	// 603/0 when declined and the call-delete table's 408/10057 when unanswered.
	e.ring(c, p, true, true, func(o ringOutcome) {
		switch o {
		case ringDeclined:
			e.complete(c, op, false, declineCode, 0, inviteDeclinedMsg)
		case ringUnanswered:
			e.complete(c, op, false, noAnswerCode, noAnswerSubcode, noAnswerMsg)
		default:
			joined()
		}
	})
}

// muteParticipants is the transition of POST .../participants/muteAll (muteAll).
func (e *Emulator) muteParticipants(c *call, req *calls.MuteAllRequest) reply {
	op := newOp[calls.MuteParticipantsOperation](e, c, req.ClientContext)
	op.Participants = req.Participants
	return opReply(c, op, e.orFault(c, op, "muteAll", func() {
		for _, pt := range c.parties {
			if pt.person == nil || len(req.Participants) > 0 && !slices.Contains(req.Participants, pt.id) {
				continue
			}
			pt.muted = true
			e.record(EventMuted, c.id, pt.person.name, "the bot mutes "+pt.person.DisplayName(), map[string]string{"operation": "muteAll"})
		}
		e.succeed(c, op)
		e.notifyRoster(c)
	}))
}
