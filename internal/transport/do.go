package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	nethttp "github.com/microsoft/kiota-http-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/graphcomms/graphcomms/graph"
	"github.com/graphcomms/graphcomms/internal/retryafter"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// maxResponse caps how much of a response body is read.
const maxResponse = 32 << 20

// Response is what came back for a request, success or not.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Client sends graphcomms requests through a Kiota request adapter.
type Client struct {
	Adapter abs.RequestAdapter
	// BaseURL overrides the adapter's base URL when set (no trailing slash).
	BaseURL string
	// Logger, when set, gets one debug line per request sent.
	Logger *slog.Logger
	// Tracer, when set, records one client span per request (retries included).
	Tracer trace.Tracer
	// Observe, when set, is told of every request once it is done.
	Observe func(Record)
}

// Record is one request as Client.Observe sees it.
type Record struct {
	Method, Path    string
	Status          int // 0 when no response came
	Duration        time.Duration
	ClientRequestID string
	Err             error
}

// Of returns the Client behind an API root of package calls (set by package calls),
// so that the graphcomms client can attach its tracer and observer without an
// exported accessor.
var Of func(api any) *Client

// Base returns the base URL requests go to: BaseURL, else the adapter's, else v1.0.
func (c *Client) Base() string {
	if c.BaseURL != "" {
		return strings.TrimSuffix(c.BaseURL, "/")
	}
	if c.Adapter != nil {
		if b := c.Adapter.GetBaseUrl(); b != "" {
			return strings.TrimSuffix(b, "/")
		}
	}
	return graph.V1BaseURL
}

// Request describes one call to Graph.
type Request struct {
	Method string
	// Path is appended to the base URL; its segments must already be escaped.
	Path  string
	Query url.Values
	// Body is marshalled with package wire when non-nil.
	Body any
	// Create marks a POST that creates a resource: it is not replayed after an
	// ambiguous failure unless Options.AllowReplay is set.
	Create  bool
	Options graph.RequestOptions
	// Err, when set, is returned instead of sending anything: the first invalid ID
	// met while the path was built.
	Err error
}

// RequestInformation builds the Kiota request for r without sending it.
func (c *Client) RequestInformation(r Request) (*abs.RequestInformation, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	u, err := url.Parse(c.Base() + r.Path)
	if err != nil {
		return nil, fmt.Errorf("graphcomms: bad request URL: %w", err)
	}
	if len(r.Query) > 0 {
		// Graph wants $filter spelled with a literal '$' and spaces as %20.
		u.RawQuery = strings.ReplaceAll(strings.ReplaceAll(r.Query.Encode(), "%24", "$"), "+", "%20")
	}
	ri := abs.NewRequestInformation()
	ri.Method = methodOf(r.Method)
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	if v := reflect.ValueOf(r.Body); r.Body != nil && !(v.Kind() == reflect.Pointer && v.IsNil()) {
		b, err := wire.Marshal(r.Body)
		if err != nil {
			return nil, fmt.Errorf("graphcomms: encoding request body: %w", err)
		}
		ri.SetStreamContentAndContentType(b, "application/json")
	}
	for k, v := range r.Options.Headers {
		ri.Headers.Add(k, v)
	}
	if r.Options.ClientRequestID != "" {
		ri.Headers.Add("client-request-id", r.Options.ClientRequestID)
	}
	opts := []abs.RequestOption{ReplayOption{Allowed: !r.Create || r.Options.AllowReplay}}
	if r.Options.TenantID != "" {
		opts = append(opts, TenantOption{TenantID: r.Options.TenantID})
	}
	if r.Options.NoRedirect {
		opts = append(opts, &nethttp.RedirectHandlerOptions{
			ShouldRedirect: func(*http.Request, *http.Response) bool { return false },
		})
	}
	ri.AddRequestOptions(opts)
	return ri, nil
}

func methodOf(m string) abs.HttpMethod {
	switch m {
	case http.MethodGet:
		return abs.GET
	case http.MethodPost:
		return abs.POST
	case http.MethodPatch:
		return abs.PATCH
	case http.MethodDelete:
		return abs.DELETE
	case http.MethodPut:
		return abs.PUT
	}
	return abs.GET
}

// Do sends r. When out is non-nil and the response has a body, the body is decoded
// into out with package wire. It returns the response, or an error made by ErrorFor
// for a failed one.
func (c *Client) Do(ctx context.Context, r Request, out any) (*Response, error) {
	if c.Adapter == nil {
		return nil, errors.New("graphcomms: no request adapter")
	}
	ri, err := c.RequestInformation(r)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, ri, out)
}

// Send sends a prepared request; see Do.
func (c *Client) Send(ctx context.Context, ri *abs.RequestInformation, out any) (*Response, error) {
	var resp *Response
	handler := abs.NewRequestHandlerOption()
	handler.SetResponseHandler(func(response any, _ abs.ErrorMappings) (any, error) {
		hr, ok := response.(*http.Response)
		if !ok || hr == nil {
			return nil, errors.New("graphcomms: the request adapter gave no HTTP response")
		}
		defer hr.Body.Close()
		body, err := io.ReadAll(io.LimitReader(hr.Body, maxResponse+1))
		if err != nil {
			return nil, fmt.Errorf("graphcomms: reading response: %w", err)
		}
		if len(body) > maxResponse {
			return nil, fmt.Errorf("graphcomms: response larger than %d bytes", maxResponse)
		}
		resp = &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: body}
		return &parsed{}, nil
	})
	ri.AddRequestOptions([]abs.RequestOption{handler})
	path := ""
	if u, uerr := ri.GetUri(); uerr == nil {
		path = u.Path
	}
	var span trace.Span
	if c.Tracer != nil {
		ctx, span = c.Tracer.Start(ctx, ri.Method.String()+" "+routeOf(path), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("http.request.method", ri.Method.String()), attribute.String("url.path", path)))
	}
	start := time.Now()
	_, err := c.Adapter.SendPrimitive(ctx, ri, "[]byte", nil)
	d := time.Since(start)
	c.logRequest(ctx, ri.Method.String(), path, resp, err, d)
	if span != nil || c.Observe != nil {
		rec := Record{Method: ri.Method.String(), Path: path, Duration: d, Err: err}
		if resp != nil {
			rec.Status, rec.ClientRequestID = resp.StatusCode, resp.Header.Get("client-request-id")
		}
		if span != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", rec.Status), attribute.String("client-request-id", rec.ClientRequestID))
			if err != nil || rec.Status >= 400 {
				span.SetStatus(codes.Error, http.StatusText(rec.Status))
			}
			span.End()
		}
		if c.Observe != nil {
			c.Observe(rec)
		}
	}
	if err != nil {
		return resp, err
	}
	if resp == nil {
		return nil, errors.New("graphcomms: no response")
	}
	if resp.StatusCode >= 400 {
		return resp, errorFromResponse(resp)
	}
	if out != nil && len(strings.TrimSpace(string(resp.Body))) > 0 {
		if err := wire.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("graphcomms: decoding %d response: %w", resp.StatusCode, err)
		}
	}
	return resp, nil
}

// parsed is what the response handler gives back to Kiota, which insists on a Parsable.
type parsed struct{}

// Serialize implements serialization.Parsable; there is nothing to write.
func (*parsed) Serialize(serialization.SerializationWriter) error { return nil }

// GetFieldDeserializers implements serialization.Parsable; there is nothing to read.
func (*parsed) GetFieldDeserializers() map[string]func(serialization.ParseNode) error {
	return map[string]func(serialization.ParseNode) error{}
}

// graphErrorBody is Graph's error JSON.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
			Date            string `json:"date"`
			AdditionalData  map[string]json.RawMessage
		} `json:"innerError"`
		AdditionalData map[string]json.RawMessage
	} `json:"error"`
	AdditionalData map[string]json.RawMessage
}

// errorFromResponse builds a *graph.Error from a failed response.
func errorFromResponse(r *Response) error {
	e := &graph.Error{StatusCode: r.StatusCode, Header: r.Header, Body: r.Body}
	var body graphErrorBody
	if len(r.Body) > 0 && wire.Unmarshal(r.Body, &body) == nil {
		e.Code = body.Error.Code
		e.Message = body.Error.Message
		e.RequestID = body.Error.InnerError.RequestID
		e.ClientRequestID = body.Error.InnerError.ClientRequestID
		e.Date = body.Error.InnerError.Date
	}
	if e.RequestID == "" {
		e.RequestID = r.Header.Get("request-id")
	}
	if e.ClientRequestID == "" {
		e.ClientRequestID = r.Header.Get("client-request-id")
	}
	if e.Date == "" {
		e.Date = r.Header.Get("Date")
	}
	e.RetryAfter = retryafter.Parse(r.Header, time.Now())
	return e
}

// logRequest writes the debug line of one request: method, path, status, duration
// and client-request-id. Headers (Authorization above all), queries and bodies are
// never logged.
func (c *Client) logRequest(ctx context.Context, method, path string, resp *Response, err error, d time.Duration) {
	if c.Logger == nil || !c.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("path", path), slog.Duration("duration", d)}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("client-request-id", resp.Header.Get("client-request-id")),
			slog.String("request-id", resp.Header.Get("request-id")))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.Logger.LogAttrs(ctx, slog.LevelDebug, "graph request", attrs...)
}

// routeOf replaces the IDs of a Graph path by placeholders, for span names of low
// cardinality: /v1.0/communications/calls/{id}/participants/{id}/mute.
func routeOf(path string) string {
	segs := strings.Split(path, "/")
	for i := 1; i < len(segs); i++ {
		switch strings.ToLower(segs[i-1]) {
		case "calls", "participants", "operations", "audioroutinggroups", "contentsharingsessions",
			"users", "onlinemeetings", "attendancereports", "attendancerecords":
			if segs[i] != "" && !strings.EqualFold(segs[i], "invite") && !strings.EqualFold(segs[i], "muteAll") &&
				!strings.EqualFold(segs[i], "createOrGet") && !strings.EqualFold(segs[i], "logTeleconferenceDeviceQuality") {
				segs[i] = "{id}"
			}
		}
	}
	return strings.Join(segs, "/")
}
