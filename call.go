package graphcomms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/callstate"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
	"go.opentelemetry.io/otel/metric"
)

// Call is a tracked call: the live counterpart of the calls.Call resource. Its events
// (OnUpdated, OnTone, OnRosterChanged, OnTerminated) are delivered in order on the
// call's own queue, one at a time; a slow callback delays only this call. It is safe
// for concurrent use.
//
// The rules every action follows:
//
//   - an action on a call that has ended sends no request and returns an error
//     wrapping ErrCallEnded; a request cut off because the call ended returns one
//     too;
//   - when Graph answers an action with 404 (the call no longer exists there), the
//     call ends locally: OnTerminated runs once with EndInfo.Err set to that error,
//     and the action returns it;
//   - Context is cancelled when the call ends, with a cause wrapping ErrCallEnded,
//     so that work tied to the call stops with it.
//
// Values the call hands out (Resource, Participants, the arguments of callbacks) share
// memory with the client's state: treat their slices, maps and pointers as read-only.
type Call struct {
	client *Client
	id     string
	tenant string // the tenant requests are authenticated for
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	doneOnce sync.Once

	qmu           sync.Mutex
	items         []item // items[head:] are waiting
	head          int
	running       bool
	reading       bool   // a read of the log is queued or running
	again         bool   // a read was asked for while one was running
	tail          string // position of the last log entry queued
	persistQueued bool

	// Used only on the call's queue.
	fx        []callstate.Effect
	untrimmed int

	mu        sync.Mutex
	st        *callstate.State
	owner     string // the tenant whose callbacks may change the call
	version   int64
	changed   chan struct{} // closed and replaced on every state and roster change
	ended     bool
	end       EndInfo
	gone      bool // the state was deleted (or the call moved): store no more
	torn      bool // lose has run
	keepAlive func()
	deadline  func()
	waiters   map[string]*opState
	handoff   *Handoff // the transfer or redirect in progress

	scenario string // the call's scenario ID, sent as scenario-id (immutable)

	hmu   sync.Mutex
	hist  []HistoryEntry // a ring of at most MaxHistory entries
	hnext int            // where the next entry goes once hist is full

	onUpdated    handlers[func(old, new calls.Call)]
	onTone       handlers[func(media.ToneInfo)]
	onTerminated handlers[func(EndInfo)]
	onRoster     handlers[func(RosterEvent)]
}

func (c *Client) newCall(st *callstate.State, owner string) *Call {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Call{client: c, id: st.ID, tenant: st.Tenant, owner: owner, st: st, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), changed: make(chan struct{}), waiters: map[string]*opState{}, scenario: st.ScenarioID}
}

// ID returns the call's ID.
func (c *Call) ID() string { return c.id }

// TenantID returns the tenant the call's requests are authenticated for.
func (c *Call) TenantID() string { return c.tenant }

// Context returns a context cancelled when the call ends (or moves to another
// replica), with a cause (context.Cause) wrapping ErrCallEnded.
func (c *Call) Context() context.Context { return c.ctx }

// Resource returns the call resource as last known (see Call on sharing).
func (c *Call) Resource() calls.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.st.Call
}

// State returns the call's state.
func (c *Call) State() calls.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Call.State
}

// Done returns a channel closed when the call has ended and is forgotten.
func (c *Call) Done() <-chan struct{} { return c.done }

// End returns why the call ended; ok is false while it has not.
func (c *Call) End() (EndInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end, c.ended
}

func (c *Call) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// endedErr returns an error wrapping ErrCallEnded once the call has ended.
func (c *Call) endedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		return nil
	}
	return endError(c.end)
}

// OnUpdated adds a handler called with the previous and new resource after each
// change of the call. It returns a function that removes the handler.
func (c *Call) OnUpdated(f func(old, new calls.Call)) (remove func()) { return c.onUpdated.add(f) }

// OnTone adds a handler called for each DTMF key pressed (after SubscribeToTone). A
// tone whose sequence ID was already delivered is not delivered again. It returns a
// function that removes the handler.
func (c *Call) OnTone(f func(media.ToneInfo)) (remove func()) { return c.onTone.add(f) }

// OnTerminated adds a handler called once, last, when the call ends. It returns a
// function that removes the handler.
func (c *Call) OnTerminated(f func(EndInfo)) (remove func()) { return c.onTerminated.add(f) }

// OnRosterChanged adds a handler called with the participants added, updated and
// removed by each roster change. It returns a function that removes the handler.
func (c *Call) OnRosterChanged(f func(RosterEvent)) (remove func()) { return c.onRoster.add(f) }

// SetData stores the bot's own data about the call with the call's state (JSON, at
// most store.MaxDataBytes once encoded), so that a replica taking the call over
// finds it (Data) before OnResume runs.
func SetData[T any](c *Call, v T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("graphcomms: encoding the data of call %s: %w", c.id, err)
	}
	if len(b) > store.MaxDataBytes {
		return fmt.Errorf("graphcomms: the data of call %s is %d bytes, over store.MaxDataBytes (%d)", c.id, len(b), store.MaxDataBytes)
	}
	if err := c.endedErr(); err != nil {
		return err
	}
	c.mu.Lock()
	c.st.SetData(b)
	c.mu.Unlock()
	c.persistLater()
	return nil
}

// Data decodes the bot's data about the call (see SetData); ok is false when none
// was set.
func Data[T any](c *Call) (v T, ok bool, err error) {
	c.mu.Lock()
	b := c.st.Data
	c.mu.Unlock()
	if len(b) == 0 {
		return v, false, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, true, fmt.Errorf("graphcomms: decoding the data of call %s: %w", c.id, err)
	}
	return v, true, nil
}

// Forget drops the call here without a request to Graph (use it when Graph no longer
// knows the call, or the bot no longer wants to track it): OnTerminated runs once with
// EndInfo.Err ErrForgotten, and the call's state and log are deleted.
func (c *Call) Forget() { c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: ErrForgotten}) }

// WaitForState waits until the call reaches state (or a later one in the call's
// lifecycle, so waiting for established returns at once on a call already
// transferring). It returns an error wrapping ErrCallEnded when the call ends first,
// or ctx's error.
func (c *Call) WaitForState(ctx context.Context, state calls.State) error {
	for {
		c.mu.Lock()
		cur, ch, ended, end := c.st.Call.State, c.changed, c.ended, c.end
		c.mu.Unlock()
		if cur == state || callstate.Rank(cur) > callstate.Rank(state) && state != calls.StateTerminated && cur != calls.StateTerminated && !ended {
			return nil
		}
		if ended {
			if state == calls.StateTerminated {
				return nil
			}
			return fmt.Errorf("%w before %s: %s", ErrCallEnded, state, end.describe())
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// builder returns the builder for the call.
func (c *Call) builder() *calls.CallRequestBuilder { return c.client.api.Calls().ByID(c.id) }

func (c *Call) opts(extra []calls.RequestOption) []calls.RequestOption {
	if c.scenario != "" {
		extra = append([]calls.RequestOption{calls.WithHeader("scenario-id", c.scenario)}, extra...)
	}
	return tenantOpts(c.tenant, extra)
}

// ScenarioID returns the call's scenario ID, sent as the scenario-id header with every
// request of the call (as the .NET SDK's ICall.ScenarioId): the one given to Create
// or JoinMeeting with WithScenarioID, a fresh one otherwise, or for an incoming call
// the scenario-id of the callback that brought it (empty when Graph sent none).
// Quote it, with the client-request-ids of Call.History, to Microsoft support.
func (c *Call) ScenarioID() string { return c.scenario }

// do runs a request of the call: not at all when the call has ended, and cut off
// when it ends meanwhile (both give an error wrapping ErrCallEnded); a 404 ends the
// call locally.
func (c *Call) do(ctx context.Context, f func(ctx context.Context) error) error {
	if err := c.endedErr(); err != nil {
		return err
	}
	rctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
	err := f(rctx)
	stop()
	cancel(nil)
	if err != nil && ctx.Err() == nil && c.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("graphcomms: request cut off: %w", context.Cause(c.ctx))
	}
	return c.check(err)
}

// check ends the call locally when Graph says it no longer exists.
func (c *Call) check(err error) error {
	if calls.IsNotFound(err) {
		c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: err})
	}
	return err
}

// answered records that an incoming call was answered, rejected or redirected.
func (c *Call) answered() {
	c.mu.Lock()
	c.st.Answered()
	if c.deadline != nil {
		c.deadline()
		c.deadline = nil
	}
	c.mu.Unlock()
	c.persistLater()
}

// Answer answers an incoming call with service-hosted media (prefetching prompts) on
// the client's callback URL. If Graph refuses, the call is dropped locally (with an
// OnTerminated event), so no zombie call is left behind.
func (c *Call) Answer(ctx context.Context, prefetchPrompts ...string) error {
	return c.AnswerWith(ctx, calls.NewAnswerRequest(c.client.cfg.CallbackURL, prefetchPrompts...))
}

// AnswerWith answers with a request of your own (app-hosted media, call options,
// participantCapacity for a compliance-recording bot). The request, retries
// included, is bounded by Graph's answer budget for the call (calls.AnswerBudget, or
// calls.ComplianceAnswerBudget for a compliance-recording invitation), counted from
// its incoming notification; once that has passed the call is dropped with
// ErrNotAnswered and nothing is sent.
func (c *Call) AnswerWith(ctx context.Context, req *calls.AnswerRequest, opts ...calls.RequestOption) error {
	if req.CallbackURI == "" {
		req.CallbackURI = c.client.cfg.CallbackURL
	}
	// Graph fails a call not answered within its budget (15 s, 5 s for a
	// compliance-recording invitation) of the incoming notification: the answer,
	// retries included, stops there rather than running on past it.
	c.mu.Lock()
	incomingAt, budget := c.st.IncomingAt, c.st.Call.AnswerBudget()
	c.mu.Unlock()
	if !incomingAt.IsZero() {
		left := incomingAt.Add(budget).Sub(c.client.clock.Now())
		if left <= 0 {
			err := fmt.Errorf("%w: Graph's %s answer budget has passed", ErrNotAnswered, budget)
			c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: err})
			return err
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, left)
		defer cancel()
		compliance := budget == calls.ComplianceAnswerBudget
		c.client.tel.answer.Record(ctx, c.client.since(incomingAt), metric.WithAttributes(attrCompliance.Bool(compliance)))
	}
	ctx, span := c.startSpan(ctx, "graphcomms.answer")
	defer span.End()
	err := c.do(ctx, func(ctx context.Context) error { return c.builder().Answer().Post(ctx, req, c.opts(opts)...) })
	if err != nil {
		if !errors.Is(err, ErrCallEnded) {
			c.endLocally(EndInfo{Reason: calls.EndReasonUnknown, Err: fmt.Errorf("answer failed: %w", err)})
		}
		return err
	}
	c.answered()
	return nil
}

// Reject rejects an incoming call. Graph ends it with no resultInfo
// (call-reject); OnTerminated then reports calls.EndReasonRejected.
func (c *Call) Reject(ctx context.Context, reason calls.RejectReason, opts ...calls.RequestOption) error {
	if err := c.endedErr(); err != nil {
		return err
	}
	h := c.startHandoff(callstate.HandoffReject)
	err := c.check(c.builder().Reject().Post(ctx, &calls.RejectRequest{Reason: reason}, c.opts(opts)...))
	if err != nil {
		c.dropHandoff(h, err)
		return err
	}
	c.answered()
	return nil
}

// Redirect redirects an incoming call to targets (they ring at once; at most
// calls.MaxRedirectTargets). The returned Handoff's Wait reports when Graph has
// ended the call for the bot (calls.EndReasonRedirected).
func (c *Call) Redirect(ctx context.Context, targets []participants.Invitation, opts ...calls.RequestOption) (*Handoff, error) {
	return c.RedirectWith(ctx, &calls.RedirectRequest{Targets: targets}, opts...)
}

// RedirectWith is Redirect with the whole request body (timeout, callbackUri, the
// beta members).
func (c *Call) RedirectWith(ctx context.Context, req *calls.RedirectRequest, opts ...calls.RequestOption) (*Handoff, error) {
	return c.handOff(ctx, callstate.HandoffRedirect, func(ctx context.Context) error {
		return c.builder().Redirect().Post(ctx, req, c.opts(opts)...)
	})
}

// Transfer transfers the call to target: blind, or consultative when
// target.ReplacesCallID names the bot's call with the target. A phone number is
// reached through the bot's application instance (see
// participants.ApplicationInstance). The returned Handoff's Wait reports the outcome:
// nil when the transfer completed (the call has ended with
// calls.EndReasonTransferred), a *HandoffError when Graph reports it failed (the call
// stays up).
func (c *Call) Transfer(ctx context.Context, target participants.Invitation, opts ...calls.RequestOption) (*Handoff, error) {
	return c.TransferWith(ctx, &calls.TransferRequest{TransferTarget: target}, opts...)
}

// TransferWith is Transfer with the whole request body (the transferee, required
// when transferring out of a group call, and the client context).
func (c *Call) TransferWith(ctx context.Context, req *calls.TransferRequest, opts ...calls.RequestOption) (*Handoff, error) {
	return c.handOff(ctx, callstate.HandoffTransfer, func(ctx context.Context) error {
		return c.builder().Transfer().Post(ctx, req, c.opts(opts)...)
	})
}

// handOff sends a transfer or redirect. The request is not cut off by the end it
// causes (Graph may end the call before its 202 arrives).
func (c *Call) handOff(ctx context.Context, kind callstate.Handoff, send func(ctx context.Context) error) (*Handoff, error) {
	if err := c.endedErr(); err != nil {
		return nil, err
	}
	h := c.startHandoff(kind)
	if err := c.check(send(ctx)); err != nil {
		c.dropHandoff(h, err)
		return nil, err
	}
	if kind == callstate.HandoffRedirect {
		c.answered()
	}
	return h, nil
}

// HangUp leaves the call; the terminated notification then ends it. The request is
// not cut off by the end it causes.
func (c *Call) HangUp(ctx context.Context, opts ...calls.RequestOption) error {
	if err := c.endedErr(); err != nil {
		return err
	}
	return c.check(c.builder().Delete(ctx, c.opts(opts)...))
}

// KeepAlive tells Graph the call is still wanted. The client does this by itself for
// established calls (Config.KeepAliveInterval).
func (c *Call) KeepAlive(ctx context.Context, opts ...calls.RequestOption) error {
	return c.do(ctx, func(ctx context.Context) error { return c.builder().KeepAlive().Post(ctx, nil, c.opts(opts)...) })
}

// ChangeScreenSharingRole changes the bot's screen-sharing role.
func (c *Call) ChangeScreenSharingRole(ctx context.Context, role calls.ScreenSharingRole, opts ...calls.RequestOption) error {
	return c.do(ctx, func(ctx context.Context) error {
		return c.builder().ChangeScreenSharingRole().Post(ctx, &calls.ChangeScreenSharingRoleRequest{Role: role}, c.opts(opts)...)
	})
}

// Mute mutes the bot.
func (c *Call) Mute(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.MuteParticipantOperation], error) {
	return startOp(ctx, c, c.builder().Mute(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// Unmute unmutes the bot.
func (c *Call) Unmute(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.UnmuteParticipantOperation], error) {
	return startOp(ctx, c, c.builder().Unmute(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// PlayPrompt plays prompts; Wait on the operation returns when they have played.
func (c *Call) PlayPrompt(ctx context.Context, prompts []media.Prompt, opts ...calls.RequestOption) (*Operation[*calls.PlayPromptOperation], error) {
	return startOp(ctx, c, c.builder().PlayPrompt(), &calls.PlayPromptRequest{Prompts: prompts}, func(r *calls.PlayPromptRequest) *string { return &r.ClientContext }, opts)
}

// RecordResponse records the caller; the completed operation carries the recording's
// location and access token.
func (c *Call) RecordResponse(ctx context.Context, req calls.RecordResponseRequest, opts ...calls.RequestOption) (*Operation[*calls.RecordOperation], error) {
	return startOp(ctx, c, c.builder().RecordResponse(), &req, func(r *calls.RecordResponseRequest) *string { return &r.ClientContext }, opts)
}

// SubscribeToTone asks for DTMF tones, which then arrive through OnTone.
func (c *Call) SubscribeToTone(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.SubscribeToToneOperation], error) {
	return startOp(ctx, c, c.builder().SubscribeToTone(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// CancelMediaProcessing cancels running prompts and recordings (their operations fail).
func (c *Call) CancelMediaProcessing(ctx context.Context, opts ...calls.RequestOption) (*Operation[*calls.CancelMediaProcessingOperation], error) {
	return startOp(ctx, c, c.builder().CancelMediaProcessing(), &calls.ClientContextRequest{}, func(r *calls.ClientContextRequest) *string { return &r.ClientContext }, opts)
}

// UpdateRecordingStatus tells Graph whether the bot records (compliance recording).
func (c *Call) UpdateRecordingStatus(ctx context.Context, status media.RecordingStatus, opts ...calls.RequestOption) (*Operation[*calls.UpdateRecordingStatusOperation], error) {
	return startOp(ctx, c, c.builder().UpdateRecordingStatus(), &calls.UpdateRecordingStatusRequest{Status: status}, func(r *calls.UpdateRecordingStatusRequest) *string { return &r.ClientContext }, opts)
}

// SendDtmfTones sends DTMF tones into the call.
func (c *Call) SendDtmfTones(ctx context.Context, tones []media.Tone, opts ...calls.RequestOption) (*Operation[*calls.SendDtmfTonesOperation], error) {
	return startOp(ctx, c, c.builder().SendDtmfTones(), &calls.SendDtmfTonesRequest{Tones: tones}, func(r *calls.SendDtmfTonesRequest) *string { return &r.ClientContext }, opts)
}

// MuteAll is Beta (participants/muteAll, on Graph's beta endpoint only): it mutes
// the participants with the given IDs.
func (c *Call) MuteAll(ctx context.Context, participantIDs []string, opts ...calls.RequestOption) (*Operation[*calls.MuteParticipantsOperation], error) {
	return startOp(ctx, c, c.builder().Participants().MuteAll(), &calls.MuteAllRequest{Participants: participantIDs},
		func(r *calls.MuteAllRequest) *string { return &r.ClientContext }, opts)
}

// UpdateMetadata is Beta, and since removed from Graph's docs (updateMetadata): it
// sets the bot's own participant metadata, which the roster then shows.
func (c *Call) UpdateMetadata(ctx context.Context, metadata string, opts ...calls.RequestOption) (*Operation[*calls.CommsOperation], error) {
	return startOp(ctx, c, c.builder().UpdateMetadata(), &calls.UpdateMetadataRequest{Metadata: metadata},
		func(r *calls.UpdateMetadataRequest) *string { return &r.ClientContext }, opts)
}
