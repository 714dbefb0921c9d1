//go:build !otel

package demo

import (
	"context"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// TelemetryBuilt says whether this binary was built with -tags otel.
const TelemetryBuilt = false

// telemetry records nothing: build with -tags otel to export spans and metrics.
func telemetry() (trace.TracerProvider, metric.MeterProvider, func(context.Context) error, error) {
	return nil, nil, func(context.Context) error { return nil }, nil
}
