package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/graph"
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
	if strings.Contains(strings.ToLower(n.ResourceURL), "/contentsharingsessions") {
		return "contentsharing:" + strings.ToLower(n.ChangeType)
	}
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

var (
	lineComment   = regexp.MustCompile(`(?m)\s//[^\n"]*$`)
	trailingComma = regexp.MustCompile(`,(\s*[}\]])`)
)

// lenientJSON repairs the doc examples that are not JSON only for trailing commas and
// line comments; others stay invalid and are skipped.
func lenientJSON(b []byte) []byte {
	b = lineComment.ReplaceAll(b, nil)
	return trailingComma.ReplaceAll(b, []byte("$1"))
}

// undocumentedPaths are property paths the emulator writes that no notification
// example in the docs has, each with where Graph documents the property.
var undocumentedPaths = map[string]map[string]string{
	"call:updated": {
		// The update once the call's audio is up: the docs show mediaState only as
		// null in create responses; the shape is the one recorded in the repository's
		// testdata.
		"$.value[].resourceData.mediaState":       "testdata/notifications/call-established.json",
		"$.value[].resourceData.mediaState.audio": "testdata/notifications/call-established.json",
	},
	"participants": {
		// updateMetadata (beta, since removed) has no notification example; the
		// participant resource documents metadata (v1.0/participant-get/02-response.json).
		"$.value[].resourceData[].metadata": "v1.0/participant-get/02-response.json",
	},
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
		if row.Kind != "notification" || row.Dir() == "concepts" ||
			!strings.HasSuffix(row.File, ".json") && !strings.HasSuffix(row.File, ".txt") {
			continue
		}
		body, _ := os.ReadFile(filepath.Join(root, row.File))
		if strings.HasSuffix(row.File, ".txt") {
			// The examples that are not valid JSON as written: trailing commas, //
			// comments (see the corpus README).
			body = lenientJSON(body)
		}
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
	alice := emu.AddUser("alice", emulator.Behavior{})
	h, _ := alice.CallBot()
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
	// Not a compliance-recording call: Graph refuses with 8506 (see TestComplianceRecording).
	if _, err = c.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording}); !graph.IsForbidden(err) {
		t.Errorf("updateRecordingStatus on a plain call: %v, want 403 8506", err)
	}
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

	// Call outcomes (v1.0/call-transfer, call-redirect, call-reject), a
	// compliance-recording invitation (v1.0/call-answer/15), updateMetadata and muteAll.
	answer := func(p *emulator.Person) *calls.CallRequestBuilder {
		t.Helper()
		h, err := p.CallBot()
		must(err)
		c := api.Calls().ByID(h.ID())
		must(c.Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)))
		return c
	}
	carl := emu.AddUser("carl", emulator.Behavior{Decline: true})
	must(answer(alice).Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(bob.Identity())}))
	failing := answer(alice)
	must(failing.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(carl.Identity())}))
	emu.Advance(time.Second)
	must(failing.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.InviteReplacing(bob.Identity(), "00000000-0000-4000-8000-000000000999")}))
	consult := calls.NewCall(s.srv.URL, nil)
	consult.Targets = []participants.Invitation{participants.Invite(bob.Identity())}
	withBob, err := api.Calls().Post(ctx, consult)
	must(err)
	emu.Advance(time.Millisecond)
	must(failing.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.InviteReplacing(bob.Identity(), withBob.ID)}))
	r1, _ := alice.CallBot()
	must(api.Calls().ByID(r1.ID()).Redirect().Post(ctx, &calls.RedirectRequest{Targets: []participants.Invitation{participants.Invite(bob.Identity())}}))
	r2, _ := alice.CallBot()
	must(api.Calls().ByID(r2.ID()).Reject().Post(ctx, &calls.RejectRequest{Reason: calls.RejectReasonNone}))
	rec, err := alice.StartComplianceRecording(bob)
	must(err)
	recCall := api.Calls().ByID(rec.ID())
	must(recCall.Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)))
	_, err = recCall.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording})
	must(err)
	_, err = recCall.UpdateMetadata().Post(ctx, &calls.UpdateMetadataRequest{Metadata: "bWV0YQ=="})
	must(err)
	_, err = recCall.Participants().MuteAll().Post(ctx, &calls.MuteAllRequest{})
	must(err)

	// A Teams user calls the bot's application instance (v1.0/call-redirect/09); the
	// bot calls another application; a person shares their screen in a call whose bot
	// asked for content sharing notifications (v1.0/application-post-calls/05 to 07).
	ai, err := alice.CallApplicationInstance()
	must(err)
	must(api.Calls().ByID(ai.ID()).Answer().Post(ctx, calls.NewAnswerRequest(s.srv.URL)))
	helper := emu.AddApplication("Contoso helper bot", emulator.Behavior{})
	toApp := calls.NewCall(s.srv.URL, nil)
	toApp.Targets = []participants.Invitation{participants.Invite(helper.Identity())}
	_, err = api.Calls().Post(ctx, toApp)
	must(err)
	sharing := calls.NewCall(s.srv.URL, nil)
	sharing.Targets = []participants.Invitation{participants.Invite(bob.Identity())}
	sharing.CallOptions = calls.OutgoingCallOptions()
	sharing.CallOptions.IsContentSharingNotificationEnabled = true
	shared, err := api.Calls().Post(ctx, sharing)
	must(err)
	emu.Advance(time.Second)
	sh, err := emu.Handle(shared.ID)
	must(err)
	sid, err := sh.StartSharing()
	must(err)
	must(sh.StopSharing(sid))
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
			if undocumentedPaths[kind][p] != "" {
				return true
			}
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
	for _, k := range []string{"call:created", "call:updated", "call:updated:tone", "call:deleted", "participants", "op:playpromptoperation", "op:recordoperation",
		"op:commsoperation", "op:muteparticipantsoperation", "op:updaterecordingstatusoperation", "contentsharing:created",
		"contentsharing:deleted"} {
		if seen[k] == 0 {
			t.Errorf("the scenario sent no %s notification", k)
		}
	}
}
