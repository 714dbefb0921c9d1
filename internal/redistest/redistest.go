// Package redistest gives tests a Redis server on loopback.
//
// Addr returns $GRAPHCOMMS_REDIS_ADDR when it is set (the server .ci/run starts), or
// else starts a redis-server of the test's own. Start always starts one (for tests that
// restart it). Without a server and without redis-server on PATH the test is skipped,
// unless $GRAPHCOMMS_REQUIRE_REDIS is 1 (as in CI), when it fails.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Addr returns the address of a Redis server for the test.
func Addr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("GRAPHCOMMS_REDIS_ADDR"); a != "" {
		return a
	}
	return Start(t).Addr
}

// Prefix returns a key prefix no other test uses, so tests can share one server.
func Prefix(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gctest:" + strings.ReplaceAll(t.Name(), "/", ".") + ":" + hex.EncodeToString(b) + ":"
}

// Server is a redis-server process owned by a test, with an append-only file that
// syncs every write, so that a restart loses nothing acknowledged.
type Server struct {
	Addr string
	dir  string
	port int
	cmd  *exec.Cmd
	t    testing.TB
}

// Start starts a redis-server on a free loopback port; it is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("GRAPHCOMMS_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is not installed and GRAPHCOMMS_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); skipping")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), dir: t.TempDir(), port: port, t: t}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes", "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server did not start on %s:\n%s", s.Addr, log)
		}
		time.Sleep(20 * time.Millisecond) // waiting for an external process, not timing behaviour
	}
}

// Stop stops the server (no-op when stopped).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// ping sends PING in RESP and waits for +PONG (a loading server answers -LOADING).
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Ctx is a context for one test step.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
