package conformance

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Row is one line of the corpus MANIFEST.tsv.
type Row struct {
	File       string // path relative to the corpus root, e.g. v1.0/call-answer/03-notification.json
	Version    string // v1.0, beta, beta (legacy doc revision), concepts
	Kind       string // request, response, notification, example
	Method     string // requests only
	Path       string // requests only; host and version removed
	ODataTypes string // notifications: resourceData @odata.type values
	ChangeType string
	ValidJSON  string // yes, no, or n/a (no body)
}

// Page returns the page directory of the row, e.g. v1.0/call-answer.
func (r Row) Page() string { return filepath.Dir(r.File) }

// Dir returns the corpus directory of the row: v1.0, beta, legacy-beta or concepts.
func (r Row) Dir() string { return strings.SplitN(r.File, "/", 2)[0] }

// FindCorpus returns the corpus root, looking for shared/graph-examples beside the
// repository; ok is false when it is absent.
func FindCorpus() (string, bool) {
	if d := os.Getenv("GRAPHCOMMS_CORPUS"); d != "" {
		return d, true
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for range 6 {
		cand := filepath.Join(dir, "..", "shared", "graph-examples")
		if _, err := os.Stat(filepath.Join(cand, "MANIFEST.tsv")); err == nil {
			return cand, true
		}
		dir = filepath.Dir(dir)
	}
	return "", false
}

// ReadManifest reads MANIFEST.tsv.
func ReadManifest(root string) ([]Row, error) {
	f, err := os.Open(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		for len(c) < 9 {
			c = append(c, "")
		}
		rows = append(rows, Row{File: c[0], Version: c[2], Kind: c[3], Method: c[4], Path: c[5],
			ODataTypes: c[6], ChangeType: c[7], ValidJSON: c[8]})
	}
	return rows, sc.Err()
}
