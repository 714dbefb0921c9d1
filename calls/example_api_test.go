package calls_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// fakeGraph stands in for Graph in the examples: it prints each request and answers
// with a canned body. Real bots use auth.NewRequestAdapter with an azidentity
// credential and the default base URL.
func fakeGraph() (*calls.API, func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, strings.TrimPrefix(r.URL.Path, "/v1.0"))
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1.0/communications/calls":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"@odata.type":"#microsoft.graph.call","id":"2f1a1100-726f-4e4c-9b4f-4b7d3b3b7e10","state":"establishing","direction":"outgoing"}`)
		case strings.HasSuffix(r.URL.Path, "/playPrompt"):
			_, _ = io.WriteString(w, `{"@odata.type":"#microsoft.graph.playPromptOperation","id":"op-1","status":"running","clientContext":"menu"}`)
		case strings.HasSuffix(r.URL.Path, "/participants/invite"):
			_, _ = io.WriteString(w, `{"@odata.type":"#microsoft.graph.inviteParticipantsOperation","id":"op-2","status":"running"}`)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
	return calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0")), srv.Close
}

func ExampleCallsRequestBuilder_Post() {
	api, done := fakeGraph()
	defer done()

	call := calls.NewCall("https://bot.example.com/api/calls", media.NewServiceHostedMediaConfig())
	call.Source = participants.Info{Identity: participants.Application("b0b0b0b0-1111-4222-8333-444455556666", "Contoso IVR")}
	call.Targets = []participants.Invitation{participants.Invite(participants.User("aaaa1111-2222-4333-8444-555566667777", ""))}
	created, err := api.Calls().Post(context.Background(), call)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(created.ID, created.State)
	// Output:
	// POST /communications/calls
	// 2f1a1100-726f-4e4c-9b4f-4b7d3b3b7e10 establishing
}

func ExampleCallRequestBuilder_Answer() {
	api, done := fakeGraph()
	defer done()

	// Answer within 15 s of the incoming-call notification, prefetching the menu.
	answer := calls.NewAnswerRequest("https://bot.example.com/api/calls", "https://cdn.example.com/menu.wav")
	err := api.Calls().ByID("57dab8b1-894c-409a-b240-bd8beae78896").Answer().Post(context.Background(), answer)
	fmt.Println("answered:", err == nil)
	// Output:
	// POST /communications/calls/57dab8b1-894c-409a-b240-bd8beae78896/answer
	// answered: true
}

func ExampleCallRequestBuilder_PlayPrompt() {
	api, done := fakeGraph()
	defer done()

	op, err := api.Calls().ByID("57dab8b1-894c-409a-b240-bd8beae78896").PlayPrompt().Post(context.Background(), &calls.PlayPromptRequest{
		Prompts:       []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/menu.wav")},
		ClientContext: "menu",
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	// The operation completes later: a notification on .../operations/op-1.
	fmt.Println(op.ID, op.Status)
	// Output:
	// POST /communications/calls/57dab8b1-894c-409a-b240-bd8beae78896/playPrompt
	// op-1 running
}

func ExampleParticipantsRequestBuilder_Invite() {
	api, done := fakeGraph()
	defer done()

	// Move Alice's peer-to-peer call with the bot into the meeting the bot is in.
	alice := participants.User("aaaa1111-2222-4333-8444-555566667777", "11111111-2222-4333-8444-000000000001")
	op, err := api.Calls().ByID("meeting-call-id").Participants().Invite().Post(context.Background(), &calls.InviteParticipantsRequest{
		Participants: []participants.Invitation{participants.InviteReplacing(alice, "p2p-call-id")},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(op.ID, op.Status)
	// Output:
	// POST /communications/calls/meeting-call-id/participants/invite
	// op-2 running
}

func ExampleIsNotFound() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "8b3f…")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"itemNotFound","message":"Call not found"}}`)
	}))
	defer srv.Close()
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
	api := calls.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))

	err := api.Calls().ByID("ended").KeepAlive().Post(context.Background(), nil)
	fmt.Println(err)
	fmt.Println("call is gone:", calls.IsNotFound(err))
	// Output:
	// graph: 404 itemNotFound: Call not found (request-id 8b3f…)
	// call is gone: true
}
