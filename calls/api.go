package calls

import (
	"context"
	"net/http"
	"reflect"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/transport"
	"github.com/graphcomms/graphcomms/participants"
)

// Graph base URLs (the same as graph.V1BaseURL and graph.BetaBaseURL).
const (
	// V1BaseURL is Graph's v1.0 endpoint, the default.
	V1BaseURL = graph.V1BaseURL
	// BetaBaseURL is Graph's beta endpoint, needed for the Beta actions.
	BetaBaseURL = graph.BetaBaseURL
)

// API is the root of the request builders for /communications/calls. Create it with
// NewAPI; it is safe for concurrent use, and so is every builder it returns.
//
//	api := calls.NewAPI(adapter)
//	op, err := api.Calls().ByID(callID).PlayPrompt().Post(ctx, &calls.PlayPromptRequest{...})
//
// Every ID given to a ByID method is checked with graph.ValidateID: an invalid one
// fails the request with a *graph.IDError before anything is sent.
type API struct {
	c *transport.Client
}

// APIOption configures an API; it is graph.APIOption, so the same options configure
// meetings.NewAPI.
type APIOption = graph.APIOption

// WithBaseURL sends requests to base (for example BetaBaseURL, or an emulator's
// http://127.0.0.1:9440/v1.0) instead of the adapter's base URL. Without it the API uses
// the adapter's base URL, or V1BaseURL when the adapter has none. It is
// graph.WithBaseURL.
func WithBaseURL(base string) APIOption { return graph.WithBaseURL(base) }

// WithBeta sends requests to Graph's beta endpoint. It is graph.WithBeta.
func WithBeta() APIOption { return graph.WithBeta() }

// NewAPI returns the request builders over a Kiota request adapter: the one from
// auth.NewRequestAdapter, or any other (msgraph-sdk-go's included).
func NewAPI(adapter abs.RequestAdapter, opts ...APIOption) *API {
	s := graph.CollectAPIOptions(opts...)
	return &API{c: &transport.Client{Adapter: adapter, BaseURL: s.BaseURL, Logger: s.Logger}}
}

// BaseURL returns the base URL requests go to.
func (a *API) BaseURL() string { return a.c.Base() }

func init() {
	transport.Of = func(api any) *transport.Client {
		if a, ok := api.(*API); ok && a != nil {
			return a.c
		}
		return nil
	}
}

// Adapter returns the Kiota request adapter the API sends through.
func (a *API) Adapter() abs.RequestAdapter { return a.c.Adapter }

// RequestOption changes one request: see WithHeader, WithClientRequestID, WithTenant
// and WithReplay. It is graph.RequestOption, so the same options go to the builders
// of package meetings.
type RequestOption = graph.RequestOption

// WithHeader adds a header to the request. It is graph.WithHeader.
func WithHeader(name, value string) RequestOption { return graph.WithHeader(name, value) }

// WithClientRequestID sends id as the request's client-request-id (by default every
// request gets a fresh one), so it can be correlated with the caller's own logs. It is
// graph.WithClientRequestID.
func WithClientRequestID(id string) RequestOption { return graph.WithClientRequestID(id) }

// WithTenant authenticates the request with a token for the given tenant: a
// multi-tenant bot acting on a call in a customer's tenant. It is graph.WithTenant.
func WithTenant(tenantID string) RequestOption { return graph.WithTenant(tenantID) }

// WithReplay lets the retry policy replay a request that creates something (a call, an
// online meeting, an audio routing group) after an ambiguous failure: a 504, a timeout
// or a reset connection, when Graph may or may not have acted. Without it such a request
// is retried only when Graph said it did not act (429, 503). It is graph.WithReplay.
func WithReplay() RequestOption { return graph.WithReplay() }

// requester is the plumbing every builder shares.
type requester = transport.Target

// Action is a POST action whose success has no body (answer, reject, redirect,
// transfer, keepAlive, changeScreenSharingRole, ...). A body that breaks one of
// Graph's documented rules (see the request type's Validate) fails with a
// *RequestError before anything is sent.
type Action[Req any] struct{ r requester }

// Post sends the action. A nil body sends no body.
func (a *Action[Req]) Post(ctx context.Context, body *Req, opts ...RequestOption) error {
	if err := validate(a.r, body); err != nil {
		return err
	}
	_, err := a.r.Do(ctx, http.MethodPost, body, false, nil, opts)
	return err
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (a *Action[Req]) ToPostRequestInformation(ctx context.Context, body *Req, opts ...RequestOption) (*abs.RequestInformation, error) {
	if err := validate(a.r, body); err != nil {
		return nil, err
	}
	return a.r.Info(http.MethodPost, body, false, opts)
}

// OperationAction is a POST action that starts an operation and returns it (mute,
// playPrompt, recordResponse, invite, ...). Bodies are validated as for Action. Op is the operation's pointer type, for
// example *PlayPromptOperation. The operation's completion arrives later as a
// notification; it can also be polled with Operations().ByID(id).Get.
type OperationAction[Req any, Op Operation] struct{ r requester }

// Post sends the action and returns the operation Graph started. When Graph answers
// without a body (202 Accepted), the operation's ID is taken from the Location header.
func (a *OperationAction[Req, Op]) Post(ctx context.Context, body *Req, opts ...RequestOption) (Op, error) {
	if err := validate(a.r, body); err != nil {
		var zero Op
		return zero, err
	}
	op := newOp[Op]()
	resp, err := a.r.Do(ctx, http.MethodPost, body, false, op, opts)
	if err != nil {
		var zero Op
		return zero, err
	}
	if b := op.Base(); b.ID == "" && resp != nil {
		b.ID = operationIDFromLocation(resp.Header.Get("Location"))
	}
	return op, nil
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (a *OperationAction[Req, Op]) ToPostRequestInformation(ctx context.Context, body *Req, opts ...RequestOption) (*abs.RequestInformation, error) {
	if err := validate(a.r, body); err != nil {
		return nil, err
	}
	return a.r.Info(http.MethodPost, body, false, opts)
}

func newOp[Op Operation]() Op {
	var zero Op
	t := reflect.TypeOf(zero)
	return reflect.New(t.Elem()).Interface().(Op)
}

func operationIDFromLocation(loc string) string {
	if i := strings.LastIndex(loc, "/operations/"); i >= 0 {
		id := loc[i+len("/operations/"):]
		if j := strings.IndexAny(id, "/?"); j >= 0 {
			id = id[:j]
		}
		return id
	}
	return ""
}

// CallsRequestBuilder builds requests on /communications/calls.
type CallsRequestBuilder struct{ r requester }

// Calls returns the builder for /communications/calls.
func (a *API) Calls() *CallsRequestBuilder {
	return &CallsRequestBuilder{r: transport.At(a.c, "/communications/calls")}
}

// Post creates a call: peer-to-peer, group, PSTN, or joining a meeting (Graph returns
// 201 with the call in state establishing). It is not replayed after an ambiguous
// failure unless WithReplay is given: a replay could place the call twice.
func (b *CallsRequestBuilder) Post(ctx context.Context, body *Call, opts ...RequestOption) (*Call, error) {
	if err := validateCreate(b.r, body); err != nil {
		return nil, err
	}
	var out Call
	if _, err := b.r.Do(ctx, http.MethodPost, body, true, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (b *CallsRequestBuilder) ToPostRequestInformation(ctx context.Context, body *Call, opts ...RequestOption) (*abs.RequestInformation, error) {
	if err := validateCreate(b.r, body); err != nil {
		return nil, err
	}
	return b.r.Info(http.MethodPost, body, true, opts)
}

// Get lists the application's active calls.
func (b *CallsRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*Collection[Call], error) {
	return get[Collection[Call]](ctx, b.r, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *CallsRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// ByID returns the builder for one call.
func (b *CallsRequestBuilder) ByID(callID string) *CallRequestBuilder {
	return &CallRequestBuilder{r: b.r.Child(callID)}
}

// LogTeleconferenceDeviceQuality returns the action that reports a teleconference
// device's media quality (Cloud Video Interop partners). Graph requires a User-Agent
// header, which graphcomms always sends.
func (b *CallsRequestBuilder) LogTeleconferenceDeviceQuality() *Action[LogTeleconferenceDeviceQualityRequest] {
	return &Action[LogTeleconferenceDeviceQualityRequest]{r: b.r.Child("logTeleconferenceDeviceQuality")}
}

func get[T any](ctx context.Context, r requester, opts []RequestOption) (*T, error) {
	var out T
	if _, err := r.Do(ctx, http.MethodGet, nil, false, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// CallRequestBuilder builds requests on /communications/calls/{id}.
type CallRequestBuilder struct{ r requester }

// Get returns the call.
func (b *CallRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*Call, error) {
	return get[Call](ctx, b.r, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *CallRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// Delete hangs up: the bot leaves the call (in a group call, only the bot's leg ends).
func (b *CallRequestBuilder) Delete(ctx context.Context, opts ...RequestOption) error {
	_, err := b.r.Do(ctx, http.MethodDelete, nil, false, nil, opts)
	return err
}

// ToDeleteRequestInformation returns the request Delete would send, without sending it.
func (b *CallRequestBuilder) ToDeleteRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodDelete, nil, false, opts)
}

// Answer answers an incoming call; it must come within 15 s of the incoming-call
// notification.
func (b *CallRequestBuilder) Answer() *Action[AnswerRequest] {
	return &Action[AnswerRequest]{r: b.r.Child("answer")}
}

// Reject rejects an incoming call.
func (b *CallRequestBuilder) Reject() *Action[RejectRequest] {
	return &Action[RejectRequest]{r: b.r.Child("reject")}
}

// Redirect redirects an incoming call to other targets (several ring at once).
func (b *CallRequestBuilder) Redirect() *Action[RedirectRequest] {
	return &Action[RedirectRequest]{r: b.r.Child("redirect")}
}

// Transfer transfers an established call (blind, or consultative with ReplacesCallID).
func (b *CallRequestBuilder) Transfer() *Action[TransferRequest] {
	return &Action[TransferRequest]{r: b.r.Child("transfer")}
}

// KeepAlive keeps the call alive; Graph ends a call with no keepAlive for 45 minutes.
// Post it with a nil body. A 404 means the call has ended.
func (b *CallRequestBuilder) KeepAlive() *Action[ClientContextRequest] {
	return &Action[ClientContextRequest]{r: b.r.Child("keepAlive")}
}

// ChangeScreenSharingRole makes the bot a screen-sharing viewer or sharer (app-hosted
// media).
func (b *CallRequestBuilder) ChangeScreenSharingRole() *Action[ChangeScreenSharingRoleRequest] {
	return &Action[ChangeScreenSharingRoleRequest]{r: b.r.Child("changeScreenSharingRole")}
}

// Mute mutes the bot itself.
func (b *CallRequestBuilder) Mute() *OperationAction[ClientContextRequest, *MuteParticipantOperation] {
	return &OperationAction[ClientContextRequest, *MuteParticipantOperation]{r: b.r.Child("mute")}
}

// Unmute unmutes the bot itself.
func (b *CallRequestBuilder) Unmute() *OperationAction[ClientContextRequest, *UnmuteParticipantOperation] {
	return &OperationAction[ClientContextRequest, *UnmuteParticipantOperation]{r: b.r.Child("unmute")}
}

// PlayPrompt plays prompts (service-hosted media only).
func (b *CallRequestBuilder) PlayPrompt() *OperationAction[PlayPromptRequest, *PlayPromptOperation] {
	return &OperationAction[PlayPromptRequest, *PlayPromptOperation]{r: b.r.Child("playPrompt")}
}

// RecordResponse records what the caller says; the completed RecordOperation carries
// the recording's location and access token.
func (b *CallRequestBuilder) RecordResponse() *OperationAction[RecordResponseRequest, *RecordOperation] {
	return &OperationAction[RecordResponseRequest, *RecordOperation]{r: b.r.Child("recordResponse")}
}

// SubscribeToTone asks for DTMF key presses, which then arrive as call notifications
// carrying toneInfo.
func (b *CallRequestBuilder) SubscribeToTone() *OperationAction[ClientContextRequest, *SubscribeToToneOperation] {
	return &OperationAction[ClientContextRequest, *SubscribeToToneOperation]{r: b.r.Child("subscribeToTone")}
}

// CancelMediaProcessing cancels running playPrompt and recordResponse operations.
func (b *CallRequestBuilder) CancelMediaProcessing() *OperationAction[ClientContextRequest, *CancelMediaProcessingOperation] {
	return &OperationAction[ClientContextRequest, *CancelMediaProcessingOperation]{r: b.r.Child("cancelMediaProcessing")}
}

// UpdateRecordingStatus tells Graph whether the bot (a compliance recorder) records.
func (b *CallRequestBuilder) UpdateRecordingStatus() *OperationAction[UpdateRecordingStatusRequest, *UpdateRecordingStatusOperation] {
	return &OperationAction[UpdateRecordingStatusRequest, *UpdateRecordingStatusOperation]{r: b.r.Child("updateRecordingStatus")}
}

// SendDtmfTones sends DTMF tones to the call.
func (b *CallRequestBuilder) SendDtmfTones() *OperationAction[SendDtmfTonesRequest, *SendDtmfTonesOperation] {
	return &OperationAction[SendDtmfTonesRequest, *SendDtmfTonesOperation]{r: b.r.Child("sendDtmfTones")}
}

// AddLargeGalleryView adds the large gallery view to the call.
func (b *CallRequestBuilder) AddLargeGalleryView() *OperationAction[ClientContextRequest, *AddLargeGalleryViewOperation] {
	return &OperationAction[ClientContextRequest, *AddLargeGalleryViewOperation]{r: b.r.Child("addLargeGalleryView")}
}

// StartRecording is Beta: it starts Teams recording of the call (microsoft.graph.StartRecording).
// Post it with a nil body.
func (b *CallRequestBuilder) StartRecording() *OperationAction[ClientContextRequest, *StartRecordingOperation] {
	return &OperationAction[ClientContextRequest, *StartRecordingOperation]{r: b.r.Child("microsoft.graph.StartRecording")}
}

// StopRecording is Beta: it stops Teams recording of the call (microsoft.graph.StopRecording).
func (b *CallRequestBuilder) StopRecording() *OperationAction[ClientContextRequest, *StopRecordingOperation] {
	return &OperationAction[ClientContextRequest, *StopRecordingOperation]{r: b.r.Child("microsoft.graph.StopRecording")}
}

// StartTranscription is Beta: it starts transcription (microsoft.graph.StartTranscription).
func (b *CallRequestBuilder) StartTranscription() *OperationAction[StartTranscriptionRequest, *StartTranscriptionOperation] {
	return &OperationAction[StartTranscriptionRequest, *StartTranscriptionOperation]{r: b.r.Child("microsoft.graph.StartTranscription")}
}

// StopTranscription is Beta: it stops transcription (microsoft.graph.StopTranscription).
func (b *CallRequestBuilder) StopTranscription() *OperationAction[StartTranscriptionRequest, *StopTranscriptionOperation] {
	return &OperationAction[StartTranscriptionRequest, *StopTranscriptionOperation]{r: b.r.Child("microsoft.graph.StopTranscription")}
}

// UpdateMetadata is Beta, and since removed from Graph's docs: it sets the bot's own
// participant metadata in the roster (POST .../updateMetadata), answered with a
// commsOperation.
func (b *CallRequestBuilder) UpdateMetadata() *OperationAction[UpdateMetadataRequest, *CommsOperation] {
	return &OperationAction[UpdateMetadataRequest, *CommsOperation]{r: b.r.Child("updateMetadata")}
}

// Participants returns the builder for the call's participants.
func (b *CallRequestBuilder) Participants() *ParticipantsRequestBuilder {
	return &ParticipantsRequestBuilder{r: b.r.Child("participants")}
}

// Operations returns the builder for the call's operations.
func (b *CallRequestBuilder) Operations() *OperationsRequestBuilder {
	return &OperationsRequestBuilder{r: b.r.Child("operations")}
}

// AudioRoutingGroups returns the builder for the call's audio routing groups.
func (b *CallRequestBuilder) AudioRoutingGroups() *AudioRoutingGroupsRequestBuilder {
	return &AudioRoutingGroupsRequestBuilder{r: b.r.Child("audioRoutingGroups")}
}

// ContentSharingSessions returns the builder for the call's content sharing sessions.
func (b *CallRequestBuilder) ContentSharingSessions() *ContentSharingSessionsRequestBuilder {
	return &ContentSharingSessionsRequestBuilder{r: b.r.Child("contentSharingSessions")}
}

// ParticipantsRequestBuilder builds requests on /communications/calls/{id}/participants.
type ParticipantsRequestBuilder struct{ r requester }

// Get lists the call's participants.
func (b *ParticipantsRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*Collection[participants.Participant], error) {
	return get[Collection[participants.Participant]](ctx, b.r, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *ParticipantsRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// ByID returns the builder for one participant.
func (b *ParticipantsRequestBuilder) ByID(participantID string) *ParticipantRequestBuilder {
	return &ParticipantRequestBuilder{r: b.r.Child(participantID)}
}

// Invite invites participants into the call; with ReplacesCallID on the (first)
// invitation it moves a peer-to-peer call into this one.
func (b *ParticipantsRequestBuilder) Invite() *OperationAction[InviteParticipantsRequest, *InviteParticipantsOperation] {
	return &OperationAction[InviteParticipantsRequest, *InviteParticipantsOperation]{r: b.r.Child("invite")}
}

// MuteAll is Beta: it mutes the given participants (participants/muteAll).
func (b *ParticipantsRequestBuilder) MuteAll() *OperationAction[MuteAllRequest, *MuteParticipantsOperation] {
	return &OperationAction[MuteAllRequest, *MuteParticipantsOperation]{r: b.r.Child("muteAll")}
}

// ConfigureMixer is Beta and has since been removed from Graph: it set audio mixer
// levels (participants/configureMixer).
func (b *ParticipantsRequestBuilder) ConfigureMixer() *OperationAction[ConfigureMixerRequest, *CommsOperation] {
	return &OperationAction[ConfigureMixerRequest, *CommsOperation]{r: b.r.Child("configureMixer")}
}

// ParticipantRequestBuilder builds requests on
// /communications/calls/{id}/participants/{pid}.
type ParticipantRequestBuilder struct{ r requester }

// Get returns the participant.
func (b *ParticipantRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*participants.Participant, error) {
	return get[participants.Participant](ctx, b.r, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *ParticipantRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// Delete removes the participant from the call (or cancels its pending invitation).
func (b *ParticipantRequestBuilder) Delete(ctx context.Context, opts ...RequestOption) error {
	_, err := b.r.Do(ctx, http.MethodDelete, nil, false, nil, opts)
	return err
}

// ToDeleteRequestInformation returns the request Delete would send, without sending it.
func (b *ParticipantRequestBuilder) ToDeleteRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodDelete, nil, false, opts)
}

// Mute server-mutes the participant (group calls).
func (b *ParticipantRequestBuilder) Mute() *OperationAction[ClientContextRequest, *MuteParticipantOperation] {
	return &OperationAction[ClientContextRequest, *MuteParticipantOperation]{r: b.r.Child("mute")}
}

// StartHoldMusic puts the participant on hold with music.
func (b *ParticipantRequestBuilder) StartHoldMusic() *OperationAction[StartHoldMusicRequest, *StartHoldMusicOperation] {
	return &OperationAction[StartHoldMusicRequest, *StartHoldMusicOperation]{r: b.r.Child("startHoldMusic")}
}

// StopHoldMusic takes the participant off hold.
func (b *ParticipantRequestBuilder) StopHoldMusic() *OperationAction[ClientContextRequest, *StopHoldMusicOperation] {
	return &OperationAction[ClientContextRequest, *StopHoldMusicOperation]{r: b.r.Child("stopHoldMusic")}
}

// ReportSyntheticMedia is Beta: it reports synthetic (deepfake) media from the
// participant; at most one report per participant per minute.
func (b *ParticipantRequestBuilder) ReportSyntheticMedia() *Action[ReportSyntheticMediaRequest] {
	return &Action[ReportSyntheticMediaRequest]{r: b.r.Child("reportSyntheticMedia")}
}

// OperationsRequestBuilder builds requests on /communications/calls/{id}/operations.
type OperationsRequestBuilder struct{ r requester }

// ByID returns the builder for one operation.
func (b *OperationsRequestBuilder) ByID(operationID string) *OperationRequestBuilder {
	return &OperationRequestBuilder{r: b.r.Child(operationID)}
}

// OperationRequestBuilder builds requests on .../operations/{opId}.
type OperationRequestBuilder struct{ r requester }

// Get returns the operation, as its concrete type.
func (b *OperationRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (Operation, error) {
	resp, err := b.r.Do(ctx, http.MethodGet, nil, false, nil, opts)
	if err != nil {
		return nil, err
	}
	return DecodeOperation(resp.Body)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *OperationRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// AudioRoutingGroupsRequestBuilder builds requests on .../audioRoutingGroups.
type AudioRoutingGroupsRequestBuilder struct{ r requester }

// Get lists the call's audio routing groups.
func (b *AudioRoutingGroupsRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*Collection[AudioRoutingGroup], error) {
	return get[Collection[AudioRoutingGroup]](ctx, b.r, opts)
}

// Post creates an audio routing group. It is not replayed after an ambiguous failure
// unless WithReplay is given.
func (b *AudioRoutingGroupsRequestBuilder) Post(ctx context.Context, body *AudioRoutingGroup, opts ...RequestOption) (*AudioRoutingGroup, error) {
	var out AudioRoutingGroup
	if _, err := b.r.Do(ctx, http.MethodPost, body, true, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (b *AudioRoutingGroupsRequestBuilder) ToPostRequestInformation(ctx context.Context, body *AudioRoutingGroup, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodPost, body, true, opts)
}

// ByID returns the builder for one audio routing group.
func (b *AudioRoutingGroupsRequestBuilder) ByID(groupID string) *AudioRoutingGroupRequestBuilder {
	return &AudioRoutingGroupRequestBuilder{r: b.r.Child(groupID)}
}

// AudioRoutingGroupRequestBuilder builds requests on .../audioRoutingGroups/{id}.
type AudioRoutingGroupRequestBuilder struct{ r requester }

// Get returns the group.
func (b *AudioRoutingGroupRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*AudioRoutingGroup, error) {
	return get[AudioRoutingGroup](ctx, b.r, opts)
}

// Patch updates the group's receivers, sources or routing mode.
func (b *AudioRoutingGroupRequestBuilder) Patch(ctx context.Context, body *AudioRoutingGroup, opts ...RequestOption) (*AudioRoutingGroup, error) {
	var out AudioRoutingGroup
	if _, err := b.r.Do(ctx, http.MethodPatch, body, false, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ToPatchRequestInformation returns the request Patch would send, without sending it.
func (b *AudioRoutingGroupRequestBuilder) ToPatchRequestInformation(ctx context.Context, body *AudioRoutingGroup, opts ...RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodPatch, body, false, opts)
}

// Delete deletes the group.
func (b *AudioRoutingGroupRequestBuilder) Delete(ctx context.Context, opts ...RequestOption) error {
	_, err := b.r.Do(ctx, http.MethodDelete, nil, false, nil, opts)
	return err
}

// ContentSharingSessionsRequestBuilder builds requests on .../contentSharingSessions.
type ContentSharingSessionsRequestBuilder struct{ r requester }

// Get lists the call's content sharing sessions.
func (b *ContentSharingSessionsRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*Collection[ContentSharingSession], error) {
	return get[Collection[ContentSharingSession]](ctx, b.r, opts)
}

// ByID returns the builder for one session.
func (b *ContentSharingSessionsRequestBuilder) ByID(sessionID string) *ContentSharingSessionRequestBuilder {
	return &ContentSharingSessionRequestBuilder{r: b.r.Child(sessionID)}
}

// ContentSharingSessionRequestBuilder builds requests on .../contentSharingSessions/{id}.
type ContentSharingSessionRequestBuilder struct{ r requester }

// Get returns the session.
func (b *ContentSharingSessionRequestBuilder) Get(ctx context.Context, opts ...RequestOption) (*ContentSharingSession, error) {
	return get[ContentSharingSession](ctx, b.r, opts)
}
