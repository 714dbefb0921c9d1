// Package demotest checks the output of the example bots' demo mode in their tests.
package demotest

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Run runs a bot's demo and checks that its output contains each of wants. It
// returns the output (logged when a check failed).
func Run(t *testing.T, runDemo func(io.Writer) error, wants ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := runDemo(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(got)
		}
	})
	return got
}
