package graphcomms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
)

// TestTelemetry: one emulated call (answer, prompt, hang-up) gives the callback, apply,
// answer, operation and request spans, the notification, answer and operation
// metrics, and no token in any attribute.
func TestTelemetry(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e := newEnv(t, func(c *graphcomms.Config) { c.TracerProvider, c.MeterProvider = tp, mp })
	ctx := ctxFor(t)
	played := make(chan error, 1)
	e.client.OnIncoming(func(call *graphcomms.Call) {
		if err := call.Answer(ctx); err != nil {
			played <- err
			return
		}
		go func() {
			if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
				played <- err
				return
			}
			op, err := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/hi.wav")})
			if err == nil {
				_, err = op.Wait(ctx)
			}
			played <- err
		}()
	})
	h, err := e.emu.AddUser("alice", emulator.Behavior{}).CallBot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx, emulator.EventPromptStarted); err != nil {
		t.Fatal(err)
	}
	e.emu.Advance(emulator.DefaultPromptDuration)
	if err := <-played; err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, s := range spans.GetSpans() {
		names[s.Name]++
		for _, a := range s.Attributes {
			if v := a.Value.Emit(); strings.Contains(v, "eyJ") || strings.Contains(strings.ToLower(v), "bearer") {
				t.Errorf("span %s attribute %s holds a token", s.Name, a.Key)
			}
		}
		if s.Name == "graphcomms.apply" && len(s.Links) == 0 {
			t.Errorf("an apply span has no link to its callback")
		}
	}
	for _, want := range []string{"graphcomms.callback", "graphcomms.callback.validate", "graphcomms.callback.parse",
		"graphcomms.apply", "graphcomms.answer", "graphcomms.operation playPromptOperation",
		"POST /v1.0/communications/calls/{id}/answer", "POST /v1.0/communications/calls/{id}/playPrompt"} {
		if names[want] == 0 {
			t.Errorf("no %q span; spans: %v", want, names)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	observed := map[string]uint64{} // observations per histogram
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = true
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
				for _, p := range h.DataPoints {
					observed[m.Name] += p.Count
				}
			}
		}
	}
	// One answer, and one operation (the prompt).
	if observed[graphcomms.MetricAnswerDuration] != 1 || observed[graphcomms.MetricOperationDuration] != 1 {
		t.Errorf("answer and operation durations observed %v, want one each", observed)
	}
	for _, want := range []string{graphcomms.MetricNotificationsReceived, graphcomms.MetricAnswerDuration,
		graphcomms.MetricOperationDuration, graphcomms.MetricCallsActive, graphcomms.MetricQueueDepth} {
		if !got[want] {
			t.Errorf("no metric %s; got %v", want, got)
		}
	}
	call, ok := e.client.Call(h.ID())
	if !ok {
		t.Fatal("call not tracked")
	}
	if call.ScenarioID() != "" {
		// An incoming call takes the callback's scenario-id; the emulator sends none.
		t.Logf("scenario %s", call.ScenarioID())
	}
	hist := call.History()
	var requests, notes int
	for _, en := range hist {
		switch en.Kind {
		case graphcomms.HistoryRequest:
			requests++
			if en.Status == 0 || en.ClientRequestID == "" {
				t.Errorf("request entry %+v", en)
			}
		case graphcomms.HistoryNotification:
			notes++
		}
	}
	if requests < 2 || notes < 3 {
		t.Errorf("history has %d requests and %d notifications: %+v", requests, notes, hist)
	}
}

// endedSpans is a span processor that reports each ended span's name on a channel.
type endedSpans struct{ names chan string }

func (p endedSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p endedSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	select {
	case p.names <- s.Name():
	default:
	}
}
func (endedSpans) Shutdown(context.Context) error   { return nil }
func (endedSpans) ForceFlush(context.Context) error { return nil }

// waitSpan waits until a span named name has ended.
func waitSpan(ctx context.Context, t *testing.T, p endedSpans, name string) {
	t.Helper()
	for {
		select {
		case n := <-p.names:
			if n == name {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no %q span ended", name)
		}
	}
}

// counter returns the sum of a counter's points.
func counter(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, p := range s.DataPoints {
					n += p.Value
				}
			}
		}
	}
	return n
}

// TestTelemetryKeepAlive: each keep-alive is a span with its request as a child, and a
// failed one (404: the call is gone) is counted.
func TestTelemetryKeepAlive(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	ended := endedSpans{names: make(chan string, 1000)}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSpanProcessor(ended))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e := newEnv(t, func(c *graphcomms.Config) {
		c.TracerProvider, c.MeterProvider, c.KeepAliveInterval = tp, mp, 10*time.Minute
	})
	ctx := ctxFor(t)
	call := answered(t, e, "alice")
	e.emu.Advance(10 * time.Minute)
	waitSpan(ctx, t, ended, "graphcomms.keepAlive")
	var ka sdktrace.ReadOnlySpan
	for _, s := range spans.GetSpans().Snapshots() {
		if s.Name() == "graphcomms.keepAlive" {
			ka = s
		}
	}
	var child bool
	for _, s := range spans.GetSpans().Snapshots() {
		if s.Name() == "POST /v1.0/communications/calls/{id}/keepAlive" && s.Parent().SpanID() == ka.SpanContext().SpanID() {
			child = true
		}
	}
	if !child {
		t.Error("the keepAlive request is not a child of the graphcomms.keepAlive span")
	}
	if attrValue(ka, "graphcomms.call.id") != call.ID() {
		t.Errorf("keepAlive span attributes %v", ka.Attributes())
	}
	if n := counter(t, reader, graphcomms.MetricKeepAliveFailures); n != 0 {
		t.Errorf("%d keep-alive failures counted after a good one", n)
	}
	// The call ends on Graph's side and its notifications are lost: the next
	// keepAlive gets 404.
	e.emu.DropNextNotifications(2)
	h, err := e.emu.Handle(call.ID())
	if err != nil {
		t.Fatal(err)
	}
	_ = h.HangUp()
	e.emu.Advance(10 * time.Minute)
	waitSpan(ctx, t, ended, "graphcomms.keepAlive")
	if n := counter(t, reader, graphcomms.MetricKeepAliveFailures); n != 1 {
		t.Errorf("%d keep-alive failures counted after a 404, want 1", n)
	}
}

func attrValue(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// TestTelemetryTakeover: a replica taking over a dead replica's call records a
// graphcomms.takeover span with the call's ID and counts it.
func TestTelemetryTakeover(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	f := newFleet(t, 2, redisOrSkip(t), func(c *graphcomms.Config) { c.TracerProvider, c.MeterProvider = tp, mp })
	ctx := ctxFor(t)
	got := f.answerAll(ctx, t)
	resumed, _ := f.resumeAll()
	first, h := f.establish(ctx, t, got, "erin", false)
	dead := f.replica(first.replica)
	dead.down.Store(true)
	graphcomms.Crash(dead.client)
	f.emu.Advance(graphcomms.DefaultLeaseTTL)
	select {
	case <-resumed:
	case <-ctx.Done():
		t.Fatal("no replica took the call over")
	}
	var found bool
	for _, s := range spans.GetSpans().Snapshots() {
		if s.Name() == "graphcomms.takeover" {
			found = true
			if attrValue(s, "graphcomms.call.id") != h.ID() || attrValue(s, "graphcomms.previous_writer") != first.replica {
				t.Errorf("takeover span attributes %v; call %s, dead replica %s", s.Attributes(), h.ID(), first.replica)
			}
		}
	}
	if !found {
		t.Error("no graphcomms.takeover span")
	}
	if n := counter(t, reader, graphcomms.MetricTakeovers); n != 1 {
		t.Errorf("%d takeovers counted, want 1", n)
	}
}

// TestTelemetryRejectedCallback: a refused callback is counted with its reason.
func TestTelemetryRejectedCallback(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e := newEnv(t, func(c *graphcomms.Config) { c.MeterProvider = mp })
	for range 2 {
		rec := httptest.NewRecorder()
		e.client.ServeHTTP(rec, httptest.NewRequest("POST", "/api/calls", strings.NewReader(`{"value":[]}`))) // no token
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", rec.Code)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == graphcomms.MetricCallbacksRejected {
				for _, p := range s.DataPoints {
					r, _ := p.Attributes.Value("graphcomms.reason")
					got[r.AsString()] += p.Value
				}
			}
		}
	}
	if got["invalid_token"] != 2 || len(got) != 1 {
		t.Errorf("rejections counted %v, want invalid_token: 2", got)
	}
}
