package retryafter

import (
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"Thu, 26 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Thu, 26 Nov 2026 09:00:00 GMT": 0,
		"soon":                          0,
		"-3":                            0,
	}
	for v, want := range cases {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := Parse(h, now); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
}
