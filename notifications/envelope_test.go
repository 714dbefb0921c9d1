package notifications_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

func load(t *testing.T, name string) (notifications.CommsNotifications, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "notifications", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var env notifications.CommsNotifications
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return env, data
}

func only(t *testing.T, env notifications.CommsNotifications) (notifications.CommsNotification, any) {
	t.Helper()
	if len(env.Value) != 1 {
		t.Fatalf("want 1 notification, got %d", len(env.Value))
	}
	vals, err := env.Value[0].DecodeResourceData()
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 {
		t.Fatalf("want 1 resource, got %d", len(vals))
	}
	return env.Value[0], vals[0]
}

func TestFixturesRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "notifications", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			env, data := load(t, name)
			out, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			_ = json.Unmarshal(data, &a)
			_ = json.Unmarshal(out, &b)
			if name == "legacy-wild" {
				return // normalises enum case and numbers; checked in TestLegacyWild
			}
			if d := cmp.Diff(a, b); d != "" {
				t.Errorf("round trip changed the fixture (-in +out):\n%s", d)
			}
		})
	}
}

func TestCallNotifications(t *testing.T) {
	cases := []struct {
		file   string
		change notifications.ChangeType
		state  calls.State
	}{
		{"incoming-call", notifications.ChangeCreated, calls.StateIncoming},
		{"call-establishing", notifications.ChangeUpdated, calls.StateEstablishing},
		{"call-established", notifications.ChangeUpdated, calls.StateEstablished},
		{"call-terminated", notifications.ChangeDeleted, calls.StateTerminated},
		{"call-tone", notifications.ChangeUpdated, calls.StateEstablished},
	}
	for _, c := range cases {
		env, _ := load(t, c.file)
		n, v := only(t, env)
		call, ok := v.(*calls.Call)
		if !ok {
			t.Fatalf("%s: got %T", c.file, v)
		}
		if n.ChangeType != c.change || call.State != c.state {
			t.Errorf("%s: change %q state %q", c.file, n.ChangeType, call.State)
		}
	}
	env, _ := load(t, "incoming-call")
	_, v := only(t, env)
	call := v.(*calls.Call)
	if call.Direction != calls.DirectionIncoming || call.Source.Identity.User.DisplayName != "Alice Example" ||
		call.Targets[0].Identity.Application.DisplayName != "Contoso IVR" || call.RequestedModalities[0] != media.ModalityAudio {
		t.Errorf("incoming call: %+v", call)
	}
	env, _ = load(t, "call-terminated")
	_, v = only(t, env)
	ri := v.(*calls.Call).ResultInfo
	if ri.Code != 200 || ri.Subcode != 4521 || ri.EndReason() != calls.EndReasonRemoteHangUp {
		t.Errorf("terminated: %+v %s", ri, ri.EndReason())
	}
	env, _ = load(t, "call-tone")
	_, v = only(t, env)
	if ti := v.(*calls.Call).ToneInfo; ti.Tone != media.Tone1 || ti.SequenceID != 3 || ti.Tone.Key() != '1' {
		t.Errorf("tone: %+v", ti)
	}
}

func TestRoster(t *testing.T) {
	env, _ := load(t, "roster")
	n := env.Value[0]
	if !n.ResourceDataIsArray() {
		t.Fatal("roster resourceData should be an array")
	}
	vals, err := n.DecodeResourceData()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vals {
		p := v.(*participants.Participant)
		got = append(got, p.ID+":"+p.DisplayName())
		if p.ID == "p-alice-2" && !p.IsMuted {
			t.Error("alice should be muted")
		}
		if p.ID == "p-guest-3" && !p.IsInLobby {
			t.Error("guest should be in the lobby")
		}
	}
	want := []string{"p-bot-1:Contoso IVR", "p-alice-2:Alice Example", "p-guest-3:Visitor"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestOperationNotifications(t *testing.T) {
	cases := map[string]string{
		"op-playprompt":            "*calls.PlayPromptOperation",
		"op-playprompt-failed":     "*calls.PlayPromptOperation",
		"op-record":                "*calls.RecordOperation",
		"op-invite":                "*calls.InviteParticipantsOperation",
		"op-senddtmf":              "*calls.SendDtmfTonesOperation",
		"op-startholdmusic":        "*calls.StartHoldMusicOperation",
		"op-stopholdmusic":         "*calls.StopHoldMusicOperation",
		"op-subscribetotone":       "*calls.SubscribeToToneOperation",
		"op-mute":                  "*calls.MuteParticipantOperation",
		"op-unmute":                "*calls.UnmuteParticipantOperation",
		"op-updaterecordingstatus": "*calls.UpdateRecordingStatusOperation",
		"op-addlargegalleryview":   "*calls.AddLargeGalleryViewOperation",
		"op-cancelmediaprocessing": "*calls.CancelMediaProcessingOperation",
	}
	for file, typ := range cases {
		env, _ := load(t, file)
		n, v := only(t, env)
		op, ok := v.(calls.Operation)
		if !ok || fmt.Sprintf("%T", v) != typ {
			t.Errorf("%s: got %T, want %s", file, v, typ)
			continue
		}
		base := op.Base()
		if !strings.HasSuffix(n.URL(), "/operations/"+base.ID) || !base.Status.IsFinal() || base.ClientContext == "" {
			t.Errorf("%s: %+v", file, base)
		}
	}
	env, _ := load(t, "op-record")
	_, v := only(t, env)
	rec := v.(*calls.RecordOperation)
	if rec.RecordingLocation == "" || rec.RecordingAccessToken == "" || rec.CompletionReason != calls.RecordCompletionStopToneDetected {
		t.Errorf("record: %+v", rec)
	}
	env, _ = load(t, "op-playprompt-failed")
	_, v = only(t, env)
	pp := v.(*calls.PlayPromptOperation)
	if pp.Status != calls.OperationFailed || pp.ResultInfo.EndReason() != calls.EndReasonOperationCanceled {
		t.Errorf("failed prompt: %+v", pp)
	}
}

func TestContentSharing(t *testing.T) {
	env, _ := load(t, "contentsharing-created")
	_, v := only(t, env)
	if s, ok := v.(*calls.ContentSharingSession); !ok || s.ID == "" {
		t.Errorf("got %#v", v)
	}
	env, _ = load(t, "contentsharing-deleted")
	vals, err := env.Value[0].DecodeResourceData()
	if err != nil || vals != nil {
		t.Errorf("no resourceData should give nil, nil; got %v %v", vals, err)
	}
}

func TestLegacyWild(t *testing.T) {
	env, _ := load(t, "legacy-wild")
	n := env.Value[0]
	if n.ChangeType != notifications.ChangeUpdated || n.URL() != "app/calls/57DAB8B1894C409AB240BD8BEAE78896" {
		t.Errorf("envelope: %+v", n)
	}
	vals, err := n.DecodeResourceData()
	if err != nil {
		t.Fatal(err)
	}
	call := vals[0].(*calls.Call)
	if call.State != calls.StateEstablished || call.Direction != calls.DirectionOutgoing ||
		call.ResultInfo.Code != 200 || call.ResultInfo.Subcode != 5001 {
		t.Errorf("call: %+v", call)
	}
	if _, ok := call.AdditionalData["someFutureProperty"]; !ok {
		t.Error("unknown property dropped")
	}
	vals, err = env.Value[1].DecodeResourceData()
	if err != nil {
		t.Fatal(err)
	}
	op, ok := vals[0].(*calls.CommsOperation)
	if !ok || op.Status != calls.OperationCompleted || string(op.ResultInfo.AdditionalData["subCode"]) != `"transferAccepted"` {
		t.Errorf("operation without @odata.type: %#v", vals[0])
	}
	out, _ := json.Marshal(op)
	if !strings.Contains(string(out), `"subCode":"transferAccepted"`) {
		t.Errorf("non-numeric subcode not written back: %s", out)
	}
}

func TestMalformed(t *testing.T) {
	cases := map[string]string{
		"trailing comma": `{"value":[{"changeType":"updated",}]}`,
		"not JSON":       `hello`,
		"wrong top":      `[{"changeType":"updated"}]`,
		"comment": `{"value":[] // x
}`,
	}
	for name, in := range cases {
		var env notifications.CommsNotifications
		err := json.Unmarshal([]byte(in), &env)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	var env notifications.CommsNotifications
	err := env.UnmarshalJSON([]byte(`{"value":[{"changeType":"updated",}]}`))
	if err == nil || !strings.Contains(err.Error(), "trailing comma") || !strings.Contains(err.Error(), "value[0]") {
		t.Errorf("error should say what and where: %v", err)
	}
}
