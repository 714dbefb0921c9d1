package emulator

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/internal/loopback"
)

// ConsolePath is where the emulator serves its web console: a page from which a
// developer plays the people who call the bot (see the emulator's README). Its files
// are embedded in the binary, so serving the emulator is the only step.
const ConsolePath = ControlPrefix + "/ui/"

//go:embed ui
var consoleFiles embed.FS

// The guard of the control API (see Config.ControlToken).
const (
	// ControlTokenHeader carries the control token on a request.
	ControlTokenHeader = "X-Emulator-Token"
	// controlTokenCookie carries it for the console's page, set when the page is
	// opened with ?token=.
	controlTokenCookie = "graphcomms_emulator_token"
)

func (e *Emulator) consoleRoutes(mux *http.ServeMux) {
	ui, err := fs.Sub(consoleFiles, "ui")
	if err != nil {
		panic(err) // the embedded directory is there: go:embed checked it
	}
	files := http.StripPrefix(ConsolePath, http.FileServerFS(ui))
	mux.Handle("GET "+ConsolePath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		// The page loads nothing from elsewhere, and no other site may frame it.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' http: https: blob:; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}))
	mux.Handle("GET "+ControlPrefix+"/ui", http.RedirectHandler(ConsolePath, http.StatusFound))
}

// serveRoot sends a browser at the emulator's root to the console, with the query (a
// ?token= link works at the root too).
func serveRoot(w http.ResponseWriter, r *http.Request) {
	u := ConsolePath
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// guardControl applies Config.ControlToken's rules to a control API request, answering
// 403 (or redirecting, to take a token out of the console's URL) and returning false
// when it may not go on.
func (e *Emulator) guardControl(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, ControlPrefix+"/recordings/") {
		return true // recordings are fetched with their own access token
	}
	// Cross-site browser requests: refused for every method (a page may not even hold
	// event streams open), and checked again by net/http for state-changing ones.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		ctlError(w, http.StatusForbidden, "cross-site request refused: the control API takes requests from its own pages and from programs only")
		return false
	}
	if err := e.crossOrigin.Check(r); err != nil {
		ctlError(w, http.StatusForbidden, "cross-origin request refused: the control API takes requests from its own pages and from programs only")
		return false
	}
	want := e.cfg.ControlToken
	if want == "" {
		// Loopback only: from a loopback address, addressed to a loopback name. A web
		// page the developer visits may resolve its own name to 127.0.0.1 (DNS
		// rebinding); its requests carry that name as Host.
		if !loopbackPeer(r.RemoteAddr) {
			ctlError(w, http.StatusForbidden, "the control API answers requests from loopback only; beyond loopback it needs Config.ControlToken")
			return false
		}
		if host, _, err := net.SplitHostPort(r.Host); err == nil && !loopback.Host(host) || err != nil && r.Host != "" && !loopback.Host(r.Host) {
			ctlError(w, http.StatusForbidden, "the control API answers requests addressed to loopback (localhost, 127.0.0.1, [::1]) only")
			return false
		}
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet && tokenEqual(q, want) {
		// The console's link: keep the token in a cookie, and take it out of the URL.
		http.SetCookie(w, &http.Cookie{Name: controlTokenCookie, Value: want, Path: ControlPrefix, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		u := *r.URL
		v := u.Query()
		v.Del("token")
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusFound)
		return false
	}
	got := r.Header.Get(ControlTokenHeader)
	if got == "" {
		if c, err := r.Cookie(controlTokenCookie); err == nil {
			got = c.Value
		}
	}
	if !tokenEqual(got, want) {
		ctlError(w, http.StatusForbidden, "the control API needs the emulator's access token (printed when it started): the "+
			ControlTokenHeader+" header, or open the console with ?token=")
		return false
	}
	return true
}

func tokenEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// loopbackPeer reports whether a request's remote address is a loopback address. An
// empty one (a request handed to ServeHTTP in-process, not from a network) counts.
func loopbackPeer(remote string) bool {
	if remote == "" {
		return true
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Caps of the event stream.
const (
	// MaxStreams caps the event streams served at once; one more is answered 503
	// with Retry-After.
	MaxStreams = 32
	// streamHeartbeat is how often an idle stream sends a comment, so that a client
	// gone away is noticed.
	streamHeartbeat = 15 * time.Second
)

// ctlStream serves the event log as server-sent events: every event after ?after=SEQ
// (or the Last-Event-ID header an EventSource sends when it reconnects), then each new
// one as it happens, until the client goes away or the emulator closes. Each is a
// message whose id is "EPOCH.SEQ" (State.Epoch) and whose data is its EventJSON. A
// stream resumed from another epoch (Last-Event-ID, or ?epoch=, from before the
// emulator restarted) starts with a "reset" event, {"lastSeq": N}, and then sends
// every event from the first.
func (e *Emulator) ctlStream(w http.ResponseWriter, r *http.Request) {
	if n := e.streams.Add(1); n > MaxStreams {
		e.streams.Add(-1)
		w.Header().Set("Retry-After", "5")
		ctlError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d event streams are open already", MaxStreams))
		return
	}
	defer e.streams.Add(-1)
	after, epoch := 0, r.URL.Query().Get("epoch")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		epoch, id, _ = strings.Cut(id, ".")
		after, _ = strconv.Atoi(id)
	} else if n, err := strconv.Atoi(r.URL.Query().Get("after")); err == nil {
		after = n
	}
	reset := epoch != "" && epoch != e.epoch || after > e.LastSeq()
	if reset || after < 0 {
		after = 0
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if reset {
		if _, err := fmt.Fprintf(w, "event: reset\ndata: {\"lastSeq\":%d}\n\n", e.LastSeq()); err != nil {
			return
		}
	}
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		e.events.mu.Lock()
		batch := e.events.since(after)
		changed := e.events.changed
		e.events.mu.Unlock()
		for _, ev := range batch {
			b, err := json.Marshal(eventJSON(ev))
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %s.%d\ndata: %s\n\n", e.epoch, ev.Seq, b); err != nil {
				return
			}
			after = ev.Seq
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-changed:
		case <-heartbeat.C:
			if _, err := io.WriteString(w, ": still here\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-e.closed:
			return
		}
	}
}

// maxPromptProxied caps a prompt the console fetches through the emulator.
const maxPromptProxied = 16 << 20

// ctlPrompt fetches a prompt on loopback for the console to play (PlayURL): the
// browser may not reach the bot's prompt server, or not at the same address. It
// fetches only the URIs of prompts the bot has played (the newest 1,024).
func (e *Emulator) ctlPrompt(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	if !isLoopbackURL(uri) {
		ctlError(w, http.StatusBadRequest, `"uri" must be an http(s) URL on loopback; the console plays other prompts itself`)
		return
	}
	if !e.events.promptPlayed(uri) {
		// Only what the bot played: the emulator is no proxy to other loopback services.
		ctlError(w, http.StatusNotFound, "the bot has played no prompt with this URI")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, uri, nil)
	if err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: loopbackOnly{}}
	resp, err := client.Do(req)
	if err != nil {
		ctlError(w, http.StatusBadGateway, "fetching the prompt: "+err.Error())
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ctlError(w, http.StatusBadGateway, "fetching the prompt: "+resp.Status)
		return
	}
	// What comes back must be a WAV file: the console plays nothing else.
	head := make([]byte, 12)
	n, _ := io.ReadFull(resp.Body, head)
	if n < 12 || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		ctlError(w, http.StatusBadGateway, "the prompt is not a WAV file")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(head)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, maxPromptProxied-12))
}

// isLoopbackURL reports whether s is an http or https URL on a loopback host.
func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && loopback.Host(u.Hostname())
}
