package graphcomms_test

import (
	"context"
	"strings"
	"testing"

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
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = true
		}
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
