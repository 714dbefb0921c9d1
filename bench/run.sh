#!/usr/bin/env bash
# One fresh run of every comparison; results go to results/. About 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
{ echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(go version)"; nproc; grep -m1 'model name' /proc/cpuinfo; free -g | head -2; } > results/machine.txt
go test -run xxx -bench . -benchmem -count 6 . | tee results/micro.txt
go run ./cmd/ratios < results/micro.txt | tee results/micro.md
go run golang.org/x/perf/cmd/benchstat@latest -col /sdk results/micro.txt > results/benchstat.txt 2>&1 || true
BENCH_SERVICE=1 go test -run ServiceCosts -v -count 1 . | tee results/service.txt
./build.sh | tee results/build.txt
