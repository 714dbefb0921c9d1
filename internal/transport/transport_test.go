package transport

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestNewUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
}

func TestMiddlewareOrderIsFixed(t *testing.T) {
	first := fmt.Sprintf("%T", Middlewares("", Retry{}))
	for range 50 {
		if got := fmt.Sprintf("%T", Middlewares("", Retry{})); got != first {
			t.Fatalf("order changed: %s vs %s", got, first)
		}
	}
	mw := Middlewares("", Retry{})
	if _, ok := mw[0].(Headers); !ok {
		t.Errorf("headers first, got %T", mw[0])
	}
	if _, ok := mw[1].(Retry); !ok {
		t.Errorf("retry second, got %T", mw[1])
	}
}

func TestBackoffCapped(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 10 * time.Second}.withDefaults()
	for attempt := range 8 {
		d := backoff(p, attempt)
		lo := time.Duration(float64(time.Second) * float64(int(1)<<attempt))
		if lo > p.MaxDelay {
			lo = p.MaxDelay
		}
		if d < lo || d > lo*12/10+time.Millisecond {
			t.Errorf("attempt %d: %v not in [%v, %v]", attempt, d, lo, lo*12/10)
		}
	}
}
