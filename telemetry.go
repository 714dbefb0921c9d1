package graphcomms

import (
	"context"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/transport"
	"github.com/graphcomms/graphcomms/internal/version"
	"github.com/graphcomms/graphcomms/store"
)

// instrumentationName names the tracer and the meter of the library.
const instrumentationName = "github.com/graphcomms/graphcomms"

// Metric names, in the OpenTelemetry style; README's "Observability" table says what
// each counts and with which attributes.
const (
	MetricCallsActive           = "graphcomms.calls.active"
	MetricNotificationsReceived = "graphcomms.notifications.received"
	MetricCallbacksRejected     = "graphcomms.callbacks.rejected"
	MetricAnswerDuration        = "graphcomms.answer.duration"
	MetricOperationDuration     = "graphcomms.operation.duration"
	MetricKeepAliveFailures     = "graphcomms.keepalive.failures"
	MetricQueueDepth            = "graphcomms.queue.depth"
	MetricNotificationsParked   = "graphcomms.notifications.parked"
	MetricAppendDuration        = "graphcomms.cluster.append.duration"
	MetricLeasesHeld            = "graphcomms.cluster.leases"
	MetricTakeovers             = "graphcomms.cluster.takeovers"
)

// Attribute keys of the spans and metrics.
const (
	attrCallID      = attribute.Key("graphcomms.call.id")
	attrCallChainID = attribute.Key("graphcomms.call.chain_id")
	attrTenant      = attribute.Key("graphcomms.tenant")
	attrScenario    = attribute.Key("scenario-id")
	attrClientReqID = attribute.Key("client-request-id")
	attrOpID        = attribute.Key("graphcomms.operation.id")
	attrOpType      = attribute.Key("graphcomms.operation.type")
	attrCode        = attribute.Key("graphcomms.result.code")
	attrSubcode     = attribute.Key("graphcomms.result.subcode")
	attrKind        = attribute.Key("graphcomms.notification.kind")
	attrOutcome     = attribute.Key("graphcomms.outcome")
	attrReason      = attribute.Key("graphcomms.reason")
	attrDirection   = attribute.Key("graphcomms.call.direction")
	attrState       = attribute.Key("graphcomms.call.state")
	attrCompliance  = attribute.Key("graphcomms.compliance_recording")
)

// telemetry holds the client's tracer and instruments. With no providers configured
// they are OpenTelemetry's global ones, which do nothing until an SDK is installed.
type telemetry struct {
	// tracing and metering are set when the client was given providers: without
	// them the hot paths skip the instruments altogether.
	tracing, metering bool
	tracer            trace.Tracer
	received          metric.Int64Counter
	rejected          metric.Int64Counter
	answer            metric.Float64Histogram
	opDur             metric.Float64Histogram
	kaFail            metric.Int64Counter
	appendDur         metric.Float64Histogram
	takeovers         metric.Int64Counter
	reg               metric.Registration
}

var propagator = propagation.TraceContext{}

func newTelemetry(c *Client, tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	t := &telemetry{tracing: tp != nil, metering: mp != nil}
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	t.tracer = tp.Tracer(instrumentationName, trace.WithInstrumentationVersion(version.Version))
	m := mp.Meter(instrumentationName, metric.WithInstrumentationVersion(version.Version))
	var err error
	seconds := metric.WithUnit("s")
	if t.received, err = m.Int64Counter(MetricNotificationsReceived, metric.WithUnit("{notification}"),
		metric.WithDescription("Notifications received in accepted callbacks, by kind and outcome.")); err != nil {
		return nil, err
	}
	if t.rejected, err = m.Int64Counter(MetricCallbacksRejected, metric.WithUnit("{callback}"),
		metric.WithDescription("Callbacks refused, by reason.")); err != nil {
		return nil, err
	}
	// Graph's budgets are 15 s (5 s for a compliance-recording invitation): the
	// buckets put both edges in view.
	if t.answer, err = m.Float64Histogram(MetricAnswerDuration, seconds,
		metric.WithDescription("From an incoming call's notification to the bot's answer request."),
		metric.WithExplicitBucketBoundaries(0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 12.5, 15, 20)); err != nil {
		return nil, err
	}
	if t.opDur, err = m.Float64Histogram(MetricOperationDuration, seconds,
		metric.WithDescription("From an operation's request to its completion, by type and outcome.")); err != nil {
		return nil, err
	}
	if t.kaFail, err = m.Int64Counter(MetricKeepAliveFailures, metric.WithUnit("{request}"),
		metric.WithDescription("KeepAlive requests that failed.")); err != nil {
		return nil, err
	}
	if t.appendDur, err = m.Float64Histogram(MetricAppendDuration, seconds,
		metric.WithDescription("Appending a callback's notifications to the calls' logs (replica mode).")); err != nil {
		return nil, err
	}
	if t.takeovers, err = m.Int64Counter(MetricTakeovers, metric.WithUnit("{call}"),
		metric.WithDescription("Calls taken over from another replica.")); err != nil {
		return nil, err
	}
	active, err := m.Int64ObservableGauge(MetricCallsActive, metric.WithUnit("{call}"),
		metric.WithDescription("Calls tracked by this client, by direction and state."))
	if err != nil {
		return nil, err
	}
	depth, err := m.Int64ObservableGauge(MetricQueueDepth, metric.WithUnit("{item}"),
		metric.WithDescription("The longest per-call queue of events waiting to be delivered."))
	if err != nil {
		return nil, err
	}
	parked, err := m.Int64ObservableGauge(MetricNotificationsParked, metric.WithUnit("{call}"),
		metric.WithDescription("Calls whose notifications wait, parked, for a call nobody holds yet (in-process store)."))
	if err != nil {
		return nil, err
	}
	leases, err := m.Int64ObservableGauge(MetricLeasesHeld, metric.WithUnit("{call}"),
		metric.WithDescription("Calls this replica holds the lease of (replica mode)."))
	if err != nil {
		return nil, err
	}
	t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		c.observeGauges(o, active, depth, parked, leases)
		return nil
	}, active, depth, parked, leases)
	return t, err
}

// observeGauges reports the gauges: one pass over the tracked calls per collection
// (not per request).
func (c *Client) observeGauges(o metric.Observer, active, depth, parked, leases metric.Int64ObservableGauge) {
	type key struct{ dir, state string }
	counts := map[key]int64{}
	var deepest, held int64
	for _, call := range c.Calls() {
		res := call.Resource()
		counts[key{string(res.Direction), string(res.State)}]++
		deepest = max(deepest, int64(call.queued()))
		held++
	}
	for k, n := range counts {
		o.ObserveInt64(active, n, metric.WithAttributes(attrDirection.String(k.dir), attrState.String(k.state)))
	}
	o.ObserveInt64(depth, deepest)
	if m, ok := c.cluster.(*store.Memory); ok {
		o.ObserveInt64(parked, int64(m.Stats().ParkedCalls))
	}
	if c.owned == nil {
		o.ObserveInt64(leases, held)
	}
}

// callbackLink is the W3C traceparent of the span in ctx (the callback's), stored
// with a log entry so that the holder's span applying it can link to it.
func callbackLink(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// linkTo turns a stored traceparent back into a span link.
func linkTo(traceparent string) []trace.Link {
	if traceparent == "" {
		return nil
	}
	ctx := propagator.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return []trace.Link{{SpanContext: sc}}
	}
	return nil
}

// callAttrs are the attributes every span of a call carries.
func (c *Call) callAttrs() []attribute.KeyValue {
	c.mu.Lock()
	chain := c.st.Call.CallChainID
	c.mu.Unlock()
	return []attribute.KeyValue{attrCallID.String(c.id), attrCallChainID.String(chain), attrTenant.String(c.tenant),
		attrScenario.String(c.scenario)}
}

// startSpan starts a span of the call's, as a child of ctx.
func (c *Call) startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return c.client.tel.tracer.Start(ctx, name, trace.WithAttributes(append(c.callAttrs(), attrs...)...))
}

// endSpan ends a span with the outcome of err.
func endSpan(span trace.Span, err error) {
	failSpan(span, err)
	span.End()
}

// failSpan marks a span failed with err (nothing when err is nil).
func failSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// resultAttrs are the code and subcode of a resultInfo.
func resultAttrs(ri calls.ResultInfo) []attribute.KeyValue {
	return []attribute.KeyValue{attrCode.Int(int(ri.Code)), attrSubcode.Int(int(ri.Subcode))}
}

// observeRequest is told of every request the client's API sends: it goes into the
// history of the call its path names.
func (c *Client) observeRequest(r transport.Record) {
	id := callIDOfPath(r.Path)
	if id == "" {
		return
	}
	c.mu.Lock()
	call := c.calls[id]
	c.mu.Unlock()
	if call == nil {
		return
	}
	h := HistoryEntry{At: c.clock.Now(), Kind: HistoryRequest, Method: r.Method, Path: r.Path, Status: r.Status,
		Duration: r.Duration, ClientRequestID: r.ClientRequestID}
	if r.Err != nil {
		h.Error = r.Err.Error()
	}
	call.remember(h)
}

// callIDOfPath returns the call ID of a /communications/calls/{id}/... path, or "".
func callIDOfPath(p string) string {
	const seg = "/communications/calls/"
	i := strings.Index(p, seg)
	if i < 0 {
		return ""
	}
	id := p[i+len(seg):]
	if j := strings.IndexByte(id, '/'); j >= 0 {
		id = id[:j]
	}
	if u, err := url.PathUnescape(id); err == nil {
		id = u
	}
	return id
}

// since returns the seconds from t to now on the client's clock.
func (c *Client) since(t time.Time) float64 { return c.clock.Now().Sub(t).Seconds() }
