package notifications_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/graphcomms/graphcomms/notifications"
)

// startServer serves h with cfg on a loopback port and returns its address.
func startServer(t *testing.T, cfg notifications.ServerConfig, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := cfg.NewServer(ln.Addr().String(), h)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// bound is how long a test waits for the server to act; the timeouts under test are
// a small fraction of it, so a pass does not depend on the machine's speed.
const bound = 10 * time.Second

// drip sends data one byte at a time, waiting up to step for the server to say
// something (or to close) between bytes, by a read deadline rather than a sleep. It
// returns what the server sent, how many bytes of data went out, and how long it took
// the server to close the connection; closed is false if all of data went out, or the
// bound passed, before that.
func drip(t *testing.T, c net.Conn, data []byte, step time.Duration) (answer string, sent int, elapsed time.Duration, closed bool) {
	t.Helper()
	start := time.Now()
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for sent < len(data) && time.Since(start) < bound {
		if _, err := c.Write(data[sent : sent+1]); err != nil {
			return got.String(), sent, time.Since(start), true // reset by the server
		}
		sent++
		_ = c.SetReadDeadline(time.Now().Add(step))
		n, err := c.Read(buf)
		got.Write(buf[:n])
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
		default: // EOF or reset: the server closed the connection
			return got.String(), sent, time.Since(start), true
		}
	}
	return got.String(), sent, time.Since(start), false
}

// readAll reads what the server sends until it closes the connection, within bound.
func readAll(t *testing.T, c net.Conn) (answer string, closed bool) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(bound))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return string(b), false
	}
	return string(b), true // EOF, or reset after the answer
}

func TestServerCutsOffSlowClients(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{InsecureSkipValidation: true})
	cfg := notifications.ServerConfig{ReadHeaderTimeout: 150 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
		WriteTimeout: time.Second, IdleTimeout: time.Second}
	addr := startServer(t, cfg, h)
	body := fixtureBody(t, "call-tone")

	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		headers := "POST /api/calls HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nX-Padding: " +
			strings.Repeat("a", 4000) + "\r\n\r\n"
		answer, sent, elapsed, closed := drip(t, c, []byte(headers), 10*time.Millisecond)
		if !closed {
			t.Fatalf("the server kept a client sending its headers a byte at a time for %v (%d of %d bytes sent)", elapsed, sent, len(headers))
		}
		if sent >= len(headers) || strings.Contains(answer, "202") {
			t.Errorf("the headers were read (%d of %d bytes): %q", sent, len(headers), answer)
		}
		t.Logf("slow headers: cut off after %v, %d of %d header bytes sent, answer %q", elapsed.Round(time.Millisecond), sent, len(headers), firstLine(answer))
	})

	t.Run("slow body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		padded := append(bytes.Repeat([]byte(" "), 50_000), body...)
		fmt.Fprintf(c, "POST /api/calls HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(padded))
		answer, sent, elapsed, closed := drip(t, c, padded, 10*time.Millisecond)
		if !closed {
			rest, done := readAll(t, c)
			answer += rest
			closed = done
		}
		if !closed {
			t.Fatalf("the server kept a client sending its body a byte at a time for %v (%d of %d bytes sent)", elapsed, sent, len(padded))
		}
		if sent >= len(padded) || strings.Contains(answer, " 202 ") {
			t.Errorf("the body was accepted (%d of %d bytes): %q", sent, len(padded), answer)
		}
		t.Logf("slow body: cut off after %v, %d of %d body bytes sent, answer %q", elapsed.Round(time.Millisecond), sent, len(padded), firstLine(answer))
	})

	t.Run("headers too large", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/calls HTTP/1.1\r\nHost: bot\r\nX-Padding: %s\r\n\r\n", strings.Repeat("a", 2*notifications.DefaultMaxHeaderBytes))
		answer, _ := readAll(t, c)
		if !strings.HasPrefix(answer, "HTTP/1.1 431 ") {
			t.Errorf("headers of 128 KiB: %q", firstLine(answer))
		}
	})

	t.Run("prompt client", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/calls", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("a prompt callback: %s", resp.Status)
		}
		<-h.Batches()
	})
}

// TestRejectionsDoNotWaitForTheBody: the token is in the headers, so a callback without
// one gets its 401 before any of its body is sent, and the connection is closed rather
// than drained.
func TestRejectionsDoNotWaitForTheBody(t *testing.T) {
	h, _ := newHandler(t, notifications.HandlerConfig{})
	addr := startServer(t, notifications.ServerConfig{}, h) // default timeouts: far longer than the test
	tok := issuerFor(t).Token(botAppID, tenantA)
	cases := []struct {
		name, request, status string
	}{
		{"no token", "POST /api/calls HTTP/1.1\r\nHost: bot\r\nContent-Length: 100000\r\n\r\n", "401"},
		{"bad token", "POST /api/calls HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer abc.def.ghi\r\nContent-Length: 100000\r\n\r\n", "401"},
		{"declared too large", "POST /api/calls HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer " + tok + "\r\nContent-Length: 2000000\r\n\r\n", "413"},
		{"GET with a body", "GET /api/calls HTTP/1.1\r\nHost: bot\r\nContent-Length: 100000\r\n\r\n", "405"},
		{"expect 100-continue", "POST /api/calls HTTP/1.1\r\nHost: bot\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n", "401"},
	}
	for _, c := range cases {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := io.WriteString(conn, c.request); err != nil {
			t.Fatal(err)
		}
		answer, closed := readAll(t, conn) // no body byte is ever sent
		conn.Close()
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
		if err != nil {
			t.Errorf("%s: no answer without the body within %v: %q", c.name, bound, answer)
			continue
		}
		if got := fmt.Sprint(resp.StatusCode); got != c.status || !closed || !resp.Close {
			t.Errorf("%s: %s, Connection: %q, closed %v; want %s, close, closed", c.name, resp.Status, resp.Header.Get("Connection"), closed, c.status)
		}
		t.Logf("%s: %s after %v with none of the body sent, then the connection closed", c.name, resp.Status, time.Since(start).Round(time.Millisecond))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

func TestServerDefaults(t *testing.T) {
	srv := notifications.NewServer(":8080", http.NotFoundHandler())
	if srv.Addr != ":8080" || srv.ReadHeaderTimeout != notifications.DefaultReadHeaderTimeout ||
		srv.ReadTimeout != notifications.DefaultReadTimeout || srv.WriteTimeout != notifications.DefaultWriteTimeout ||
		srv.IdleTimeout != notifications.DefaultIdleTimeout || srv.MaxHeaderBytes != notifications.DefaultMaxHeaderBytes {
		t.Errorf("%+v", srv)
	}
	srv = notifications.ServerConfig{ReadTimeout: time.Second, MaxHeaderBytes: 1 << 10}.NewServer("", nil)
	if srv.ReadTimeout != time.Second || srv.MaxHeaderBytes != 1<<10 || srv.WriteTimeout != notifications.DefaultWriteTimeout {
		t.Errorf("%+v", srv)
	}
}

func ExampleNewServer() {
	h, err := notifications.NewHandler(notifications.HandlerConfig{InsecureSkipValidation: true}) // a real bot sets Validator
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/calls", h)
	srv := notifications.NewServer("127.0.0.1:0", mux) // a real bot: ":8080", then srv.ListenAndServe()
	fmt.Println("read header timeout:", srv.ReadHeaderTimeout)
	fmt.Println("read timeout:", srv.ReadTimeout)
	fmt.Println("write timeout:", srv.WriteTimeout)
	fmt.Println("idle timeout:", srv.IdleTimeout)
	fmt.Println("max header bytes:", srv.MaxHeaderBytes)

	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	body, _ := os.ReadFile("../testdata/notifications/call-tone.json")
	resp, err := http.Post("http://"+ln.Addr().String()+"/api/calls", "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	b := <-h.Batches()
	fmt.Println(b.Notifications[0].Kind, b.Notifications[0].Call.ToneInfo.Tone)
	// Output:
	// read header timeout: 5s
	// read timeout: 10s
	// write timeout: 15s
	// idle timeout: 1m0s
	// max header bytes: 65536
	// 202 Accepted
	// call tone1
}
