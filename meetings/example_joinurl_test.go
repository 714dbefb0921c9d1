package meetings_test

import (
	"errors"
	"fmt"

	"github.com/graphcomms/graphcomms/meetings"
)

func ExampleParseJoinURL() {
	// A join link as Outlook delivers it: SafeLinks around the meeting's link.
	link := "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com%2Fl%2Fmeetup-join%2F19%253ameeting_YjFlNGM3YTItM2Q1Zi00YTZiLTljOGQtN2UwZjFhMmIzYzRk%2540thread.v2%2F0%3Fcontext%3D%257b%2522Tid%2522%253a%25223c7a1f2e-5b4d-4e8a-9f61-2d0c8b7a6e51%2522%252c%2522Oid%2522%253a%25229e2b4c6d-1a3f-4b5e-8c7d-0f1e2d3c4b5a%2522%257d&data=05%7C02%7C&reserved=0"
	info, err := meetings.ParseJoinURL(link)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range info.Unwrapped {
		fmt.Println("unwrapped:", w.Kind, w.Host)
	}
	fmt.Println("thread:", info.ChatInfo.ThreadID)
	fmt.Println("message:", info.ChatInfo.MessageID)
	fmt.Println("organizer:", info.OrganizerID, "tenant:", info.TenantID)
	// Output:
	// unwrapped: safelinks nam12.safelinks.protection.outlook.com
	// thread: 19:meeting_YjFlNGM3YTItM2Q1Zi00YTZiLTljOGQtN2UwZjFhMmIzYzRk@thread.v2
	// message: 0
	// organizer: 9e2b4c6d-1a3f-4b5e-8c7d-0f1e2d3c4b5a tenant: 3c7a1f2e-5b4d-4e8a-9f61-2d0c8b7a6e51
}

func ExampleJoinURLError() {
	_, err := meetings.ParseJoinURL("https://teams.microsoft.com/l/team/19%3a8d3e1f0a2b4c4d6e9f7a1b3c5d7e9f0a%40thread.tacv2/conversations?groupId=d4c3b2a1-8f7e-4d6c-9b5a-0e1f2a3b4c5d&tenantId=3c7a1f2e-5b4d-4e8a-9f61-2d0c8b7a6e51")
	var jerr *meetings.JoinURLError
	if errors.As(err, &jerr) {
		fmt.Println(jerr.Kind)
	}
	fmt.Println(errors.Is(err, meetings.ErrNotJoinURL))
	fmt.Println(err)
	// Output:
	// team
	// true
	// meetings: not a Teams meeting join URL: a link to a team, not to a meeting
}
