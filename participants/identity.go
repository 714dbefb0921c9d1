package participants

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// Identity is a user, application, device, phone number or other party (Graph type
// identity and its communications variants). Which members are set depends on the
// variant; ODataType names it when Graph sends one.
type Identity struct {
	ODataType   string `json:"@odata.type,omitzero"`
	ID          string `json:"id,omitzero"`
	DisplayName string `json:"displayName,omitzero"`
	// TenantID is set on users and application instances (communicationsUserIdentity,
	// communicationsApplicationInstanceIdentity).
	TenantID string `json:"tenantId,omitzero"`
	// IdentityProvider is sent by Graph on some user identities (e.g. "AAD").
	IdentityProvider string `json:"identityProvider,omitzero"`
	// Hidden is set on application and application-instance identities.
	Hidden bool `json:"hidden,omitzero"`
	// ApplicationType is set on application identities (communicationsApplicationIdentity).
	ApplicationType string `json:"applicationType,omitzero"`
	// Email is set on guests (communicationsGuestIdentity).
	Email string `json:"email,omitzero"`
	// IPAddress and UserPrincipalName are set on userIdentity.
	IPAddress         string `json:"ipAddress,omitzero"`
	UserPrincipalName string `json:"userPrincipalName,omitzero"`
	// AzureCommunicationServicesResourceID is set on azureCommunicationServicesUserIdentity.
	AzureCommunicationServicesResourceID string                     `json:"azureCommunicationServicesResourceId,omitzero"`
	AdditionalData                       map[string]json.RawMessage `json:"-"`
}

// EndpointType is the kind of endpoint a participant uses (Graph enum endpointType).
type EndpointType string

// EndpointType values.
const (
	EndpointTypeDefault                   EndpointType = "default"
	EndpointTypeVoicemail                 EndpointType = "voicemail"
	EndpointTypeSkypeForBusiness          EndpointType = "skypeForBusiness"
	EndpointTypeSkypeForBusinessVoipPhone EndpointType = "skypeForBusinessVoipPhone"
	EndpointTypeUnknownFutureValue        EndpointType = "unknownFutureValue"
)

var endpointTypes = wire.Enum(EndpointTypeDefault, EndpointTypeVoicemail, EndpointTypeSkypeForBusiness,
	EndpointTypeSkypeForBusinessVoipPhone, EndpointTypeUnknownFutureValue)

// IsKnown reports whether e is a documented value.
func (e EndpointType) IsKnown() bool { return endpointTypes.Known(e) }

// IdentitySet names a party by one or more identities (Graph types identitySet and
// communicationsIdentitySet). Usually exactly one member is set; the others are nil.
type IdentitySet struct {
	ODataType   string    `json:"@odata.type,omitzero"`
	Application *Identity `json:"application,omitzero"`
	Device      *Identity `json:"device,omitzero"`
	User        *Identity `json:"user,omitzero"`
	// The members below belong to communicationsIdentitySet.
	ApplicationInstance            *Identity                  `json:"applicationInstance,omitzero"`
	AssertedIdentity               *Identity                  `json:"assertedIdentity,omitzero"`
	AzureCommunicationServicesUser *Identity                  `json:"azureCommunicationServicesUser,omitzero"`
	Encrypted                      *Identity                  `json:"encrypted,omitzero"`
	EndpointType                   EndpointType               `json:"endpointType,omitzero"`
	Guest                          *Identity                  `json:"guest,omitzero"`
	OnPremises                     *Identity                  `json:"onPremises,omitzero"`
	Phone                          *Identity                  `json:"phone,omitzero"`
	AdditionalData                 map[string]json.RawMessage `json:"-"`
}

// Primary returns the identity that names the party and the member it came from
// ("user", "application", "applicationInstance", "phone", "guest", ...), looking at
// the members in that order. ok is false when no member is set.
func (s IdentitySet) Primary() (kind string, id Identity, ok bool) {
	for _, m := range []struct {
		name string
		id   *Identity
	}{
		{"user", s.User}, {"application", s.Application}, {"applicationInstance", s.ApplicationInstance},
		{"phone", s.Phone}, {"guest", s.Guest}, {"azureCommunicationServicesUser", s.AzureCommunicationServicesUser},
		{"onPremises", s.OnPremises}, {"encrypted", s.Encrypted}, {"device", s.Device},
		{"assertedIdentity", s.AssertedIdentity},
	} {
		if m.id != nil {
			return m.name, *m.id, true
		}
	}
	return "", Identity{}, false
}

// DisplayName returns the display name of the primary identity, or its ID when it has
// no name.
func (s IdentitySet) DisplayName() string {
	_, id, _ := s.Primary()
	if id.DisplayName != "" {
		return id.DisplayName
	}
	return id.ID
}

// User returns an identity set for a Microsoft Entra user, by object ID and tenant ID
// (the tenant may be empty for a user of the bot's own tenant).
func User(id, tenantID string) IdentitySet {
	return IdentitySet{ODataType: odata.Type("identitySet"), User: &Identity{
		ODataType: odata.Type("identity"), ID: id, TenantID: tenantID,
	}}
}

// Application returns an identity set for an application (a bot) by app ID.
func Application(appID, displayName string) IdentitySet {
	return IdentitySet{ODataType: odata.Type("identitySet"), Application: &Identity{
		ODataType: odata.Type("identity"), ID: appID, DisplayName: displayName,
	}}
}

// ApplicationInstance returns an identity set for an application instance (the
// resource account that gives a bot a phone number), as PSTN calls use for the source.
func ApplicationInstance(id, tenantID, displayName string) IdentitySet {
	return IdentitySet{ODataType: odata.Type("communicationsIdentitySet"), ApplicationInstance: &Identity{
		ODataType: odata.Type("identity"), ID: id, TenantID: tenantID, DisplayName: displayName,
	}}
}

// Phone returns an identity set for a phone number in E.164 form ("+14255550123").
// It returns an error when the number is not E.164: a '+' then 7 to 15 digits, the
// first not zero.
func Phone(e164 string) (IdentitySet, error) {
	if err := ValidateE164(e164); err != nil {
		return IdentitySet{}, err
	}
	return IdentitySet{ODataType: odata.Type("communicationsIdentitySet"), Phone: &Identity{
		ODataType: odata.Type("identity"), ID: e164,
	}}, nil
}

// ValidateE164 returns an error unless number is an E.164 phone number.
func ValidateE164(number string) error {
	digits, ok := strings.CutPrefix(number, "+")
	if !ok {
		return fmt.Errorf("participants: phone number %q must start with '+' (E.164)", number)
	}
	if len(digits) < 7 || len(digits) > 15 {
		return fmt.Errorf("participants: phone number %q must have 7 to 15 digits (E.164)", number)
	}
	for i, c := range digits {
		if c < '0' || c > '9' || i == 0 && c == '0' {
			return fmt.Errorf("participants: phone number %q is not E.164: digits only, not starting with 0", number)
		}
	}
	return nil
}

// Guest returns an identity set for an anonymous guest, as a bot joining a meeting as
// a guest uses for its source. id may be empty.
func Guest(id, displayName string) IdentitySet {
	return IdentitySet{ODataType: odata.Type("communicationsIdentitySet"), Guest: &Identity{
		ODataType: odata.Type("communicationsGuestIdentity"), ID: id, DisplayName: displayName,
	}}
}
