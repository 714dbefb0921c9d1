package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
)

// Match selects the Graph API requests an aimed fault applies to (FailNext). Each
// field that is set must match; the zero Match matches every request.
type Match struct {
	// Method is the request's HTTP method ("POST"), in any case; empty matches every
	// method.
	Method string
	// Route is the request's path after the API version, such as
	// "/communications/calls/{id}/playPrompt": a segment in braces matches any one
	// segment, the others match in any case, and an action matches with or without
	// the "microsoft.graph." namespace (as the emulator routes them). A leading
	// "/v1.0" or "/beta" is ignored. Empty matches every path.
	Route string
	// CallID is the call the request is about (the segment after
	// /communications/calls/); empty matches every call, and requests about none.
	CallID string
}

// aimedFault is one armed FailNext.
type aimedFault struct {
	m      Match
	route  []string // m.Route's segments
	status int
}

// FailNext makes the next Graph API request that matches m fail with status and
// Graph's error body (429 and 503 with Retry-After, Faults.RetryAfter or 1 s), before
// the emulator acts on it: nothing the request asks for happens. Other requests go on
// as usual, so the fault is not lost to a concurrent request the test did not aim at,
// as one of FailNextRequests may be. Each call arms one failure; armed failures are
// tried in the order they were armed, before FailNextRequests' and the probabilistic
// Faults. Each failure is recorded as an EventRequestFault.
//
//	emu.FailNext(emulator.Match{Method: "POST", Route: "/communications/calls/{id}/playPrompt"},
//		http.StatusServiceUnavailable)
//
// FailNext panics when m.Route names a route the emulator does not serve (with
// m.Method, or with any method when it is empty), since such a fault would never
// fire, and when status is not an error status (400 to 599).
func (e *Emulator) FailNext(m Match, status int) {
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("emulator: FailNext: status %d is not an error status (400 to 599)", status))
	}
	route := routeSegments(m.Route)
	if m.Route != "" {
		if err := e.checkRoute(m.Method, route); err != nil {
			panic("emulator: FailNext: " + err.Error())
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.aimed = append(e.faults.aimed, aimedFault{m: m, route: route, status: status})
}

// routeSegments splits a route pattern or a request path into its segments, without
// the API version.
func routeSegments(p string) []string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) > 0 && graphVersions[segs[0]] {
		segs = segs[1:]
	}
	if len(segs) == 1 && segs[0] == "" {
		return nil
	}
	return segs
}

// checkRoute reports whether a route pattern reaches a route the emulator serves (and,
// for an action, one of the actions it serves).
func (e *Emulator) checkRoute(method string, route []string) error {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete}
	if method != "" {
		methods = []string{strings.ToUpper(method)}
	}
	sample := make([]string, len(route))
	for i, s := range route {
		if isPlaceholder(s) {
			s = "00000000-0000-4000-8000-000000000000"
		}
		sample[i] = s
	}
	path := "/v1.0/" + strings.Join(sample, "/")
	for _, m := range methods {
		r, err := http.NewRequest(m, path, nil)
		if err != nil {
			return fmt.Errorf("route %q: %v", "/"+strings.Join(route, "/"), err)
		}
		_, pattern := e.mux.Handler(r)
		if pattern == "" {
			continue
		}
		if strings.HasSuffix(pattern, "/{action}") {
			last := route[len(route)-1]
			if !isPlaceholder(last) && !knownAction(last) {
				continue
			}
		}
		return nil
	}
	return fmt.Errorf("the emulator serves no %s route %q (see README.md)", methodsOf(method), "/"+strings.Join(route, "/"))
}

// methodsOf names the methods a route is looked up with.
func methodsOf(m string) string {
	if m == "" {
		return "GET, POST, PATCH or DELETE"
	}
	return strings.ToUpper(m)
}

// isPlaceholder reports whether a route segment is a {placeholder}.
func isPlaceholder(seg string) bool {
	return len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// matches reports whether a request is one the fault is aimed at.
func (f aimedFault) matches(r *http.Request) bool {
	if f.m.Method != "" && !strings.EqualFold(f.m.Method, r.Method) {
		return false
	}
	if f.m.CallID != "" && !strings.EqualFold(requestCallID(r.URL.Path), f.m.CallID) {
		return false
	}
	if f.m.Route == "" {
		return true
	}
	segs := routeSegments(r.URL.Path)
	if len(segs) != len(f.route) {
		return false
	}
	for i, want := range f.route {
		if isPlaceholder(want) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(trimNamespace(want), trimNamespace(segs[i])) {
			return false
		}
	}
	return true
}

// trimNamespace removes the microsoft.graph. namespace an action may be sent with.
func trimNamespace(seg string) string {
	if len(seg) > len("microsoft.graph.") && strings.EqualFold(seg[:len("microsoft.graph.")], "microsoft.graph.") {
		return seg[len("microsoft.graph."):]
	}
	return seg
}

// requestFault returns the status an injected fault answers the request with (0: none)
// and what injected it, consuming a FailNext or FailNextRequests. Callers hold e.mu.
func (e *Emulator) requestFault(r *http.Request) (int, string) {
	f := &e.faults
	if i := slices.IndexFunc(f.aimed, func(a aimedFault) bool { return a.matches(r) }); i >= 0 {
		status := f.aimed[i].status
		f.aimed = slices.Delete(f.aimed, i, i+1)
		return status, "FailNext"
	}
	switch {
	case len(f.failNext) > 0:
		status := f.failNext[0]
		f.failNext = f.failNext[1:]
		return status, "FailNextRequests"
	case f.ThrottleRequests > 0 && e.rng.Float64() < f.ThrottleRequests:
		return http.StatusTooManyRequests, "Faults.ThrottleRequests"
	case f.UnavailableRequests > 0 && e.rng.Float64() < f.UnavailableRequests:
		return http.StatusServiceUnavailable, "Faults.UnavailableRequests"
	}
	return 0, ""
}

// requestCallID returns the call a Graph request path is about, or "".
func requestCallID(path string) string {
	segs := routeSegments(path)
	if len(segs) >= 3 && segs[0] == "communications" && strings.EqualFold(segs[1], "calls") {
		return segs[2]
	}
	return ""
}

// OperationFault is an operation that is to fail (FailNextOperation).
type OperationFault struct {
	// Action is the action whose operation fails, as its URL names it:
	// "playPrompt", "recordResponse", "subscribeToTone", "sendDtmfTones",
	// "cancelMediaProcessing", "mute" (the bot's own, or a participant's), "unmute",
	// "addLargeGalleryView", "updateRecordingStatus", "updateMetadata", "invite",
	// "muteAll", "startHoldMusic" or "stopHoldMusic"; in any case, with or without the
	// "microsoft.graph." namespace.
	Action string
	// CallID limits the fault to the operations of one call; empty: any call.
	CallID string
	// Result is the failed operation's resultInfo (code, subcode, message). The zero
	// value fails it with 500/9999, "Unknown", the generic subcode of Graph's media
	// platform (documented by Azure Communication Services, which shares it:
	// learn.microsoft.com/azure/communication-services/concepts/troubleshooting-codes);
	// Graph documents no code for an operation that fails for no stated reason.
	Result calls.ResultInfo
}

// operationActions are the actions that start an operation (those of actionTable
// with operation set): their names as URLs write them, by their lower-case names.
var operationActions = func() map[string]string {
	m := map[string]string{}
	for _, a := range actionTable {
		if a.operation {
			m[strings.ToLower(a.name)] = a.name
		}
	}
	return m
}()

// FailNextOperation makes the next operation of f.Action (on f.CallID, or on any call)
// fail with f.Result. The action is answered as usual (200 or 202 with the operation,
// running) and the operation completes at once with status failed and the resultInfo,
// in the operation notification Graph sends for every completion (changeType deleted,
// as v1.0/call-playprompt/03 and v1.0/participant-invite/03 send theirs); what the
// action would have done is not done (no prompt plays, nobody is invited, the bot
// does not subscribe to tones). It is recorded as an EventOperationFailed. Each call
// arms one failure; an operation takes the first armed failure it matches.
//
// FailNextOperation panics when f.Action is not an action that starts an operation,
// since such a fault would never fire.
func (e *Emulator) FailNextOperation(f OperationFault) {
	if operationActions[strings.ToLower(trimNamespace(f.Action))] == "" {
		panic(fmt.Sprintf("emulator: FailNextOperation: %q is not an action that starts an operation", f.Action))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.ops = append(e.faults.ops, f)
}

// Graph's media platform's generic failure, for an OperationFault without a Result.
const (
	failedOpCode    = 500
	failedOpSubcode = 9999
	failedOpMsg     = "Unknown"
)

// failArmed fails op, which the bot just started with action (as Graph spells it) on
// c, when a FailNextOperation is armed for it: the action gets its usual answer, and
// the operation completes failed at once. It returns, when a fault is armed, what
// fails the operation, to run once the answer is written (the caller returns it as
// its reply's after and does nothing more); nil when none is. Callers hold e.mu.
// orFault returns the failure of op when a fault is armed for its action (failArmed),
// else run: what an operation action does once it has answered. Callers hold e.mu.
func (e *Emulator) orFault(c *call, op calls.Operation, action string, run func()) func() {
	if fail := e.failArmed(c, op, action); fail != nil {
		return fail
	}
	return run
}

func (e *Emulator) failArmed(c *call, op calls.Operation, action string) (fail func()) {
	i := slices.IndexFunc(e.faults.ops, func(f OperationFault) bool {
		return strings.EqualFold(trimNamespace(f.Action), action) && (f.CallID == "" || strings.EqualFold(f.CallID, c.id))
	})
	if i < 0 {
		return nil
	}
	f := e.faults.ops[i]
	e.faults.ops = slices.Delete(e.faults.ops, i, i+1)
	return func() {
		ri := f.Result
		if ri.IsZero() {
			ri = calls.ResultInfo{Code: failedOpCode, Subcode: failedOpSubcode, Message: failedOpMsg}
		}
		id := op.Base().ID
		e.record(EventOperationFailed, c.id, "", fmt.Sprintf("%s operation %s fails (%d/%d, FailNextOperation)", action, short(id), ri.Code, ri.Subcode),
			map[string]string{"operationId": id, "action": action, "code": fmt.Sprint(ri.Code), "subcode": fmt.Sprint(ri.Subcode)})
		e.complete(c, op, false, ri.Code, ri.Subcode, ri.Message)
	}
}
