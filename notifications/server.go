package notifications

import (
	"net/http"
	"time"
)

// Defaults of ServerConfig, suited to Graph's callbacks: Graph sends its headers (about
// 3 KB, most of it the bearer token) and a body of at most 1 MiB at once from Azure's
// network, and waits a few seconds for the answer, which Handler gives in
// milliseconds. A client that is slower than these is not Graph, and would otherwise
// hold a connection, a goroutine and its buffers for as long as it likes.
const (
	// DefaultReadHeaderTimeout bounds the time to send the request headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds the time to send the whole request, body included: a
	// 1 MiB body at 100 KB/s.
	DefaultReadTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds the time from the end of the request headers to the
	// end of the answer: the body, the handler and the answer.
	DefaultWriteTimeout = 15 * time.Second
	// DefaultIdleTimeout is how long a kept-alive connection may wait for its next
	// request; Graph reuses its connections for bursts of callbacks.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxHeaderBytes caps the request headers: twenty times what Graph sends,
	// and a sixteenth of net/http's default of 1 MiB.
	DefaultMaxHeaderBytes = 64 << 10
)

// ServerConfig sets the timeouts and limits of the server NewServer returns. A zero
// field takes its default (the constants above).
type ServerConfig struct {
	// ReadHeaderTimeout: default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout: default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout: default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout: default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxHeaderBytes: default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
}

// NewServer returns an http.Server for h on addr (host:port, as for
// http.Server.Addr) with the timeouts and limits of c. Start it with ListenAndServe,
// ListenAndServeTLS or Serve; stop it with Shutdown. Other fields of the server
// (TLSConfig, ErrorLog, BaseContext, ...) may be set before it starts.
func (c ServerConfig) NewServer(addr string, h http.Handler) *http.Server {
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	maxHeader := c.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: orDefault(c.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(c.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(c.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       orDefault(c.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeader,
	}
}

// NewServer returns an http.Server for a bot's callbacks (h is a Handler, or the
// graphcomms client, or a mux with either) on addr, with the default timeouts and
// limits of ServerConfig. Use it instead of http.ListenAndServe, whose server has no
// timeouts: a client that sends its headers or body a byte at a time would hold its
// connection for ever.
func NewServer(addr string, h http.Handler) *http.Server { return ServerConfig{}.NewServer(addr, h) }
