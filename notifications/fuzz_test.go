package notifications_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/notifications"
)

// FuzzDecode feeds arbitrary bodies to the envelope decoder and the typed resourceData
// decoder: they may fail, but must not panic, and what decodes must encode and decode
// again.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "notifications", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"value":[{"resourceData":[{"@odata.type":"#microsoft.graph.participant"},null]}]}`))
	f.Add([]byte(`{"value":[]}` + "\x00garbage"))
	f.Add([]byte("{\"value\":[{\"resourceUrl\":\"/communications/calls/\xff\",\"resourceData\":{\"id\":\"\xc3\"}}]}"))
	f.Add([]byte(`{"value":[{"resourceUrl":"/communications/calls/\ud800","resourceData":{"id":"\udc00"}}]}`))
	f.Add([]byte(`{"value":[` + strings.Repeat("{},", 200) + `{}]}`))
	f.Add([]byte(`{"value":[{"resourceUrl":"/communications/calls/c1/participants","resourceData":[` + strings.Repeat("{},", 30_000) + `{}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var env notifications.CommsNotifications
		if err := env.UnmarshalJSON(data); err != nil {
			return
		}
		for _, n := range env.Value {
			_, _ = n.DecodeResourceData()
			_ = n.CallID()
			_ = n.OperationID()
		}
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("encode after decode: %v", err)
		}
		var again notifications.CommsNotifications
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
	})
}
