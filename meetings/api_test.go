package meetings_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
)

func TestFilterQueries(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path+"?"+r.URL.Query().Get("$filter")+"|"+r.URL.Query().Get("$expand"))
		_, _ = io.WriteString(w, `{"value":[]}`)
	}))
	defer srv.Close()
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
	api := meetings.NewAPI(adapter, calls.WithBaseURL(srv.URL+"/v1.0"))
	ctx := context.Background()
	_, err := api.Me().OnlineMeetings().ByJoinWebURL("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d&o'k").First(ctx)
	if !calls.IsNotFound(err) {
		t.Errorf("First on an empty page: %v", err)
	}
	_, _ = api.User("u1").OnlineMeetings().ByJoinMeetingID("1234567890").Get(ctx)
	_, _ = api.Communications().ByVideoTeleconferenceID("123456789").Get(ctx)
	_, _ = api.User("u1").OnlineMeetings().ByID("m1").AttendanceReports().ByID("r1").GetWithRecords(ctx)
	want := []string{
		"/v1.0/me/onlineMeetings?JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d&o''k'|",
		"/v1.0/users/u1/onlineMeetings?joinMeetingIdSettings/joinMeetingId eq '1234567890'|",
		"/v1.0/communications/onlineMeetings?VideoTeleconferenceId eq '123456789'|",
		"/v1.0/users/u1/onlineMeetings/m1/attendanceReports/r1?|attendanceRecords",
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("request %d:\n got %v\nwant %s", i, got, want[i])
		}
	}
}
