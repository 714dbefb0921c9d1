package main

import (
	"testing"

	"github.com/graphcomms/graphcomms/examples/internal/demotest"
)

func TestDemo(t *testing.T) {
	demotest.Run(t, runDemo,
		"alice: Alice calls the bot",
		"alice: the bot plays https://media.contoso.example/ivr/hours.wav",
		"alice: presses 1",
		"alice: the bot transfers the call to Sam",
		"bob: the bot transfers the call to Reception's voicemail",
		"carol: the bot plays https://media.contoso.example/ivr/goodbye.wav",
		"carol: the bot hangs up (200/7000)",
		"dave: Dave hung up (200/4521)",
		"erin: the bot redirects the call to Reception's voicemail",
	)
}
