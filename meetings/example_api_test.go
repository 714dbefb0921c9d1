package meetings_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

func ExampleOnlineMeetingsRequestBuilder_Post() {
	// A stand-in for Graph; real bots use auth.NewRequestAdapter with a credential.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, strings.TrimPrefix(r.URL.Path, "/v1.0"))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"MSpkYzE3","subject":"Incident 4711 bridge","joinWebUrl":"https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"}`)
	}))
	defer srv.Close()
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
	api := meetings.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))

	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	m, err := api.User("aaaa1111-2222-4333-8444-555566667777").OnlineMeetings().Post(context.Background(), &meetings.OnlineMeeting{
		Subject: "Incident 4711 bridge", StartDateTime: start, EndDateTime: start.Add(time.Hour),
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(m.ID, m.JoinWebURL)
	// Output:
	// POST /users/aaaa1111-2222-4333-8444-555566667777/onlineMeetings
	// MSpkYzE3 https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
}
