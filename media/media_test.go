package media_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/media"
)

func TestToneKeys(t *testing.T) {
	for _, k := range []byte("0123456789*#ABCD") {
		tone, ok := media.ToneForKey(k)
		if !ok || !tone.IsKnown() || tone.Key() != k {
			t.Errorf("key %q: tone %q ok %v back %q", k, tone, ok, tone.Key())
		}
	}
	if _, ok := media.ToneForKey('x'); ok {
		t.Error("x is not a key")
	}
	if media.ToneFlash.Key() != 'F' || media.Tone("tone").Key() != 0 {
		t.Error("flash / unknown")
	}
}

func TestConfigPolymorphism(t *testing.T) {
	cases := map[string]string{
		`{"@odata.type":"#microsoft.graph.appHostedMediaConfig","blob":"x"}`: "*media.AppHostedMediaConfig",
		`{"@odata.type":"#Microsoft.Graph.ServiceHostedMediaConfig"}`:        "*media.UnknownConfig",
		`{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}`:        "*media.ServiceHostedMediaConfig",
		`{"blob":"x"}`:         "*media.AppHostedMediaConfig",
		`{"preFetchMedia":[]}`: "*media.ServiceHostedMediaConfig",
		`{"@odata.type":"#microsoft.graph.futureMediaConfig","x":1}`: "*media.UnknownConfig",
	}
	for in, want := range cases {
		c, err := media.DecodeConfig([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", c); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}

func TestConstructorsEncode(t *testing.T) {
	out, err := json.Marshal(media.NewServiceHostedMediaConfig("https://cdn.example.com/menu.wav"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig","preFetchMedia":[{"uri":"https://cdn.example.com/menu.wav","resourceId":"https://cdn.example.com/menu.wav"}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	// A value built by hand without ODataType still gets its @odata.type.
	out, _ = json.Marshal(&media.MediaPrompt{MediaInfo: media.MediaInfo{URI: "u"}})
	if !strings.HasPrefix(string(out), `{"@odata.type":"#microsoft.graph.mediaPrompt"`) {
		t.Errorf("missing @odata.type: %s", out)
	}
}

func TestEnumCanonicalisation(t *testing.T) {
	var s media.Stream
	if err := json.Unmarshal([]byte(`{"mediaType":"VIDEO","direction":"SendReceive"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.MediaType != media.ModalityVideo || s.Direction != media.DirectionSendReceive {
		t.Errorf("%+v", s)
	}
	if err := json.Unmarshal([]byte(`{"mediaType":"hologram"}`), &s); err != nil || s.MediaType != "hologram" || s.MediaType.IsKnown() {
		t.Errorf("unknown value: %+v %v", s, err)
	}
}
