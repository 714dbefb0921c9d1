package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/internal/conformance"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// shape collects the property paths of a JSON value and the @odata.type values seen at
// each path. Array elements are written [].
func shape(v any, path string, paths map[string]bool, types map[string]map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := path + "." + k
			paths[p] = true
			if k == "@odata.type" {
				if s, ok := val.(string); ok {
					if types[p] == nil {
						types[p] = map[string]bool{}
					}
					types[p][strings.ToLower(s)] = true
				}
			}
			shape(val, p, paths, types)
		}
	case []any:
		for _, e := range x {
			shape(e, path+"[]", paths, types)
		}
	}
}

// kindOf names a notification body's kind: call:<changeType>[:tone], participants, or
// op:<type>.
func kindOf(body []byte) string {
	var env struct {
		Value []struct {
			ChangeType   string          `json:"changeType"`
			ResourceURL  string          `json:"resourceUrl"`
			ResourceData json.RawMessage `json:"resourceData"`
		} `json:"value"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Value) != 1 {
		return ""
	}
	n := env.Value[0]
	if strings.HasPrefix(strings.TrimSpace(string(n.ResourceData)), "[") {
		return "participants"
	}
	var rd map[string]any
	_ = json.Unmarshal(n.ResourceData, &rd)
	t, _ := rd["@odata.type"].(string)
	t = strings.TrimPrefix(strings.ToLower(t), "#microsoft.graph.")
	switch {
	case t == "call":
		k := "call:" + strings.ToLower(n.ChangeType)
		if _, ok := rd["toneInfo"]; ok {
			k += ":tone"
		}
		return k
	case strings.HasSuffix(t, "operation"):
		return "op:" + t
	}
	return t
}

// TestFidelity compares the JSON shape of every kind of notification the emulator
// sends with the Graph docs' examples of the same kind: every property path and every
// @odata.type value it writes must appear there, so the emulator cannot drift into a
// dialect only graphcomms speaks.
func TestFidelity(t *testing.T) {
	root, ok := conformance.FindCorpus()
	if !ok {
		t.Skip("corpus ../shared/graph-examples not found; emulator fidelity test skipped")
	}
	rows, err := conformance.ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	docPaths := map[string]map[string]bool{}
	docTypes := map[string]map[string]map[string]bool{}
	for _, row := range rows {
		if row.Kind != "notification" || !strings.HasSuffix(row.File, ".json") || row.Dir() == "concepts" {
			continue
		}
		body, _ := os.ReadFile(filepath.Join(root, row.File))
		kinds := []string{kindOf(body)}
		if strings.HasPrefix(kinds[0], "op:") {
			kinds = append(kinds, "op:*") // every operation, for subtypes the docs show no completion of
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			continue
		}
		for _, k := range kinds {
			if docPaths[k] == nil {
				docPaths[k], docTypes[k] = map[string]bool{}, map[string]map[string]bool{}
			}
			shape(v, "$", docPaths[k], docTypes[k])
		}
	}

	// Drive the emulator through every kind of notification it sends.
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	h, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	c := api.Calls().ByID(h.ID())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)))
	_, err = c.SubscribeToTone().Post(ctx, nil)
	must(err)
	_ = h.Press("5")
	_, err = c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}})
	must(err)
	_, err = c.RecordResponse().Post(ctx, &calls.RecordResponseRequest{})
	must(err)
	emu.Advance(time.Minute)
	_, err = c.Mute().Post(ctx, nil)
	must(err)
	_, err = c.Unmute().Post(ctx, nil)
	must(err)
	_, err = c.SendDtmfTones().Post(ctx, &calls.SendDtmfTonesRequest{Tones: []media.Tone{media.Tone1}})
	must(err)
	_, err = c.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording})
	must(err)
	_, err = c.AddLargeGalleryView().Post(ctx, nil)
	must(err)
	_, err = c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/b.wav")}})
	must(err)
	_, err = c.CancelMediaProcessing().Post(ctx, nil)
	must(err)
	_, err = c.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{Participants: []participants.Invitation{participants.Invite(bob.Identity())}})
	must(err)
	emu.Advance(time.Minute)
	parts, err := c.Participants().Get(ctx)
	must(err)
	pid := parts.Value[len(parts.Value)-1].ID
	_, err = c.Participants().ByID(pid).StartHoldMusic().Post(ctx, nil)
	must(err)
	_, err = c.Participants().ByID(pid).StopHoldMusic().Post(ctx, nil)
	must(err)
	_, err = c.Participants().ByID(pid).Mute().Post(ctx, nil)
	must(err)
	must(c.Delete(ctx))
	must(emu.WaitIdle(ctx))

	seen := map[string]int{}
	for _, ev := range emu.Events() {
		if ev.Kind != emulator.EventNotificationSent {
			continue
		}
		body := []byte(ev.Data["body"])
		kind := kindOf(body)
		seen[kind]++
		// Operations are compared with the examples of their own subtype and, for the
		// members every operation has, with all operation completions in the docs.
		refs := []string{kind}
		if strings.HasPrefix(kind, "op:") {
			refs = append(refs, "op:*")
		}
		known := false
		for _, r := range refs {
			known = known || docPaths[r] != nil
		}
		if !known {
			t.Errorf("the docs have no example of a %s notification", kind)
			continue
		}
		var v any
		_ = json.Unmarshal(body, &v)
		paths, types := map[string]bool{}, map[string]map[string]bool{}
		shape(v, "$", paths, types)
		inDocs := func(p string) bool {
			for _, r := range refs {
				if docPaths[r][p] {
					return true
				}
			}
			return false
		}
		typeInDocs := func(p, val string) bool {
			if p == "$.value[].resourceData.@odata.type" && strings.HasPrefix(kind, "op:") {
				// The subtype's own name: checked against its examples when there are some.
				return docTypes[kind] == nil || docTypes[kind][p][val]
			}
			for _, r := range refs {
				if docTypes[r][p][val] {
					return true
				}
			}
			return false
		}
		for p := range paths {
			if !inDocs(p) {
				t.Errorf("%s: path %s is not in the docs' examples", kind, p)
			}
		}
		for p, vals := range types {
			for val := range vals {
				if !typeInDocs(p, val) {
					t.Errorf("%s: @odata.type %s at %s is not in the docs' examples", kind, val, p)
				}
			}
		}
	}
	var kinds []string
	for k, n := range seen {
		kinds = append(kinds, k+"="+itoa(int64(n)))
	}
	sort.Strings(kinds)
	t.Logf("notification kinds compared with the docs: %s", strings.Join(kinds, " "))
	for _, k := range []string{"call:created", "call:updated", "call:updated:tone", "call:deleted", "participants", "op:playpromptoperation", "op:recordoperation"} {
		if seen[k] == 0 {
			t.Errorf("the scenario sent no %s notification", k)
		}
	}
}
