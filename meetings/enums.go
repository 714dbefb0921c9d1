package meetings

import "github.com/graphcomms/graphcomms/internal/wire"

// Role is a meeting participant's role (Graph enum onlineMeetingRole).
type Role string

// Role values.
const (
	RoleAttendee           Role = "attendee"
	RolePresenter          Role = "presenter"
	RoleUnknownFutureValue Role = "unknownFutureValue"
	RoleProducer           Role = "producer"
	RoleCoorganizer        Role = "coorganizer"
)

var roles = wire.Enum(RoleAttendee, RolePresenter, RoleUnknownFutureValue, RoleProducer, RoleCoorganizer)

// IsKnown reports whether r is a documented value.
func (r Role) IsKnown() bool { return roles.Known(r) }

// Presenters says who can present (Graph enum onlineMeetingPresenters).
type Presenters string

// Presenters values.
const (
	PresentersEveryone           Presenters = "everyone"
	PresentersOrganization       Presenters = "organization"
	PresentersRoleIsPresenter    Presenters = "roleIsPresenter"
	PresentersOrganizer          Presenters = "organizer"
	PresentersUnknownFutureValue Presenters = "unknownFutureValue"
)

var presenters = wire.Enum(PresentersEveryone, PresentersOrganization, PresentersRoleIsPresenter,
	PresentersOrganizer, PresentersUnknownFutureValue)

// IsKnown reports whether p is a documented value.
func (p Presenters) IsKnown() bool { return presenters.Known(p) }

// AllowedLobbyAdmitters says who can admit from the lobby (Graph enum
// allowedLobbyAdmitterRoles).
type AllowedLobbyAdmitters string

// AllowedLobbyAdmitters values.
const (
	LobbyAdmittersOrganizerAndCoOrganizersAndPresenters AllowedLobbyAdmitters = "organizerAndCoOrganizersAndPresenters"
	LobbyAdmittersOrganizerAndCoOrganizers              AllowedLobbyAdmitters = "organizerAndCoOrganizers"
	LobbyAdmittersUnknownFutureValue                    AllowedLobbyAdmitters = "unknownFutureValue"
)

var lobbyAdmitters = wire.Enum(LobbyAdmittersOrganizerAndCoOrganizersAndPresenters,
	LobbyAdmittersOrganizerAndCoOrganizers, LobbyAdmittersUnknownFutureValue)

// IsKnown reports whether a is a documented value.
func (a AllowedLobbyAdmitters) IsKnown() bool { return lobbyAdmitters.Known(a) }

// LiveShareOptions says whether Live Share is allowed (Graph enum meetingLiveShareOptions).
type LiveShareOptions string

// LiveShareOptions values.
const (
	LiveShareEnabled            LiveShareOptions = "enabled"
	LiveShareDisabled           LiveShareOptions = "disabled"
	LiveShareUnknownFutureValue LiveShareOptions = "unknownFutureValue"
)

var liveShare = wire.Enum(LiveShareEnabled, LiveShareDisabled, LiveShareUnknownFutureValue)

// IsKnown reports whether o is a documented value.
func (o LiveShareOptions) IsKnown() bool { return liveShare.Known(o) }

// ChatMode says whether meeting chat is allowed (Graph enum meetingChatMode).
type ChatMode string

// ChatMode values.
const (
	ChatModeEnabled            ChatMode = "enabled"
	ChatModeDisabled           ChatMode = "disabled"
	ChatModeLimited            ChatMode = "limited"
	ChatModeUnknownFutureValue ChatMode = "unknownFutureValue"
)

var chatModes = wire.Enum(ChatModeEnabled, ChatModeDisabled, ChatModeLimited, ChatModeUnknownFutureValue)

// IsKnown reports whether m is a documented value.
func (m ChatMode) IsKnown() bool { return chatModes.Known(m) }

// ChatHistoryDefaultMode says how much chat history new members see (Graph enum
// meetingChatHistoryDefaultMode).
type ChatHistoryDefaultMode string

// ChatHistoryDefaultMode values.
const (
	ChatHistoryNone               ChatHistoryDefaultMode = "none"
	ChatHistoryAll                ChatHistoryDefaultMode = "all"
	ChatHistoryUnknownFutureValue ChatHistoryDefaultMode = "unknownFutureValue"
)

var chatHistory = wire.Enum(ChatHistoryNone, ChatHistoryAll, ChatHistoryUnknownFutureValue)

// IsKnown reports whether m is a documented value.
func (m ChatHistoryDefaultMode) IsKnown() bool { return chatHistory.Known(m) }

// MeetingType is the kind of meeting (Graph enum onlineMeetingType).
type MeetingType string

// MeetingType values.
const (
	MeetingTypeAdhoc              MeetingType = "adhoc"
	MeetingTypeScheduled          MeetingType = "scheduled"
	MeetingTypeRecurring          MeetingType = "recurring"
	MeetingTypeBroadcast          MeetingType = "broadcast"
	MeetingTypeMeetNow            MeetingType = "meetnow"
	MeetingTypeUnknownFutureValue MeetingType = "unknownFutureValue"
)

var meetingTypes = wire.Enum(MeetingTypeAdhoc, MeetingTypeScheduled, MeetingTypeRecurring,
	MeetingTypeBroadcast, MeetingTypeMeetNow, MeetingTypeUnknownFutureValue)

// IsKnown reports whether t is a documented value.
func (t MeetingType) IsKnown() bool { return meetingTypes.Known(t) }

// LobbyBypassScope says who bypasses the lobby (Graph enum lobbyBypassScope).
type LobbyBypassScope string

// LobbyBypassScope values.
const (
	LobbyBypassOrganizer                   LobbyBypassScope = "organizer"
	LobbyBypassOrganization                LobbyBypassScope = "organization"
	LobbyBypassOrganizationAndFederated    LobbyBypassScope = "organizationAndFederated"
	LobbyBypassEveryone                    LobbyBypassScope = "everyone"
	LobbyBypassUnknownFutureValue          LobbyBypassScope = "unknownFutureValue"
	LobbyBypassInvited                     LobbyBypassScope = "invited"
	LobbyBypassOrganizationExcludingGuests LobbyBypassScope = "organizationExcludingGuests"
)

var lobbyScopes = wire.Enum(LobbyBypassOrganizer, LobbyBypassOrganization, LobbyBypassOrganizationAndFederated,
	LobbyBypassEveryone, LobbyBypassUnknownFutureValue, LobbyBypassInvited, LobbyBypassOrganizationExcludingGuests)

// IsKnown reports whether s is a documented value.
func (s LobbyBypassScope) IsKnown() bool { return lobbyScopes.Known(s) }

// BroadcastAudience says who can attend a live event (Graph enum
// broadcastMeetingAudience).
type BroadcastAudience string

// BroadcastAudience values.
const (
	BroadcastAudienceRoleIsAttendee     BroadcastAudience = "roleIsAttendee"
	BroadcastAudienceOrganization       BroadcastAudience = "organization"
	BroadcastAudienceEveryone           BroadcastAudience = "everyone"
	BroadcastAudienceUnknownFutureValue BroadcastAudience = "unknownFutureValue"
)

var broadcastAudiences = wire.Enum(BroadcastAudienceRoleIsAttendee, BroadcastAudienceOrganization,
	BroadcastAudienceEveryone, BroadcastAudienceUnknownFutureValue)

// IsKnown reports whether a is a documented value.
func (a BroadcastAudience) IsKnown() bool { return broadcastAudiences.Known(a) }

// BodyType is the format of an ItemBody (Graph enum bodyType).
type BodyType string

// BodyType values.
const (
	BodyTypeText BodyType = "text"
	BodyTypeHTML BodyType = "html"
)

var bodyTypes = wire.Enum(BodyTypeText, BodyTypeHTML)

// IsKnown reports whether t is a documented value.
func (t BodyType) IsKnown() bool { return bodyTypes.Known(t) }
