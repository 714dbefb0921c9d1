package graphcommstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// Golden compares got, as JSON, with the golden file testdata/<name>.golden of the
// test's package, and fails t with a diff (-want +got) of the two values when they
// differ. got is anything encoding/json encodes; a json.RawMessage or []byte is
// taken as JSON text. The file holds got indented, members sorted; formatting
// differences do not count. name may name subdirectories ("ivr/requests"), but not
// leave testdata.
//
// With -graphcommstest.update (or the test's own -update flag, when it has one) the
// file is written instead.
func Golden(t testing.TB, name string, got any) {
	t.Helper()
	path, data, err := golden(name, got)
	if err != nil {
		t.Fatalf("graphcommstest: Golden(%q): %v", name, err)
	}
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("graphcommstest: %v", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatalf("graphcommstest: %v", err)
		}
		t.Logf("graphcommstest: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("graphcommstest: the golden file %s does not exist; run the test with -graphcommstest.update to write it", path)
		return
	}
	if err != nil {
		t.Fatalf("graphcommstest: %v", err)
	}
	if bytes.Equal(want, data) {
		return
	}
	var w, g any
	if err := unmarshalNumbers(want, &w); err != nil {
		t.Errorf("graphcommstest: the golden file %s is not JSON (%v); run the test with -graphcommstest.update to rewrite it", path, err)
		return
	}
	_ = unmarshalNumbers(data, &g)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("graphcommstest: %s differs from the golden file %s (-want +got):\n%s\nIf the change is right, run the test with -graphcommstest.update to accept it.",
			name, path, diff)
	}
}

// GoldenNotifications decodes a callback body with notifications.Parse and compares
// the typed notifications (kind, change type, resource path, IDs, and the typed
// call, participants, operation or content sharing session, as the SDK encodes them)
// with the golden file testdata/<name>.golden, as Golden does. A body that does not
// parse fails t.
func GoldenNotifications(t testing.TB, name string, body []byte) {
	t.Helper()
	notes, err := notifications.Parse(body)
	if err != nil {
		t.Errorf("graphcommstest: GoldenNotifications(%q): %v", name, err)
		return
	}
	out := make([]goldenNotification, len(notes))
	for i, n := range notes {
		out[i] = goldenNotification{
			Kind: string(n.Kind), ChangeType: string(n.ChangeType), ResourcePath: n.ResourcePath,
			CallID: n.CallID, OperationID: n.OperationID, SessionID: n.SessionID, Delta: n.Delta, Sequence: n.Sequence,
			Call: n.Call, Participants: n.Participants, Operation: n.Operation, ContentSharingSession: n.ContentSharingSession,
		}
	}
	Golden(t, name, out)
}

// goldenNotification is what GoldenNotifications compares of a notification.
type goldenNotification struct {
	Kind                  string                       `json:"kind"`
	ChangeType            string                       `json:"changeType"`
	ResourcePath          string                       `json:"resourcePath"`
	CallID                string                       `json:"callId,omitempty"`
	OperationID           string                       `json:"operationId,omitempty"`
	SessionID             string                       `json:"sessionId,omitempty"`
	Delta                 bool                         `json:"delta,omitempty"`
	Sequence              int64                        `json:"sequence,omitempty"`
	Call                  *calls.Call                  `json:"call,omitempty"`
	Participants          []participants.Participant   `json:"participants,omitempty"`
	Operation             calls.Operation              `json:"operation,omitempty"`
	ContentSharingSession *calls.ContentSharingSession `json:"contentSharingSession,omitempty"`
}

// golden returns the golden file's path and got as the file holds it.
func golden(name string, got any) (string, []byte, error) {
	if name == "" || !filepath.IsLocal(name) {
		return "", nil, errors.New("the name must be a relative path inside testdata")
	}
	var raw []byte
	switch v := got.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		var err error
		if raw, err = json.Marshal(got); err != nil {
			return "", nil, fmt.Errorf("encoding the value: %w", err)
		}
	}
	var tree any
	if err := unmarshalNumbers(raw, &tree); err != nil {
		return "", nil, fmt.Errorf("not JSON: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return "", nil, err
	}
	return filepath.Join("testdata", filepath.FromSlash(name)+".golden"), b.Bytes(), nil
}

// unmarshalNumbers decodes JSON keeping numbers as written.
func unmarshalNumbers(b []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}
