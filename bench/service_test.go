package bench

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	abstractions "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/auth/authtest"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

const benchApp = "b0b0b0b0-1111-4222-8333-444455556666"

// loadTest sends n callbacks with concurrency c and returns notifications/s and the
// p50 and p99 latencies.
func loadTest(t *testing.T, url, token string, body []byte, n, c int) (perSec float64, p50, p99 time.Duration) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return float64(n) / elapsed.Seconds(), lat[n/2], lat[n*99/100]
}

// msgraphHandler is what a msgraph-sdk-go user writes, since the SDK has no callback
// handler: check the token with golang-jwt against the key, parse with Kiota, answer
// 202, hand the notifications to a worker.
type msgraphHandler struct {
	key   *rsa.PublicKey
	queue chan []abstractions.Parsable
}

func (h *msgraphHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return h.key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(benchApp),
		jwt.WithIssuer("https://graph.microsoft.com"), jwt.WithExpirationRequired())
	if err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	notes, err := decodeMsgraph(body)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	select {
	case h.queue <- notes:
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}
}

// TestServiceCosts measures callback throughput (validate + parse + 202 over loopback
// HTTP) and memory per tracked call, for graphcomms and for what a msgraph-sdk-go user
// would write. Run it with `go test -run ServiceCosts -v`.
func TestServiceCosts(t *testing.T) {
	if testing.Short() || os.Getenv("BENCH_SERVICE") == "" {
		t.Skip("set BENCH_SERVICE=1 to run (about a minute, uses both cores)")
	}
	iss, err := authtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	keys := httptest.NewServer(iss.Handler())
	defer keys.Close()
	token := iss.Token(benchApp, "11111111-2222-4333-8444-000000000001")
	body := load(t, "v1.0/call-answer/07-notification.json")
	const n, c = 30000, 8

	v, _ := auth.NewValidator(auth.ValidatorConfig{AppIDs: []string{benchApp}, OpenIDConfigURL: keys.URL + authtest.OpenIDConfigPath})
	ours, _ := notifications.NewHandler(notifications.HandlerConfig{Validator: v, QueueSize: 65536})
	go func() {
		for range ours.Batches() {
		}
	}()
	srv := httptest.NewServer(ours)
	loadTest(t, srv.URL, token, body, n/10, c) // warm-up: key fetch, connections, heap growth
	oursRate, oursP50, oursP99 := loadTest(t, srv.URL, token, body, n, c)
	srv.Close()

	theirs := &msgraphHandler{key: &iss.Key.PublicKey, queue: make(chan []abstractions.Parsable, 65536)}
	go func() {
		for range theirs.queue {
		}
	}()
	srv = httptest.NewServer(theirs)
	loadTest(t, srv.URL, token, body, n/10, c)
	theirRate, theirP50, theirP99 := loadTest(t, srv.URL, token, body, n, c)
	srv.Close()
	fmt.Printf("handler graphcomms: %.0f notifications/s p50 %s p99 %s\n", oursRate, oursP50.Round(time.Microsecond), oursP99.Round(time.Microsecond))
	fmt.Printf("handler msgraph:    %.0f notifications/s p50 %s p99 %s\n", theirRate, theirP50.Round(time.Microsecond), theirP99.Round(time.Microsecond))

	oursMem := memoryOurs(t, 2000)
	theirMem := memoryTheirs(t, 2000)
	fmt.Printf("memory per call graphcomms: %.0f B\n", oursMem)
	fmt.Printf("memory per call msgraph:    %.0f B\n", theirMem)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func callBodies(id string) [][]byte {
	incoming := `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","direction":"incoming","callbackUri":"https://bot.example.com/api/calls","source":{"identity":{"user":{"id":"aaaa1111-2222-4333-8444-555566667777","displayName":"Alice Example","tenantId":"11111111-2222-4333-8444-000000000001"}}},"targets":[{"identity":{"application":{"id":"` + benchApp + `","displayName":"Bot"}}}],"requestedModalities":["audio"],"tenantId":"11111111-2222-4333-8444-000000000001"}}]}`
	established := `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `","resourceData":{"@odata.type":"#microsoft.graph.call","@odata.etag":"W/\"2\"","state":"established","mediaState":{"audio":"active"}}}]}`
	p := func(pid, name string) string {
		return `{"@odata.type":"#microsoft.graph.participant","id":"` + pid + `","info":{"identity":{"user":{"id":"` + pid + `-u","displayName":"` + name + `"}},"languageId":"en-US","region":"westeurope"},"mediaStreams":[{"mediaType":"audio","label":"main-audio","sourceId":"1","direction":"sendReceive","serverMuted":false}],"isMuted":false,"isInLobby":false}`
	}
	roster := `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + id + `/participants","resourceData":[` + p(id+"-p1", "Alice Example") + `,` + p(id+"-p2", "Bot") + `]}]}`
	return [][]byte{[]byte(incoming), []byte(established), []byte(roster)}
}

// memoryOurs: heap per call held by a graphcomms.Client tracking n established calls
// with two participants each, fed through its public callback handler.
func memoryOurs(t *testing.T, n int) float64 {
	client, err := graphcomms.New(graphcomms.Config{AppID: benchApp, Credential: nopCred{},
		CallbackURL: "http://127.0.0.1:1/cb", InsecureSkipValidation: true, KeepAliveInterval: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var bodies [][][]byte
	for i := range n {
		bodies = append(bodies, callBodies(fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)))
	}
	before := heap()
	for _, bs := range bodies {
		for _, b := range bs {
			w := httptest.NewRecorder()
			client.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(b)))
			if w.Code != http.StatusAccepted {
				t.Fatalf("status %d", w.Code)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(client.Calls()) < n {
		runtime.Gosched()
		if ctx.Err() != nil {
			t.Fatal("calls not tracked")
		}
	}
	for _, call := range client.Calls() {
		if _, err := call.WaitForParticipants(ctx, func(ps []participants.Participant) bool { return len(ps) == 2 }); err != nil {
			t.Fatal(err)
		}
	}
	bodies = nil
	after := heap()
	runtime.KeepAlive(client)
	return float64(after-before) / float64(n)
}

// memoryTheirs: what a msgraph-sdk-go user keeps per call: the models.Call and the
// participants parsed from the same notifications.
func memoryTheirs(t *testing.T, n int) float64 {
	type state struct {
		call         models.Callable
		participants []models.Participantable
	}
	var bodies [][][]byte
	for i := range n {
		bodies = append(bodies, callBodies(fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)))
	}
	before := heap()
	calls := map[string]*state{}
	for i, bs := range bodies {
		st := &state{}
		for j, b := range bs {
			notes, err := decodeMsgraph(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range notes[0].(*mgNotification).data {
				switch v := d.(type) {
				case models.Callable:
					if j == 0 {
						st.call = v
					} else {
						st.call.SetState(v.GetState())
					}
				case models.Participantable:
					st.participants = append(st.participants, v)
				}
			}
		}
		calls[fmt.Sprint(i)] = st
	}
	bodies = nil
	after := heap()
	runtime.KeepAlive(calls)
	return float64(after-before) / float64(n)
}

// nopCred is a credential that is never used (nothing is sent).
type nopCred struct{}

// GetToken fails: it is never called.
func (nopCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("unused")
}
