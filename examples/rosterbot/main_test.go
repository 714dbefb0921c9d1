package main

import (
	"testing"

	"github.com/graphcomms/graphcomms/examples/internal/demotest"
)

func TestDemo(t *testing.T) {
	demotest.Run(t, runDemo,
		"joined: Contoso bot",
		"joined: Olivia",
		"joined: Carol",
		"joined: Dave",
		"muted: Dave",
		"joined: Erin (waiting in the lobby)",
		"admitted from the lobby: Erin",
		"left: Carol",
		"the bot mutes Dave",
	)
}
