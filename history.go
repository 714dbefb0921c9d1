package graphcomms

import "time"

// MaxHistory is how many entries a call's history keeps: the most recent ones, older
// entries giving way.
const MaxHistory = 256

// HistoryKind says what a HistoryEntry records.
type HistoryKind string

// History kinds.
const (
	// HistoryNotification: a notification applied to the call.
	HistoryNotification HistoryKind = "notification"
	// HistoryRequest: a request this client sent for the call.
	HistoryRequest HistoryKind = "request"
)

// HistoryEntry is one line of a call's history (see Call.History): what Microsoft
// support asks for with every issue, the request IDs above all.
type HistoryEntry struct {
	// At is when it happened, on the client's clock.
	At   time.Time
	Kind HistoryKind
	// For notifications: the notification's kind ("call", "participants",
	// "operation", ...), change type, the call's state after it and the resultInfo
	// it carried, if any; OperationID for an operation.
	NotificationKind, ChangeType, State, Result, OperationID string
	// For requests: method, path (no query), status (0 when none came), duration,
	// the client-request-id sent and Error when the request failed.
	Method, Path    string
	Status          int
	Duration        time.Duration
	ClientRequestID string
	Error           string
}

// History returns what happened to the call on this client, oldest first: the
// notifications applied and the requests sent, at most MaxHistory entries. It can be
// read while the call lives and in OnTerminated (the last entries are its end). A
// replica that took the call over has only what it saw itself. Tokens, headers and
// bodies are never kept.
func (c *Call) History() []HistoryEntry {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	out := make([]HistoryEntry, 0, len(c.hist))
	out = append(out, c.hist[c.hnext:]...)
	return append(out, c.hist[:c.hnext]...)
}

// remember adds an entry to the history, replacing the oldest once it is full.
func (c *Call) remember(h HistoryEntry) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if len(c.hist) < MaxHistory {
		c.hist = append(c.hist, h)
		return
	}
	c.hist[c.hnext] = h
	c.hnext = (c.hnext + 1) % MaxHistory
}
