package notifications

import (
	"encoding/json"
	"reflect"
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
	Value          noteList                   `json:"value"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// noteList is the value array as Parse reads it: the decoder stops at element max
// (unless max is negative), before decoding it.
type noteList struct {
	items   []parseNote
	max     int
	present bool // a "value" member was read
	null    bool // and it was null
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
	start  int // offset of raw in the body
	values []any
	typed  bool // values is complete
}

func init() {
	wire.RegisterType(decodeNoteList)
	wire.RegisterType(decodeResourceField)
	wire.RegisterType(decodeResourceList)
}

var parseNoteSize = int(reflect.TypeFor[parseNote]().Size())

func decodeNoteList(d *wire.Decoder, l *noteList) error {
	l.present, l.null, l.items = true, false, nil // a repeated member replaces the first
	if d.Peek() == 'n' {
		l.null = true
		_, err := d.Skip()
		return err
	}
	return d.Array(func(i int) error {
		if l.max >= 0 && i >= l.max {
			return d.Fail(ErrTooManyNotifications, "more than %d notifications in one body", l.max)
		}
		if len(l.items) == cap(l.items) {
			if err := d.Charge((2*cap(l.items) + 1) * parseNoteSize); err != nil {
				return err
			}
		}
		l.items = append(l.items, parseNote{})
		return d.Decode(&l.items[len(l.items)-1])
	})
}

func decodeResourceField(d *wire.Decoder, f *resourceField) error {
	start := d.Offset()
	f.start = start
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
			if err == nil {
				err = d.Charge(16) // the slot in values
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
	target := newResource(d, odata.Name(t))
	if target == nil {
		_, err := d.Skip()
		return nil, false, err
	}
	if err := decodeTarget(d, target); err != nil {
		return nil, false, err
	}
	return target, true, nil
}

// newResource returns a new value for the object at d of the short type name: a
// resource type (resourceTypes) or an operation; nil for any other name.
func newResource(d *wire.Decoder, name string) any {
	if k, ok := resourceType(name); ok {
		return k.make(k.byEventType && d.HasMember("eventType"))
	}
	if name != "" {
		if op := calls.NewOperation(name); op != nil {
			return op
		}
	}
	return nil
}

// decodeTarget decodes the value at d into target, a new pointer, charging the
// decode's budget for it.
func decodeTarget(d *wire.Decoder, target any) error {
	if err := d.Charge(int(reflect.TypeOf(target).Elem().Size())); err != nil {
		return err
	}
	return d.Decode(target)
}

// resourceList is resourceData decoded by type, as DecodeResourceData returns it:
// each object as its @odata.type says, or as fallback when it has none.
type resourceList struct {
	fallback string
	values   []any
}

// decodeResources decodes resourceData (one object, an array, or null) as a
// resourceList drawing on budget. Errors have offsets in raw and paths relative to it.
func decodeResources(raw []byte, fallback string, budget *wire.Budget) ([]any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	l := resourceList{fallback: fallback}
	if err := wire.UnmarshalBudget(raw, &l, budget); err != nil {
		return nil, err
	}
	return l.values, nil
}

func decodeResourceList(d *wire.Decoder, l *resourceList) error {
	one := func(int) error {
		v, err := decodeResource(d, l.fallback)
		if err != nil {
			return err
		}
		if err := d.Charge(16); err != nil { // the slot in values
			return err
		}
		l.values = append(l.values, v)
		return nil
	}
	switch d.Peek() {
	case 'n':
		_, err := d.Skip()
		return err
	case '[':
		return d.Array(one)
	}
	return one(0)
}

// decodeResource decodes one value of resourceData as its @odata.type says, or as
// fallback (a short type name) when it has none; an object of a type this package
// does not know becomes a map[string]json.RawMessage.
func decodeResource(d *wire.Decoder, fallback string) (any, error) {
	t, _ := d.PeekString("@odata.type")
	name := odata.Name(t)
	if name == "" {
		name = fallback
	}
	target := newResource(d, name)
	if target == nil && strings.HasSuffix(strings.ToLower(name), "operation") {
		target = new(calls.CommsOperation)
	}
	if target == nil {
		var m map[string]json.RawMessage
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
		return m, nil
	}
	if err := decodeTarget(d, target); err != nil {
		return nil, err
	}
	return target, nil
}

// commsNotification returns the envelope form of a note.
func (n *parseNote) commsNotification() CommsNotification {
	return CommsNotification{
		ODataType: n.ODataType, ChangeType: n.ChangeType, ResourceURL: n.ResourceURL, Resource: n.Resource,
		CallbackURI: n.CallbackURI, ResourceData: n.ResourceData.raw, AdditionalData: n.AdditionalData,
	}
}
