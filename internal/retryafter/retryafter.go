// Package retryafter reads the Retry-After header, for the retry middleware and for
// graph.Error alike.
package retryafter

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Parse reads a Retry-After header: seconds, or an HTTP date relative to now. It
// returns 0 when the header is absent or unreadable.
func Parse(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var secs float64
	if _, err := fmt.Sscanf(v, "%g", &secs); err == nil && secs >= 0 && !strings.ContainsAny(v, " ,") {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
