package calls_test

import (
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

func BenchmarkEncodeCreateCall(b *testing.B) {
	c := calls.NewCall("https://bot.contoso.com/api/calls", media.NewServiceHostedMediaConfig())
	c.Source = participants.Info{Identity: participants.Application("b0b0b0b0-1111-4222-8333-444455556666", "Contoso IVR")}
	c.Targets = []participants.Invitation{participants.Invite(participants.User("aaaa1111-2222-4333-8444-555566667777", "11111111-2222-4333-8444-000000000001"))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
