package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/communications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// corpus is ../../shared/graph-examples, beside the repository.
func corpus(tb testing.TB) string {
	for _, p := range []string{"../../shared/graph-examples", "../../../shared/graph-examples"} {
		if _, err := os.Stat(filepath.Join(p, "MANIFEST.tsv")); err == nil {
			return p
		}
	}
	tb.Skip("../shared/graph-examples not found")
	return ""
}

// notificationKinds names one docs example per notification kind.
var notificationKinds = []struct{ name, file string }{
	{"incomingCall", "v1.0/call-answer/03-notification.json"},
	{"callEstablished", "v1.0/call-answer/07-notification.json"},
	{"callTerminated", "v1.0/call-reject/06-notification.json"},
	{"tone", "v1.0/call-subscribetotone/03-notification.json"},
	{"roster", "v1.0/participant-invite/08-notification.json"},
	{"playPromptCompleted", "v1.0/call-playprompt/03-notification.json"},
	{"recordCompleted", "v1.0/call-record/03-notification.json"},
	{"inviteCompleted", "v1.0/participant-invite/03-notification.json"},
	{"contentSharing", "beta/application-post-calls/05-notification.json"},
}

func load(tb testing.TB, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(corpus(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// --- msgraph-sdk-go: what a user must write, since it has no commsNotification model.

// mgNotification is one commsNotification read with Kiota's JSON parse nodes; its
// resourceData is typed through msgraph's entity discriminator.
type mgNotification struct {
	changeType, resourceURL string
	data                    []abstractions.Parsable
}

func (n *mgNotification) Serialize(abstractions.SerializationWriter) error { return nil }

func (n *mgNotification) GetFieldDeserializers() map[string]func(abstractions.ParseNode) error {
	return map[string]func(abstractions.ParseNode) error{
		"changeType": func(p abstractions.ParseNode) error {
			v, err := p.GetStringValue()
			if v != nil {
				n.changeType = *v
			}
			return err
		},
		"resourceUrl": func(p abstractions.ParseNode) error {
			v, err := p.GetStringValue()
			if v != nil {
				n.resourceURL = *v
			}
			return err
		},
		"resourceData": func(p abstractions.ParseNode) error {
			if items, err := p.GetCollectionOfObjectValues(models.CreateEntityFromDiscriminatorValue); err == nil && items != nil {
				n.data = items
				return nil
			}
			v, err := p.GetObjectValue(models.CreateEntityFromDiscriminatorValue)
			if v != nil {
				n.data = []abstractions.Parsable{v}
			}
			return err
		},
	}
}

func decodeMsgraph(body []byte) ([]abstractions.Parsable, error) {
	node, err := jsonserialization.NewJsonParseNode(body)
	if err != nil {
		return nil, err
	}
	value, err := node.GetChildNode("value")
	if err != nil {
		return nil, err
	}
	return value.GetCollectionOfObjectValues(func(abstractions.ParseNode) (abstractions.Parsable, error) {
		return &mgNotification{}, nil
	})
}

// TestBothDecodeTheSame checks that each side reads each example into typed values.
func TestBothDecodeTheSame(t *testing.T) {
	for _, k := range notificationKinds {
		body := load(t, k.file)
		ours, err := notifications.Parse(body)
		if err != nil || len(ours) == 0 || ours[0].Kind == notifications.KindUnknown {
			t.Errorf("%s: graphcomms: %v %+v", k.name, err, ours)
		}
		theirs, err := decodeMsgraph(body)
		if err != nil || len(theirs) == 0 {
			t.Errorf("%s: msgraph: %v", k.name, err)
			continue
		}
		n := theirs[0].(*mgNotification)
		if n.changeType == "" || len(n.data) == 0 && k.name != "contentSharing" {
			t.Errorf("%s: msgraph read %+v", k.name, n)
		}
	}
}

func BenchmarkDecodeNotification(b *testing.B) {
	benchmarkDecodeNotification(b, false)
}

// BenchmarkDecodeNotificationCompact decodes the same payloads without the docs'
// indentation, as Graph sends them.
func BenchmarkDecodeNotificationCompact(b *testing.B) {
	benchmarkDecodeNotification(b, true)
}

func benchmarkDecodeNotification(b *testing.B, compact bool) {
	for _, k := range notificationKinds {
		body := load(b, k.file)
		if compact {
			var buf bytes.Buffer
			if err := json.Compact(&buf, body); err != nil {
				b.Fatal(err)
			}
			body = buf.Bytes()
		}
		b.Run("kind="+k.name+"/sdk=graphcomms", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := notifications.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("kind="+k.name+"/sdk=msgraph", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeMsgraph(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// --- encode

func oursCreateCall() *calls.Call {
	c := calls.NewCall("https://bot.contoso.com/api/calls", media.NewServiceHostedMediaConfig())
	c.Source = participants.Info{Identity: participants.Application("b0b0b0b0-1111-4222-8333-444455556666", "Contoso IVR")}
	c.Targets = []participants.Invitation{participants.Invite(participants.User("aaaa1111-2222-4333-8444-555566667777", "11111111-2222-4333-8444-000000000001"))}
	c.TenantID = "11111111-2222-4333-8444-000000000001"
	return c
}

func theirsCreateCall() models.Callable {
	str := func(s string) *string { return &s }
	c := models.NewCall()
	c.SetCallbackUri(str("https://bot.contoso.com/api/calls"))
	c.SetMediaConfig(models.NewServiceHostedMediaConfig())
	c.SetRequestedModalities([]models.Modality{models.AUDIO_MODALITY})
	src := models.NewParticipantInfo()
	sids := models.NewIdentitySet()
	app := models.NewIdentity()
	app.SetId(str("b0b0b0b0-1111-4222-8333-444455556666"))
	app.SetDisplayName(str("Contoso IVR"))
	sids.SetApplication(app)
	src.SetIdentity(sids)
	c.SetSource(src)
	target := models.NewInvitationParticipantInfo()
	ids := models.NewIdentitySet()
	user := models.NewIdentity()
	user.SetId(str("aaaa1111-2222-4333-8444-555566667777"))
	user.SetAdditionalData(map[string]any{"tenantId": "11111111-2222-4333-8444-000000000001"})
	ids.SetUser(user)
	target.SetIdentity(ids)
	c.SetTargets([]models.InvitationParticipantInfoable{target})
	c.SetTenantId(str("11111111-2222-4333-8444-000000000001"))
	return c
}

func serializeMsgraph(v abstractions.Parsable) ([]byte, error) {
	w := jsonserialization.NewJsonSerializationWriter()
	defer w.Close()
	if err := w.WriteObjectValue("", v); err != nil {
		return nil, err
	}
	return w.GetSerializedContent()
}

func BenchmarkEncode(b *testing.B) {
	b.Run("req=createCall/sdk=graphcomms", func(b *testing.B) {
		c := oursCreateCall()
		b.ReportAllocs()
		for b.Loop() {
			// What the SDK sends: the model's own encoding (encoding/json would re-scan
			// the result to validate and compact it).
			if _, err := c.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("req=createCall/sdk=msgraph", func(b *testing.B) {
		c := theirsCreateCall()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := serializeMsgraph(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("req=playPrompt/sdk=graphcomms", func(b *testing.B) {
		req := &calls.PlayPromptRequest{Prompts: []media.Prompt{media.NewMediaPrompt("https://cdn.contoso.com/menu.wav")}, ClientContext: "menu"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := req.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("req=playPrompt/sdk=msgraph", func(b *testing.B) {
		body := communications.NewCallsItemPlayPromptPostRequestBody()
		p := models.NewMediaPrompt()
		info := models.NewMediaInfo()
		uri, cc := "https://cdn.contoso.com/menu.wav", "menu"
		info.SetUri(&uri)
		info.SetResourceId(&uri)
		p.SetMediaInfo(info)
		body.SetPrompts([]models.Promptable{p})
		body.SetClientContext(&cc)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := serializeMsgraph(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeCall(b *testing.B) {
	// The docs' call responses are not valid JSON (trailing commas); this one is ours.
	body, err := os.ReadFile("testdata/call-response.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sdk=graphcomms", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c calls.Call
			if err := c.UnmarshalJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk=msgraph", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			node, err := jsonserialization.NewJsonParseNode(body)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := node.GetObjectValue(models.CreateCallFromDiscriminatorValue); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEncodedBodiesMatch checks that both sides write the same create-call body.
func TestEncodedBodiesMatch(t *testing.T) {
	ours, _ := json.Marshal(oursCreateCall())
	theirs, err := serializeMsgraph(theirsCreateCall())
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	_ = json.Unmarshal(ours, &a)
	_ = json.Unmarshal(theirs, &b)
	for _, k := range []string{"callbackUri", "mediaConfig", "requestedModalities", "source", "targets", "tenantId"} {
		if (a[k] == nil) != (b[k] == nil) {
			t.Errorf("%s: ours %v theirs %v", k, a[k], b[k])
		}
	}
	if !strings.Contains(string(theirs), "serviceHostedMediaConfig") {
		t.Errorf("theirs: %s", theirs)
	}
}

// TestLenience records what each side does with the docs' call-delete notification,
// whose resultInfo code and subcode are strings ("200", "5001").
func TestLenience(t *testing.T) {
	body := load(t, "v1.0/call-delete/04-notification.json")
	if _, err := notifications.Parse(body); err != nil {
		t.Errorf("graphcomms: %v", err)
	}
	if _, err := decodeMsgraph(body); err == nil {
		t.Log("msgraph-sdk-go now reads codes sent as strings")
	} else {
		t.Logf("msgraph-sdk-go rejects it: %v", err)
	}
}
