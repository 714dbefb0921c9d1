package emulator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// Graph requests are handled in three steps, so that the state the emulator keeps is
// changed by functions that know nothing of HTTP (a console or the CLI can drive the
// same transitions):
//
//  1. the handler decodes and validates the request body, outside e.mu;
//  2. under e.mu, a transition (an action function of actions.go, or placeCall,
//     hangUp, removeParticipant, inviteParticipants, muteAll) checks the rules of the
//     call's state and changes it as far as Graph has changed it when it answers. It
//     returns the answer as a reply, or an *apiError, and writes nothing;
//  3. respond writes the answer and then runs reply.after: what the request sets
//     off once it is answered (the events it records, the notifications it sends,
//     the timers it sets).
//
// The order of step 3 is part of the emulator's fidelity: requestTap (http.go)
// records the request's EventRequest at the first write of its answer, so writing
// before running after keeps the request ahead of what it set off in the event log,
// and the bot has its answer before the notifications that follow it. What a
// transition does before it returns (an event it records, a state it changes) comes
// before the write, as it did when handlers wrote the answer themselves.

// A reply is the answer to a Graph request that a transition decided on.
type reply struct {
	status int
	// body is written as JSON: an operation, a call; nil for an answer with no body.
	body any
	// location is the Graph path (from /communications) that the Location header
	// names, written as an absolute URL (see location); "" for no Location.
	location string
	// after is what the request does once it is answered; nil for nothing. It runs
	// under e.mu, as the transition did.
	after func()
}

// opReply answers an action with its operation, running: 200, and a Location header
// with the operation's absolute URL, as the action pages show it
// (v1.0/call-playprompt/02-response.http and the other operation actions). after runs
// once it is written.
func opReply(c *call, op calls.Operation, after func()) reply {
	return opReplyStatus(c, op, http.StatusOK, after)
}

// opReplyStatus is opReply with another status: 202 for addLargeGalleryView and hold
// music (v1.0/call-addlargegalleryview/02-response.http, participant-startholdmusic/02
// and participant-stopholdmusic/02).
func opReplyStatus(c *call, op calls.Operation, status int, after func()) reply {
	return reply{status: status, body: op, location: "/communications/calls/" + c.id + "/operations/" + op.Base().ID, after: after}
}

// An apiError is a Graph error answer: the HTTP status, and the code and message of
// Graph's error body (graphError).
type apiError struct {
	status  int
	code    string
	message string
}

// badRequestError is the emulator's 400 for an invalid request.
func badRequestError(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadRequest", message: msg}
}

// notFoundError is 404 itemNotFound for what a request names and the emulator does not
// have ("Call", "Participant").
func notFoundError(what string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "itemNotFound", message: what + " not found."}
}

// respond writes a transition's answer: err when it is set, else rep, and then runs
// rep.after (see the order of the steps above).
func respond(w http.ResponseWriter, rep reply, err *apiError) {
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if rep.location != "" {
		w.Header().Set("Location", location(w, rep.location))
	}
	if rep.body != nil {
		writeJSON(w, rep.status, rep.body)
	} else {
		w.WriteHeader(rep.status)
	}
	if rep.after != nil {
		rep.after()
	}
}

// writeAPIError answers err with Graph's error body.
func writeAPIError(w http.ResponseWriter, err *apiError) {
	writeError(w, err.status, err.code, err.message)
}

// failed writes err and reports whether there was one.
func failed(w http.ResponseWriter, err *apiError) bool {
	if err != nil {
		writeAPIError(w, err)
	}
	return err != nil
}

// validate checks a decoded request body against the limits Graph documents (see
// calls/limits.go) and returns 400 naming the field and the limit when one is broken.
// Graph's error code for these is not documented; the emulator answers "BadRequest",
// as for its other invalid requests. action, when set, names the action the request
// was sent to, for a request body shared by several actions (clientContext only).
func validate(v validator, action string) *apiError {
	err := v.Validate()
	if err == nil {
		return nil
	}
	var re *calls.RequestError
	if errors.As(err, &re) {
		name := re.Action
		if action != "" && (name == "" || name == "action") {
			name = action
		}
		return badRequestError(fmt.Sprintf("Invalid %s request: %s: %s.", name, re.Field, re.Reason))
	}
	return badRequestError(err.Error())
}

// readRequest reads a request body into v.
func readRequest(r *http.Request, v any) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	if err != nil {
		return badRequestError("reading the body: " + err.Error())
	}
	return unmarshal(b, v)
}

// unmarshal decodes a request body into v; an empty body leaves v as it is. It returns
// 400 for invalid JSON.
func unmarshal(body []byte, v any) *apiError {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := wire.Unmarshal(body, v); err != nil {
		return badRequestError("invalid request body: " + err.Error())
	}
	return nil
}

// readActionBody returns the body of an action's request (POST .../{action}), which
// ServeHTTP has read into memory.
func readActionBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
	return b
}
