package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEmulatorAndTrigger(t *testing.T) {
	signed := make(chan bool, 16)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed <- strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bot.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- emulatorCmd(ctx, []string{"--addr", "127.0.0.1:0", "--callback", bot.URL, "--virtual-clock"}, out, out)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("the emulator did not start:\n%s", out.String())
	}

	code, stdout, stderr := runCLI("", "trigger", "--emulator", base, "incoming-call", "--from", "alice")
	if code != 0 {
		t.Fatalf("incoming-call: %d %s", code, stderr)
	}
	var res struct{ CallID string }
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.CallID == "" {
		t.Fatalf("incoming-call output %q", stdout)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "tone", "--call", res.CallID, "1"); code != 1 || !strings.Contains(stderr, "not established") {
		t.Errorf("tone before answer: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "advance", "20s"); code != 0 {
		t.Errorf("advance: %s", stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "hangup", "--call", res.CallID); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("hangup after the answer deadline: %d %q", code, stderr)
	}
	code, stdout, _ = runCLI("", "trigger", "--emulator", base, "events")
	if code != 0 || !strings.Contains(stdout, "Alice calls the bot") || !strings.Contains(stdout, "answer deadline passed") {
		t.Errorf("events:\n%s", stdout)
	}
	code, stdout, stderr = runCLI("", "trigger", "--emulator", base, "compliance-call", "--from", "alice", "--with", "bob")
	if code != 0 || !strings.Contains(stdout, `"recorded":"Alice"`) {
		t.Errorf("compliance-call: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "escalate", "--call", "nope", "carol"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("escalate on an unknown call: %d %q", code, stderr)
	}
	if code, _, _ := runCLI("", "trigger", "--emulator", base, "join", "--call", "nope", "bob"); code != 1 {
		t.Error("join on an unknown call should fail")
	}
	if code, _, stderr := runCLI("", "trigger", "--emulator", base, "bogus"); code != 2 || !strings.Contains(stderr, "unknown action") {
		t.Errorf("bogus: %q", stderr)
	}
	cancel()
	if rc := <-done; rc != 0 {
		t.Errorf("emulator exit %d", rc)
	}
	if !strings.Contains(out.String(), "call.incoming") || !strings.Contains(out.String(), "POST") && !strings.Contains(out.String(), "call.terminated") {
		t.Errorf("the emulator log is not readable:\n%s", out.String())
	}
	select {
	case ok := <-signed:
		if !ok {
			t.Error("notifications were not signed")
		}
	case <-time.After(10 * time.Second):
		t.Error("the bot got no notification")
	}
}
