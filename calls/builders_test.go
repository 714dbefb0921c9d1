package calls_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// TestEveryBuilder sends one request through every builder method and checks the method
// and path Graph receives.
func TestEveryBuilder(t *testing.T) {
	var mu sync.Mutex
	var last string
	api, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.Method + " " + r.URL.EscapedPath()
		mu.Unlock()
		_, _ = io.WriteString(w, `{}`)
	})
	ctx := context.Background()
	c := api.Calls().ByID("c1")
	p := c.Participants().ByID("p1")
	cc := &calls.ClientContextRequest{ClientContext: "x"}
	bob := participants.Invite(participants.User("u-bob", ""))
	cases := []struct {
		want string
		send func() error
	}{
		{"GET /v1.0/communications/calls", func() error { _, err := api.Calls().Get(ctx); return err }},
		{"POST /v1.0/communications/calls", func() error {
			nc := calls.NewCall("https://b/cb", nil)
			nc.Targets = []participants.Invitation{bob}
			_, err := api.Calls().Post(ctx, nc)
			return err
		}},
		{"POST /v1.0/communications/calls/logTeleconferenceDeviceQuality", func() error {
			return api.Calls().LogTeleconferenceDeviceQuality().Post(ctx, &calls.LogTeleconferenceDeviceQualityRequest{})
		}},
		{"GET /v1.0/communications/calls/c1", func() error { _, err := c.Get(ctx); return err }},
		{"DELETE /v1.0/communications/calls/c1", func() error { return c.Delete(ctx) }},
		{"POST /v1.0/communications/calls/c1/answer", func() error { return c.Answer().Post(ctx, calls.NewAnswerRequest("https://b/cb")) }},
		{"POST /v1.0/communications/calls/c1/reject", func() error { return c.Reject().Post(ctx, &calls.RejectRequest{Reason: calls.RejectReasonBusy}) }},
		{"POST /v1.0/communications/calls/c1/redirect", func() error {
			return c.Redirect().Post(ctx, &calls.RedirectRequest{Targets: []participants.Invitation{bob}})
		}},
		{"POST /v1.0/communications/calls/c1/transfer", func() error { return c.Transfer().Post(ctx, &calls.TransferRequest{TransferTarget: bob}) }},
		{"POST /v1.0/communications/calls/c1/keepAlive", func() error { return c.KeepAlive().Post(ctx, nil) }},
		{"POST /v1.0/communications/calls/c1/changeScreenSharingRole", func() error {
			return c.ChangeScreenSharingRole().Post(ctx, &calls.ChangeScreenSharingRoleRequest{Role: calls.ScreenSharingRoleViewer})
		}},
		{"POST /v1.0/communications/calls/c1/mute", func() error { _, err := c.Mute().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/unmute", func() error { _, err := c.Unmute().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/playPrompt", func() error {
			_, err := c.PlayPrompt().Post(ctx, &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://x/a.wav")}})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/recordResponse", func() error { _, err := c.RecordResponse().Post(ctx, &calls.RecordResponseRequest{}); return err }},
		{"POST /v1.0/communications/calls/c1/subscribeToTone", func() error { _, err := c.SubscribeToTone().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/cancelMediaProcessing", func() error { _, err := c.CancelMediaProcessing().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/updateRecordingStatus", func() error {
			_, err := c.UpdateRecordingStatus().Post(ctx, &calls.UpdateRecordingStatusRequest{Status: media.RecordingStatusRecording})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/sendDtmfTones", func() error {
			_, err := c.SendDtmfTones().Post(ctx, &calls.SendDtmfTonesRequest{Tones: []media.Tone{media.Tone1}})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/addLargeGalleryView", func() error { _, err := c.AddLargeGalleryView().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/microsoft.graph.StartRecording", func() error { _, err := c.StartRecording().Post(ctx, nil); return err }},
		{"POST /v1.0/communications/calls/c1/microsoft.graph.StopRecording", func() error { _, err := c.StopRecording().Post(ctx, nil); return err }},
		{"POST /v1.0/communications/calls/c1/microsoft.graph.StartTranscription", func() error {
			_, err := c.StartTranscription().Post(ctx, &calls.StartTranscriptionRequest{Language: "en-us"})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/microsoft.graph.StopTranscription", func() error { _, err := c.StopTranscription().Post(ctx, nil); return err }},
		{"GET /v1.0/communications/calls/c1/operations/o1", func() error { _, err := c.Operations().ByID("o1").Get(ctx); return err }},
		{"GET /v1.0/communications/calls/c1/participants", func() error { _, err := c.Participants().Get(ctx); return err }},
		{"POST /v1.0/communications/calls/c1/participants/invite", func() error {
			_, err := c.Participants().Invite().Post(ctx, &calls.InviteParticipantsRequest{Participants: []participants.Invitation{bob}})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/participants/muteAll", func() error { _, err := c.Participants().MuteAll().Post(ctx, &calls.MuteAllRequest{}); return err }},
		{"POST /v1.0/communications/calls/c1/participants/configureMixer", func() error {
			_, err := c.Participants().ConfigureMixer().Post(ctx, &calls.ConfigureMixerRequest{})
			return err
		}},
		{"GET /v1.0/communications/calls/c1/participants/p1", func() error { _, err := p.Get(ctx); return err }},
		{"DELETE /v1.0/communications/calls/c1/participants/p1", func() error { return p.Delete(ctx) }},
		{"POST /v1.0/communications/calls/c1/participants/p1/mute", func() error { _, err := p.Mute().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/participants/p1/startHoldMusic", func() error {
			_, err := p.StartHoldMusic().Post(ctx, &calls.StartHoldMusicRequest{CustomPrompt: media.NewMediaPrompt("https://x/hold.wav")})
			return err
		}},
		{"POST /v1.0/communications/calls/c1/participants/p1/stopHoldMusic", func() error { _, err := p.StopHoldMusic().Post(ctx, cc); return err }},
		{"POST /v1.0/communications/calls/c1/participants/p1/reportSyntheticMedia", func() error {
			return p.ReportSyntheticMedia().Post(ctx, &calls.ReportSyntheticMediaRequest{ID: "d1"})
		}},
		{"GET /v1.0/communications/calls/c1/audioRoutingGroups", func() error { _, err := c.AudioRoutingGroups().Get(ctx); return err }},
		{"POST /v1.0/communications/calls/c1/audioRoutingGroups", func() error {
			_, err := c.AudioRoutingGroups().Post(ctx, &calls.AudioRoutingGroup{RoutingMode: calls.RoutingModeOneToOne})
			return err
		}},
		{"GET /v1.0/communications/calls/c1/audioRoutingGroups/g1", func() error { _, err := c.AudioRoutingGroups().ByID("g1").Get(ctx); return err }},
		{"PATCH /v1.0/communications/calls/c1/audioRoutingGroups/g1", func() error {
			_, err := c.AudioRoutingGroups().ByID("g1").Patch(ctx, &calls.AudioRoutingGroup{Receivers: []string{"p2"}})
			return err
		}},
		{"DELETE /v1.0/communications/calls/c1/audioRoutingGroups/g1", func() error { return c.AudioRoutingGroups().ByID("g1").Delete(ctx) }},
		{"GET /v1.0/communications/calls/c1/contentSharingSessions", func() error { _, err := c.ContentSharingSessions().Get(ctx); return err }},
		{"GET /v1.0/communications/calls/c1/contentSharingSessions/s1", func() error { _, err := c.ContentSharingSessions().ByID("s1").Get(ctx); return err }},
	}
	for _, tc := range cases {
		if err := tc.send(); err != nil {
			t.Errorf("%s: %v", tc.want, err)
			continue
		}
		mu.Lock()
		got := last
		mu.Unlock()
		if got != tc.want {
			t.Errorf("sent %s, want %s", got, tc.want)
		}
	}
}
