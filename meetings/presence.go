package meetings

import (
	"encoding/json"
	"time"
)

// Presence is a user's availability and activity (Graph entity presence). Availability
// and Activity are PascalCase strings such as "Available" and "InACall".
type Presence struct {
	ODataType           string                     `json:"@odata.type,omitzero"`
	ID                  string                     `json:"id,omitzero"`
	Activity            string                     `json:"activity,omitzero"`
	Availability        string                     `json:"availability,omitzero"`
	OutOfOfficeSettings OutOfOfficeSettings        `json:"outOfOfficeSettings,omitzero"`
	SequenceNumber      string                     `json:"sequenceNumber,omitzero"`
	StatusMessage       PresenceStatusMessage      `json:"statusMessage,omitzero"`
	WorkLocation        json.RawMessage            `json:"workLocation,omitzero"`
	AdditionalData      map[string]json.RawMessage `json:"-"`
}

// OutOfOfficeSettings is a user's out-of-office state (Graph type outOfOfficeSettings).
type OutOfOfficeSettings struct {
	IsOutOfOffice  *bool                      `json:"isOutOfOffice,omitzero"`
	Message        string                     `json:"message,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// PresenceStatusMessage is a user's status message (Graph type presenceStatusMessage).
type PresenceStatusMessage struct {
	ExpiryDateTime    DateTimeTimeZone           `json:"expiryDateTime,omitzero"`
	Message           ItemBody                   `json:"message,omitzero"`
	PublishedDateTime time.Time                  `json:"publishedDateTime,omitzero"`
	AdditionalData    map[string]json.RawMessage `json:"-"`
}

// DateTimeTimeZone is a local date-time and its time zone (Graph type dateTimeTimeZone).
type DateTimeTimeZone struct {
	DateTime       string                     `json:"dateTime,omitzero"`
	TimeZone       string                     `json:"timeZone,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// SetPresenceRequest is the body of POST /users/{id}/presence/setPresence,
// setUserPreferredPresence and clearPresence (SessionID only).
type SetPresenceRequest struct {
	SessionID    string `json:"sessionId,omitzero"`
	Availability string `json:"availability,omitzero"`
	Activity     string `json:"activity,omitzero"`
	// ExpirationDuration is an ISO 8601 duration such as "PT1H".
	ExpirationDuration string                     `json:"expirationDuration,omitzero"`
	AdditionalData     map[string]json.RawMessage `json:"-"`
}

// SetStatusMessageRequest is the body of POST /users/{id}/presence/setStatusMessage.
type SetStatusMessageRequest struct {
	StatusMessage  PresenceStatusMessage      `json:"statusMessage,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// GetPresencesByUserIDRequest is the body of POST /communications/getPresencesByUserId.
type GetPresencesByUserIDRequest struct {
	IDs            []string                   `json:"ids,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}
