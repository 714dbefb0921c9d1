package media_test

import (
	"encoding/json"
	"fmt"

	"github.com/graphcomms/graphcomms/media"
)

// Service-hosted media is what an IVR bot needs: it lets Graph play prompts, record and
// collect DTMF. Prefetching the menu makes the first prompt start at once.
func ExampleNewServiceHostedMediaConfig() {
	mc := media.NewServiceHostedMediaConfig("https://cdn.example.com/menu.wav")
	out, _ := json.Marshal(mc)
	fmt.Println(string(out))
	// Output:
	// {"@odata.type":"#microsoft.graph.serviceHostedMediaConfig","preFetchMedia":[{"uri":"https://cdn.example.com/menu.wav","resourceId":"https://cdn.example.com/menu.wav"}]}
}

func ExampleNewMediaPrompt() {
	p := media.NewMediaPrompt("https://cdn.example.com/menu.wav")
	out, _ := json.Marshal(p)
	fmt.Println(string(out))
	// Output:
	// {"@odata.type":"#microsoft.graph.mediaPrompt","mediaInfo":{"uri":"https://cdn.example.com/menu.wav","resourceId":"https://cdn.example.com/menu.wav"}}
}

func ExampleTone_Key() {
	var ti media.ToneInfo
	_ = json.Unmarshal([]byte(`{"sequenceId":4,"tone":"Pound"}`), &ti)
	fmt.Printf("%c %s\n", ti.Tone.Key(), ti.Tone)
	// Output: # pound
}

func ExampleDecodeConfig() {
	mc, err := media.DecodeConfig([]byte(`{"@odata.type":"#microsoft.graph.appHostedMediaConfig","blob":"<media platform blob>"}`))
	if err != nil {
		panic(err)
	}
	if app, ok := mc.(*media.AppHostedMediaConfig); ok {
		fmt.Println("app-hosted:", app.Blob)
	}
	// Output: app-hosted: <media platform blob>
}
