package graphcommstest_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/cassette"
	"github.com/graphcomms/graphcomms/graphcommstest"
)

// setUpdate sets -graphcommstest.update for the rest of the test.
func setUpdate(t *testing.T, on bool) {
	t.Helper()
	was := graphcommstest.Updating()
	if err := flag.Set("graphcommstest.update", strconv.FormatBool(on)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("graphcommstest.update", strconv.FormatBool(was)) })
}

// TestGoldenNotificationsFixture compares the decoded callbacks of the committed
// cassette with golden files: the incoming call, and the key press.
func TestGoldenNotificationsFixture(t *testing.T) {
	evs, err := cassette.Read(useFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var incoming, tone []byte
	for _, ev := range evs {
		switch s := string(ev.Body); {
		case ev.Kind != cassette.KindCallback:
		case incoming == nil && strings.Contains(s, `"changeType":"created"`):
			incoming = ev.Body
		case tone == nil && strings.Contains(s, `"toneInfo"`):
			tone = ev.Body
		}
	}
	if incoming == nil || tone == nil {
		t.Fatalf("the fixture has no incoming call or no tone")
	}
	graphcommstest.GoldenNotifications(t, "promptbot/incoming", incoming)
	graphcommstest.GoldenNotifications(t, "promptbot/tone", tone)
}

func TestGoldenReportsDiff(t *testing.T) {
	if graphcommstest.Updating() {
		t.Skip("compares with files it writes itself")
	}
	t.Chdir(t.TempDir())
	want := []map[string]any{{"method": "POST", "path": "/v1.0/communications/calls/c1/playPrompt", "status": 200,
		"body": map[string]any{"prompts": []any{map[string]any{"mediaInfo": map[string]any{"uri": "https://cdn.example.com/hello.wav"}}}}}}
	setUpdate(t, true)
	graphcommstest.Golden(t, "bot/requests", want)
	setUpdate(t, false)
	data, err := os.ReadFile(filepath.Join("testdata", "bot", "requests.golden"))
	if err != nil || !strings.Contains(string(data), "\n  {\n    \"body\": {") {
		t.Fatalf("golden file %q, %v", data, err)
	}

	// The same value passes, whatever its form: a json.RawMessage in another order.
	graphcommstest.Golden(t, "bot/requests", json.RawMessage(`[{"status":200,"path":"/v1.0/communications/calls/c1/playPrompt",
		"method":"POST","body":{"prompts":[{"mediaInfo":{"uri":"https://cdn.example.com/hello.wav"}}]}}]`))

	// Another value fails with a diff.
	got := []map[string]any{{"method": "POST", "path": "/v1.0/communications/calls/c1/playPrompt", "status": 200,
		"body": map[string]any{"prompts": []any{map[string]any{"mediaInfo": map[string]any{"uri": "https://cdn.example.com/other.wav"}}}}}}
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) { graphcommstest.Golden(tb, "bot/requests", got) })
	report := ctb.all()
	if !strings.Contains(report, "bot/requests differs from the golden file testdata/bot/requests.golden (-want +got):") ||
		!diffLine(report, '-', `"https://cdn.example.com/hello.wav"`) || !diffLine(report, '+', `"https://cdn.example.com/other.wav"`) ||
		!strings.Contains(report, "-graphcommstest.update") {
		t.Errorf("reported:\n%s", report)
	}
}

func TestGoldenMissingAndBadNames(t *testing.T) {
	if graphcommstest.Updating() {
		t.Skip("would write the files")
	}
	t.Chdir(t.TempDir())
	ctb := &captureTB{TB: t}
	ctb.run(func(tb testing.TB) { graphcommstest.Golden(tb, "nothing", 1) })
	if r := ctb.all(); !strings.Contains(r, "testdata/nothing.golden does not exist; run the test with -graphcommstest.update") {
		t.Errorf("reported %q", r)
	}
	for _, name := range []string{"../outside", "/abs", ""} {
		ctb := &captureTB{TB: t}
		ctb.run(func(tb testing.TB) { graphcommstest.Golden(tb, name, 1) })
		if len(ctb.fatals) != 1 || !strings.Contains(ctb.fatals[0], "relative path inside testdata") {
			t.Errorf("Golden(%q) reported %q", name, ctb.all())
		}
	}
	ctb = &captureTB{TB: t}
	ctb.run(func(tb testing.TB) { graphcommstest.GoldenNotifications(tb, "bad", []byte(`{"value":[},`)) })
	if r := ctb.all(); !strings.Contains(r, `GoldenNotifications("bad")`) || !strings.Contains(r, "invalid JSON") {
		t.Errorf("reported %q", r)
	}
}
