package participants_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/graphcomms/graphcomms/participants"
)

func TestValidateE164(t *testing.T) {
	good := []string{"+14255550123", "+442071838750", "+4930123"}
	bad := []string{"14255550123", "+0123456789", "+1 425 555", "+12", "+1234567890123456", "+1425555012a", ""}
	for _, n := range good {
		if _, err := participants.Phone(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range bad {
		if _, err := participants.Phone(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestPrimary(t *testing.T) {
	cases := []struct {
		set  participants.IdentitySet
		kind string
		name string
	}{
		{participants.User("u1", "t1"), "user", "u1"},
		{participants.Application("app", "Bot"), "application", "Bot"},
		{participants.ApplicationInstance("ai", "t1", "Hotline"), "applicationInstance", "Hotline"},
		{participants.Guest("", "Visitor"), "guest", "Visitor"},
		{participants.IdentitySet{}, "", ""},
	}
	for _, c := range cases {
		kind, _, ok := c.set.Primary()
		if kind != c.kind || ok != (c.kind != "") || c.set.DisplayName() != c.name {
			t.Errorf("%+v: kind %q name %q", c.set, kind, c.set.DisplayName())
		}
	}
}

func TestIdentitySetKeepsVariants(t *testing.T) {
	in := `{"@odata.type":"#microsoft.graph.communicationsIdentitySet","phone":{"@odata.type":"#microsoft.graph.identity","id":"+12345678"},"endpointType":"Voicemail","azureCommunicationServicesUser":{"id":"8:acs:1","azureCommunicationServicesResourceId":"r"}}`
	var s participants.IdentitySet
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.Phone.ID != "+12345678" || s.EndpointType != participants.EndpointTypeVoicemail || s.AzureCommunicationServicesUser.AzureCommunicationServicesResourceID != "r" {
		t.Errorf("%+v", s)
	}
}

func ExamplePhone() {
	id, err := participants.Phone("+14255550123")
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(participants.Invite(id))
	fmt.Println(string(out))
	_, err = participants.Phone("425-555-0123")
	fmt.Println(err)
	// Output:
	// {"@odata.type":"#microsoft.graph.invitationParticipantInfo","identity":{"@odata.type":"#microsoft.graph.communicationsIdentitySet","phone":{"@odata.type":"#microsoft.graph.identity","id":"+14255550123"}}}
	// participants: phone number "425-555-0123" must start with '+' (E.164)
}

func ExampleInviteReplacing() {
	// Move a peer-to-peer call with Alice into the meeting the bot is in.
	inv := participants.InviteReplacing(participants.User("aaaa1111-2222-4333-8444-555566667777", "11111111-2222-4333-8444-000000000001"), "d4d4d4d4-0000-4000-8000-00000000c002")
	fmt.Println(inv.Identity.User.ID, inv.ReplacesCallID)
	// Output: aaaa1111-2222-4333-8444-555566667777 d4d4d4d4-0000-4000-8000-00000000c002
}

func ExampleUser() {
	out, _ := json.Marshal(participants.User("aaaa1111-2222-4333-8444-555566667777", "11111111-2222-4333-8444-000000000001"))
	fmt.Println(string(out))
	// Output:
	// {"@odata.type":"#microsoft.graph.identitySet","user":{"@odata.type":"#microsoft.graph.identity","id":"aaaa1111-2222-4333-8444-555566667777","tenantId":"11111111-2222-4333-8444-000000000001"}}
}
