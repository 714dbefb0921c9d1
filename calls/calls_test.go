package calls_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
	abs "github.com/microsoft/kiota-abstractions-go"
)

func TestDecodeOperation(t *testing.T) {
	cases := map[string]string{
		`{"@odata.type":"#microsoft.graph.playPromptOperation","status":"Running"}`:             "*calls.PlayPromptOperation",
		`{"@odata.type":"#microsoft.graph.PLAYPROMPTOPERATION"}`:                                "*calls.PlayPromptOperation",
		`{"@odata.type":"#microsoft.graph.recordOperation","recordingLocation":"x"}`:            "*calls.RecordOperation",
		`{"@odata.type":"#microsoft.graph.muteParticipantsOperation","participants":["a","b"]}`: "*calls.MuteParticipantsOperation",
		`{"@odata.type":"#microsoft.graph.somethingNewOperation","x":1}`:                        "*calls.CommsOperation",
		`{"status":"completed"}`: "*calls.CommsOperation",
	}
	for in, want := range cases {
		op, err := calls.DecodeOperation([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", op); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
		out, _ := json.Marshal(op)
		var a, b map[string]any
		_ = json.Unmarshal([]byte(in), &a)
		_ = json.Unmarshal(out, &b)
		if a["@odata.type"] != nil && b["@odata.type"] != a["@odata.type"] {
			t.Errorf("@odata.type changed: %s -> %s", in, out)
		}
	}
	op, _ := calls.DecodeOperation([]byte(`{"@odata.type":"#microsoft.graph.playPromptOperation","status":"Running"}`))
	if op.Base().Status != calls.OperationRunning || op.Base().Status.IsFinal() {
		t.Errorf("status %q", op.Base().Status)
	}
	if _, err := calls.DecodeOperation([]byte(`{"status":}`)); err == nil {
		t.Error("malformed operation accepted")
	}
}

func TestEndReasons(t *testing.T) {
	cases := []struct {
		code, sub int32
		want      calls.EndReason
	}{
		{408, 8537, calls.EndReasonKeepAliveTimeout},
		{200, 7015, calls.EndReasonTransferred},
		{480, 10199, calls.EndReasonPrivateCallingDisabled},
		{200, 5855, calls.EndReasonLobbyTimeout},
		{499, 1, calls.EndReasonUnknown},
	}
	for _, c := range cases {
		if got := (calls.ResultInfo{Code: c.code, Subcode: c.sub}).EndReason(); got != c.want {
			t.Errorf("%d/%d: %s want %s", c.code, c.sub, got, c.want)
		}
	}
	var ri calls.ResultInfo
	if err := json.Unmarshal([]byte(`{"code":"408","subCode":"8537","message":"keepalive"}`), &ri); err != nil {
		t.Fatal(err)
	}
	if ri.EndReason() != calls.EndReasonKeepAliveTimeout || ri.String() != "408/8537: keepalive" {
		t.Errorf("%+v %s", ri, ri)
	}
}

func TestMeetingInfoFallback(t *testing.T) {
	cases := map[string]string{
		`{"token":"abc"}`:                                     "*calls.TokenMeetingInfo",
		`{"joinMeetingId":"123","passcode":"x"}`:              "*calls.JoinMeetingIDMeetingInfo",
		`{"organizer":{"user":{"id":"u"}}}`:                   "*calls.OrganizerMeetingInfo",
		`{"@odata.type":"#microsoft.graph.fancyMeetingInfo"}`: "*calls.UnknownMeetingInfo",
	}
	for in, want := range cases {
		mi, err := calls.DecodeMeetingInfo([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", mi); got != want {
			t.Errorf("%s: %s want %s", in, got, want)
		}
	}
}

func TestCallSnapshotIsAValue(t *testing.T) {
	var c calls.Call
	in := `{"id":"1","state":"established","mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"},"participants":[{"id":"p"}],"operations":[{"@odata.type":"#microsoft.graph.playPromptOperation","id":"o"}]}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.MediaConfig.(*media.ServiceHostedMediaConfig); !ok {
		t.Errorf("mediaConfig: %T", c.MediaConfig)
	}
	if _, ok := c.Operations[0].(*calls.PlayPromptOperation); !ok {
		t.Errorf("operations: %T", c.Operations[0])
	}
	if c.Participants[0].ID != "p" {
		t.Error("participants")
	}
}

func TestErrorsSayWhere(t *testing.T) {
	var c calls.Call
	err := json.Unmarshal([]byte(`{"targets":[{"identity":{"user":{"id":5}}}]}`), &c)
	if err == nil || !strings.Contains(err.Error(), "targets[0].identity.user.id") {
		t.Errorf("error %v", err)
	}
}

func ExampleNewCall() {
	// A peer-to-peer call from the bot to a user, with service-hosted media.
	c := calls.NewCall("https://bot.example.com/api/calls", nil)
	c.Source = participants.Info{Identity: participants.Application("b0b0b0b0-1111-4222-8333-444455556666", "Contoso IVR")}
	c.Targets = []participants.Invitation{participants.Invite(participants.User("aaaa1111-2222-4333-8444-555566667777", ""))}
	out, _ := json.MarshalIndent(c, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "@odata.type": "#microsoft.graph.call",
	//   "callbackUri": "https://bot.example.com/api/calls",
	//   "mediaConfig": {
	//     "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
	//   },
	//   "requestedModalities": [
	//     "audio"
	//   ],
	//   "source": {
	//     "identity": {
	//       "@odata.type": "#microsoft.graph.identitySet",
	//       "application": {
	//         "@odata.type": "#microsoft.graph.identity",
	//         "id": "b0b0b0b0-1111-4222-8333-444455556666",
	//         "displayName": "Contoso IVR"
	//       }
	//     }
	//   },
	//   "targets": [
	//     {
	//       "@odata.type": "#microsoft.graph.invitationParticipantInfo",
	//       "identity": {
	//         "@odata.type": "#microsoft.graph.identitySet",
	//         "user": {
	//           "@odata.type": "#microsoft.graph.identity",
	//           "id": "aaaa1111-2222-4333-8444-555566667777"
	//         }
	//       }
	//     }
	//   ]
	// }
}

func ExampleDecodeOperation() {
	op, err := calls.DecodeOperation([]byte(`{"@odata.type":"#microsoft.graph.recordOperation","id":"op1","status":"completed",
		"recordingLocation":"https://media.example.com/r/1","recordingAccessToken":"tok","resultInfo":{"code":200,"subcode":8515}}`))
	if err != nil {
		panic(err)
	}
	switch op := op.(type) {
	case *calls.RecordOperation:
		fmt.Println(op.Status, op.RecordingLocation, op.ResultInfo.EndReason())
	}
	// Output: completed https://media.example.com/r/1 maxRecordDurationReached
}

func ExampleNewJoinMeetingIDMeetingInfo() {
	c := calls.NewCall("https://bot.example.com/api/calls", nil)
	c.MeetingInfo = calls.NewJoinMeetingIDMeetingInfo("1234567890", "s3cret")
	out, _ := json.Marshal(c.MeetingInfo)
	fmt.Println(string(out))
	// Output: {"@odata.type":"#microsoft.graph.joinMeetingIdMeetingInfo","joinMeetingId":"1234567890","passcode":"s3cret"}
}

func ExampleResultInfo_EndReason() {
	var call calls.Call
	_ = json.Unmarshal([]byte(`{"state":"terminated","resultInfo":{"code":408,"subcode":8537}}`), &call)
	fmt.Println(call.State.IsTerminal(), call.ResultInfo.EndReason())
	// Output: true keepAliveTimeout
}

// TestKiotaError: the error a Kiota adapter returns through ErrorFactory unwraps to
// the *graph.Error, so the graph predicates work on it.
func TestKiotaError(t *testing.T) {
	p, err := calls.ErrorFactory(nil)
	if err != nil {
		t.Fatal(err)
	}
	k := p.(*calls.KiotaError)
	k.SetStatusCode(404)
	h := abs.NewResponseHeaders()
	h.Add("request-id", "r-1")
	k.SetResponseHeaders(h)
	var e *graph.Error
	if !errors.As(error(k), &e) || e.RequestID != "r-1" || !graph.IsNotFound(k) || k.GetStatusCode() != 404 {
		t.Errorf("%+v", e)
	}
}
