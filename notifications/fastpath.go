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

// resourceKind makes the value a resource type decodes into. When byEventType is set
// (onlineMeeting), callEvent says whether the object has an eventType member, which
// marks a call event.
type resourceKind struct {
	make        func(callEvent bool) any
	byEventType bool
}

// resourceTypes lists the resource types by lower-cased name. Operations are not
// listed: calls.NewOperation knows them.
var resourceTypes = map[string]resourceKind{
	"call":                  {make: func(bool) any { return new(calls.Call) }},
	"participant":           {make: func(bool) any { return new(participants.Participant) }},
	"deltaparticipants":     {make: func(bool) any { return new(participants.DeltaParticipants) }},
	"contentsharingsession": {make: func(bool) any { return new(calls.ContentSharingSession) }},
	"onlinemeeting": {byEventType: true, make: func(callEvent bool) any {
		if callEvent {
			return new(meetings.CallEvent)
		}
		return new(meetings.OnlineMeeting)
	}},
}

// resourceType looks name up in resourceTypes ignoring case, without allocating for
// names of ordinary length.
func resourceType(name string) (resourceKind, bool) {
	var buf [48]byte
	if len(name) > len(buf) {
		k, ok := resourceTypes[strings.ToLower(name)]
		return k, ok
	}
	b := buf[:len(name)]
	for i := range len(name) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	k, ok := resourceTypes[string(b)] // a map index with string(b) does not allocate
	return k, ok
}

// decodeKnown decodes the object at d in place when its @odata.type names a type
// Parse knows; otherwise it only skips it (ok is false).
func decodeKnown(d *wire.Decoder) (v any, ok bool, err error) {
	t, _ := d.PeekString("@odata.type")
	name := odata.Name(t)
	var target any
	if k, ok := resourceType(name); ok {
		target = k.make(k.byEventType && d.HasMember("eventType"))
	} else if op := calls.NewOperation(name); name != "" && op != nil {
		target = op
	} else {
		_, err := d.Skip()
		return nil, false, err
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
