package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestEventLogCap: past its cap the event log forgets its oldest quarter; Seq goes
// on counting, and waiting from an old Seq finds the oldest event kept.
func TestEventLogCap(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.events.max = 8
	for i := range 10 {
		e.NewMeeting(fmt.Sprintf("m%d", i), nil)
	}
	evs := e.Events()
	if len(evs) != 8 || evs[0].Seq != 3 || evs[7].Seq != 10 || e.LastSeq() != 10 {
		t.Fatalf("kept %d events, Seq %d..%d, last %d", len(evs), evs[0].Seq, evs[len(evs)-1].Seq, e.LastSeq())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ev, err := e.WaitEvent(ctx, 0, func(Event) bool { return true })
	if err != nil || ev.Seq != 3 {
		t.Errorf("WaitEvent from 0: %v %v", ev.Seq, err)
	}
	if got := len(e.Transcript()); got != 8 {
		t.Errorf("transcript of %d lines", got)
	}
}

// TestRecordingsCap: the emulator keeps the last MaxRecordings recordings.
func TestRecordingsCap(t *testing.T) {
	var r recordings
	r.init()
	for i := range MaxRecordings + 5 {
		r.put(fmt.Sprint(i), []byte{1})
	}
	if len(r.items) != MaxRecordings || len(r.order) != MaxRecordings {
		t.Fatalf("%d recordings kept", len(r.items))
	}
	if _, ok := r.items["0"]; ok {
		t.Error("the oldest recording is still kept")
	}
	if _, ok := r.items[fmt.Sprint(MaxRecordings+4)]; !ok {
		t.Error("the newest recording is gone")
	}
}
