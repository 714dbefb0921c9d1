package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// modelDecoders are every model decoder a bot may feed a body Graph (or someone
// posing as Graph) sent: resources, collections, operations and request bodies.
func modelDecoders() []Decoder {
	ds := []Decoder{operation, call, callList, participant, participantsL, arg, argList, css, cssList, meeting,
		meetingList, report, reportList, recordList, presence, presenceList, subscription, commsNotes, changeNotes}
	names := make([]string, 0, len(actionRequests))
	for name := range actionRequests {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ds = append(ds, actionRequests[name])
	}
	return ds
}

// FuzzModels feeds arbitrary bodies to every model decoder: each may refuse a body,
// but must not panic, and what it accepts must encode and decode again. Seeds are the
// repository's notification fixtures and, when ../shared is beside the checkout, every
// valid JSON body of the Graph docs corpus.
func FuzzModels(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "notifications", "*.json"))
	if root, ok := FindCorpus(); ok {
		if rows, err := ReadManifest(root); err == nil {
			for _, r := range rows {
				if r.ValidJSON == "yes" {
					files = append(files, filepath.Join(root, r.File))
				}
			}
		}
	}
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"@odata.type":"#microsoft.graph.recordOperation","status":"completed","recordingLocation":"https://x"}`))
	f.Add([]byte(`{"value":[]}` + "\x00garbage"))
	f.Add([]byte("{\"id\":\"\xff\xfe\"}"))
	decoders := modelDecoders()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range decoders {
			v, err := d.Decode(data)
			if err != nil {
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: encode after decode: %v", d.Name, err)
			}
			if _, err := d.Decode(out); err != nil {
				t.Fatalf("%s: re-decode %s: %v", d.Name, out, err)
			}
		}
	})
}
