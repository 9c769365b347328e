#!/usr/bin/env bash
# A/B of the daemon's CPU per check between creditd binaries, robust on a
# shared machine: every binary runs at once on its own copy of a loaded
# registry (pinned to CPU 0, io_threads = 1, audit on the disk with
# fsync_interval_ms = 100), and the runs alternate between them: per round,
# check_hit and check_miss at P=1 (window) and P=16 (batch), 50 connections,
# loadgen on CPU 1, 2 s warm-up. Per run it prints req/s and p99 (loadgen),
# and the daemon's CPU per request: utime+stime (/proc/PID/stat) over 7.5
# measured seconds divided by the checks /metrics counted in the same
# seconds. Method and figures: docs/performance.md, "Per-request cost,
# second round".
#
#   bench/compare/cpu_ab.sh --data-dir DIR --loadgen PATH [--rounds N]
#       [--out DIR] NAME=CREDITD [NAME=CREDITD ...]
#
# DIR holds one registry per binary (db-a, db-b, db-c: copies of one
# `creditctl load` output, as two daemons cannot open one) and the code
# files hit_codes.shuf and miss_codes.txt (as loadgen_run.sh writes them).
set -euo pipefail
. "$(dirname "$0")/daemon_config.sh"
data="" loadgen="" rounds=3 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data-dir) data=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --*) echo "cpu_ab.sh: unknown flag $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ -n $data && -n $loadgen && $# -ge 1 ]] || { sed -n 2,18p "$0" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/cpu_ab.XXXXXX)}
mkdir -p "$out"
token=cpu-ab-token
sha=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
names=() pids=() ports=() mports=() audits=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for a in "${audits[@]}"; do rm -rf "$a"; done
}
trap cleanup EXIT
dbs=(db-a db-b db-c)
i=0
for spec in "$@"; do
  name=${spec%%=*} bin=${spec#*=}
  audit=$(mktemp -d /tmp/cpu_ab-audit.XXXXXX)
  audits+=("$audit")
  bench_daemon_config "$out/$name.toml" "$data/${dbs[$i]}" "$audit" 1 "$sha"
  taskset -c 0 "$bin" --config "$out/$name.toml" >"$out/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  i=$((i + 1))
done
for k in "${!names[@]}"; do
  for _ in $(seq 1 3000); do
    grep -q '^metrics ' "$out/${names[$k]}.log" && break
    kill -0 "${pids[$k]}" 2>/dev/null || { cat "$out/${names[$k]}.log"; exit 1; }
    sleep 0.2
  done
  ports+=($(grep -o '^listening 127.0.0.1:[0-9]*' "$out/${names[$k]}.log" | cut -d: -f2))
  mports+=($(grep -o '^metrics 127.0.0.1:[0-9]*' "$out/${names[$k]}.log" | cut -d: -f2))
done
checks() {
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^creditd_requests_total\{op="check"\}/ { print $2 }'
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() {  # K WORKLOAD P MODE
  local k=$1 pid=${pids[$1]}
  taskset -c 1 "$loadgen" --port "${ports[$k]}" --token "$token" --workload "$2" \
    --connections 50 --pipeline "$3" --mode "$4" --duration 8 --warmup 2 \
    --codes-file "$data/hit_codes.shuf" --miss-file "$data/miss_codes.txt" \
    --csv >"$out/lg.out" 2>&1 &
  local lp=$!
  sleep 2.2
  local c0 t0 c1 t1
  c0=$(checks "${mports[$k]}") t0=$(ticks "$pid")
  sleep 7.5
  c1=$(checks "${mports[$k]}") t1=$(ticks "$pid")
  wait $lp || true
  local rps p99
  rps=$(grep '^csv,' "$out/lg.out" | cut -d, -f5)
  p99=$(grep '^csv,' "$out/lg.out" | cut -d, -f7)
  printf "%-8s %-10s P=%-2s %8s req/s p99 %7s ms  cpu %6s us/req  (%d ticks, %d checks)  load %s\n" \
    "${names[$k]}" "$2" "$3" "$rps" "$p99" \
    "$(awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) 'BEGIN { printf "%.2f", t * 1e6 / 100 / c }')" \
    $((t1 - t0)) $((c1 - c0)) "$(cut -d' ' -f1 /proc/loadavg)"
}
for _ in $(seq 1 "$rounds"); do
  for w in check_hit check_miss; do
    for k in "${!names[@]}"; do run "$k" $w 1 window; done
    for k in "${!names[@]}"; do run "$k" $w 16 batch; done
  done
done
