package graphcomms

import (
	"errors"
	"fmt"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/callstate"
)

// ErrCallEnded is wrapped by every error that comes from a call having ended: an
// action on an ended call (no request is sent), a request cut off by the end, an
// operation still pending at the end, a wait on an ended call. Call.Context's cause
// wraps it too.
var ErrCallEnded = errors.New("graphcomms: call ended")

// ErrCallMoved is the EndInfo.Err of a call this replica stopped handling because
// another replica of the bot took it over, or because the client was closed (see
// Config.Cluster). The call goes on there; no OnTerminated event is delivered here.
// Errors it causes wrap both ErrCallMoved and ErrCallEnded.
var ErrCallMoved = errors.New("graphcomms: call moved to another replica")

// ErrNotAnswered is the EndInfo.Err of an incoming call that was neither answered,
// rejected nor redirected, nor ended by Graph, within Config.AnswerTimeout.
var ErrNotAnswered = errors.New("graphcomms: incoming call not answered in time")

// ErrForgotten is the EndInfo.Err of a call dropped locally with Call.Forget.
var ErrForgotten = errors.New("graphcomms: call forgotten")

// Stages of a CallError: what was going on when something failed.
const (
	// StageCallback: a callback (OnUpdated, OnTone, OnIncoming, ...) panicked.
	StageCallback = "callback"
	// StageKeepAlive: a keepAlive request failed.
	StageKeepAlive = "keepAlive"
	// StageStore: call state could not be stored or deleted.
	StageStore = "store"
	// StageLog: an entry of the call's log could not be read or was refused.
	StageLog = "log"
	// StageRoster: reading the roster failed.
	StageRoster = "roster"
	// StagePoll: polling an operation failed.
	StagePoll = "poll"
	// StageToken: the first Graph token, fetched as the client starts, could not be
	// obtained (the credential or its consent is wrong).
	StageToken = "token"
	// StageRejected: a callback was refused (401 bad token, 403 another bot or
	// tenant, 400 bad body, 413 too large, 503 overloaded); Err is a
	// *notifications.RejectError with the status and reason answered. A wrong app ID
	// shows up here as a stream of 403s.
	StageRejected = "rejected"
)

// CallError is what OnError receives: a failure that has no caller to return to.
type CallError struct {
	// CallID is the call concerned (empty when none is).
	CallID string
	// Stage says what failed: StageCallback, StageKeepAlive, StageStore, ...
	Stage string
	// Err is the failure.
	Err error
}

// Error returns "graphcomms: call <id>: <stage>: <err>".
func (e *CallError) Error() string {
	if e.CallID == "" {
		return fmt.Sprintf("graphcomms: %s: %v", e.Stage, e.Err)
	}
	return fmt.Sprintf("graphcomms: call %s: %s: %v", e.CallID, e.Stage, e.Err)
}

// Unwrap returns Err.
func (e *CallError) Unwrap() error { return e.Err }

// PanicError is the Err of a CallError for a callback that panicked.
type PanicError struct {
	// Value is what the callback panicked with; Stack is the goroutine's stack.
	Value any
	Stack []byte
}

// Error returns "panic: <value>".
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// EndInfo says why a call ended.
type EndInfo struct {
	// Reason classifies ResultInfo (calls.EndReasonUnknown for codes Graph does not
	// document and for local ends).
	Reason calls.EndReason
	// ResultInfo is the code, subcode and message of the terminated notification.
	ResultInfo calls.ResultInfo
	// Err is set when the call ended locally without a terminated notification: a
	// failed answer, a 404 from Graph, ErrNotAnswered, ErrForgotten, ErrCallMoved,
	// Terminate's deadline.
	Err error
}

func endInfo(e callstate.End) EndInfo {
	return EndInfo{Reason: e.Reason, ResultInfo: e.ResultInfo, Err: e.Err}
}

func (e EndInfo) describe() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s (%s)", e.ResultInfo, e.Reason)
}

// endError is the error a call's end gives to what it cuts off.
func endError(e EndInfo) error {
	if errors.Is(e.Err, ErrCallMoved) {
		return fmt.Errorf("%w: %w", ErrCallEnded, ErrCallMoved)
	}
	return fmt.Errorf("%w: %s", ErrCallEnded, e.describe())
}
