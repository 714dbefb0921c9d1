// Package conformance holds the corpus conformance tests: every payload in
// ../shared/graph-examples (the Graph docs' examples) is decoded into the matching
// graphcomms type and re-encoded, and every invalid body is rejected. The tests skip
// when the corpus is absent, so a user's clone still passes.
package conformance
