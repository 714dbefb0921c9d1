package graphcomms

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
	"github.com/graphcomms/graphcomms/store"
)

// benchClient is a client whose Graph is unreachable (nothing is sent in these
// benchmarks) and whose clock is virtual.
func benchClient(b *testing.B) *Client {
	c := newBenchClient(b)
	b.Cleanup(c.Close)
	return c
}

// offlineConfig configures a client whose Graph is unreachable (an action that sent
// a request would fail with a connection error) and whose callbacks are unsigned.
func offlineConfig(clock Clock, cluster ClusterConfig) Config {
	adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
	return Config{AppID: "app", Adapter: adapter, BaseURL: "http://127.0.0.1:1/v1.0", CallbackURL: "http://127.0.0.1:1/cb",
		InsecureSkipValidation: true, Clock: clock, Cluster: cluster}
}

func newBenchClient(b *testing.B) *Client {
	c, err := New(offlineConfig(emulator.NewVirtualClock(emulator.DefaultStart), ClusterConfig{}))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func incoming(id string) string {
	return `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","direction":"incoming","callbackUri":"https://bot.example.com/api/calls","source":{"identity":{"user":{"id":"aaaa1111-2222-4333-8444-555566667777","displayName":"Alice Example","tenantId":"11111111-2222-4333-8444-000000000001"}}},"targets":[{"identity":{"application":{"id":"b0b0b0b0-1111-4222-8333-444455556666","displayName":"Bot"}}}],"requestedModalities":["audio"],"tenantId":"11111111-2222-4333-8444-000000000001"}}]}`
}

func established(id string) string {
	return `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.etag":"W/\"2\"","state":"established","mediaState":{"audio":"active"}}}]}`
}

func roster2(id string) string {
	p := func(pid, name string) string {
		return `{"@odata.type":"#microsoft.graph.participant","id":"` + pid + `","info":{"identity":{"user":{"id":"` + pid + `-u","displayName":"` + name + `"}},"languageId":"en-US","region":"westeurope"},"mediaStreams":[{"mediaType":"audio","label":"main-audio","sourceId":"1","direction":"sendReceive","serverMuted":false}],"isMuted":false,"isInLobby":false}`
	}
	return `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `/participants","resourceData":[` + p(id+"-p1", "Alice Example") + `,` + p(id+"-p2", "Bot") + `]}]}`
}

// batch parses a callback body into the batch the handler hands the client.
func batch(b testing.TB, body string) notifications.Batch {
	notes, err := notifications.Parse([]byte(body))
	if err != nil {
		b.Fatal(err)
	}
	return notifications.Batch{Notifications: notes, Body: []byte(body), TenantID: "t"}
}

func accept(b testing.TB, c *Client, bt notifications.Batch) {
	if err := c.accept(context.Background(), bt); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMemoryPerCall measures the heap held per tracked, established call with two
// participants (client state, stored state, keep-alive timer).
func BenchmarkMemoryPerCall(b *testing.B) {
	const n = 2000
	for b.Loop() {
		c := newBenchClient(b)
		var batches []notifications.Batch
		for i := range n {
			id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
			batches = append(batches, batch(b, incoming(id)), batch(b, established(id)), batch(b, roster2(id)))
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, bt := range batches {
			accept(b, c, bt)
		}
		// Wait until every call has applied its three notifications.
		for _, call := range c.Calls() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := call.WaitForParticipants(ctx, func(ps []participants.Participant) bool { return len(ps) == 2 })
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
		batches = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/call")
		runtime.KeepAlive(c)
		c.Close()
	}
}

// BenchmarkNotificationToCallback measures the time from a parsed callback entering
// the client (what the handler hands over once the token and body are checked) to the
// call's OnTone callback running: log append, queue, state machine, state write and
// dispatch.
func BenchmarkNotificationToCallback(b *testing.B) {
	c := benchClient(b)
	id := "00000001-0000-4000-8000-000000000000"
	accept(b, c, batch(b, incoming(id)))
	accept(b, c, batch(b, established(id)))
	var call *Call
	for call == nil {
		call, _ = c.Call(id)
		runtime.Gosched()
	}
	got := make(chan struct{}, 1)
	call.OnTone(func(media.ToneInfo) { got <- struct{}{} })
	tones := make([]notifications.Batch, 0, 1024)
	seq := int64(0)
	next := func() notifications.Batch {
		if len(tones) == 0 {
			for range 1024 {
				seq++
				tones = append(tones, batch(b, fmt.Sprintf(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/%s","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established","toneInfo":{"sequenceId":%d,"tone":"tone1"}}}]}`, id, seq)))
			}
		}
		n := tones[0]
		tones = tones[1:]
		return n
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		n := next()
		b.StartTimer()
		accept(b, c, n)
		<-got
	}
}

// BenchmarkParkedFlood accepts n notifications for 20,000 calls nobody knows (a bot
// restarted without shared state gets such a burst), then one real incoming call, and
// reports the cost per parked notification and how long the incoming call took to
// reach OnIncoming after the flood.
func BenchmarkParkedFlood(b *testing.B) {
	for _, n := range []int{40_000, 400_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			flood := make([]notifications.Batch, 0, 1000)
			for i := range 1000 {
				flood = append(flood, batch(b, established(fmt.Sprintf("%08d-0000-4000-8000-00000000dead", i))))
			}
			for b.Loop() {
				c := newBenchClient(b)
				got := make(chan struct{}, 1)
				c.OnIncoming(func(*Call) { got <- struct{}{} })
				start := time.Now()
				for i := range n {
					bt := flood[i%len(flood)]
					bt.Notifications = append([]notifications.Notification(nil), bt.Notifications...)
					bt.Notifications[0].CallID = fmt.Sprintf("%08d-0000-4000-8000-00000000dead", i%20_000)
					accept(b, c, bt)
				}
				perNote := time.Since(start) / time.Duration(n)
				sent := time.Now()
				accept(b, c, batch(b, incoming("00000001-0000-4000-8000-000000000000")))
				<-got
				b.ReportMetric(float64(time.Since(sent).Microseconds()), "µs-to-OnIncoming")
				b.ReportMetric(float64(perNote.Nanoseconds()), "ns/parked")
				st := c.cluster.(interface{ Stats() store.MemoryStats }).Stats()
				b.ReportMetric(float64(st.ParkedBytes)/(1<<20), "MiB-parked")
				c.Close()
			}
		})
	}
}
