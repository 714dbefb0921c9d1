package cassette

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file system that refuses writes never fails the bot's traffic: the event is
// dropped, counted and its error kept.
func TestWriteErrorDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic.jsonl")
	r, err := NewRecorder(RecorderConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Swap the file for one opened read-only: every write fails.
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.f.Close()
	r.f = ro
	r.mu.Unlock()
	h := r.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/calls", strings.NewReader(`{"value":[]}`)))
		if w.Code != http.StatusAccepted {
			t.Fatalf("status %d", w.Code)
		}
	}
	st := r.Stats()
	if st.Dropped != 3 || st.Events != 0 || st.Err == nil {
		t.Errorf("stats %+v", st)
	}
}
