//go:build otel

package demo

import (
	"context"
	"errors"
	"io"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TelemetryBuilt says whether this binary was built with -tags otel.
const TelemetryBuilt = true

// telemetry returns providers that export the client's spans and metrics as JSON
// lines (OpenTelemetry's stdout exporters) to the file GRAPHCOMMS_OTEL_FILE names,
// or to standard error; shutdown flushes them (metrics are exported every minute and
// once more at the end). This
// file is built only with -tags otel, so that the default binaries carry no SDK.
func telemetry() (trace.TracerProvider, metric.MeterProvider, func(context.Context) error, error) {
	var w io.Writer = os.Stderr
	var file *os.File
	if name := os.Getenv("GRAPHCOMMS_OTEL_FILE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			return nil, nil, nil, err
		}
		w, file = f, f
	}
	spans, err := stdouttrace.New(stdouttrace.WithWriter(w))
	var metrics sdkmetric.Exporter
	if err == nil {
		metrics, err = stdoutmetric.New(stdoutmetric.WithWriter(w))
	}
	if err != nil {
		if file != nil {
			_ = file.Close()
		}
		return nil, nil, nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics)))
	shutdown := func(ctx context.Context) error {
		err := errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
		if file != nil {
			err = errors.Join(err, file.Close())
		}
		return err
	}
	return tp, mp, shutdown, nil
}
