package graphcomms_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/emulator"
)

// TestConfigCassette: with Config.Cassette and a Credential, the client records the
// callbacks it accepts and its Graph requests, with no token in the file.
func TestConfigCassette(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.cassette")
	var rec *cassette.Recorder
	e := newEnvWith(t, func(emu *emulator.Server, c *graphcomms.Config) {
		var err error
		if rec, err = cassette.NewRecorder(cassette.RecorderConfig{Path: path, Now: c.Clock.Now}); err != nil {
			t.Fatal(err)
		}
		c.Adapter, c.Credential, c.Cassette = nil, emu.Credential(), rec
	})
	answered(t, e, "alice")
	if err := e.emu.WaitIdle(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := cassette.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[cassette.Kind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[cassette.KindCallback] < 2 || kinds[cassette.KindRequest] < 1 {
		t.Errorf("recorded %v", kinds)
	}
	raw, _ := os.ReadFile(path)
	if s := string(raw); strings.Contains(strings.ToLower(s), "bearer") || strings.Contains(s, "eyJ") {
		t.Error("the cassette holds a token")
	}
}
