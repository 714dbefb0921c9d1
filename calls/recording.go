package calls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/internal/loopback"
)

// DefaultRecordingMaxBytes is the size cap of a recording download when
// DownloadOptions.MaxBytes is 0: 16 MiB. recordResponse records at most 2 minutes, and
// 2 minutes of 16 kHz mono 16-bit WAV is about 3.84 MB.
const DefaultRecordingMaxBytes int64 = 16 << 20

// DefaultRecordingTimeout is the time limit of a recording download (connecting,
// redirects and reading the body) when DownloadOptions.HTTPClient is nil.
const DefaultRecordingTimeout = time.Minute

// maxRecordingRedirects is how many redirects a download follows, as net/http does by
// default.
const maxRecordingRedirects = 10

// DownloadOptions configures RecordOperation.Open and RecordOperation.Download. A nil
// *DownloadOptions, like the zero value, means the defaults.
type DownloadOptions struct {
	// HTTPClient sends the request. nil: a client using http.DefaultTransport with a
	// timeout of DefaultRecordingTimeout. A client given here keeps its own Timeout
	// (where 0 means none; bound the download with ctx or set one).
	//
	// The client is not modified: the download uses a copy whose CheckRedirect enforces
	// the redirect rules described on RecordOperation.Open, then calls the client's own
	// CheckRedirect, if it has one (without one, at most 10 redirects are followed).
	HTTPClient *http.Client

	// MaxBytes caps the size of the recording; a larger one fails with
	// ErrRecordingTooLarge instead of being truncated. 0 or less:
	// DefaultRecordingMaxBytes (16 MiB).
	MaxBytes int64

	// AllowLoopback permits plain http when the host is a loopback address
	// (127.0.0.0/8 or ::1) or "localhost", as for the emulator (package emulator),
	// which serves recordings over http on 127.0.0.1. Off by default: then only
	// https is used. http to any other host is refused even with AllowLoopback.
	//
	// Set it only when talking to the emulator, never for Microsoft Graph.
	// "localhost" is trusted to resolve to a loopback address.
	AllowLoopback bool
}

// The sentinel errors of recording downloads. RecordOperation.Open and Download return
// them inside a *RecordingError; test for them with errors.Is.
var (
	// ErrNoRecordingLocation: the operation has no recordingLocation (or the
	// *RecordOperation is nil), as when the caller said nothing.
	ErrNoRecordingLocation = errors.New("no recording location")

	// ErrInvalidRecordingLocation: recordingLocation is not an absolute http or https
	// URL with a host, or it has userinfo (user:password@). Nothing is sent.
	ErrInvalidRecordingLocation = errors.New("invalid recording location")

	// ErrInsecureRecordingLocation: recordingLocation is plain http, and
	// DownloadOptions.AllowLoopback is off or the host is not a loopback address.
	// Nothing is sent.
	ErrInsecureRecordingLocation = errors.New("recording location is not https")

	// ErrNoRecordingAccessToken: the operation has no recordingAccessToken, or one that
	// cannot be sent in a header. Nothing is sent.
	ErrNoRecordingAccessToken = errors.New("no usable recording access token")

	// ErrRecordingRedirect: the server redirected to a location the download refuses:
	// one that fails the rules of the recording location itself, a downgrade from https
	// to http, or one redirect too many.
	ErrRecordingRedirect = errors.New("redirect refused")

	// ErrRecordingTooLarge: the recording is larger than DownloadOptions.MaxBytes.
	ErrRecordingTooLarge = errors.New("recording too large")
)

// RecordingError is a failed recording download. Its message never holds the access
// token, nor the userinfo, query or fragment of the recording location.
//
// Use errors.Is with the sentinel errors (ErrNoRecordingLocation,
// ErrInvalidRecordingLocation, ErrInsecureRecordingLocation, ErrNoRecordingAccessToken,
// ErrRecordingRedirect, ErrRecordingTooLarge), and errors.As to read StatusCode:
//
//	var rerr *calls.RecordingError
//	if errors.As(err, &rerr) && rerr.StatusCode == http.StatusNotFound { ... }
type RecordingError struct {
	// Location is the recording location as scheme://host/path, without userinfo,
	// query or fragment; empty when it is missing or cannot be parsed.
	Location string
	// StatusCode is the HTTP status of a response other than 2xx, or 0.
	StatusCode int
	// Err is the cause: one of the sentinel errors (possibly wrapped with details), a
	// *url.Error from the HTTP client (its URL stripped as Location is), or, when
	// StatusCode is set, nil.
	Err error
}

// Error returns e.g. "calls: recording download from https://host/path: 404 Not Found".
func (e *RecordingError) Error() string {
	var b strings.Builder
	b.WriteString("calls: recording download")
	if e.Location != "" {
		b.WriteString(" from " + e.Location)
	}
	if e.StatusCode != 0 {
		b.WriteString(": " + strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" " + t)
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *RecordingError) Unwrap() error { return e.Err }

// Open starts downloading the recording of a completed recordResponse: a GET of
// RecordingLocation with "Authorization: Bearer {RecordingAccessToken}", as Graph
// documents. Graph keeps the recording briefly, so download it as soon as the operation
// completes. The caller must close the returned body. A recording larger than MaxBytes
// fails with ErrRecordingTooLarge (a *RecordingError): from Open itself when the
// response's Content-Length says so, otherwise from the body's Read once more than
// MaxBytes have arrived. opts may be nil.
//
// Before sending anything, Open requires RecordingLocation to be an absolute https URL
// without userinfo (or http to a loopback host, with AllowLoopback), and a non-empty
// RecordingAccessToken.
//
// Redirects are followed (at most 10) only to locations that pass the same rules, and
// never from https to http. The access token is sent only to the scheme, host and port
// of RecordingLocation: a redirect elsewhere is followed without it.
//
// Every error is a *RecordingError; a response other than 2xx is one with StatusCode
// set (its body is discarded).
func (op *RecordOperation) Open(ctx context.Context, opts *DownloadOptions) (io.ReadCloser, error) {
	body, _, err := op.open(ctx, opts)
	return body, err
}

// Download downloads the recording of a completed recordResponse and returns it whole
// (for recordResponse, usually a WAV file). It follows the rules of Open, and fails
// with ErrRecordingTooLarge rather than return a truncated recording. opts may be nil.
func (op *RecordOperation) Download(ctx context.Context, opts *DownloadOptions) ([]byte, error) {
	body, size, err := op.open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size))
	}
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// open returns the capped body and the response's Content-Length (-1 if unknown).
func (op *RecordOperation) open(ctx context.Context, opts *DownloadOptions) (io.ReadCloser, int64, error) {
	var o DownloadOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultRecordingMaxBytes
	}
	if op == nil || op.RecordingLocation == "" {
		return nil, 0, &RecordingError{Err: ErrNoRecordingLocation}
	}
	token := op.RecordingAccessToken
	u, err := checkRecordingURL(op.RecordingLocation, o.AllowLoopback)
	if err != nil {
		return nil, 0, err
	}
	loc := redactURL(u)
	if !validToken(token) {
		return nil, 0, &RecordingError{Location: loc, Err: ErrNoRecordingAccessToken}
	}

	client := &http.Client{Timeout: DefaultRecordingTimeout}
	if o.HTTPClient != nil {
		c := *o.HTTPClient // a copy: the caller's client is left as it is
		client = &c
	}
	userCheck := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via, o.AllowLoopback); err != nil {
			return err
		}
		if userCheck != nil {
			return userCheck(req, via)
		}
		return nil
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, op.RecordingLocation, nil)
	if err != nil {
		return nil, 0, &RecordingError{Location: loc, Err: scrubError(err, token)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil { // a refused redirect returns both
			resp.Body.Close()
		}
		return nil, 0, &RecordingError{Location: loc, Err: scrubError(err, token)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read a little so that the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
		return nil, 0, &RecordingError{Location: loc, StatusCode: resp.StatusCode}
	}
	if resp.ContentLength > o.MaxBytes {
		resp.Body.Close()
		return nil, 0, &RecordingError{Location: loc, Err: tooLarge(o.MaxBytes)}
	}
	return &cappedBody{body: resp.Body, left: o.MaxBytes, max: o.MaxBytes, loc: loc, token: token},
		resp.ContentLength, nil
}

// checkRecordingURL parses a recording location (or a redirect's) and applies the
// rules: absolute, http or https, a host, no userinfo, and http only to loopback with
// allowLoopback.
func checkRecordingURL(raw string, allowLoopback bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole URL: leave it out.
		return nil, &RecordingError{Err: fmt.Errorf("%w: not a URL", ErrInvalidRecordingLocation)}
	}
	return u, checkURL(u, allowLoopback)
}

func checkURL(u *url.URL, allowLoopback bool) error {
	invalid := func(why string) error {
		return &RecordingError{Location: redactURL(u), Err: fmt.Errorf("%w: %s", ErrInvalidRecordingLocation, why)}
	}
	switch {
	case !u.IsAbs() || u.Opaque != "":
		return invalid("not an absolute URL")
	case u.User != nil:
		return invalid("it has userinfo")
	case u.Scheme != "https" && u.Scheme != "http": // url.Parse lowercases the scheme
		return invalid("the scheme is not https")
	case u.Hostname() == "":
		return invalid("no host")
	case u.Scheme == "http" && !allowLoopback:
		return &RecordingError{Location: redactURL(u), Err: ErrInsecureRecordingLocation}
	case u.Scheme == "http" && !loopback.Host(u.Hostname()):
		return &RecordingError{Location: redactURL(u),
			Err: fmt.Errorf("%w: http is allowed only to loopback hosts", ErrInsecureRecordingLocation)}
	}
	return nil
}

// checkRedirect is the download's CheckRedirect: every hop passes checkURL, never goes
// from https to http, and gets the access token only on the original origin.
func checkRedirect(req *http.Request, via []*http.Request, allowLoopback bool) error {
	if len(via) >= maxRecordingRedirects {
		return fmt.Errorf("%w: stopped after %d redirects", ErrRecordingRedirect, maxRecordingRedirects)
	}
	to := redactURL(req.URL)
	if err := checkURL(req.URL, allowLoopback); err != nil {
		var rerr *RecordingError
		if errors.As(err, &rerr) {
			err = rerr.Err
		}
		return fmt.Errorf("%w to %s: %w", ErrRecordingRedirect, to, err)
	}
	prev := via[len(via)-1].URL
	if prev.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w to %s: a downgrade from https", ErrRecordingRedirect, to)
	}
	if !sameOrigin(req.URL, via[0].URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// redactURL returns u as scheme://host/path: without userinfo, query or fragment, which
// may hold credentials.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// validToken reports whether token is non-empty and fits in a header value.
func validToken(token string) bool {
	if token == "" {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// scrubError makes an HTTP client error safe to show: a *url.Error's URL loses its
// query and fragment, and an error whose message holds the token (say, a server that
// echoed it in a Location header) is replaced by its message with the token cut out.
func scrubError(err error, token string) error {
	if ue, ok := err.(*url.Error); ok {
		redacted := ""
		if u, perr := url.Parse(ue.URL); perr == nil {
			redacted = redactURL(u)
		}
		return &url.Error{Op: ue.Op, URL: redacted, Err: scrubError(ue.Err, token)}
	}
	if token != "" && strings.Contains(err.Error(), token) {
		return errors.New(strings.ReplaceAll(err.Error(), token, "[redacted]"))
	}
	return err
}

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: more than %d bytes", ErrRecordingTooLarge, limit)
}

// cappedBody is a response body that fails once more than max bytes have been read.
type cappedBody struct {
	body  io.ReadCloser
	left  int64 // bytes still allowed
	max   int64
	loc   string
	token string
	err   error // sticky
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte more than allowed tells "too large" from "exactly max"
	}
	n, err := b.body.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		b.err = &RecordingError{Location: b.loc, Err: tooLarge(b.max)}
		return n, b.err
	}
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = &RecordingError{Location: b.loc, Err: scrubError(err, b.token)}
		return n, b.err
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.body.Close() }
