package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
)

// lineHandler is the emulator's log as people read it: one line per record, the
// message as it is, then its attributes as key=value (no time or level: the emulator's
// lines carry the emulated time themselves).
type lineHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	attrs []byte // preformatted " key=value" pairs from WithAttrs
	group string
}

func newLineHandler(w io.Writer) *lineHandler { return &lineHandler{mu: &sync.Mutex{}, w: w} }

// Enabled implements slog.Handler: Info and above.
func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

// Handle implements slog.Handler.
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	b.WriteString(r.Message)
	b.Write(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		h.appendAttr(&b, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

func (h *lineHandler) appendAttr(b *bytes.Buffer, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	b.WriteByte(' ')
	if h.group != "" {
		b.WriteString(h.group + ".")
	}
	b.WriteString(a.Key + "=" + a.Value.Resolve().String())
}

// WithAttrs implements slog.Handler.
func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b bytes.Buffer
	b.Write(h.attrs)
	for _, a := range attrs {
		h.appendAttr(&b, a)
	}
	c := *h
	c.attrs = b.Bytes()
	return &c
}

// WithGroup implements slog.Handler.
func (h *lineHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
