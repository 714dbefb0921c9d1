#!/usr/bin/env bash
# Whole-program costs: builds examples/ivrbot (graphcomms) and bench/msgraphbot
# (msgraph-sdk-go, the same Graph calls) each with an empty build cache, and reports CPU
# seconds, peak RSS of the build (the largest compiler or linker process) and binary size.
# The module cache is warm (downloads are not measured). Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # name dir package [go build flags...]
  local name=$1 dir=$2 pkg=$3
  shift 3
  local cache="$out/cache-$name"
  mkdir -p "$cache"
  (cd "$dir" && GOCACHE="$cache" GOFLAGS=-mod=mod /usr/bin/time -v go build "$@" -o "$out/$name" "$pkg") 2> "$out/$name.time"
  local user sys rss wall size
  user=$(awk -F': ' '/User time/ {print $2}' "$out/$name.time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$out/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/$name.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/$name.time")
  size=$(stat -c %s "$out/$name")
  printf '%-12s cpu_s=%.1f wall=%s peak_rss_mib=%.0f binary_mib=%.2f\n' "$name" "$(echo "$user + $sys" | bc)" "$wall" "$(echo "$rss / 1024" | bc -l)" "$(echo "$size / 1048576" | bc -l)"
}

go version
measure ivrbot .. ./examples/ivrbot
measure msgraphbot . ./msgraphbot
# Both again without symbol table and DWARF, as release builds usually are. Only the
# size matters here: msgraphbot reuses its cache (a second cold build adds 4 minutes).
measure ivrbot-s-w .. ./examples/ivrbot -ldflags=-s\ -w
size_only() { # name dir package cache [go build flags...]
  local name=$1 dir=$2 pkg=$3 cache=$4
  shift 4
  (cd "$dir" && GOCACHE="$cache" GOFLAGS=-mod=mod go build "$@" -o "$out/$name" "$pkg")
  printf '%-12s binary_mib=%.2f\n' "$name" "$(echo "$(stat -c %s "$out/$name") / 1048576" | bc -l)"
}
size_only msgraphbot-s-w . ./msgraphbot "$out/cache-msgraphbot" -ldflags=-s\ -w
