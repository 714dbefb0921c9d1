package graphcomms

import "sync"

// handlers is a list of callbacks. Every On... method of Client and Call follows one
// rule: it adds a handler (all handlers run, in the order they were added) and returns
// a function that removes it. The list is copied on write, so that a handler may add
// or remove handlers while the list is being run.
type handlers[F any] struct {
	mu   sync.Mutex
	next uint64
	list []handler[F]
}

type handler[F any] struct {
	id uint64
	f  F
}

func (h *handlers[F]) add(f F) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	h.list = append(h.list[:len(h.list):len(h.list)], handler[F]{id, f})
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, x := range h.list {
			if x.id == id {
				h.list = append(h.list[:i:i], h.list[i+1:]...)
				return
			}
		}
	}
}

// get returns the current handlers (never changed afterwards).
func (h *handlers[F]) get() []handler[F] {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.list
}

func (h *handlers[F]) clear() {
	h.mu.Lock()
	h.list = nil
	h.mu.Unlock()
}
