package emulator_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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

// note is one notification the emulator sent: its changeType, resourceUrl and
// resourceData.
type note struct {
	change, url string
	data        any
}

// sentNotes returns the notifications the emulator sent about a call, in order (after
// WaitIdle).
func sentNotes(t *testing.T, emu *emulator.Server, callID string) []note {
	t.Helper()
	if err := emu.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var out []note
	for _, ev := range emu.Events() {
		if ev.Kind != emulator.EventNotificationSent || ev.CallID != callID {
			continue
		}
		var env struct {
			Value []struct {
				ChangeType   string `json:"changeType"`
				ResourceURL  string `json:"resourceUrl"`
				ResourceData any    `json:"resourceData"`
			} `json:"value"`
		}
		if err := json.Unmarshal([]byte(ev.Data["body"]), &env); err != nil || len(env.Value) != 1 {
			t.Fatalf("notification %s: %v", ev.Data["body"], err)
		}
		v := env.Value[0]
		out = append(out, note{v.ChangeType, v.ResourceURL, v.ResourceData})
	}
	return out
}

// callNotes returns the call-resource notifications about a call (not its roster, not
// its operations), optionally only those after the first n.
func callNotes(t *testing.T, emu *emulator.Server, callID string) []note {
	var out []note
	for _, n := range sentNotes(t, emu, callID) {
		if n.url == "/communications/calls/"+callID {
			out = append(out, n)
		}
	}
	return out
}

// docNote returns the resourceData and changeType of a notification in the docs
// corpus, e.g. "v1.0/call-transfer/05-notification.json"; the test is skipped when
// the corpus is absent.
func docNote(t *testing.T, file string) note {
	t.Helper()
	root, ok := conformance.FindCorpus()
	if !ok {
		t.Skip("corpus ../shared/graph-examples not found; doc comparison skipped")
	}
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Value []struct {
			ChangeType   string `json:"changeType"`
			ResourceURL  string `json:"resourceUrl"`
			ResourceData any    `json:"resourceData"`
		} `json:"value"`
	}
	if err := json.Unmarshal(b, &env); err != nil || len(env.Value) != 1 {
		t.Fatalf("%s: %v", file, err)
	}
	return note{env.Value[0].ChangeType, env.Value[0].ResourceURL, env.Value[0].ResourceData}
}

func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func member(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// sameAsDoc checks that a notification has the doc's changeType, the doc's members at
// the top of resourceData and in resultInfo, and the doc's values of state,
// resultInfo code/subcode/subCode and terminationReason (messages the docs leave as
// "<message>" are not compared).
//
// Members named in extra may be in the notification although the doc's example does
// not have them (each caller says where Graph documents them).
func sameAsDoc(t *testing.T, got note, file string, extra ...string) {
	t.Helper()
	want := docNote(t, file)
	if got.change != want.change {
		t.Errorf("%s: changeType %s, want %s", file, got.change, want.change)
	}
	g := slices.DeleteFunc(keysOf(got.data), func(k string) bool { return slices.Contains(extra, k) })
	if w := keysOf(want.data); !slices.Equal(g, w) {
		t.Errorf("%s: resourceData members %v, want %v", file, g, w)
	}
	if g, w := keysOf(member(got.data, "resultInfo")), keysOf(member(want.data, "resultInfo")); !slices.Equal(g, w) {
		t.Errorf("%s: resultInfo members %v, want %v", file, g, w)
	}
	for _, p := range [][]string{{"state"}, {"terminationReason"}, {"resultInfo", "code"}, {"resultInfo", "subcode"},
		{"resultInfo", "subCode"}, {"resultInfo", "message"}} {
		w := member(want.data, p...)
		if s, ok := w.(string); ok && strings.HasPrefix(s, "<") {
			continue
		}
		if g := member(got.data, p...); g != w {
			t.Errorf("%s: %s = %v, want %v", file, strings.Join(p, "."), g, w)
		}
	}
}

// answeredCall makes name call the bot and answers; it returns the handle and the
// call's builder.
func answeredCall(t *testing.T, emu *emulator.Server, api *calls.API, callback string, p *emulator.Person) (*emulator.CallHandle, *calls.CallRequestBuilder) {
	t.Helper()
	h, err := p.CallBot()
	if err != nil {
		t.Fatal(err)
	}
	c := api.Calls().ByID(h.ID())
	if err := c.Answer().Post(ctxT(t), calls.NewAnswerRequest(callback)); err != nil {
		t.Fatal(err)
	}
	return h, c
}

// TestCallOutcomesFollowTheDocs: every way a call ends, or a transfer fails, is sent
// as the docs' example of it.
func TestCallOutcomesFollowTheDocs(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	alice := emu.AddUser("alice", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{AnswerAfter: 2 * time.Second})
	carl := emu.AddUser("carl", emulator.Behavior{Decline: true})
	caller, err := emu.AddPhone("+14255550100", emulator.Behavior{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("blind transfer: v1.0/call-transfer/03,04,05", func(t *testing.T) {
		h, c := answeredCall(t, emu, api, s.srv.URL, alice)
		before := len(callNotes(t, emu, h.ID()))
		if err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(bob.Identity())}); err != nil {
			t.Fatal(err)
		}
		if got := callNotes(t, emu, h.ID())[before:]; len(got) != 1 || member(got[0].data, "state") != "transferring" {
			t.Fatalf("before Bob answers: %+v", got)
		}
		emu.Advance(2 * time.Second) // Bob answers
		got := callNotes(t, emu, h.ID())[before:]
		if len(got) != 3 {
			t.Fatalf("%d notifications: %+v", len(got), got)
		}
		for i, f := range []string{"v1.0/call-transfer/03-notification.json", "v1.0/call-transfer/04-notification.json", "v1.0/call-transfer/05-notification.json"} {
			sameAsDoc(t, got[i], f)
		}
		// The SDK reads it as a completed transfer.
		if n := lastCall(s, h.ID()); n == nil || n.ResultInfo.Code != 0 || n.ResultInfo.Subcode != 7015 || n.ResultInfo.EndReason() != calls.EndReasonTransferred {
			t.Errorf("parsed end: %+v", n)
		}
	})

	t.Run("consultative transfer: v1.0/call-transfer/09,10,11", func(t *testing.T) {
		h, c := answeredCall(t, emu, api, s.srv.URL, alice)
		// The bot's consultation call with Dave, who answers at once.
		dave := emu.AddUser("dave", emulator.Behavior{})
		consult := calls.NewCall(s.srv.URL, nil)
		consult.Targets = []participants.Invitation{participants.Invite(dave.Identity())}
		created, err := api.Calls().Post(ctx, consult)
		if err != nil {
			t.Fatal(err)
		}
		emu.Advance(time.Millisecond)
		before := len(callNotes(t, emu, h.ID()))
		if err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.InviteReplacing(dave.Identity(), created.ID)}); err != nil {
			t.Fatal(err)
		}
		got := callNotes(t, emu, h.ID())[before:]
		if len(got) != 3 {
			t.Fatalf("%d notifications: %+v", len(got), got)
		}
		for i, f := range []string{"v1.0/call-transfer/09-notification.json", "v1.0/call-transfer/10-notification.json", "v1.0/call-transfer/11-notification.json"} {
			sameAsDoc(t, got[i], f)
		}
		// The replaced call ends too. Undocumented: the emulator sends the shape of
		// 11-notification.json for it as well.
		rep := callNotes(t, emu, created.ID)
		if last := rep[len(rep)-1]; last.change != "deleted" || member(last.data, "terminationReason") != "AppTransferred" || member(last.data, "resultInfo") != nil {
			t.Errorf("replaced call's end: %+v", last)
		}
	})

	t.Run("blind transfer declined: v1.0/call-transfer/06", func(t *testing.T) {
		h, c := answeredCall(t, emu, api, s.srv.URL, alice)
		before := len(callNotes(t, emu, h.ID()))
		if err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(carl.Identity())}); err != nil {
			t.Fatal(err)
		}
		emu.Advance(time.Second) // Carl declines
		got := callNotes(t, emu, h.ID())[before:]
		if len(got) != 2 {
			t.Fatalf("%d notifications: %+v", len(got), got)
		}
		sameAsDoc(t, got[0], "v1.0/call-transfer/03-notification.json")
		sameAsDoc(t, got[1], "v1.0/call-transfer/06-notification.json")
		if h.State() != calls.StateEstablished {
			t.Errorf("after a failed transfer: %s", h.State())
		}
		if err := c.KeepAlive().Post(ctx, nil); err != nil {
			t.Errorf("the call is not up: %v", err)
		}
		if n := lastCall(s, h.ID()); n == nil || n.ResultInfo.Code != 500 || n.ResultInfo.Subcode != 7000 {
			t.Errorf("parsed failure: %+v", n)
		}
		_ = h.HangUp()
	})

	t.Run("consultative transfer, replaced call gone: v1.0/call-transfer/12", func(t *testing.T) {
		h, c := answeredCall(t, emu, api, s.srv.URL, alice)
		before := len(callNotes(t, emu, h.ID()))
		err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.InviteReplacing(bob.Identity(), "00000000-0000-4000-8000-000000000999")})
		if err != nil {
			t.Fatal(err)
		}
		got := callNotes(t, emu, h.ID())[before:]
		if len(got) != 2 {
			t.Fatalf("%d notifications: %+v", len(got), got)
		}
		sameAsDoc(t, got[1], "v1.0/call-transfer/12-notification.json")
		if member(got[1].data, "replacesContext") == "" {
			t.Error("no replacesContext")
		}
		_ = h.HangUp()
	})

	t.Run("blind transfer to an unknown phone number: v1.0/call-transfer/18", func(t *testing.T) {
		// A phone call to the bot reaches its application instance, from which it may
		// transfer to phone numbers.
		h, c := answeredCall(t, emu, api, s.srv.URL, caller)
		before := len(callNotes(t, emu, h.ID()))
		unknown, _ := participants.Phone("+14255550199")
		if err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(unknown)}); err != nil {
			t.Fatal(err)
		}
		got := callNotes(t, emu, h.ID())[before:]
		if len(got) != 2 {
			t.Fatalf("%d notifications: %+v", len(got), got)
		}
		sameAsDoc(t, got[0], "v1.0/call-transfer/15-notification.json")
		sameAsDoc(t, got[1], "v1.0/call-transfer/18-notification.json")
		// And consultatively: 24 has no replacesContext for a phone number.
		before = len(callNotes(t, emu, h.ID()))
		if err := c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.InviteReplacing(unknown, "00000000-0000-4000-8000-000000000998")}); err != nil {
			t.Fatal(err)
		}
		got = callNotes(t, emu, h.ID())[before:]
		sameAsDoc(t, got[len(got)-1], "v1.0/call-transfer/24-notification.json")
		_ = h.HangUp()
	})

	t.Run("redirect: v1.0/call-redirect/08", func(t *testing.T) {
		h, _ := alice.CallBot()
		if err := api.Calls().ByID(h.ID()).Redirect().Post(ctx, &calls.RedirectRequest{Targets: []participants.Invitation{participants.Invite(bob.Identity())}}); err != nil {
			t.Fatal(err)
		}
		got := callNotes(t, emu, h.ID())
		sameAsDoc(t, got[len(got)-1], "v1.0/call-redirect/08-notification.json")
		if h.State() != calls.StateTerminated {
			t.Errorf("state %s", h.State())
		}
	})

	t.Run("reject: v1.0/call-reject/06", func(t *testing.T) {
		h, _ := alice.CallBot()
		if err := api.Calls().ByID(h.ID()).Reject().Post(ctx, &calls.RejectRequest{Reason: calls.RejectReasonBusy}); err != nil {
			t.Fatal(err)
		}
		got := callNotes(t, emu, h.ID())
		sameAsDoc(t, got[len(got)-1], "v1.0/call-reject/06-notification.json")
	})

	t.Run("declined and unanswered outgoing calls: undocumented", func(t *testing.T) {
		// Not in the call-delete table: a decline ends with 603/0 (the code Azure
		// Communication Services documents for a declined call), no answer with the
		// table's 408/10057, "Call timed out due to no signaling from callee endpoints".
		emu.AddUser("away", emulator.Behavior{NoAnswer: true})
		dial := func(who participants.IdentitySet) string {
			c := calls.NewCall(s.srv.URL, nil)
			c.Targets = []participants.Invitation{participants.Invite(who)}
			created, err := api.Calls().Post(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			return created.ID
		}
		declined, unanswered := dial(carl.Identity()), dial(emu.Person("away").Identity())
		emu.Advance(emulator.DefaultRingTimeout)
		_ = emu.WaitIdle(ctx)
		for id, want := range map[string][2]int32{declined: {603, 0}, unanswered: {408, 10057}} {
			end := lastCall(s, id)
			if end == nil || end.State != calls.StateTerminated || end.ResultInfo.Code != want[0] || end.ResultInfo.Subcode != want[1] {
				t.Errorf("call %s ended %+v, want %v", id, end, want)
			}
		}
	})
}

// lastCall returns the last call notification the bot parsed for a call.
func lastCall(s *sink, callID string) *calls.Call {
	var out *calls.Call
	for _, n := range s.all() {
		if n.CallID == callID && n.Call != nil {
			out = n.Call
		}
	}
	return out
}

// postRaw sends a request body as it is (the SDK's builders refuse what breaks a
// documented limit before sending it) and returns the status and Graph's error.
func postRaw(t *testing.T, emu *emulator.Server, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, emu.GraphURL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("client-request-id", "c0ffee00-0000-4000-8000-000000000001")
	req.Header.Set("Authorization", "Bearer "+token(t, emu))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// TestLimits: what breaks a limit Graph documents is refused with 400 and Graph's
// error body, naming the field and the limit. Graph's error code for these is not
// documented; the emulator answers "BadRequest".
func TestLimits(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	api := apiFor(t, emu, auth.RetryPolicy{})
	h, _ := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
	incoming, _ := emu.AddUser("bob", emulator.Behavior{}).CallBot()
	prompt := `{"@odata.type":"#microsoft.graph.mediaPrompt","mediaInfo":{"@odata.type":"#microsoft.graph.mediaInfo","uri":"https://cdn.example.com/a.wav"}}`
	target := `{"@odata.type":"#microsoft.graph.invitationParticipantInfo","identity":{"user":{"id":"u1"}}}`
	call := "/communications/calls/" + h.ID()
	for _, tc := range []struct {
		name, path, body, field string
	}{
		// call-record: "Max = 120 seconds".
		{"recordResponse 121 s", call + "/recordResponse", `{"maxRecordDurationInSeconds":121}`, "maxRecordDurationInSeconds"},
		// call-playprompt: "the maximum number of prompts supported is 20".
		{"21 prompts", call + "/playPrompt", `{"prompts":[` + strings.TrimSuffix(strings.Repeat(prompt+",", 21), ",") + `]}`, "prompts"},
		// call-redirect: "up to 25 targets for simultaneous ring".
		{"redirect to 26", "/communications/calls/" + incoming.ID() + "/redirect", `{"targets":[` + strings.TrimSuffix(strings.Repeat(target+",", 26), ",") + `]}`, "targets"},
		// call-redirect: timeout "between 15 and 90 seconds inclusive".
		{"redirect timeout 10", "/communications/calls/" + incoming.ID() + "/redirect", `{"targets":[` + target + `],"timeout":10}`, "timeout"},
		// Every action page: clientContext "Can have a maximum of 256 characters".
		{"clientContext of 257", call + "/subscribeToTone", `{"clientContext":"` + strings.Repeat("x", 257) + `"}`, "clientContext"},
		// application-post-calls: callbackUri must be https (http only on loopback, for
		// emulators), mediaConfig is required.
		{"http callbackUri", "/communications/calls", `{"callbackUri":"http://bot.example.com/cb","mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"},"targets":[` + target + `]}`, "callbackUri"},
		{"no mediaConfig", "/communications/calls", `{"callbackUri":"https://bot.example.com/cb","targets":[` + target + `]}`, "mediaConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postRaw(t, emu, tc.path, tc.body)
			msg, _ := member(body, "error", "message").(string)
			if status != http.StatusBadRequest || member(body, "error", "code") != "BadRequest" || !strings.Contains(msg, tc.field) {
				t.Fatalf("%d %v", status, body)
			}
			inner, _ := member(body, "error", "innerError").(map[string]any)
			if inner["request-id"] == "" || inner["date"] == nil || inner["client-request-id"] != "c0ffee00-0000-4000-8000-000000000001" {
				t.Errorf("innerError %v", inner)
			}
		})
	}
	if h.State() != calls.StateEstablished || incoming.State() != calls.StateIncoming {
		t.Errorf("a refused request changed a call: %s, %s", h.State(), incoming.State())
	}
}

// wavOf returns a WAV file of one second in the given format.
func wavOf(rate uint32, channels, bits uint16) []byte {
	data := make([]byte, int(rate)*int(channels)*int(bits)/8)
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(channels)
	w(rate)
	w(rate * uint32(channels) * uint32(bits) / 8)
	w(channels * bits / 8)
	w(bits)
	b.WriteString("data")
	w(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// TestPromptFormat: a prompt the emulator can fetch (loopback) must be a WAV file,
// PCM, mono, 16-bit, 16 kHz (Teams platform docs, calls and meetings bots: supported
// media formats); one that is not fails its playPrompt or recordResponse operation.
// Graph's code for that is undocumented (the docs show failed media operations only
// when cancelled, 400/8508): the emulator uses 400/SubcodePromptNotPlayable.
func TestPromptFormat(t *testing.T) {
	files := map[string][]byte{
		"/ok.wav":     emulator.WAV(1500*time.Millisecond, true),
		"/8khz.wav":   wavOf(8000, 1, 16),
		"/stereo.wav": wavOf(16000, 2, 16),
		"/8bit.wav":   wavOf(16000, 1, 8),
		"/text.wav":   []byte("this is not audio"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	_, c := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
	play := func(uri string) *calls.PlayPromptOperation {
		op, err := c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt(uri)}})
		if err != nil || op.Status != calls.OperationRunning {
			t.Fatalf("%s: %v %+v", uri, err, op)
		}
		return op
	}
	completion := func(id string) *calls.CommsOperation {
		_ = emu.WaitIdle(ctx)
		for _, n := range s.all() {
			if n.Operation != nil && n.Operation.Base().ID == id {
				return n.Operation.Base()
			}
		}
		return nil
	}
	ok := play(srv.URL + "/ok.wav")
	if got := completion(ok.ID); got != nil {
		t.Fatalf("a good prompt ended at once: %+v", got)
	}
	emu.Advance(1500 * time.Millisecond)
	if got := completion(ok.ID); got == nil || got.Status != calls.OperationCompleted {
		t.Errorf("good prompt: %+v", got)
	}
	for _, f := range []string{"/8khz.wav", "/stereo.wav", "/8bit.wav", "/text.wav", "/missing.wav"} {
		op := play(srv.URL + f)
		got := completion(op.ID)
		if got == nil || got.Status != calls.OperationFailed || got.ResultInfo.Code != emulator.CodePromptNotPlayable ||
			got.ResultInfo.Subcode != emulator.SubcodePromptNotPlayable || !strings.Contains(got.ResultInfo.Message, f) {
			t.Errorf("%s: %+v", f, got)
		}
	}
	rec, err := c.RecordResponse().Post(ctx, &calls.RecordResponseRequest{Prompts: []media.Prompt{media.NewMediaPrompt(srv.URL + "/8khz.wav")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := completion(rec.ID); got == nil || got.Status != calls.OperationFailed || got.ResultInfo.Subcode != emulator.SubcodePromptNotPlayable {
		t.Errorf("recordResponse with a bad prompt: %+v", got)
	}
	// A prompt elsewhere is never fetched: it plays for the default duration.
	far := play("https://prompts.example.invalid/menu.wav")
	emu.Advance(emulator.DefaultPromptDuration)
	if got := completion(far.ID); got == nil || got.Status != calls.OperationCompleted {
		t.Errorf("non-loopback prompt: %+v", got)
	}
}

// TestReadWAVFormat reads the formats of WAV headers.
func TestReadWAVFormat(t *testing.T) {
	f, err := emulator.ReadWAVFormat(bytes.NewReader(emulator.WAV(2*time.Second, false)))
	if err != nil || f.CheckPrompt() != nil || f.Duration != 2*time.Second {
		t.Fatalf("%+v %v %v", f, err, f.CheckPrompt())
	}
	f, err = emulator.ReadWAVFormat(bytes.NewReader(wavOf(44100, 2, 16)))
	if err != nil || f.SampleRate != 44100 || f.Channels != 2 || f.CheckPrompt() == nil {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := emulator.ReadWAVFormat(strings.NewReader("RIFF")); err == nil {
		t.Error("a truncated header was read")
	}
}

// TestAnswerBudgets: an incoming call must be answered within 15 s, a
// compliance-recording invitation within 5 s (reference §1.1, answer: "It must be
// answered within 15 s, or 5 s for policy-based recording"). How the call ends then
// is undocumented: the emulator sends 408/10057.
func TestAnswerBudgets(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	alice := emu.AddUser("alice", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	regular, _ := alice.CallBot()
	recorded, err := alice.StartComplianceRecording(bob)
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(4900 * time.Millisecond)
	if recorded.State() != calls.StateIncoming {
		t.Fatalf("compliance invitation after 4.9 s: %s", recorded.State())
	}
	emu.Advance(100 * time.Millisecond)
	if recorded.State() != calls.StateTerminated || regular.State() != calls.StateIncoming {
		t.Fatalf("after 5 s: compliance %s, regular %s", recorded.State(), regular.State())
	}
	emu.Advance(10 * time.Second)
	if regular.State() != calls.StateTerminated {
		t.Fatalf("after 15 s: %s", regular.State())
	}
	for _, id := range []string{regular.ID(), recorded.ID()} {
		got := callNotes(t, emu, id)
		last := got[len(got)-1]
		if last.change != "deleted" || member(last.data, "resultInfo", "code") != float64(408) || member(last.data, "resultInfo", "subcode") != float64(10057) {
			t.Errorf("call %s ended %+v", id, last)
		}
	}
}

// TestComplianceRecording: the invitation has the shape of
// v1.0/call-answer/15-notification.json; the bot answers with participantCapacity
// (recorded in the transcript); updateRecordingStatus succeeds on it, and fails on
// any other call with Graph's 8506 (seen by bots, graph-comms-samples#444; not in the
// docs) unless Config.LenientRecordingStatus is set.
func TestComplianceRecording(t *testing.T) {
	emu, err := emulator.Start(emulator.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	alice := emu.AddUser("alice", emulator.Behavior{})
	bob := emu.AddUser("bob", emulator.Behavior{})
	h, err := alice.StartComplianceRecording(bob)
	if err != nil {
		t.Fatal(err)
	}
	created := callNotes(t, emu, h.ID())[0]
	sameAsDoc(t, created, "v1.0/call-answer/15-notification.json")
	want := docNote(t, "v1.0/call-answer/15-notification.json")
	for _, p := range [][]string{{"incomingContext"}, {"meetingInfo"}} {
		if g, w := keysOf(member(created.data, p...)), keysOf(member(want.data, p...)); !slices.Equal(g, w) {
			t.Errorf("%s members %v, want %v", p, g, w)
		}
	}
	if ic := member(created.data, "incomingContext"); member(ic, "observedParticipantId") == "" || member(ic, "observedParticipantId") != member(ic, "sourceParticipantId") {
		t.Errorf("incomingContext %v", ic)
	}
	if r := member(created.data, "applicationMetadata", "botData", "inviteReasons"); !slices.Equal(toStrings(r), []string{"PolicyBasedRecording"}) {
		t.Errorf("inviteReasons %v", r)
	}
	if app := member(created.data, "targets"); len(toAny(app)) != 1 || member(toAny(app)[0], "identity", "applicationInstance", "id") == nil {
		t.Errorf("targets %v", app)
	}

	c := api.Calls().ByID(h.ID())
	answer := calls.NewAnswerRequest(s.srv.URL)
	answer.ParticipantCapacity = 2
	if err := c.Answer().Post(ctx, answer); err != nil {
		t.Fatal(err)
	}
	ev, err := h.Wait(ctx, emulator.EventAnswered)
	if err != nil || ev.Data["participantCapacity"] != "2" || !strings.Contains(ev.Detail, "participantCapacity 2") {
		t.Errorf("answer event %+v %v", ev, err)
	}
	if _, err := c.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording}); err != nil {
		t.Errorf("updateRecordingStatus on a compliance call: %v", err)
	}
	// On an ordinary call: 8506.
	_, other := answeredCall(t, emu, api, s.srv.URL, bob)
	_, err = other.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording})
	var ge *calls.Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusForbidden || ge.Code != "8506" {
		t.Errorf("updateRecordingStatus on an ordinary call: %v", err)
	}
	// The recorded person hangs up: the call ends.
	if err := h.HangUp(); err != nil {
		t.Fatal(err)
	}
	if h.State() != calls.StateTerminated {
		t.Errorf("state %s", h.State())
	}
}

func toAny(v any) []any { a, _ := v.([]any); return a }

func toStrings(v any) []string {
	var out []string
	for _, x := range toAny(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// rosterOf returns the last roster the bot got for a call.
func rosterOf(s *sink, callID string) []participants.Participant {
	var out []participants.Participant
	for _, n := range s.all() {
		if n.CallID == callID && n.Participants != nil {
			out = n.Participants
		}
	}
	return out
}

// TestUpdateMetadataAndMuteAll: updateMetadata (beta, since removed from Graph's docs)
// answers a commsOperation that completes and shows the metadata on the bot's
// participant in a roster update; muteAll (beta, reference §1.4) mutes the listed
// participants, with a muteParticipantsOperation and a roster update.
func TestUpdateMetadataAndMuteAll(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	ctx := ctxT(t)
	api := apiFor(t, emu, auth.RetryPolicy{})
	m := emu.NewMeeting("Sync", emu.AddUser("olivia", emulator.Behavior{}))
	carol, dave := emu.AddUser("carol", emulator.Behavior{}), emu.AddUser("dave", emulator.Behavior{})
	carol.Join(m)
	dave.Join(m)
	join := calls.NewCall(s.srv.URL, nil)
	join.ChatInfo, join.MeetingInfo = m.ChatInfo(), m.MeetingInfo()
	created, err := api.Calls().Post(ctx, join)
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Second)
	c := api.Calls().ByID(created.ID)

	op, err := c.UpdateMetadata().Post(ctx, &calls.UpdateMetadataRequest{Metadata: "eyJzdGF0dXMiOiJyZWFkeSJ9", ClientContext: "meta"})
	if err != nil || op.ID == "" {
		t.Fatalf("%v %+v", err, op)
	}
	_ = emu.WaitIdle(ctx)
	var bot participants.Participant
	for _, p := range rosterOf(s, created.ID) {
		if p.ID == created.MyParticipantID {
			bot = p
		}
	}
	if bot.Metadata != "eyJzdGF0dXMiOiJyZWFkeSJ9" {
		t.Errorf("bot participant %+v", bot)
	}
	got, _ := c.Operations().ByID(op.ID).Get(ctx)
	if got == nil || got.Base().Status != calls.OperationCompleted || got.ODataTypeName() != "#microsoft.graph.commsOperation" {
		t.Errorf("operation %+v", got)
	}

	var carolID string
	for _, p := range rosterOf(s, created.ID) {
		if p.DisplayName() == "Carol" {
			carolID = p.ID
		}
	}
	mop, err := c.Participants().MuteAll().Post(ctx, &calls.MuteAllRequest{Participants: []string{carolID}})
	if err != nil || mop.ID == "" {
		t.Fatalf("%v %+v", err, mop)
	}
	_ = emu.WaitIdle(ctx)
	for _, p := range rosterOf(s, created.ID) {
		if want := p.ID == carolID; p.IsMuted != want {
			t.Errorf("%s muted: %v", p.DisplayName(), p.IsMuted)
		}
	}
	var done *calls.MuteParticipantsOperation
	for _, n := range s.all() {
		if o, ok := n.Operation.(*calls.MuteParticipantsOperation); ok && o.ID == mop.ID {
			done = o
		}
	}
	if done == nil || done.Status != calls.OperationCompleted || !slices.Equal(done.Participants, []string{carolID}) {
		t.Errorf("muteAll completion %+v", done)
	}
}

// TestEscalation: a peer-to-peer call becomes a group call when a third party joins
// it (the calls overview: "A group call occurs if there are either three or more
// participants"); its roster is notified (participant-invite: "all participants will
// receive a roster update"). When a person escalates it, a bot that may not join group
// calls is dropped, with a code of the emulator's own (Graph documents none).
func TestEscalation(t *testing.T) {
	t.Run("the bot invites a third party", func(t *testing.T) {
		emu := startEmulator(t)
		s := newSink(t)
		emu.SetCallbackURL(s.srv.URL)
		ctx := ctxT(t)
		api := apiFor(t, emu, auth.RetryPolicy{})
		alice, bob := emu.AddUser("alice", emulator.Behavior{}), emu.AddUser("bob", emulator.Behavior{})
		h, c := answeredCall(t, emu, api, s.srv.URL, alice)
		if _, err := c.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{Participants: []participants.Invitation{participants.Invite(bob.Identity())}}); err != nil {
			t.Fatal(err)
		}
		emu.Advance(time.Millisecond)
		if _, err := h.Wait(ctx, emulator.EventEscalated); err != nil {
			t.Fatal(err)
		}
		_ = emu.WaitIdle(ctx)
		if n := len(rosterOf(s, h.ID())); n != 3 {
			t.Errorf("roster of %d", n)
		}
		// A group call outlives one person hanging up.
		if err := h.HangUp(); err != nil {
			t.Fatal(err)
		}
		_ = emu.WaitIdle(ctx)
		if h.State() != calls.StateEstablished || len(rosterOf(s, h.ID())) != 2 {
			t.Errorf("after Alice left: %s, roster %v", h.State(), rosterOf(s, h.ID()))
		}
	})
	for _, tc := range []struct {
		name  string
		perms []emulator.Permission
		stays bool
	}{
		{"a person escalates, the bot may join group calls", nil, true},
		{"a person escalates, the bot may not join group calls", []emulator.Permission{emulator.PermissionInitiate, emulator.PermissionAccessMedia}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu, err := emulator.Start(emulator.Config{Logger: testLogger(t), Permissions: tc.perms})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(emu.Close)
			s := newSink(t)
			emu.SetCallbackURL(s.srv.URL)
			ctx := ctxT(t)
			api := apiFor(t, emu, auth.RetryPolicy{})
			alice := emu.AddUser("alice", emulator.Behavior{})
			carol := emu.AddUser("carol", emulator.Behavior{AnswerAfter: time.Second})
			h, _ := answeredCall(t, emu, api, s.srv.URL, alice)
			if err := h.Escalate(carol); err != nil {
				t.Fatal(err)
			}
			emu.Advance(time.Second)
			_ = emu.WaitIdle(ctx)
			if tc.stays {
				if h.State() != calls.StateEstablished || len(rosterOf(s, h.ID())) != 3 {
					t.Errorf("%s, roster %v", h.State(), rosterOf(s, h.ID()))
				}
				return
			}
			end := lastCall(s, h.ID())
			if h.State() != calls.StateTerminated || end == nil || end.ResultInfo.Code != emulator.CodeDroppedOnEscalation || end.ResultInfo.Subcode != emulator.SubcodeDroppedOnEscalation {
				t.Errorf("%s, end %+v", h.State(), end)
			}
		})
	}
}

// TestPermissions: what the bot's app is not granted is refused with 403 and Graph's
// error body. The permissions are those of reference §1.1's endpoint table (any one of
// an action's permissions suffices); the error code is Graph's 7504, "Insufficient
// enterprise tenant permissions, cannot access this API." as bots have reported it
// (graph-comms-samples#276), not documented on the pages.
func TestPermissions(t *testing.T) {
	start := func(t *testing.T, ps ...emulator.Permission) (*emulator.Server, *sink, *calls.API) {
		emu, err := emulator.Start(emulator.Config{Logger: testLogger(t), Permissions: append([]emulator.Permission{}, ps...)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(emu.Close)
		s := newSink(t)
		emu.SetCallbackURL(s.srv.URL)
		return emu, s, apiFor(t, emu, auth.RetryPolicy{})
	}
	forbidden := func(t *testing.T, what string, err error, code string) {
		t.Helper()
		var ge *calls.Error
		if !errors.As(err, &ge) || ge.StatusCode != http.StatusForbidden || ge.Code != code {
			t.Errorf("%s: %v, want 403 %s", what, err, code)
		}
	}
	ctx := ctxT(t)
	dial := func(api *calls.API, callback string, source *participants.IdentitySet, who ...participants.IdentitySet) (*calls.Call, error) {
		c := calls.NewCall(callback, nil)
		for _, w := range who {
			c.Targets = append(c.Targets, participants.Invite(w))
		}
		if source != nil {
			c.Source = participants.Info{Identity: *source}
		}
		return api.Calls().Post(ctx, c)
	}
	join := func(api *calls.API, emu *emulator.Server, callback string) (*calls.Call, error) {
		m := emu.NewMeeting("Standup", emu.AddUser("olivia", emulator.Behavior{}))
		c := calls.NewCall(callback, nil)
		c.ChatInfo, c.MeetingInfo = m.ChatInfo(), m.MeetingInfo()
		return api.Calls().Post(ctx, c)
	}

	t.Run("a meeting bot (Calls.JoinGroupCall.All only)", func(t *testing.T) {
		emu, s, api := start(t, emulator.PermissionJoinGroupCall)
		alice, bob := emu.AddUser("alice", emulator.Behavior{}).Identity(), emu.AddUser("bob", emulator.Behavior{}).Identity()
		_, err := dial(api, s.srv.URL, nil, alice)
		forbidden(t, "peer-to-peer call without Calls.Initiate.All", err, "7504")
		_, err = dial(api, s.srv.URL, nil, alice, bob)
		forbidden(t, "group call without Calls.InitiateGroupCall.All", err, "7504")
		joined, err := join(api, emu, s.srv.URL)
		if err != nil {
			t.Fatalf("joining a meeting: %v", err)
		}
		emu.Advance(time.Second)
		c := api.Calls().ByID(joined.ID)
		_, err = c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}})
		forbidden(t, "playPrompt without Calls.Initiate.All or Calls.AccessMedia.All", err, "7504")
		_, err = c.SendDtmfTones().Post(ctx, &calls.SendDtmfTonesRequest{Tones: []media.Tone{media.Tone1}})
		forbidden(t, "sendDtmfTones without Calls.Initiate.All or Calls.AccessMedia.All", err, "7504")
		_, err = c.CancelMediaProcessing().Post(ctx, nil)
		forbidden(t, "cancelMediaProcessing without Calls.Initiate.All or Calls.AccessMedia.All", err, "7504")
		_, err = c.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{Participants: []participants.Invitation{participants.Invite(alice)}})
		forbidden(t, "invite without Calls.InitiateGroupCall.All", err, "7504")
		if !strings.Contains(errString(err), "Calls.InitiateGroupCall.All") {
			t.Errorf("the error does not name the permission: %v", err)
		}
	})

	t.Run("an IVR bot without Calls.AccessMedia.All", func(t *testing.T) {
		emu, s, api := start(t, emulator.PermissionInitiate)
		_, err := join(api, emu, s.srv.URL)
		forbidden(t, "joining a meeting without Calls.JoinGroupCall(AsGuest).All", err, "7504")
		_, c := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
		_, err = c.RecordResponse().Post(ctx, &calls.RecordResponseRequest{})
		forbidden(t, "recordResponse without Calls.AccessMedia.All", err, "7504")
		_, err = c.SubscribeToTone().Post(ctx, nil)
		forbidden(t, "subscribeToTone without Calls.AccessMedia.All", err, "7504")
		// playPrompt's table lists Calls.Initiate.All too.
		if _, err := c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/a.wav")}}); err != nil {
			t.Errorf("playPrompt with Calls.Initiate.All: %v", err)
		}
	})

	t.Run("app-hosted media needs Calls.AccessMedia.All", func(t *testing.T) {
		emu, s, api := start(t, emulator.PermissionInitiate)
		c := calls.NewCall(s.srv.URL, &media.AppHostedMediaConfig{ODataType: "#microsoft.graph.appHostedMediaConfig", Blob: "{}"})
		c.Targets = []participants.Invitation{participants.Invite(emu.AddUser("alice", emulator.Behavior{}).Identity())}
		_, err := api.Calls().Post(ctx, c)
		forbidden(t, "app-hosted media", err, "7504")
	})

	t.Run("phone numbers need the application instance", func(t *testing.T) {
		emu, s, api := start(t, emulator.DefaultPermissions...)
		phone, _ := emu.AddPhone("+14255550123", emulator.Behavior{})
		// The SDK refuses this before sending (calls.Call.ValidateCreate); the emulator
		// must refuse it too, for clients that do not check: sent raw.
		_, err := dial(api, s.srv.URL, nil, phone.Identity())
		if !errors.Is(err, calls.ErrInvalidRequest) {
			t.Errorf("the SDK sent a call to a phone number from the app: %v", err)
		}
		raw := calls.NewCall(s.srv.URL, nil)
		raw.Targets = []participants.Invitation{participants.Invite(phone.Identity())}
		body, _ := json.Marshal(raw)
		resp, err := graphDo(t, emu, http.MethodPost, "/communications/calls", body, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The create rule is calls.Call.ValidateCreate's, answered 400 like every
		// invalid request (Graph's own status for it is undocumented).
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "applicationInstance") {
			t.Errorf("a raw call to a phone number from the app: %d %s, want 400", resp.StatusCode, msg)
		}
		src := emu.ApplicationInstance()
		if _, err := dial(api, s.srv.URL, &src, phone.Identity()); err != nil {
			t.Errorf("a call to a phone number from the application instance: %v", err)
		}
		// A Teams user's call reaches the bot, not its application instance: it cannot
		// be transferred to a phone number (call-transfer: "Transfer to PSTN number is
		// supported only for application instance").
		_, c := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("alice", emulator.Behavior{}))
		err = c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: participants.Invite(phone.Identity())})
		forbidden(t, "transfer to a phone number", err, "Forbidden")
	})

	t.Run("SetPermissions", func(t *testing.T) {
		emu, s, api := start(t)
		alice := emu.AddUser("alice", emulator.Behavior{}).Identity()
		_, err := dial(api, s.srv.URL, nil, alice)
		forbidden(t, "no permissions", err, "7504")
		emu.SetPermissions(emulator.PermissionInitiate)
		if _, err := dial(api, s.srv.URL, nil, alice); err != nil {
			t.Errorf("after SetPermissions: %v", err)
		}
		if got := emu.Permissions(); !slices.Equal(got, []emulator.Permission{emulator.PermissionInitiate}) {
			t.Errorf("Permissions() = %v", got)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestControlComplianceAndEscalate drives the control API's compliance-call and
// escalate triggers (graphcomms trigger compliance-call / escalate).
func TestControlComplianceAndEscalate(t *testing.T) {
	emu := startEmulator(t)
	s := newSink(t)
	emu.SetCallbackURL(s.srv.URL)
	api := apiFor(t, emu, auth.RetryPolicy{})
	post := func(path, body string) map[string]string {
		t.Helper()
		resp, err := http.Post(emu.URL()+emulator.ControlPrefix+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	out := post("/compliance-call", `{"from":"alice","with":"bob"}`)
	if out["callId"] == "" || out["recorded"] != "Alice" {
		t.Fatalf("%v", out)
	}
	h, _ := answeredCall(t, emu, api, s.srv.URL, emu.AddUser("erin", emulator.Behavior{}))
	if out := post("/calls/"+h.ID()+"/escalate", `{"who":"frank"}`); out["adding"] != "Frank" {
		t.Errorf("%v", out)
	}
	emu.Advance(time.Millisecond)
	if _, err := h.Wait(context.Background(), emulator.EventEscalated); err != nil {
		t.Error(err)
	}
}
