#!/usr/bin/env bash
# The side-by-side daemon benchmark of issue 7, in one run: builds, generates
# and loads an N-subject registry (cached under BUILD/bench-data), starts
# creditd pinned to one core, runs every loadgen workload against it, runs
# redis-benchmark GET against a redis-server holding N keys with the same
# connection count, pipelining and CPU placement (bench/compare/redis.sh), and
# prints one table with the ratios. Method: bench/README.md; figures:
# docs/performance-daemon.md.
#
#   bench/compare/loadgen_run.sh [--subjects N] [--seconds S] [--warmup S]
#       [--connections C] [--pipeline P] [--io-threads T] [--build-dir DIR]
#       [--no-redis] [--perf] [--no-build] [--creditd PATH] [--audit-dir DIR]
#       [--data-dir DIR]
#
# Defaults: N=1000000, S=10, warmup 2, C=50, P=16 (the pipelined rows; every
# workload also runs at P=1), io threads 1, build dir build-load. Placement:
# "split" = daemon (or redis-server) on CPU 0, client on CPU 1; "same" = both
# on CPU 0. The issue's 10M run:
#   bench/compare/loadgen_run.sh --subjects 10000000
# (generation + `creditctl load` of 10M take 15+ minutes the first time).
# --data-dir keeps the generated and loaded registries there instead of
# BUILD/bench-data (e.g. a 10M set outside the repo, reused across runs).
# --audit-dir puts the daemon's audit log there (default: a fresh temporary
# directory on the same disk as /tmp). The daemon writes each check's audit
# entry (group commit, one write(2) for the checks answered together) before
# the reply and fdatasyncs every audit.fsync_interval_ms (100 ms here);
# `--audit-dir /dev/shm/...` (tmpfs: NOT durable) takes the disk out.
# Every creditd row also reports the daemon's CPU time per request over the
# measured seconds (utime+stime from /proc/PID/stat): the figure that holds
# when the machine is shared and req/s does not.
# --perf records the daemon under check_hit (perf record -g -p PID, 5 s) and
# prints the top of the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/compare/daemon_config.sh
subjects=1000000 seconds=10 warmup=2 conns=50 pipeline=16 io_threads=1
bdir=build-load redis=1 perf=0 build=1 creditd="" audit_dir="" data=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --subjects) subjects=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    --io-threads) io_threads=$2; shift 2 ;;
    --build-dir) bdir=$2; shift 2 ;;
    --no-redis) redis=0; shift ;;
    --perf) perf=1; shift ;;
    --no-build) build=0; shift ;;
    --creditd) creditd=$2; shift 2 ;;
    --audit-dir) audit_dir=$2; shift 2 ;;
    --data-dir) data=$2; shift 2 ;;
    *) echo "loadgen_run.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
[[ $(nproc) -ge 2 ]] || { echo "needs 2 CPUs for the split placement" >&2; exit 2; }

[[ -f "$bdir/build.ninja" ]] || cmake -S . -B "$bdir" -G Ninja -DCREDITD_WERROR=ON >/dev/null
[[ $build -eq 0 ]] || ninja -C "$bdir" -j2 creditd creditctl creditd-datagen loadgen >/dev/null
creditd=${creditd:-$bdir/daemon/creditd}
# With --no-build, tools not yet built in $bdir come from build/.
tool() { if [[ -x "$bdir/$1" ]]; then echo "$bdir/$1"; else echo "build/$1"; fi; }
datagen=$(tool bench/creditd-datagen) ctl=$(tool client/creditctl)

data=${data:-$bdir/bench-data}
gen=$data/gen-$subjects db=$data/db-$subjects
mkdir -p "$data"
if [[ ! -f "$gen/done" ]]; then
  echo "== generating $subjects subjects"
  rm -rf "$gen"
  "$datagen" --out "$gen" --subjects "$subjects" --variants 2000 | tail -1
  touch "$gen/done"
fi
if [[ ! -f "$db/loaded" ]]; then
  echo "== creditctl load ($subjects subjects)"
  rm -rf "$db"
  "$ctl" load --quiet --data "$db" "$gen/subjects.jsonl" \
    "$gen/records.jsonl" || [[ $? -eq 1 ]]
  touch "$db/loaded"
fi
# Hit codes: the registry's codes that validate (planted faulty codes would be
# answered invalid_code without a lookup). Miss codes: valid codes of another
# seed that are not in the registry.
if [[ ! -f "$gen/hit_codes.txt" ]]; then
  grep -o '"code":"[^"]*"' "$gen/subjects.jsonl" | cut -d'"' -f4 | grep . |
    { "$ctl" validate --file /dev/stdin || true; } |
    awk -F'\t' '$2 == "valid" { print $1 }' | sort -u > "$gen/hit_codes.txt"
  rm -rf "$data/miss-gen"
  "$datagen" --out "$data/miss-gen" --subjects 20000 --seed 4242 \
    --fault-rate 0 --variants 0 >/dev/null
  grep -o '"code":"[^"]*"' "$data/miss-gen/subjects.jsonl" | cut -d'"' -f4 | grep . |
    { "$ctl" validate --file /dev/stdin || true; } |
    awk -F'\t' '$2 == "valid" { print $1 }' | sort -u |
    comm -23 - "$gen/hit_codes.txt" > "$gen/miss_codes.txt"
fi
token=bench-$RANDOM$RANDOM
sha=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
run=$(mktemp -d /tmp/creditd-bench.XXXXXX)
hit_codes=$run/hit_codes.shuf
shuf --random-source=<(yes) "$gen/hit_codes.txt" > "$hit_codes"
if [[ -n "$audit_dir" ]]; then
  mkdir -p "$audit_dir"
  audit=$(mktemp -d "$audit_dir/creditd-audit.XXXXXX")
else
  audit=$run/audit
fi
bench_daemon_config "$run/creditd.toml" "$(cd "$db" && pwd)" "$audit" "$io_threads" "$sha"
echo "== starting creditd (io_threads $io_threads, audit in $audit) on CPU 0"
taskset -c 0 "$creditd" --config "$run/creditd.toml" >"$run/creditd.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$run" "$audit"' EXIT
# Up to 20 min: at 10M on a shared machine the registry load and the name
# index build take 5+ min (77 s + minutes measured under load).
for _ in $(seq 1 6000); do
  grep -q '^listening ' "$run/creditd.log" && break
  kill -0 $pid 2>/dev/null || { cat "$run/creditd.log"; echo "creditd did not start" >&2; exit 1; }
  sleep 0.2
done
port=$(grep -o '^listening 127.0.0.1:[0-9]*' "$run/creditd.log" | cut -d: -f2)
echo "== creditd pid $pid on 127.0.0.1:$port"

results=$run/results.csv
fail=0
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
lg() {  # lg PLACEMENT CLIENT_CPU WORKLOAD PIPELINE MODE [CONNECTIONS]
  local out t0 t1 rps
  taskset -c "$2" "$bdir/bench/loadgen" --port "$port" --token "$token" \
    --workload "$3" --connections "${6:-$conns}" --pipeline "$4" --mode "$5" \
    --duration "$seconds" --warmup "$warmup" --codes-file "$hit_codes" \
    --miss-file "$gen/miss_codes.txt" --names-file "$gen/name_variants.jsonl" \
    --csv > "$run/lg.out" &
  local lgpid=$!
  # The daemon's CPU time over the measured seconds (after the warm-up).
  sleep "$warmup"
  t0=$(cpu_ticks "$pid")
  wait "$lgpid" || fail=1
  t1=$(cpu_ticks "$pid")
  out=$(cat "$run/lg.out")
  echo "$out" | grep -v '^csv,' | sed 's/^/   /'
  rps=$(echo "$out" | grep '^csv,' | cut -d, -f5)
  # CPU microseconds of the daemon per request (clock ticks of 1/CLK_TCK s).
  local us
  us=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v r="${rps:-0}" -v s="$seconds" \
    'BEGIN { printf "%.1f", (r > 0 ? t / hz * 1e6 / (r * s) : 0) }')
  echo "   daemon CPU: $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms in ${seconds} s = $us us/request"
  echo "$out" | grep '^csv,' | sed "s/^csv,/creditd,$1,/; s/\$/,$us/" >> "$results"
}
echo "== loadgen ($conns connections, ${seconds}s each after ${warmup}s warmup); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for w in check_hit check_miss batch_check_50 match_typo mixed; do
  lg split 1 "$w" 1 window
done
lg split 1 check_hit "$pipeline" batch
lg split 1 mixed "$pipeline" window
lg same 0 check_hit 1 window
lg same 0 check_hit "$pipeline" batch
# One connection, P=1: a match's service time end to end without queueing behind other
# connections (issue 7: "a match at p99 under 1 ms end to end").
lg split 1 match_typo 1 window 1

if [[ $perf -eq 1 ]] && command -v perf >/dev/null; then
  echo "== perf record -g -p $pid (5 s of check_hit, P=1, split)"
  taskset -c 1 "$bdir/bench/loadgen" --port "$port" --token "$token" --workload check_hit \
    --connections "$conns" --pipeline 1 --duration 7 --warmup 0 \
    --codes-file "$hit_codes" >/dev/null &
  lpid=$!
  sleep 1
  perf record -g -o "$run/perf.data" -p "$pid" -- sleep 5 2>/dev/null >/dev/null || true
  wait $lpid || true
  perf report -i "$run/perf.data" --no-children --sort dso,sym -g none --percent-limit 1.5 --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -30 || true
fi

if [[ $redis -eq 1 ]]; then
  echo "== redis-server GET, $subjects keys"
  for pl in "split 0 1" "same 0 0"; do
    read -r name scpu ccpu <<<"$pl"
    for p in 1 "$pipeline"; do
      bench/compare/redis.sh --keys "$subjects" --connections "$conns" --pipeline "$p" \
        --server-cpu "$scpu" --client-cpu "$ccpu" --seconds "$seconds" --label "$name" >> "$results"
    done
  done
fi

echo
echo "== results: $subjects subjects, $conns connections, daemon/redis-server on CPU 0"
# creditd,PLACEMENT,WORKLOAD,C,P,RPS,P50,P99,P999,ERRORS,CPU_US_PER_REQUEST
# redis,PLACEMENT,C,P,RPS,P50,P99,MAX
awk -F, '
  $1 == "creditd" {
    printf "%-8s %-15s %-6s P=%-3s %10.0f req/s  p50 %7.3f  p99 %7.3f  p999 %7.3f ms  errors %s  cpu %s us/req\n",
      "creditd", $3, $2, $5, $6, $7, $8, $9, $10, $11
    if ($3 == "check_hit") { crps[$2 "," $5] = $6; cp99[$2 "," $5] = $8 }
  }
  $1 == "redis" {
    printf "%-8s %-15s %-6s P=%-3s %10.0f req/s  p50 %7.3f  p99 %7.3f  max  %7.3f ms\n",
      "redis", "GET", $2, $4, $5, $6, $7, $8
    rrps[$2 "," $4] = $5; rp99[$2 "," $4] = $7
  }
  END {
    print ""
    print "check_hit vs Redis GET (aim: throughput >= 0.8x, p99 <= 1.5x)"
    for (k in rrps) if (k in crps) {
      split(k, a, ",")
      printf "  %-6s P=%-3s throughput %.3fx   p99 %.2fx\n", a[1], a[2],
        crps[k] / rrps[k], (rp99[k] > 0 ? cp99[k] / rp99[k] : 0)
    }
  }' "$results"
echo "(raw: creditd,placement,workload,C,P,rps,p50,p99,p999,errors,cpu_us_per_req / redis,placement,C,P,rps,p50,p99,max)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
