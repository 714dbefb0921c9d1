package meetings

import (
	"encoding/json"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/participants"
)

// OnlineMeeting is a Teams meeting (Graph entity onlineMeeting, with the members of
// onlineMeetingBase). Boolean settings are pointers: nil leaves the tenant's default,
// false turns the setting off.
type OnlineMeeting struct {
	ODataType                            string                 `json:"@odata.type,omitzero"`
	ID                                   string                 `json:"id,omitzero"`
	AllowAttendeeToEnableCamera          *bool                  `json:"allowAttendeeToEnableCamera,omitzero"`
	AllowAttendeeToEnableMic             *bool                  `json:"allowAttendeeToEnableMic,omitzero"`
	AllowBreakoutRooms                   *bool                  `json:"allowBreakoutRooms,omitzero"`
	AllowCopyingAndSharingMeetingContent *bool                  `json:"allowCopyingAndSharingMeetingContent,omitzero"`
	AllowedLobbyAdmitters                AllowedLobbyAdmitters  `json:"allowedLobbyAdmitters,omitzero"`
	AllowedPresenters                    Presenters             `json:"allowedPresenters,omitzero"`
	AllowLiveShare                       LiveShareOptions       `json:"allowLiveShare,omitzero"`
	AllowMeetingChat                     ChatMode               `json:"allowMeetingChat,omitzero"`
	AllowParticipantsToChangeName        *bool                  `json:"allowParticipantsToChangeName,omitzero"`
	AllowPowerPointSharing               *bool                  `json:"allowPowerPointSharing,omitzero"`
	AllowRecording                       *bool                  `json:"allowRecording,omitzero"`
	AllowTeamworkReactions               *bool                  `json:"allowTeamworkReactions,omitzero"`
	AllowTranscription                   *bool                  `json:"allowTranscription,omitzero"`
	AllowWhiteboard                      *bool                  `json:"allowWhiteboard,omitzero"`
	AudioConferencing                    AudioConferencing      `json:"audioConferencing,omitzero"`
	ChatInfo                             calls.ChatInfo         `json:"chatInfo,omitzero"`
	ChatRestrictions                     ChatRestrictions       `json:"chatRestrictions,omitzero"`
	CloudVideoInteropInfo                CloudVideoInteropInfo  `json:"cloudVideoInteropInfo,omitzero"`
	ExpiryDateTime                       time.Time              `json:"expiryDateTime,omitzero"`
	IsEndToEndEncryptionEnabled          *bool                  `json:"isEndToEndEncryptionEnabled,omitzero"`
	IsEntryExitAnnounced                 *bool                  `json:"isEntryExitAnnounced,omitzero"`
	JoinInformation                      ItemBody               `json:"joinInformation,omitzero"`
	JoinMeetingIDSettings                JoinMeetingIDSettings  `json:"joinMeetingIdSettings,omitzero"`
	JoinWebURL                           string                 `json:"joinWebUrl,omitzero"`
	LobbyBypassSettings                  LobbyBypassSettings    `json:"lobbyBypassSettings,omitzero"`
	MeetingOptionsWebURL                 string                 `json:"meetingOptionsWebUrl,omitzero"`
	MeetingSpokenLanguageTag             string                 `json:"meetingSpokenLanguageTag,omitzero"`
	MeetingType                          MeetingType            `json:"meetingType,omitzero"`
	RecordAutomatically                  *bool                  `json:"recordAutomatically,omitzero"`
	SensitivityLabelAssignment           SensitivityLabel       `json:"sensitivityLabelAssignment,omitzero"`
	ShareMeetingChatHistoryDefault       ChatHistoryDefaultMode `json:"shareMeetingChatHistoryDefault,omitzero"`
	Subject                              string                 `json:"subject,omitzero"`
	VideoTeleconferenceID                string                 `json:"videoTeleconferenceId,omitzero"`
	WatermarkProtection                  WatermarkProtection    `json:"watermarkProtection,omitzero"`
	AttendanceReports                    []AttendanceReport     `json:"attendanceReports,omitzero"`
	BroadcastSettings                    BroadcastSettings      `json:"broadcastSettings,omitzero"`
	CreationDateTime                     time.Time              `json:"creationDateTime,omitzero"`
	StartDateTime                        time.Time              `json:"startDateTime,omitzero"`
	EndDateTime                          time.Time              `json:"endDateTime,omitzero"`
	ExternalID                           string                 `json:"externalId,omitzero"`
	IsBroadcast                          *bool                  `json:"isBroadcast,omitzero"`
	MeetingTemplateID                    string                 `json:"meetingTemplateId,omitzero"`
	Participants                         MeetingParticipants    `json:"participants,omitzero"`
	// AnonymizeIdentityForRoles is Beta.
	AnonymizeIdentityForRoles []Role `json:"anonymizeIdentityForRoles,omitzero"`
	// JoinURL is Beta and deprecated: use JoinWebURL.
	JoinURL string `json:"joinUrl,omitzero"`
	// Capabilities is Beta and deprecated.
	Capabilities []string `json:"capabilities,omitzero"`
	// AutoAdmittedUsers is Beta and deprecated.
	AutoAdmittedUsers string                     `json:"autoAdmittedUsers,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// MeetingParticipants are the organizer and attendees of a meeting (Graph type
// meetingParticipants).
type MeetingParticipants struct {
	ODataType string                   `json:"@odata.type,omitzero"`
	Organizer MeetingParticipantInfo   `json:"organizer,omitzero"`
	Attendees []MeetingParticipantInfo `json:"attendees,omitzero"`
	// Contributors and Producers are Beta (live events).
	Contributors   []MeetingParticipantInfo   `json:"contributors,omitzero"`
	Producers      []MeetingParticipantInfo   `json:"producers,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MeetingParticipantInfo is one meeting participant (Graph type meetingParticipantInfo).
type MeetingParticipantInfo struct {
	Identity       participants.IdentitySet   `json:"identity,omitzero"`
	Role           Role                       `json:"role,omitzero"`
	UPN            string                     `json:"upn,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AudioConferencing is the dial-in information of a meeting (Graph type
// audioConferencing). Graph has sent "ConferenceId" with a capital C; it decodes too.
type AudioConferencing struct {
	ConferenceID    string                     `json:"conferenceId,omitzero"`
	DialinURL       string                     `json:"dialinUrl,omitzero"`
	TollFreeNumber  string                     `json:"tollFreeNumber,omitzero"`
	TollFreeNumbers []string                   `json:"tollFreeNumbers,omitzero"`
	TollNumber      string                     `json:"tollNumber,omitzero"`
	TollNumbers     []string                   `json:"tollNumbers,omitzero"`
	AdditionalData  map[string]json.RawMessage `json:"-"`
}

// JoinMeetingIDSettings is the numeric meeting ID and passcode (Graph type
// joinMeetingIdSettings).
type JoinMeetingIDSettings struct {
	IsPasscodeRequired *bool                      `json:"isPasscodeRequired,omitzero"`
	JoinMeetingID      string                     `json:"joinMeetingId,omitzero"`
	Passcode           string                     `json:"passcode,omitzero"`
	AdditionalData     map[string]json.RawMessage `json:"-"`
}

// LobbyBypassSettings says who skips the lobby (Graph type lobbyBypassSettings).
type LobbyBypassSettings struct {
	IsDialInBypassEnabled *bool                      `json:"isDialInBypassEnabled,omitzero"`
	Scope                 LobbyBypassScope           `json:"scope,omitzero"`
	AdditionalData        map[string]json.RawMessage `json:"-"`
}

// ChatRestrictions restricts meeting chat (Graph type chatRestrictions).
type ChatRestrictions struct {
	AllowTextOnly  *bool                      `json:"allowTextOnly,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// WatermarkProtection says where watermarks are shown (Graph type
// watermarkProtectionValues).
type WatermarkProtection struct {
	IsEnabledForContentSharing *bool                      `json:"isEnabledForContentSharing,omitzero"`
	IsEnabledForVideo          *bool                      `json:"isEnabledForVideo,omitzero"`
	AdditionalData             map[string]json.RawMessage `json:"-"`
}

// BroadcastSettings are live-event settings (Graph type broadcastMeetingSettings).
type BroadcastSettings struct {
	AllowedAudience            BroadcastAudience          `json:"allowedAudience,omitzero"`
	Captions                   BroadcastCaptionSettings   `json:"captions,omitzero"`
	IsAttendeeReportEnabled    *bool                      `json:"isAttendeeReportEnabled,omitzero"`
	IsQuestionAndAnswerEnabled *bool                      `json:"isQuestionAndAnswerEnabled,omitzero"`
	IsRecordingEnabled         *bool                      `json:"isRecordingEnabled,omitzero"`
	IsVideoOnDemandEnabled     *bool                      `json:"isVideoOnDemandEnabled,omitzero"`
	AdditionalData             map[string]json.RawMessage `json:"-"`
}

// BroadcastCaptionSettings are live-event caption settings (Graph type
// broadcastMeetingCaptionSettings).
type BroadcastCaptionSettings struct {
	IsCaptionEnabled     *bool                      `json:"isCaptionEnabled,omitzero"`
	SpokenLanguage       string                     `json:"spokenLanguage,omitzero"`
	TranslationLanguages []string                   `json:"translationLanguages,omitzero"`
	AdditionalData       map[string]json.RawMessage `json:"-"`
}

// ItemBody is text or HTML content (Graph type itemBody).
type ItemBody struct {
	Content        string                     `json:"content,omitzero"`
	ContentType    BodyType                   `json:"contentType,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// SensitivityLabel is a meeting's sensitivity label (Graph type
// onlineMeetingSensitivityLabelAssignment).
type SensitivityLabel struct {
	SensitivityLabelID string                     `json:"sensitivityLabelId,omitzero"`
	AdditionalData     map[string]json.RawMessage `json:"-"`
}

// CloudVideoInteropInfo is how video teleconferencing devices join (Graph type
// cloudVideoInteropInfo).
type CloudVideoInteropInfo struct {
	MoreInfoWebURL        string                     `json:"moreInfoWebUrl,omitzero"`
	TenantKey             string                     `json:"tenantKey,omitzero"`
	VideoTeleconferenceID string                     `json:"videoTeleconferenceId,omitzero"`
	AdditionalData        map[string]json.RawMessage `json:"-"`
}

// CreateOrGetRequest is the body of POST .../onlineMeetings/createOrGet: it returns the
// meeting with ExternalID, creating it first when there is none.
type CreateOrGetRequest struct {
	// ExternalID is the caller's own key for the meeting. Required.
	ExternalID     string                     `json:"externalId,omitzero"`
	StartDateTime  time.Time                  `json:"startDateTime,omitzero"`
	EndDateTime    time.Time                  `json:"endDateTime,omitzero"`
	Subject        string                     `json:"subject,omitzero"`
	Participants   MeetingParticipants        `json:"participants,omitzero"`
	ChatInfo       calls.ChatInfo             `json:"chatInfo,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AttendanceReport is the attendance of one meeting occurrence (Graph entity
// meetingAttendanceReport).
type AttendanceReport struct {
	ID                       string                            `json:"id,omitzero"`
	ExternalEventInformation []VirtualEventExternalInformation `json:"externalEventInformation,omitzero"`
	MeetingStartDateTime     time.Time                         `json:"meetingStartDateTime,omitzero"`
	MeetingEndDateTime       time.Time                         `json:"meetingEndDateTime,omitzero"`
	TotalParticipantCount    int32                             `json:"totalParticipantCount,omitzero"`
	AttendanceRecords        []AttendanceRecord                `json:"attendanceRecords,omitzero"`
	AdditionalData           map[string]json.RawMessage        `json:"-"`
}

// AttendanceRecord is one attendee's attendance (Graph entity attendanceRecord).
type AttendanceRecord struct {
	ID                              string                               `json:"id,omitzero"`
	AttendanceIntervals             []AttendanceInterval                 `json:"attendanceIntervals,omitzero"`
	EmailAddress                    string                               `json:"emailAddress,omitzero"`
	ExternalRegistrationInformation VirtualEventExternalRegistrationInfo `json:"externalRegistrationInformation,omitzero"`
	Identity                        participants.Identity                `json:"identity,omitzero"`
	RegistrationID                  string                               `json:"registrationId,omitzero"`
	Role                            string                               `json:"role,omitzero"`
	TotalAttendanceInSeconds        int32                                `json:"totalAttendanceInSeconds,omitzero"`
	// RegistrantID is Beta.
	RegistrantID   string                     `json:"registrantId,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// AttendanceInterval is one stretch of attendance (Graph type attendanceInterval).
type AttendanceInterval struct {
	DurationInSeconds int32                      `json:"durationInSeconds,omitzero"`
	JoinDateTime      time.Time                  `json:"joinDateTime,omitzero"`
	LeaveDateTime     time.Time                  `json:"leaveDateTime,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// VirtualEventExternalInformation links a report to an external event (Graph type
// virtualEventExternalInformation).
type VirtualEventExternalInformation struct {
	ApplicationID   string                     `json:"applicationId,omitzero"`
	ExternalEventID string                     `json:"externalEventId,omitzero"`
	AdditionalData  map[string]json.RawMessage `json:"-"`
}

// VirtualEventExternalRegistrationInfo links a record to an external registration
// (Graph type virtualEventExternalRegistrationInformation).
type VirtualEventExternalRegistrationInfo struct {
	Referrer       string                     `json:"referrer,omitzero"`
	RegistrationID string                     `json:"registrationId,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// CallEvent is the content of a Graph change notification about a meeting's call
// (subscription on communications/onlineMeetings/?$filter=JoinWebUrl eq '...'): the call
// started or ended, or its roster changed. Roster changes list who joined and who left;
// identities in them use PascalCase keys (Id, DisplayName), which decode all the same.
type CallEvent struct {
	ODataType string `json:"@odata.type,omitzero"`
	ID        string `json:"id,omitzero"`
	// EventType is Microsoft.Communication.CallStarted, CallEnded or CallRosterUpdate.
	EventType     string    `json:"eventType,omitzero"`
	EventDateTime time.Time `json:"eventDateTime,omitzero"`
	// State is the meeting call's state, e.g. "active".
	State string `json:"state,omitzero"`
	// Joined and Left are the current members for roster changes.
	Joined []MeetingParticipantInfo `json:"activeParticipants@joined,omitzero"`
	Left   []MeetingParticipantInfo `json:"activeParticipants@exited,omitzero"`
	// Delta and Removed are the older spellings of Joined and Left.
	Delta          []json.RawMessage          `json:"activeParticipants@delta,omitzero"`
	Removed        []json.RawMessage          `json:"activeParticipants@remove,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// Call-event types of CallEvent.EventType.
const (
	EventCallStarted      = "Microsoft.Communication.CallStarted"
	EventCallEnded        = "Microsoft.Communication.CallEnded"
	EventCallRosterUpdate = "Microsoft.Communication.CallRosterUpdate"
)
