package notifications_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/notifications"
)

// memoryBody is one worst-case callback body of about 1 MiB.
type memoryBody struct {
	name string
	body []byte
}

// fill repeats item, comma-separated, between head and tail, until the body is as
// close to size bytes as whole items allow. A verb such as %x in item is given the item's index.
func fill(head, item, tail string, size int) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	for i := 0; ; i++ {
		next := item
		if strings.Contains(item, "%") {
			next = fmt.Sprintf(item, i)
		}
		if b.Len()+1+len(next)+len(tail) > size {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(next)
	}
	b.WriteString(tail)
	return b.Bytes()
}

const mib = 1 << 20

// realisticParticipant is a roster entry as Graph sends it (about 600 bytes).
const realisticParticipant = `{"@odata.type":"#microsoft.graph.participant","id":"a1b2c3d4-0000-4000-8000-0000000000p1",` +
	`"info":{"@odata.type":"#microsoft.graph.participantInfo","identity":{"@odata.type":"#microsoft.graph.identitySet",` +
	`"user":{"@odata.type":"#microsoft.graph.identity","id":"aaaa1111-2222-4333-8444-555566667777","displayName":"Alice Example",` +
	`"tenantId":"11111111-2222-4333-8444-000000000001"}},"languageId":"en-US","region":"westeurope"},` +
	`"mediaStreams":[{"@odata.type":"#microsoft.graph.mediaStream","mediaType":"audio","label":"main-audio","sourceId":"1",` +
	`"direction":"sendReceive","serverMuted":false}],"isMuted":false,"isInLobby":false,"rosterSequenceNumber":7}`

const rosterHead = `{"changeType":"updated","resourceUrl":"/communications/calls/a1b2c3d4-0000-4000-8000-00000000c001/participants","resourceData":[`

// worstCaseBodies are the bodies the memory test measures: the cap is on notifications
// per body, and on what a body may decode into.
func worstCaseBodies(maxNotes int) []memoryBody {
	tinyCall := `{"changeType":"updated","resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}}`
	var capped strings.Builder
	capped.WriteString(`{"value":[`)
	for i := range maxNotes {
		if i > 0 {
			capped.WriteByte(',')
		}
		capped.WriteString(tinyCall)
	}
	capped.WriteString(`]}`)
	threeRosters := func() []byte {
		roster := string(fill(rosterHead, realisticParticipant, `]}`, mib/3-64))
		return []byte(`{"value":[` + roster + `,` + roster + `,` + roster + `]}`)
	}
	return []memoryBody{
		{"1 MiB of {} notifications", fill(`{"value":[`, `{}`, `]}`, mib)},
		{fmt.Sprintf("%d tiny call notifications (the cap)", maxNotes), []byte(capped.String())},
		{"3 realistic rosters of 1/3 MiB", threeRosters()},
		{"1 roster of 1 MiB of {} (typed from the URL)", fill(`{"value":[`+rosterHead, `{}`, `]}]}`, mib)},
		{"1 roster of 1 MiB of typed empty participants", fill(`{"value":[`+rosterHead, `{"@odata.type":"#microsoft.graph.participant"}`, `]}]}`, mib)},
		{"1 call with 1 MiB of unknown members", fill(`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call",`, `"a%x":0`, `}}]}`, mib)},
		{"1 call with 1 MiB of unknown members named a00000..", fill(`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call",`, `"a%09x":0`, `}}]}`, mib)},
		{"1 roster of 1 MiB of participants with an ID", fill(`{"value":[`+rosterHead, `{"@odata.type":"#microsoft.graph.participant","id":"p%x"}`, `]}]}`, mib)},
		{"1 call with 1 MiB of {} operations", fill(`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":{"@odata.type":"#microsoft.graph.call","operations":[`, `{}`, `]}}]}`, mib)},
	}
}

// measureRetained serves body once and reports the heap the queued batch keeps alive
// (after a collection) and the bytes allocated while serving it.
func measureRetained(t testing.TB, h *notifications.Handler, body []byte) (status int, notes int, retained, allocated uint64) {
	var m0, m1 runtime.MemStats
	r := httptest.NewRequest("POST", "/api/calls", bytes.NewReader(body))
	w := httptest.NewRecorder()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	h.ServeHTTP(w, r)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	var b notifications.Batch
	select {
	case b = <-h.Batches():
	default:
	}
	if m1.HeapAlloc > m0.HeapAlloc {
		retained = m1.HeapAlloc - m0.HeapAlloc
	}
	runtime.KeepAlive(b)
	return w.Code, len(b.Notifications), retained, m1.TotalAlloc - m0.TotalAlloc
}

// TestRetainedMemory measures, for each worst-case body of about 1 MiB, the memory one
// queued batch keeps alive, and checks that an accepted body keeps at most about ten
// times its size. Run it with -v to see the table.
func TestRetainedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a few MiB of hostile bodies")
	}
	h, _ := newHandler(t, notifications.HandlerConfig{InsecureSkipValidation: true, QueueSize: 1})
	for _, c := range worstCaseBodies(notifications.DefaultMaxNotifications) {
		status, notes, retained, allocated := measureRetained(t, h, c.body)
		t.Logf("%-52s body %8d B: %d, %6d notifications, retained %10d B (%5.1fx), allocated %10d B (%5.1fx)",
			c.name, len(c.body), status, notes, retained, float64(retained)/float64(len(c.body)),
			allocated, float64(allocated)/float64(len(c.body)))
		switch status {
		case http.StatusAccepted:
			if limit := 10*uint64(len(c.body)) + 256<<10; retained > limit {
				t.Errorf("%s: a queued batch keeps %d bytes, more than %d", c.name, retained, limit)
			}
		case http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("%s: %d", c.name, status)
		}
		if limit := 24*uint64(len(c.body)) + 1<<20; allocated > limit {
			t.Errorf("%s: serving it allocated %d bytes, more than %d", c.name, allocated, limit)
		}
	}
}
