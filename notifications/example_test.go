package notifications_test

import (
	"encoding/json"
	"fmt"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

func ExampleCommsNotification_DecodeResourceData() {
	body := []byte(`{"value":[
	  {"changeType":"updated","resourceUrl":"/communications/calls/c1",
	   "resourceData":{"@odata.type":"#microsoft.graph.call","state":"established","toneInfo":{"sequenceId":1,"tone":"tone5"}}},
	  {"changeType":"updated","resourceUrl":"communications/calls/c1/participants",
	   "resourceData":[{"@odata.type":"#microsoft.graph.participant","id":"p1","isMuted":true,
	     "info":{"identity":{"user":{"id":"u1","displayName":"Alice"}}}}]},
	  {"changeType":"deleted","resourceUrl":"/communications/calls/c1/operations/o1",
	   "resourceData":{"@odata.type":"#microsoft.graph.playPromptOperation","status":"completed"}}]}`)
	var env notifications.CommsNotifications
	if err := json.Unmarshal(body, &env); err != nil {
		panic(err)
	}
	for _, n := range env.Value {
		values, err := n.DecodeResourceData()
		if err != nil {
			panic(err)
		}
		for _, v := range values {
			switch v := v.(type) {
			case *calls.Call:
				fmt.Printf("call %s %s, key %c\n", n.CallID(), v.State, v.ToneInfo.Tone.Key())
			case *participants.Participant:
				fmt.Printf("participant %s (%s) muted=%v\n", v.ID, v.DisplayName(), v.IsMuted)
			case calls.Operation:
				fmt.Printf("operation %s %T %s\n", n.OperationID(), v, v.Base().Status)
			}
		}
	}
	// Output:
	// call c1 established, key 5
	// participant p1 (Alice) muted=true
	// operation o1 *calls.PlayPromptOperation completed
}

func ExampleNormalizeResourcePath() {
	fmt.Println(notifications.NormalizeResourcePath("app/calls/57DAB8B1/operations/0FE0"))
	fmt.Println(notifications.NormalizeResourcePath("https://graph.microsoft.com/v1.0/communications/calls/c1"))
	// Output:
	// /communications/calls/57DAB8B1/operations/0FE0
	// /communications/calls/c1
}
