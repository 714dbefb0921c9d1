package calls_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

func prompts(n int) []media.Prompt {
	ps := make([]media.Prompt, n)
	for i := range ps {
		ps[i] = media.NewMediaPrompt("https://cdn.example.com/p.wav")
	}
	return ps
}

// TestLimitsCheckedBeforeSending: each limit Graph documents for an action fails the
// request with a *calls.RequestError naming the member, and nothing is sent; the
// same bodies inside the limits are sent.
func TestLimitsCheckedBeforeSending(t *testing.T) {
	var sent atomic.Int32
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"@odata.type":"#microsoft.graph.commsOperation","id":"op-1","status":"running"}`))
	})
	ctx := context.Background()
	call := api.Calls().ByID("c1")
	long := strings.Repeat("x", calls.MaxClientContextLength+1)
	targets := func(n int) []participants.Invitation {
		ts := make([]participants.Invitation, n)
		for i := range ts {
			ts[i] = participants.Invite(participants.User("u"+string(rune('a'+i%26)), ""))
		}
		return ts
	}
	seconds := func(n int32) int32 { return n }
	cases := []struct {
		name, field string // field "" means: valid, sent
		send        func() error
	}{
		{"playPrompt 20 prompts", "", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: prompts(20)})
			return err
		}},
		{"playPrompt 21 prompts", "prompts", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: prompts(21)})
			return err
		}},
		{"playPrompt no prompt", "prompts", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{})
			return err
		}},
		{"playPrompt prompt without URI", "prompts[0].mediaInfo.uri", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{&media.MediaPrompt{}}})
			return err
		}},
		{"playPrompt clientContext 256", "", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: prompts(1), ClientContext: long[:256]})
			return err
		}},
		{"playPrompt clientContext 257", "clientContext", func() error {
			_, err := call.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: prompts(1), ClientContext: long})
			return err
		}},
		{"recordResponse two prompts", "prompts", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{Prompts: prompts(2)})
			return err
		}},
		{"recordResponse 120 s", "", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{Prompts: prompts(1), MaxRecordDurationInSeconds: 120,
				InitialSilenceTimeoutInSeconds: 1, MaxSilenceTimeoutInSeconds: 120})
			return err
		}},
		{"recordResponse 121 s", "maxRecordDurationInSeconds", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: seconds(121)})
			return err
		}},
		{"recordResponse 500 s", "maxRecordDurationInSeconds", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxRecordDurationInSeconds: 500})
			return err
		}},
		{"recordResponse negative silence", "initialSilenceTimeoutInSeconds", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{InitialSilenceTimeoutInSeconds: -1})
			return err
		}},
		{"recordResponse silence 121", "maxSilenceTimeoutInSeconds", func() error {
			_, err := call.RecordResponse().Post(ctx, &calls.RecordResponseRequest{MaxSilenceTimeoutInSeconds: 121})
			return err
		}},
		{"redirect 25 targets, 90 s", "", func() error {
			return call.Redirect().Post(ctx, &calls.RedirectRequest{Targets: targets(25), Timeout: 90})
		}},
		{"redirect 26 targets", "targets", func() error {
			return call.Redirect().Post(ctx, &calls.RedirectRequest{Targets: targets(26)})
		}},
		{"redirect no target", "targets", func() error { return call.Redirect().Post(ctx, &calls.RedirectRequest{}) }},
		{"redirect timeout 14", "timeout", func() error {
			return call.Redirect().Post(ctx, &calls.RedirectRequest{Targets: targets(1), Timeout: 14})
		}},
		{"redirect timeout 91", "timeout", func() error {
			return call.Redirect().Post(ctx, &calls.RedirectRequest{Targets: targets(1), Timeout: 91})
		}},
		{"transfer without target", "transferTarget.identity", func() error {
			return call.Transfer().Post(ctx, &calls.TransferRequest{})
		}},
		{"answer without modalities", "acceptedModalities", func() error {
			return call.Answer().Post(ctx, &calls.AnswerRequest{CallbackURI: "https://bot.example.com/api/calls", MediaConfig: media.NewServiceHostedMediaConfig()})
		}},
		{"answer without callbackUri", "callbackUri", func() error {
			return call.Answer().Post(ctx, &calls.AnswerRequest{AcceptedModalities: []media.Modality{media.ModalityAudio}})
		}},
		{"reject bogus reason", "reason", func() error { return call.Reject().Post(ctx, &calls.RejectRequest{Reason: "bogus"}) }},
		{"reject Busy", "", func() error { return call.Reject().Post(ctx, &calls.RejectRequest{Reason: "Busy"}) }},
		{"sendDtmfTones without tones", "tones", func() error {
			_, err := call.SendDtmfTones().Post(ctx, &calls.SendDtmfTonesRequest{})
			return err
		}},
		{"updateRecordingStatus without status", "status", func() error {
			_, err := call.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{})
			return err
		}},
		{"changeScreenSharingRole without role", "role", func() error {
			return call.ChangeScreenSharingRole().Post(ctx, &calls.ChangeScreenSharingRoleRequest{})
		}},
		{"updateMetadata without metadata", "metadata", func() error {
			_, err := call.UpdateMetadata().Post(ctx, &calls.UpdateMetadataRequest{})
			return err
		}},
		{"invite nobody", "participants", func() error {
			_, err := call.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{})
			return err
		}},
		{"mute clientContext 257", "clientContext", func() error {
			_, err := call.Mute().Post(ctx, &calls.ClientContextRequest{ClientContext: long})
			return err
		}},
		{"keepAlive without body", "", func() error { return call.KeepAlive().Post(ctx, nil) }},
		{"create without mediaConfig", "mediaConfig", func() error {
			_, err := api.Calls().Post(ctx, &calls.Call{CallbackURI: "https://bot.example.com/api/calls", Targets: targets(1)})
			return err
		}},
		{"create with an http callback", "callbackUri", func() error {
			_, err := api.Calls().Post(ctx, calls.NewCall("http://bot.example.com/api/calls", nil))
			return err
		}},
		{"create to a phone number from the app", "source.identity.applicationInstance", func() error {
			c := calls.NewCall("https://bot.example.com/api/calls", nil)
			c.Source = participants.Info{Identity: participants.Application("b0b0b0b0-1111-4222-8333-444455556666", "Bot")}
			phone, _ := participants.Phone("+14255550100")
			c.Targets = []participants.Invitation{participants.Invite(phone)}
			_, err := api.Calls().Post(ctx, c)
			return err
		}},
		{"create to a phone number from the instance", "", func() error {
			c := calls.NewCall("https://bot.example.com/api/calls", nil)
			c.Source = participants.Info{Identity: participants.ApplicationInstance("11111111-2222-4333-8444-000000000001", "t1", "IVR")}
			phone, _ := participants.Phone("+14255550100")
			c.Targets = []participants.Invitation{participants.Invite(phone)}
			_, err := api.Calls().Post(ctx, c)
			return err
		}},
		{"create with no target nor meeting", "targets", func() error {
			_, err := api.Calls().Post(ctx, calls.NewCall("https://bot.example.com/api/calls", nil))
			return err
		}},
	}
	for _, c := range cases {
		before := sent.Load()
		err := c.send()
		var re *calls.RequestError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field == "" && sent.Load() == before:
			t.Errorf("%s: not sent", c.name)
		case c.field != "" && (!errors.As(err, &re) || !errors.Is(err, calls.ErrInvalidRequest) || re.Field != c.field):
			t.Errorf("%s: %v, want a *RequestError on %s", c.name, err, c.field)
		case c.field != "" && sent.Load() != before:
			t.Errorf("%s: sent although refused", c.name)
		case c.field != "":
			t.Logf("%-40s refused: %v", c.name, err)
		}
	}
}

// TestComplianceRecordingInvitation: the policy-based recording invitation of the
// docs (v1.0/call-answer, the last notification) is recognised, and gets 5 s.
func TestComplianceRecordingInvitation(t *testing.T) {
	var c calls.Call
	if err := json.Unmarshal([]byte(`{"@odata.type":"#microsoft.graph.call","state":"incoming",
		"incomingContext":{"@odata.type":"#microsoft.graph.incomingContext","sourceParticipantId":"p1","observedParticipantId":"p1"},
		"applicationMetadata":{"botData":{"inviteReasons":["PolicyBasedRecording"]}}}`), &c); err != nil {
		t.Fatal(err)
	}
	if !c.IsComplianceRecordingInvitation() || c.AnswerBudget() != 5*time.Second {
		t.Errorf("not recognised: %v %v", c.IsComplianceRecordingInvitation(), c.AnswerBudget())
	}
	var meta calls.Call
	_ = json.Unmarshal([]byte(`{"applicationMetadata":{"botData":{"inviteReasons":["policybasedrecording"]}}}`), &meta)
	if !meta.IsComplianceRecordingInvitation() {
		t.Error("inviteReasons alone not recognised")
	}
	if plain := (calls.Call{}); plain.IsComplianceRecordingInvitation() || plain.AnswerBudget() != calls.AnswerBudget {
		t.Error("a plain call taken for a compliance invitation")
	}
}

// TestEndReasons: the outcomes Graph documents classify, from the docs' payloads.
func TestEndReasonsOfGraphPayloads(t *testing.T) {
	cases := []struct {
		body string
		want calls.EndReason
	}{
		// v1.0/call-transfer 05: code 0, not 200.
		{`{"state":"terminated","resultInfo":{"code":0,"subcode":7015,"message":"GracefulTransferCompleted"}}`, calls.EndReasonTransferred},
		{`{"state":"terminated","resultInfo":{"code":200,"subcode":7015}}`, calls.EndReasonTransferred},
		// v1.0/call-transfer 11: consultative, no resultInfo.
		{`{"state":"terminated","terminationReason":"AppTransferred"}`, calls.EndReasonTransferred},
		// v1.0/call-transfer 06 and 12: failures spell it subCode.
		{`{"state":"established","resultInfo":{"code":500,"subCode":7000}}`, calls.EndReasonTransferFailed},
		{`{"state":"established","resultInfo":{"code":500,"subCode":7700}}`, calls.EndReasonTransferFailed},
		// v1.0/call-delete 04: codes as strings.
		{`{"state":"terminated","resultInfo":{"code":"200","subcode":"5001"}}`, calls.EndReasonConversationEnded},
		{`{"state":"terminated","resultInfo":{"code":408,"subcode":10057}}`, calls.EndReasonNoAnswer},
		{`{"state":"terminated","resultInfo":{"code":603,"subcode":0}}`, calls.EndReasonDeclined},
		// v1.0/call-redirect 08, v1.0/call-reject 06: nothing to go by.
		{`{"state":"terminated"}`, calls.EndReasonUnknown},
	}
	for _, c := range cases {
		var call calls.Call
		if err := json.Unmarshal([]byte(c.body), &call); err != nil {
			t.Fatal(err)
		}
		if got := call.EndReason(); got != c.want {
			t.Errorf("%s: %s, want %s", c.body, got, c.want)
		}
	}
	if calls.EndReasonNoSignaling != calls.EndReasonNoAnswer {
		t.Error("the deprecated name differs")
	}
}
