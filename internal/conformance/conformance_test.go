package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/notifications"
)

// Normalisations the round trip is allowed to make, and only these:
//
//   - enum case: a string that differs from the input only in letter case (Graph's
//     PascalCase "Established" is written as the documented "established");
//   - numeric string: a number sent as a string ("200") is written as a number, and a
//     boolean sent as a string ("false") as a boolean;
//   - member-name case: a member matched ignoring case ("subCode", "ConferenceId") is
//     written with the schema's name ("subcode", "conferenceId");
//   - date-time form: a date-time is written in RFC 3339 form for the same instant
//     ("2019-07-11T14:57:30.0600000Z" becomes "2019-07-11T14:57:30.06Z").
type normalisations struct {
	enumCase, numericString, keyCase, timeForm int
}

func (n normalisations) String() string {
	return fmt.Sprintf("enum case %d, numeric or boolean string %d, member-name case %d, date-time form %d",
		n.enumCase, n.numericString, n.keyCase, n.timeForm)
}

// equivalent compares a decoded input with a decoded output and returns the
// differences that no listed normalisation explains.
func equivalent(in, out any, path string, n *normalisations) []string {
	switch a := in.(type) {
	case map[string]any:
		b, ok := out.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: object became %T", path, out)}
		}
		var diffs []string
		used := map[string]bool{}
		keys := make([]string, 0, len(a))
		for k := range a {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ok2 := k
			if _, ok := b[k]; !ok {
				ok2 = ""
				for bk := range b {
					if strings.EqualFold(bk, k) && !used[bk] {
						if _, exact := a[bk]; !exact {
							ok2 = bk
							n.keyCase++
							break
						}
					}
				}
			}
			if ok2 == "" {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing from output", path, k))
				continue
			}
			used[ok2] = true
			diffs = append(diffs, equivalent(a[k], b[ok2], path+"."+k, n)...)
		}
		for k := range b {
			if !used[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: added by output (%v)", path, k, b[k]))
			}
		}
		return diffs
	case []any:
		b, ok := out.([]any)
		if !ok || len(a) != len(b) {
			return []string{fmt.Sprintf("%s: array changed to %v", path, out)}
		}
		var diffs []string
		for i := range a {
			diffs = append(diffs, equivalent(a[i], b[i], fmt.Sprintf("%s[%d]", path, i), n)...)
		}
		return diffs
	case string:
		switch b := out.(type) {
		case string:
			if a == b {
				return nil
			}
			if strings.EqualFold(a, b) {
				n.enumCase++
				return nil
			}
			ta, errA := time.Parse(time.RFC3339Nano, a)
			tb, errB := time.Parse(time.RFC3339Nano, b)
			if errA == nil && errB == nil && ta.Equal(tb) {
				n.timeForm++
				return nil
			}
		case float64:
			if f, err := strconv.ParseFloat(strings.TrimSpace(a), 64); err == nil && f == b {
				n.numericString++
				return nil
			}
		case bool:
			if v, err := strconv.ParseBool(a); err == nil && v == b {
				n.numericString++
				return nil
			}
		}
	default:
		if fmt.Sprint(in) == fmt.Sprint(out) {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: %#v became %#v", path, in, out)}
}

func generic(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v
}

// roundTrip decodes data with d, re-encodes the value with encoding/json (which calls
// the type's MarshalJSON) and compares.
func roundTrip(t *testing.T, d Decoder, data []byte, n *normalisations) {
	t.Helper()
	v, err := d.Decode(data)
	if err != nil {
		t.Fatalf("decode as %s: %v", d.Name, err)
	}
	for _, m := range unknownMembers(v) {
		if !undeclared[m] {
			t.Errorf("member %s is not modelled (kept only in AdditionalData)", m)
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %s: %v", d.Name, err)
	}
	if diffs := equivalent(generic(t, data), generic(t, out), "$", n); len(diffs) > 0 {
		t.Errorf("round trip as %s changed the payload:\n  %s\noutput: %s", d.Name, strings.Join(diffs, "\n  "), out)
	}
}

// undeclared lists the members the corpus sends that no schema declares; they are kept
// in AdditionalData by design.
var undeclared = map[string]bool{
	// Members of participantInfo that the docs' examples also send on invitation targets.
	"Invitation.languageId": true, "Invitation.region": true, "Invitation.id": true, "Info.id": true,
	// Undeclared call members described in reference/graph-calls-api.md.
	"Call.replacesContext": true, "Call.applicationMetadata": true,
	// Old beta onlineMeeting members (2019 to 2020 doc revisions).
	"OnlineMeeting.accessLevel": true, "OnlineMeeting.entryExitAnnouncement": true,
	"OnlineMeeting.expirationDateTime": true,
	// The configureMixer example spells exclusiveMode as exclusive.
	"ParticipantMixerLevel.exclusive": true,
}

func TestCorpus(t *testing.T) {
	root, ok := FindCorpus()
	if !ok {
		t.Skip("corpus ../shared/graph-examples not found; conformance tests skipped")
	}
	rows, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	var (
		n                                          normalisations
		decoded, roundTripped, rejected, resources int
		byType                                     = map[string]int{}
	)
	lastRequest := map[string]Row{}
	for _, row := range rows {
		if row.Kind == "request" && row.Path != "" {
			lastRequest[row.Page()] = row
		}
		ext := filepath.Ext(row.File)
		if ext != ".json" && ext != ".txt" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, row.File))
		if err != nil {
			t.Fatal(err)
		}
		d, err := decoderFor(row, lastRequest[row.Page()], data)
		if err != nil && ext == ".txt" {
			d, err = call, nil // not a Graph body (e.g. a recording download); it must still be rejected
		}
		if err != nil {
			t.Errorf("%s: %v", row.File, err)
			continue
		}
		t.Run(row.File, func(t *testing.T) {
			if ext == ".txt" {
				_, err := d.Decode(data)
				if err == nil {
					t.Fatalf("invalid body decoded as %s without error", d.Name)
				}
				if !strings.Contains(err.Error(), "offset") {
					t.Errorf("error does not say where: %v", err)
				}
				rejected++
				return
			}
			decoded++
			byType[d.Name]++
			before := t.Failed()
			roundTrip(t, d, data, &n)
			if d.Name == "notifications.CommsNotifications" {
				resources += checkResourceData(t, data, &n)
			}
			if !t.Failed() && !before {
				roundTripped++
			}
		})
	}
	t.Logf("corpus: %d bodies decoded, %d round-tripped, %d invalid bodies rejected; %d resourceData objects typed and round-tripped", decoded, roundTripped, rejected, resources)
	t.Logf("normalisations applied: %s", n)
	names := make([]string, 0, len(byType))
	for k := range byType {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("  %-50s %d", k, byType[k])
	}
}

// checkResourceData types every resourceData object of a commsNotifications body and
// round-trips each one on its own.
func checkResourceData(t *testing.T, data []byte, n *normalisations) int {
	t.Helper()
	var env notifications.CommsNotifications
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	count := 0
	for i, note := range env.Value {
		values, err := note.DecodeResourceData()
		if err != nil {
			t.Errorf("value[%d].resourceData: %v", i, err)
			continue
		}
		var raws []json.RawMessage
		if note.ResourceDataIsArray() {
			if err := json.Unmarshal(note.ResourceData, &raws); err != nil {
				t.Fatal(err)
			}
		} else if len(values) == 1 {
			raws = []json.RawMessage{note.ResourceData}
		}
		for j, v := range values {
			if _, isMap := v.(map[string]json.RawMessage); isMap {
				t.Errorf("value[%d].resourceData[%d]: type not recognised: %s", i, j, raws[j])
				continue
			}
			for _, m := range unknownMembers(v) {
				if !undeclared[m] {
					t.Errorf("member %s is not modelled (kept only in AdditionalData)", m)
				}
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode %T: %v", v, err)
			}
			if diffs := equivalent(generic(t, raws[j]), generic(t, out), fmt.Sprintf("$.value[%d].resourceData[%d]", i, j), n); len(diffs) > 0 {
				t.Errorf("resourceData as %T changed:\n  %s", v, strings.Join(diffs, "\n  "))
			}
			count++
		}
	}
	return count
}

func decoderFor(row, request Row, data []byte) (Decoder, error) {
	switch row.Kind {
	case "notification":
		return NotificationDecoder(data), nil
	case "example":
		return ExampleDecoder(row.Page())
	case "request":
		if row.Path == "" {
			return call, nil // a fragment; any decoder must reject it
		}
		if row.Method == "GET" { // a response body shown under the request in the docs
			return ResponseDecoder(row.Method, row.Path, isCollection(data))
		}
		return RequestDecoder(row.Method, row.Path)
	case "response":
		if request.Path == "" {
			return Decoder{}, fmt.Errorf("response without a request on its page")
		}
		collection := strings.HasPrefix(strings.TrimSpace(string(data)), "{") && isCollection(data)
		return ResponseDecoder(request.Method, request.Path, collection)
	}
	return Decoder{}, fmt.Errorf("unknown kind %q", row.Kind)
}

func isCollection(data []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		// Invalid JSON: look for the member by text.
		return strings.Contains(string(data), `"value": [`) || strings.Contains(string(data), `"value":[`)
	}
	v, ok := probe["value"]
	return ok && strings.HasPrefix(strings.TrimSpace(string(v)), "[")
}
