package graphcomms_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"
	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/internal/redistest"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/store/redisstore"
)

// benchBot is a bot of one in-memory client or of replicas sharing Redis, each served
// on loopback, with established calls whose OnTone signals a channel. Graph is
// unreachable (nothing in these benchmarks calls it).
type benchBot struct {
	urls  []string
	tones []chan struct{}
	ids   []string
	http  *http.Client
	next  atomic.Uint64
}

func newBenchBot(b *testing.B, replicas int, redisAddr string, calls_ int) *benchBot {
	bot := &benchBot{http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	prefix := redistest.Prefix(b)
	ctx := context.Background()
	registered := make(chan *graphcomms.Call, calls_)
	byID := map[string]chan struct{}{}
	for i := range calls_ {
		id := fmt.Sprintf("bench-%d", i)
		bot.ids = append(bot.ids, id)
		ch := make(chan struct{}, 1)
		bot.tones = append(bot.tones, ch)
		byID[id] = ch
	}
	for i := range replicas {
		adapter, _ := auth.NewRequestAdapterWithAuth(&authentication.AnonymousAuthenticationProvider{}, auth.AdapterConfig{})
		cfg := graphcomms.Config{AppID: "app", Adapter: adapter, BaseURL: "http://127.0.0.1:1/v1.0", CallbackURL: "http://127.0.0.1:1/cb",
			InsecureSkipValidation: true, Clock: emulator.NewVirtualClock(emulator.DefaultStart)}
		if redisAddr != "" {
			rdb := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 64})
			b.Cleanup(func() { rdb.Close() })
			cfg.Cluster = graphcomms.ClusterConfig{Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix}), ReplicaID: "bench-" + strconv.Itoa(i)}
		}
		c, err := graphcomms.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		c.OnIncoming(func(call *graphcomms.Call) {
			ch := byID[call.ID()]
			call.OnTone(func(media.ToneInfo) { ch <- struct{}{} })
			registered <- call
		})
		srv := httptest.NewServer(c)
		b.Cleanup(func() {
			c.Close()
			srv.Close()
		})
		bot.urls = append(bot.urls, srv.URL)
	}
	for _, id := range bot.ids {
		bot.post(b, incomingBody(id))
	}
	for range calls_ {
		call := <-registered
		bot.post(b, establishedBody(call.ID()))
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := call.WaitForState(wctx, calls.StateEstablished); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
	return bot
}

// post sends a callback to the next replica (round robin) and checks the 202.
func (bot *benchBot) post(b *testing.B, body []byte) {
	u := bot.urls[int(bot.next.Add(1)%uint64(len(bot.urls)))]
	resp, err := bot.http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Errorf("callback answered %d", resp.StatusCode)
	}
}

func incomingBody(id string) []byte {
	return []byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","direction":"incoming","callbackUri":"https://bot.example.com/api/calls","source":{"identity":{"user":{"id":"aaaa1111-2222-4333-8444-555566667777","displayName":"Alice Example"}}},"requestedModalities":["audio"]}}]}`)
}

func establishedBody(id string) []byte {
	return []byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.etag":"W/\"2\"","state":"established","mediaState":{"audio":"active"}}}]}`)
}

func toneBody(id string, seq int64) []byte {
	return []byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","toneInfo":{"@odata.type":"#microsoft.graph.toneInfo","sequenceId":` + strconv.FormatInt(seq, 10) + `,"tone":"tone5"}}}]}`)
}

// BenchmarkNotificationLatency: one tone notification at a time, from the POST to its
// OnTone callback; the difference between the two is what the shared Redis adds to
// each notification (store in the log, wake the holder, read, apply, versioned write).
//
//	go test -run x -bench NotificationLatency -count 6 . | benchstat -
func BenchmarkNotificationLatency(b *testing.B) {
	benchModes(b, 1, func(b *testing.B, bot *benchBot) {
		seq := int64(0)
		for b.Loop() {
			seq++
			bot.post(b, toneBody(bot.ids[0], seq))
			<-bot.tones[0]
		}
	})
}

// BenchmarkFleetThroughput: 64 established calls, 32 callers each sending its call's
// next tone as soon as the previous one was delivered, round robin over the replicas.
// notifications/s is what a bot (one client, or two replicas on one Redis) sustains on
// this machine.
func BenchmarkFleetThroughput(b *testing.B) {
	const nCalls = 64
	benchModes(b, nCalls, func(b *testing.B, bot *benchBot) {
		var slot atomic.Int64
		seqs := make([]atomic.Int64, nCalls)
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(slot.Add(1)-1) % nCalls
			for pb.Next() {
				bot.post(b, toneBody(bot.ids[i], seqs[i].Add(1)))
				<-bot.tones[i]
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
}

// benchModes runs f on one in-memory client and on two replicas sharing Redis, each
// with nCalls established calls.
func benchModes(b *testing.B, nCalls int, f func(b *testing.B, bot *benchBot)) {
	b.Run("memory", func(b *testing.B) { f(b, newBenchBot(b, 1, "", nCalls)) })
	b.Run("redis-2-replicas", func(b *testing.B) { f(b, newBenchBot(b, 2, redistest.Addr(b), nCalls)) })
}
