package notifications

import (
	"encoding/json"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/participants"
)

// parseEnvelope is the commsNotifications body as Parse reads it: each resourceData is
// typed while it is read (one pass over the body) when it names its @odata.type.
type parseEnvelope struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	Value          []parseNote                `json:"value"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

type parseNote struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	ChangeType     ChangeType                 `json:"changeType,omitzero"`
	ResourceURL    string                     `json:"resourceUrl,omitzero"`
	Resource       string                     `json:"resource,omitzero"`
	CallbackURI    string                     `json:"callbackUri,omitzero"`
	ResourceData   resourceField              `json:"resourceData,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// resourceField holds resourceData as read: the raw JSON (sharing the body's memory)
// and, when every object named a known @odata.type, the typed values.
type resourceField struct {
	raw    []byte
	values []any
	typed  bool // values is complete
}

func init() {
	wire.RegisterType(decodeResourceField)
}

func decodeResourceField(d *wire.Decoder, f *resourceField) error {
	start := d.Offset()
	switch d.Peek() {
	case '{':
		v, ok, err := decodeKnown(d)
		if err != nil {
			return err
		}
		f.raw = d.Since(start)
		if ok {
			f.values, f.typed = []any{v}, true
		}
		return nil
	case '[':
		f.typed = true
		err := d.Array(func(int) error {
			v, ok, err := decodeKnown(d)
			if ok {
				f.values = append(f.values, v)
			} else {
				f.typed = false
			}
			return err
		})
		f.raw = d.Since(start)
		return err
	}
	raw, err := d.Skip()
	f.raw = raw
	return err
}

// knownTypes maps the lower-cased resource type names that decodeKnown switches on to
// themselves; names not in it fall through to the operation lookup.
var knownTypes = map[string]string{
	"call": "call", "participant": "participant", "deltaparticipants": "deltaparticipants",
	"contentsharingsession": "contentsharingsession", "onlinemeeting": "onlinemeeting",
	"": "",
}

// decodeKnown decodes the object at d in place when its @odata.type names a type
// Parse knows; otherwise it only skips it (ok is false).
func decodeKnown(d *wire.Decoder) (v any, ok bool, err error) {
	t, _ := d.PeekString("@odata.type")
	var target any
	name := odata.Name(t)
	// Lower-case into a stack buffer: strings.ToLower would allocate for every
	// camel-cased type name, on every notification.
	var buf [48]byte
	lower := name
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		for i := range len(name) {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		var known bool
		if lower, known = knownTypes[string(b)]; !known { // no allocation for a map index
			lower = "operation or unknown"
		}
	} else {
		lower = strings.ToLower(name)
	}
	switch lower {
	case "":
		_, err := d.Skip()
		return nil, false, err
	case "call":
		target = new(calls.Call)
	case "participant":
		target = new(participants.Participant)
	case "deltaparticipants":
		target = new(participants.DeltaParticipants)
	case "contentsharingsession":
		target = new(calls.ContentSharingSession)
	case "onlinemeeting":
		if d.HasMember("eventType") {
			target = new(meetings.CallEvent)
		} else {
			target = new(meetings.OnlineMeeting)
		}
	default:
		op := calls.NewOperation(name)
		if op == nil {
			_, err := d.Skip()
			return nil, false, err
		}
		target = op
	}
	if err := d.Decode(target); err != nil {
		return nil, false, err
	}
	return target, true, nil
}

// commsNotification returns the envelope form of a note.
func (n *parseNote) commsNotification() CommsNotification {
	return CommsNotification{
		ODataType: n.ODataType, ChangeType: n.ChangeType, ResourceURL: n.ResourceURL, Resource: n.Resource,
		CallbackURI: n.CallbackURI, ResourceData: n.ResourceData.raw, AdditionalData: n.AdditionalData,
	}
}
