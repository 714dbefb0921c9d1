package meetings

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/transport"
)

// API is the root of the request builders for online meetings. It is safe for
// concurrent use, and so is every builder it returns.
//
//	api := meetings.NewAPI(adapter)
//	m, err := api.User(organizerID).OnlineMeetings().Post(ctx, &meetings.OnlineMeeting{Subject: "Bridge"})
//
// Every user, meeting and report ID is checked with graph.ValidateID before it goes
// into a path: an invalid one fails the request with a *graph.IDError.
type API struct{ c *transport.Client }

// NewAPI returns the online-meeting request builders over a Kiota request adapter. It
// takes the same options as calls.NewAPI (graph.WithBeta, graph.WithBaseURL, or their
// calls.* names).
func NewAPI(adapter abs.RequestAdapter, opts ...graph.APIOption) *API {
	s := graph.CollectAPIOptions(opts...)
	return &API{c: &transport.Client{Adapter: adapter, BaseURL: s.BaseURL, Logger: s.Logger}}
}

// FromCalls returns the online-meeting builders sharing a calls.API's adapter and base URL.
func FromCalls(api *calls.API) *API {
	c := *transport.Of(api) // the same adapter, base URL, logger, tracer and observer
	return &API{c: &c}
}

// Me returns the builders for the signed-in user (delegated permissions).
func (a *API) Me() *UserRequestBuilder {
	return &UserRequestBuilder{r: transport.At(a.c, "/me")}
}

// User returns the builders for a user by ID or user principal name (application
// permissions; the tenant must grant the app an application access policy for the user).
func (a *API) User(userID string) *UserRequestBuilder {
	return &UserRequestBuilder{r: transport.At(a.c, "/users").Child(userID)}
}

// Communications returns the builder for /communications/onlineMeetings, which looks
// meetings up by video-teleconference ID without an access policy.
func (a *API) Communications() *CommunicationsRequestBuilder {
	return &CommunicationsRequestBuilder{r: transport.At(a.c, "/communications/onlineMeetings")}
}

// requester is the plumbing every builder shares.
type requester = transport.Target

func send[T any](ctx context.Context, r requester, method string, body any, create bool, opts []graph.RequestOption) (*T, error) {
	var out T
	if _, err := r.Do(ctx, method, body, create, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// UserRequestBuilder builds requests under /me or /users/{id}.
type UserRequestBuilder struct{ r requester }

// OnlineMeetings returns the builder for the user's online meetings.
func (b *UserRequestBuilder) OnlineMeetings() *OnlineMeetingsRequestBuilder {
	return &OnlineMeetingsRequestBuilder{r: b.r.Child("onlineMeetings")}
}

// OnlineMeetingsRequestBuilder builds requests on .../onlineMeetings.
type OnlineMeetingsRequestBuilder struct{ r requester }

// Post creates an online meeting. It is not replayed after an ambiguous failure unless
// graph.WithReplay (or calls.WithReplay) is given; CreateOrGet is the idempotent alternative.
func (b *OnlineMeetingsRequestBuilder) Post(ctx context.Context, body *OnlineMeeting, opts ...graph.RequestOption) (*OnlineMeeting, error) {
	return send[OnlineMeeting](ctx, b.r, http.MethodPost, body, true, opts)
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (b *OnlineMeetingsRequestBuilder) ToPostRequestInformation(ctx context.Context, body *OnlineMeeting, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodPost, body, true, opts)
}

// CreateOrGet returns the action that creates the meeting with an external ID, or gets
// it when it exists.
func (b *OnlineMeetingsRequestBuilder) CreateOrGet() *CreateOrGetRequestBuilder {
	return &CreateOrGetRequestBuilder{r: b.r.Child("createOrGet")}
}

// Filter returns a query on the meetings with an OData $filter expression.
func (b *OnlineMeetingsRequestBuilder) Filter(expr string) *OnlineMeetingsQuery {
	return &OnlineMeetingsQuery{r: b.r.WithQuery(url.Values{"$filter": {expr}})}
}

// ByJoinWebURL returns the query for the meeting with a join URL (Graph filters on
// JoinWebUrl).
func (b *OnlineMeetingsRequestBuilder) ByJoinWebURL(joinWebURL string) *OnlineMeetingsQuery {
	return b.Filter("JoinWebUrl eq '" + quote(joinWebURL) + "'")
}

// ByJoinMeetingID returns the query for the meeting with a numeric meeting ID.
func (b *OnlineMeetingsRequestBuilder) ByJoinMeetingID(joinMeetingID string) *OnlineMeetingsQuery {
	return b.Filter("joinMeetingIdSettings/joinMeetingId eq '" + quote(joinMeetingID) + "'")
}

// ByID returns the builder for one meeting.
func (b *OnlineMeetingsRequestBuilder) ByID(meetingID string) *OnlineMeetingRequestBuilder {
	return &OnlineMeetingRequestBuilder{r: b.r.Child(meetingID)}
}

// quote escapes a string for an OData string literal.
func quote(s string) string { return strings.ReplaceAll(s, "'", "''") }

// OnlineMeetingsQuery is a filtered list of online meetings.
type OnlineMeetingsQuery struct{ r requester }

// Get returns the meetings that match.
func (q *OnlineMeetingsQuery) Get(ctx context.Context, opts ...graph.RequestOption) (*calls.Collection[OnlineMeeting], error) {
	return send[calls.Collection[OnlineMeeting]](ctx, q.r, http.MethodGet, nil, false, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (q *OnlineMeetingsQuery) ToGetRequestInformation(ctx context.Context, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return q.r.Info(http.MethodGet, nil, false, opts)
}

// First returns the first meeting that matches, or an error that graph.IsNotFound
// recognises when none does.
func (q *OnlineMeetingsQuery) First(ctx context.Context, opts ...graph.RequestOption) (*OnlineMeeting, error) {
	page, err := q.Get(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if len(page.Value) == 0 {
		return nil, &graph.Error{StatusCode: http.StatusNotFound, Code: "itemNotFound", Message: "no online meeting matches " + q.r.Query.Get("$filter")}
	}
	return &page.Value[0], nil
}

// CreateOrGetRequestBuilder builds the createOrGet action.
type CreateOrGetRequestBuilder struct{ r requester }

// Post creates or gets the meeting. It is safe to replay: the external ID makes it
// idempotent.
func (b *CreateOrGetRequestBuilder) Post(ctx context.Context, body *CreateOrGetRequest, opts ...graph.RequestOption) (*OnlineMeeting, error) {
	return send[OnlineMeeting](ctx, b.r, http.MethodPost, body, false, opts)
}

// ToPostRequestInformation returns the request Post would send, without sending it.
func (b *CreateOrGetRequestBuilder) ToPostRequestInformation(ctx context.Context, body *CreateOrGetRequest, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodPost, body, false, opts)
}

// OnlineMeetingRequestBuilder builds requests on .../onlineMeetings/{id}.
type OnlineMeetingRequestBuilder struct{ r requester }

// Get returns the meeting.
func (b *OnlineMeetingRequestBuilder) Get(ctx context.Context, opts ...graph.RequestOption) (*OnlineMeeting, error) {
	return send[OnlineMeeting](ctx, b.r, http.MethodGet, nil, false, opts)
}

// ToGetRequestInformation returns the request Get would send, without sending it.
func (b *OnlineMeetingRequestBuilder) ToGetRequestInformation(ctx context.Context, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodGet, nil, false, opts)
}

// Patch updates the meeting: only the members set in body are sent.
func (b *OnlineMeetingRequestBuilder) Patch(ctx context.Context, body *OnlineMeeting, opts ...graph.RequestOption) (*OnlineMeeting, error) {
	return send[OnlineMeeting](ctx, b.r, http.MethodPatch, body, false, opts)
}

// ToPatchRequestInformation returns the request Patch would send, without sending it.
func (b *OnlineMeetingRequestBuilder) ToPatchRequestInformation(ctx context.Context, body *OnlineMeeting, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodPatch, body, false, opts)
}

// Delete deletes the meeting.
func (b *OnlineMeetingRequestBuilder) Delete(ctx context.Context, opts ...graph.RequestOption) error {
	_, err := b.r.Do(ctx, http.MethodDelete, nil, false, nil, opts)
	return err
}

// ToDeleteRequestInformation returns the request Delete would send, without sending it.
func (b *OnlineMeetingRequestBuilder) ToDeleteRequestInformation(ctx context.Context, opts ...graph.RequestOption) (*abs.RequestInformation, error) {
	return b.r.Info(http.MethodDelete, nil, false, opts)
}

// AttendeeReport returns the builder for a live event's attendee report (a CSV stream
// that Graph serves by redirect).
func (b *OnlineMeetingRequestBuilder) AttendeeReport() *StreamRequestBuilder {
	return &StreamRequestBuilder{r: b.r.Child("attendeeReport")}
}

// Recording is Beta: the live event's recording (a stream served by redirect).
func (b *OnlineMeetingRequestBuilder) Recording() *StreamRequestBuilder {
	return &StreamRequestBuilder{r: b.r.Child("recording")}
}

// AlternativeRecording is Beta: the live event's alternative recording.
func (b *OnlineMeetingRequestBuilder) AlternativeRecording() *StreamRequestBuilder {
	return &StreamRequestBuilder{r: b.r.Child("alternativeRecording")}
}

// StreamRequestBuilder builds requests on a meeting stream that Graph answers with a
// redirect to the content.
type StreamRequestBuilder struct{ r requester }

// Location returns where the content is: the Location of Graph's redirect, which is
// not followed.
func (b *StreamRequestBuilder) Location(ctx context.Context, opts ...graph.RequestOption) (string, error) {
	resp, err := b.r.Do(ctx, http.MethodGet, nil, false, nil, append(opts[:len(opts):len(opts)], graph.WithoutRedirect()))
	if err != nil {
		return "", err
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		return loc, nil
	}
	return "", &graph.Error{StatusCode: resp.StatusCode, Message: "Graph answered without redirecting to the content"}
}

// AttendanceReports returns the builder for the meeting's attendance reports.
func (b *OnlineMeetingRequestBuilder) AttendanceReports() *AttendanceReportsRequestBuilder {
	return &AttendanceReportsRequestBuilder{r: b.r.Child("attendanceReports")}
}

// MeetingAttendanceReport is Beta and deprecated: the meeting's single attendance report.
func (b *OnlineMeetingRequestBuilder) MeetingAttendanceReport() *AttendanceReportRequestBuilder {
	return &AttendanceReportRequestBuilder{r: b.r.Child("meetingAttendanceReport")}
}

// AttendanceReportsRequestBuilder builds requests on .../attendanceReports.
type AttendanceReportsRequestBuilder struct{ r requester }

// Get lists the meeting's attendance reports, one per occurrence.
func (b *AttendanceReportsRequestBuilder) Get(ctx context.Context, opts ...graph.RequestOption) (*calls.Collection[AttendanceReport], error) {
	return send[calls.Collection[AttendanceReport]](ctx, b.r, http.MethodGet, nil, false, opts)
}

// ByID returns the builder for one report.
func (b *AttendanceReportsRequestBuilder) ByID(reportID string) *AttendanceReportRequestBuilder {
	return &AttendanceReportRequestBuilder{r: b.r.Child(reportID)}
}

// AttendanceReportRequestBuilder builds requests on .../attendanceReports/{id}.
type AttendanceReportRequestBuilder struct{ r requester }

// Get returns the report, without its records.
func (b *AttendanceReportRequestBuilder) Get(ctx context.Context, opts ...graph.RequestOption) (*AttendanceReport, error) {
	return send[AttendanceReport](ctx, b.r, http.MethodGet, nil, false, opts)
}

// GetWithRecords returns the report with its attendance records ($expand=attendanceRecords).
func (b *AttendanceReportRequestBuilder) GetWithRecords(ctx context.Context, opts ...graph.RequestOption) (*AttendanceReport, error) {
	r := b.r.WithQuery(url.Values{"$expand": {"attendanceRecords"}})
	return send[AttendanceReport](ctx, r, http.MethodGet, nil, false, opts)
}

// AttendanceRecords returns the builder for the report's records.
func (b *AttendanceReportRequestBuilder) AttendanceRecords() *AttendanceRecordsRequestBuilder {
	return &AttendanceRecordsRequestBuilder{r: b.r.Child("attendanceRecords")}
}

// AttendanceRecordsRequestBuilder builds requests on .../attendanceRecords.
type AttendanceRecordsRequestBuilder struct{ r requester }

// Get lists the report's attendance records.
func (b *AttendanceRecordsRequestBuilder) Get(ctx context.Context, opts ...graph.RequestOption) (*calls.Collection[AttendanceRecord], error) {
	return send[calls.Collection[AttendanceRecord]](ctx, b.r, http.MethodGet, nil, false, opts)
}

// CommunicationsRequestBuilder builds requests on /communications/onlineMeetings.
type CommunicationsRequestBuilder struct{ r requester }

// ByVideoTeleconferenceID returns the query for the meeting with a VTC conference ID.
func (b *CommunicationsRequestBuilder) ByVideoTeleconferenceID(id string) *OnlineMeetingsQuery {
	return &OnlineMeetingsQuery{r: b.r.WithQuery(url.Values{"$filter": {"VideoTeleconferenceId eq '" + quote(id) + "'"}})}
}
