package transport

import (
	"context"
	"net/url"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/graphcomms/graphcomms/graph"
)

// Target is where a request builder points: the client, the escaped path, a query,
// and the first invalid ID met while the path was built (then nothing is sent). Every
// builder of packages calls and meetings holds one.
type Target struct {
	C     *Client
	Path  string
	Query url.Values
	Err   error
}

// At returns the target of a fixed path on c (segments already escaped).
func At(c *Client, path string) Target { return Target{C: c, Path: path} }

// Child returns the target one or more segments further down. Each segment is an ID
// or a name: it is checked with graph.ValidateID and escaped.
func (t Target) Child(segments ...string) Target {
	p := t.Path
	for _, s := range segments {
		if t.Err == nil {
			t.Err = graph.ValidateID(s)
		}
		p += "/" + url.PathEscape(s)
	}
	return Target{C: t.C, Path: p, Err: t.Err}
}

// WithQuery returns the target with its query replaced.
func (t Target) WithQuery(q url.Values) Target {
	t.Query = q
	return t
}

// Request describes a request on the target.
func (t Target) Request(method string, body any, create bool, opts []graph.RequestOption) Request {
	return Request{Method: method, Path: t.Path, Query: t.Query, Body: body, Create: create,
		Options: graph.CollectOptions(opts...), Err: t.Err}
}

// Info builds the Kiota request without sending it.
func (t Target) Info(method string, body any, create bool, opts []graph.RequestOption) (*abs.RequestInformation, error) {
	return t.C.RequestInformation(t.Request(method, body, create, opts))
}

// Do sends a request on the target; see Client.Do.
func (t Target) Do(ctx context.Context, method string, body any, create bool, out any, opts []graph.RequestOption) (*Response, error) {
	return t.C.Do(ctx, t.Request(method, body, create, opts), out)
}
