package notifications

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// CommsNotifications is the body Graph POSTs to a calling bot's callback URI (Graph type
// commsNotifications).
type CommsNotifications struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Value          []CommsNotification        `json:"value"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// CommsNotification is one change to a call, its roster, an operation or a content
// sharing session (Graph type commsNotification).
type CommsNotification struct {
	ODataType  string     `json:"@odata.type,omitzero"`
	ChangeType ChangeType `json:"changeType,omitzero"`
	// ResourceURL is the changed resource, e.g. /communications/calls/{id}/participants.
	ResourceURL string `json:"resourceUrl,omitzero"`
	// Resource is the legacy (2019) spelling of ResourceURL, e.g. /app/calls/{id}.
	Resource    string `json:"resource,omitzero"`
	CallbackURI string `json:"callbackUri,omitzero"`
	// ResourceData is the changed resource: one JSON object or an array of them, or
	// absent. DecodeResourceData types it.
	ResourceData   json.RawMessage            `json:"resourceData,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ChangeType is what happened to a resource (Graph enum changeType).
type ChangeType string

// ChangeType values.
const (
	ChangeCreated ChangeType = "created"
	ChangeUpdated ChangeType = "updated"
	ChangeDeleted ChangeType = "deleted"
)

var changeTypes = wire.Enum(ChangeCreated, ChangeUpdated, ChangeDeleted)

// IsKnown reports whether c is a documented value.
func (c ChangeType) IsKnown() bool { return changeTypes.Known(c) }

// URL returns ResourceURL, or the legacy Resource when ResourceURL is empty.
func (n CommsNotification) URL() string {
	if n.ResourceURL != "" {
		return n.ResourceURL
	}
	return n.Resource
}

// ResourceDataIsArray reports whether resourceData is a JSON array (a roster).
func (n CommsNotification) ResourceDataIsArray() bool {
	for _, c := range n.ResourceData {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '['
	}
	return false
}

// DecodeResourceData returns the typed values in resourceData, in order: *calls.Call,
// *participants.Participant, a calls.Operation (the concrete subtype),
// *calls.ContentSharingSession, *participants.DeltaParticipants, *meetings.CallEvent or
// *meetings.OnlineMeeting. The type comes from each object's @odata.type or, when that is
// missing, from the notification's resource URL (/participants, /operations/,
// /contentsharingsessions/, else a call). An object of a type this package does not know
// is returned as a map[string]json.RawMessage, kept whole. It returns nil for an absent
// or null resourceData. An error is a *graph.DecodeError whose Offset is in
// ResourceData and whose Path starts with resourceData.
func (n CommsNotification) DecodeResourceData() ([]any, error) {
	raw := n.ResourceData
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	values, err := decodeResources(raw, kindFromURL(n.ResourcePath()), wire.NewBudget(len(raw)))
	if err != nil {
		return nil, wire.Rebase(err, 0, "resourceData")
	}
	return values, nil
}

// kindFromURL returns the short type name a resource path implies: "call",
// "participant", "commsOperation", "contentSharingSession" or "onlineMeeting".
func kindFromURL(u string) string {
	const prefix = "/communications/calls/"
	if len(u) > len(prefix) && strings.EqualFold(u[:len(prefix)], prefix) {
		_, rest, _ := strings.Cut(u[len(prefix):], "/")
		sub, _, _ := strings.Cut(rest, "/")
		switch {
		case sub == "":
			return "call"
		case strings.EqualFold(sub, "operations"):
			return "commsOperation"
		case strings.EqualFold(sub, "contentsharingsessions"):
			return "contentSharingSession"
		case strings.EqualFold(sub, "participants"):
			return "participant"
		}
	}
	switch {
	case containsFold(u, "/operations/"):
		return "commsOperation"
	case containsFold(u, "/contentsharingsessions"):
		return "contentSharingSession"
	case containsFold(u, "/participants"):
		return "participant"
	case containsFold(u, "onlinemeetings"):
		return "onlineMeeting"
	}
	return "call"
}

// containsFold reports whether sub, which starts with '/' or a lower-case letter, is in
// s, ignoring ASCII case.
func containsFold(s, sub string) bool {
	first, alt := sub[0], sub[0]
	if first >= 'a' && first <= 'z' {
		alt = first - 'a' + 'A'
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c != first && c != alt {
			continue
		}
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// DecodeResource decodes one resource object by its @odata.type, or as fallback (a short
// type name such as "call" or "participant") when it has none.
func DecodeResource(data []byte, fallback string) (any, error) {
	name := odata.TypeOf(data)
	if name == "" {
		name = fallback
	}
	if k, ok := resourceType(name); ok {
		v := k.make(k.byEventType && wire.HasMember(data, "eventType"))
		if err := wire.Unmarshal(data, v); err != nil {
			return nil, err
		}
		return v, nil
	}
	if strings.HasSuffix(strings.ToLower(name), "operation") {
		return calls.DecodeOperation(data)
	}
	var m map[string]json.RawMessage
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// ChangeNotificationCollection is the body of a Graph change notification (Graph type
// changeNotificationCollection), as sent for a subscription to online-meeting call
// events.
type ChangeNotificationCollection struct {
	Value            []ChangeNotification       `json:"value"`
	ValidationTokens []string                   `json:"validationTokens,omitzero"`
	AdditionalData   map[string]json.RawMessage `json:"-"`
}

// ChangeNotification is one Graph change notification (Graph type changeNotification).
type ChangeNotification struct {
	ID                             string                     `json:"id,omitzero"`
	SubscriptionID                 string                     `json:"subscriptionId,omitzero"`
	SubscriptionExpirationDateTime time.Time                  `json:"subscriptionExpirationDateTime,omitzero"`
	ClientState                    string                     `json:"clientState,omitzero"`
	ChangeType                     ChangeType                 `json:"changeType,omitzero"`
	Resource                       string                     `json:"resource,omitzero"`
	TenantID                       string                     `json:"tenantId,omitzero"`
	OrganizationID                 string                     `json:"organizationId,omitzero"`
	LifecycleEvent                 string                     `json:"lifecycleEvent,omitzero"`
	ResourceData                   json.RawMessage            `json:"resourceData,omitzero"`
	EncryptedContent               EncryptedContent           `json:"encryptedContent,omitzero"`
	AdditionalData                 map[string]json.RawMessage `json:"-"`
}

// EncryptedContent is the encrypted resource of a rich change notification (Graph type
// changeNotificationEncryptedContent).
type EncryptedContent struct {
	Data                            string                     `json:"data,omitzero"`
	DataKey                         string                     `json:"dataKey,omitzero"`
	DataSignature                   string                     `json:"dataSignature,omitzero"`
	EncryptionCertificateID         string                     `json:"encryptionCertificateId,omitzero"`
	EncryptionCertificateThumbprint string                     `json:"encryptionCertificateThumbprint,omitzero"`
	AdditionalData                  map[string]json.RawMessage `json:"-"`
}

// Subscription asks Graph for change notifications (Graph entity subscription), e.g.
// on communications/onlineMeetings/?$filter=JoinWebUrl eq '{url}' for meeting call
// events.
type Subscription struct {
	ID                       string                     `json:"id,omitzero"`
	ChangeType               string                     `json:"changeType,omitzero"`
	NotificationURL          string                     `json:"notificationUrl,omitzero"`
	Resource                 string                     `json:"resource,omitzero"`
	ClientState              string                     `json:"clientState,omitzero"`
	ExpirationDateTime       time.Time                  `json:"expirationDateTime,omitzero"`
	IncludeResourceData      *bool                      `json:"includeResourceData,omitzero"`
	EncryptionCertificate    string                     `json:"encryptionCertificate,omitzero"`
	EncryptionCertificateID  string                     `json:"encryptionCertificateId,omitzero"`
	LifecycleNotificationURL string                     `json:"lifecycleNotificationUrl,omitzero"`
	AdditionalData           map[string]json.RawMessage `json:"-"`
}

// ResourcePath returns the notification's resource URL in normal form: with a leading
// slash, the legacy /app/calls prefix replaced by /communications/calls, and any
// scheme, host and version segment (https://graph.microsoft.com/v1.0) removed.
func (n CommsNotification) ResourcePath() string { return NormalizeResourcePath(n.URL()) }

// CallID returns the ID of the call the notification is about, or "".
func (n CommsNotification) CallID() string {
	id, _, _ := pathIDs(n.ResourcePath())
	return id
}

// OperationID returns the ID of the operation the notification is about, or "".
func (n CommsNotification) OperationID() string {
	_, id, _ := pathIDs(n.ResourcePath())
	return id
}

// NormalizeResourcePath puts a Graph resource URL in the normal form described at
// CommsNotification.ResourcePath.
func NormalizeResourcePath(u string) string {
	u = strings.TrimSpace(u)
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			u = rest[j:]
		} else {
			u = "/"
		}
		for _, v := range []string{"/v1.0/", "/beta/"} {
			if len(u) >= len(v) && strings.EqualFold(u[:len(v)], v) {
				u = u[len(v)-1:]
				break
			}
		}
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	if len(u) >= 11 && strings.EqualFold(u[:11], "/app/calls/") || strings.EqualFold(u, "/app/calls") {
		u = "/communications/calls" + u[10:]
	}
	return u
}
