package main

import (
	"testing"

	"github.com/graphcomms/graphcomms/examples/internal/demotest"
)

func TestDemo(t *testing.T) {
	demotest.Run(t, runDemo,
		"the bot joins Incident 4711",
		"alice: the bot plays https://media.contoso.example/incident-4711.wav",
		"alice: the bot invites Alice",
		"Alice  joined the incident meeting",
		"Bob    declined (pressed 2)",
		"Carol  did not answer",
		"Dave   declined the call",
		"Desk   did not answer",
		"In the meeting now: Contoso bot, Olivia, Alice",
	)
}
