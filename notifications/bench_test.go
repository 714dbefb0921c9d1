package notifications_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/graphcomms/graphcomms/notifications"
)

func benchDecode(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "notifications", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var env notifications.CommsNotifications
		if err := env.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
		for _, n := range env.Value {
			if _, err := n.DecodeResourceData(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDecodeCallNotification decodes an established-call notification, envelope and
// typed resource.
func BenchmarkDecodeCallNotification(b *testing.B) { benchDecode(b, "call-established") }

// BenchmarkDecodeIncomingCall decodes an incoming-call notification.
func BenchmarkDecodeIncomingCall(b *testing.B) { benchDecode(b, "incoming-call") }

// BenchmarkDecodeRoster decodes a three-participant roster.
func BenchmarkDecodeRoster(b *testing.B) { benchDecode(b, "roster") }

// BenchmarkEncodeEnvelope re-encodes a decoded incoming-call notification.
func BenchmarkEncodeEnvelope(b *testing.B) {
	data, _ := os.ReadFile(filepath.Join("..", "testdata", "notifications", "incoming-call.json"))
	var env notifications.CommsNotifications
	if err := json.Unmarshal(data, &env); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
