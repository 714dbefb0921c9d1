package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphcomms/graphcomms/internal/conformance"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden runs inspect --format json on file and compares the result (stdout, or the exit
// status and stderr for invalid input) with the golden file.
func golden(t *testing.T, file, goldenPath string) {
	t.Helper()
	code, out, errs := runCLI("", "inspect", "--format", "json", file)
	got := out
	if code != 0 {
		got = fmt.Sprintf("exit %d\n%s", code, errs)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("missing golden file (run go test ./cmd/graphcomms -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("inspect %s differs from %s:\n--- got\n%s\n--- want\n%s", file, goldenPath, got, want)
	}
}

func TestGoldenFixtures(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/notifications/*.json")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			golden(t, f, filepath.Join("../../testdata/golden", name+".golden"))
		})
	}
}

// TestGoldenCorpus covers every notification body of the Graph docs' examples; it
// skips when ../shared/graph-examples is absent.
func TestGoldenCorpus(t *testing.T) {
	root, ok := conformance.FindCorpus()
	if !ok {
		t.Skip("corpus ../shared/graph-examples not found; corpus golden tests skipped")
	}
	rows, err := conformance.ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, row := range rows {
		if row.Kind != "notification" || row.Dir() == "concepts" {
			continue // concept pages hold Graph change notifications, not callbacks
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			g := filepath.Join("../../testdata/golden/corpus", strings.TrimSuffix(row.File, filepath.Ext(row.File))+".golden")
			golden(t, filepath.Join(root, row.File), g)
		})
	}
	t.Logf("%d corpus notification bodies compared with their golden files", n)
}
